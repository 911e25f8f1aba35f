-- name: skjerming_omfang
-- description: Participating pupil results per kommune ('?' for schools without one), as the
--   suppression plan reads them (skjerming.sql): how a national plan is shared out between
--   processes. Read by the library only.
-- params:
-- beskrivelse: Antall elevresultater per kommune i grunnlaget for skjermingsplanen (brukes bare av biblioteket).
-- parametre:
select coalesce(e.kommunenr, '?') as kommunenr, count(*) as antall
from elevresultat as r
left join enhet as e using (enhet_id)
where r.deltatt_status = 'D'
group by all
order by all;
