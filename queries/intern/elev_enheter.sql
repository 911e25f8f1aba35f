-- name: elev_enheter
-- description: Schools that appear only in pupil data get a unit row (named by orgnr until an
--   export names them).
-- params: $kilde_id
insert into lager.enhet
select distinct enhet_id, 'skole', enhet_id, kommunenr, left(kommunenr, 2), $kilde_id
from lager.elevresultat
where kilde_id = $kilde_id
on conflict (enhet_id) do nothing;
