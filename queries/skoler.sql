-- name: skoler
-- description: Schools with orgnr, name, kommune, and the trinn and years they have data for.
-- params: $kommune (kommunenr, or null for all)
-- beskrivelse: Skolene med orgnr, navn, kommune, trinn og år med tall.
-- parametre: $kommune (kommunenr, tom = alle)
with data as (
    select enhet_id, trinn, skoleaar from nasjonale_prover where status <> 'mangler'
    union all
    select enhet_id, 10, skoleaar from grunnskolepoeng where status <> 'mangler'
    union all
    select enhet_id, trinn, skoleaar from elevundersokelsen where status <> 'mangler'
    union all
    select enhet_id, trinn, skoleaar from elevresultat_skole
)
select
    e.enhet_id as orgnr,
    e.navn,
    e.kommunenr,
    coalesce(k.navn, '') as kommune,
    array_to_string(list_sort(list_distinct(list(d.trinn))), ', ')
        as trinn,
    min(d.skoleaar) as forste_aar,
    max(d.skoleaar) as siste_aar,
    count(distinct d.skoleaar) as antall_aar
from enhet as e
left join enhet as k on k.enhet_id = e.kommunenr and k.nivaa = 'kommune'
left join data as d on d.enhet_id = e.enhet_id
where e.nivaa = 'skole' and (cast($kommune as varchar) is null or e.kommunenr = $kommune)
group by all
order by kommune, e.navn, e.enhet_id;
