-- name: kilder_per_enhet
-- description: Which ingested files each unit's numbers come from (for a report's provenance).
-- params: $enheter (a list of unit ids, or null for every unit)
-- beskrivelse: Hvilke innleste filer hver enhets tall kommer fra (grunnlaget i en rapport).
-- parametre: $enheter (liste med enhets-id-er, tom = alle)
with bruk as (
    select distinct enhet_id, kilde_id from nasjonale_prover
    union
    select distinct enhet_id, kilde_id from grunnskolepoeng
    union
    select distinct enhet_id, kilde_id from elevundersokelsen
    union
    select distinct enhet_id, kilde_id from elevresultat
)
select b.enhet_id, k.kilde_id, k.filnavn, k.eksportert
from bruk as b
join kilde as k using (kilde_id)
where cast($enheter as varchar[]) is null or list_contains(cast($enheter as varchar[]), b.enhet_id)
order by b.enhet_id, k.kilde_id;
