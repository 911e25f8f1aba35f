-- name: elev_duplikater
-- description: Pupils with two results for the same test and school year in the file just loaded.
-- params: $kilde_id
select count(*) as antall
from (
    select elev, skoleaar, trinn, prove
    from lager.elevresultat
    where kilde_id = $kilde_id
    group by all
    having count(*) > 1
);
