-- name: skjerming_kommuner
-- description: The kommuner of the pupil data, and for every pupil with results in more than one
--   kommune the kommuner they join: the suppression plan is made per group of kommuner that
--   share pupils, so a plan never depends on what another group holds.
-- params: none
-- beskrivelse: Kommunene i elevdataene og hvilke kommuner som deler elever (brukes av skjermingsplanen).
-- parametre:
with r as (
    select distinct r.elev, coalesce(e.kommunenr, '?') as kommunenr
    from elevresultat as r
    left join enhet as e using (enhet_id)
    where r.deltatt_status = 'D'
)
select list(kommunenr order by kommunenr) as kommuner
from r
group by elev
having count(*) > 1
union all
select [kommunenr] from (select distinct kommunenr from r)
order by all;
