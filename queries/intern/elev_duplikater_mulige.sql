-- name: elev_duplikater_mulige
-- description: Cheap first look for pupils with two results for the same test and school year in
--   the file just loaded: groups on one 64-bit hash of the key instead of the key's strings, about
--   a third of the memory. A hash may collide, so a hit is only a candidate: elev_duplikater.sql
--   then counts exactly (a collision alone never refuses a file).
-- params: $kilde_id
select count(*) as antall
from (
    select hash(elev, skoleaar, trinn, prove) as noekkel
    from lager.elevresultat
    where kilde_id = $kilde_id
    group by noekkel
    having count(*) > 1
);
