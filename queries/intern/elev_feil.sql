-- name: elev_feil
-- description: The first invalid column among the rows just loaded, and how many rows have one.
-- params: $kilde_id
select feil, count(*) as antall
from lager.elevresultat
where kilde_id = $kilde_id and feil is not null
group by feil
order by antall desc, feil
limit 1;
