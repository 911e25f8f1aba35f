-- name: mestring
-- description: Mastery-level distribution from pupil data: pupils per level for each school and
--   its kommune, school year, trinn and test (participants with a level). Counts only; the
--   library shows shares for groups of at least the minimum size.
-- params: $aar $kommune (each may be null for all)
-- beskrivelse: Fordeling på mestringsnivå fra elevdata per skole og kommune, skoleår, trinn og prøve (bare antall).
-- parametre: $aar $kommune (tom = alle)
with r as (
    select r.enhet_id, e.kommunenr, r.skoleaar, r.trinn, r.prove, r.mestringsnivaa
    from elevresultat as r
    join enhet as e using (enhet_id)
    where r.deltatt_status = 'D' and r.mestringsnivaa is not null
        and (cast($aar as varchar) is null or r.skoleaar = $aar)
        and (cast($kommune as varchar) is null or e.kommunenr = $kommune)
)
select enhet_id, skoleaar, trinn, prove, mestringsnivaa, count(*) as antall
from r
group by all
union all
select kommunenr, skoleaar, trinn, prove, mestringsnivaa, count(*)
from r
where kommunenr is not null
group by all
order by all;
