-- name: hull
-- description: Gaps an analyst should know about: schools missing a year inside their own
--   series, units known by name only, measures kept but not recognised, schools only in pupil
--   data, years exported without «Usikkerhet», kinds of export not ingested at all.
-- params: none
-- beskrivelse: Hull og uklarheter i dataene: manglende år, enheter uten orgnr, ukjente mål, skoler bare i elevdata, år uten «Usikkerhet», eksporttyper som mangler.
-- parametre:
with np_years as (
    select distinct enhet_id, trinn, prove, skoleaar
    from nasjonale_prover
    where kjonn = 'alle' and eierform = 'alle'
),
all_years as (
    select distinct trinn, prove, skoleaar from np_years
),
spans as (
    select enhet_id, trinn, prove, min(skoleaar) as forste, max(skoleaar) as siste
    from np_years
    group by all
),
missing_years as (
    select
        'mangler år' as type,
        s.enhet_id,
        'nasjonale prøver ' || s.trinn || '. trinn ' || s.prove || ': ' || a.skoleaar as detalj
    from spans as s
    join all_years as a
        on a.trinn = s.trinn and a.prove = s.prove and a.skoleaar between s.forste and s.siste
    anti join np_years as n
        on n.enhet_id = s.enhet_id and n.trinn = s.trinn and n.prove = s.prove
        and n.skoleaar = a.skoleaar
),
unnamed as (
    select 'uten orgnr' as type, enhet_id, 'kjent bare ved navn; kobles når en fil gir orgnr'
    from enhet
    where enhet_id like 'navn:%'
),
unknown_measures as (
    select 'ukjent mål' as type, '' as enhet_id,
        domene || ': «' || maal || '» (' || celler || ' celler)' as detalj
    from ukjente_maal
),
no_uncertainty as (
    -- an export without «Usikkerhet» ticked: tallkit then derives the interval (labelled)
    select
        'mangler usikkerhet' as type,
        '' as enhet_id,
        'nasjonale prøver ' || skoleaar || ': ingen «Usikkerhet» i eksporten. Last ned på nytt '
            || 'med målet «Usikkerhet» krysset av (README: «Få tak i dataene»)' as detalj
    from nasjonale_prover
    where status = 'ok'
    group by skoleaar
    having count(usikkerhet) = 0
),
missing_sources as (
    select 'mangler eksport' as type, '' as enhet_id, detalj
    from (
        select 'ingen grunnskolepoeng: last ned «Grunnskolepoeng» fra statistikkbanken '
            || '(README: «Få tak i dataene»)' as detalj
        where not exists (select 1 from grunnskolepoeng)
        union all
        select 'ingen Elevundersøkelsen: hent indikator- og mobbetabellen fra Udirs Eksport API '
            || '(README: «Få tak i dataene»)'
        where not exists (select 1 from elevundersokelsen)
        union all
        select 'ingen elevresultater: progresjon per elev, grupper og mestringsnivå krever '
            || 'kommunens egne resultater (README: «Få tak i dataene»)'
        where not exists (select 1 from elevresultat)
    )
),
pupils_only as (
    select 'bare i elevdata' as type, enhet_id, 'skolen har elevresultater, men ikke noe navn'
    from enhet
    where nivaa = 'skole' and navn = enhet_id
)
select h.type, h.enhet_id, coalesce(e.navn, '') as navn, h.detalj
from (
    select * from missing_years
    union all select * from unnamed
    union all select * from unknown_measures
    union all select * from pupils_only
    union all select * from no_uncertainty
    union all select * from missing_sources
) as h
left join enhet as e on e.enhet_id = h.enhet_id
order by h.type, navn, h.enhet_id, h.detalj;
