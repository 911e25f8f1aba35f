-- name: elev_rader
-- description: Rows loaded from one pupil file, and those without a participation («D») result.
-- params: $kilde_id
select count(*) as rader, count(*) filter (where deltatt_status <> 'D') as ikke_deltatt
from lager.elevresultat
where kilde_id = $kilde_id;
