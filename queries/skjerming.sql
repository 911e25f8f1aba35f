-- name: skjerming
-- description: Every participating pupil result (pseudonym, school, kommune, group, year,
--   trinn, test, whether it has a score and a level, where the pupil came from), unfiltered:
--   the suppression plan (src/tallkit/skjerming.py) must decide the same way whatever part
--   or filter a reader runs. Read by the library only; no pupil row leaves tallkit.
-- params: $kommuner (a list of kommunenr, '?' for schools without one; null for all)
-- beskrivelse: Grunnlaget for skjermingsplanen: hvert elevresultat med pseudonym, skole, gruppe, år, trinn og prøve (brukes bare av biblioteket; ingen elevrader går ut av tallkit).
-- parametre:
select
    r.elev, r.enhet_id, e.kommunenr, r.gruppe, r.skoleaar, r.trinn, r.prove,
    r.skalapoeng, r.mestringsnivaa, r.avgiverskole
from elevresultat as r
left join enhet as e using (enhet_id)
where r.deltatt_status = 'D'
    and (cast($kommuner as varchar[]) is null
        or list_contains($kommuner, coalesce(e.kommunenr, '?')))
order by all;
