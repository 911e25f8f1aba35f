-- name: fag_indikatorer
-- description: A school's indicators side by side for each school year: national tests (all
--   pupils), Elevundersøkelsen indices and grunnskolepoeng, each with the school's n and
--   spread where the export gives it, and the kommune's and the nation's value.
-- params: $aar $kommune $skole (each may be null for all)
-- beskrivelse: Skolens indikatorer side om side per skoleår: nasjonale prøver, Elevundersøkelsen og grunnskolepoeng, med n, spredning, kommunen og landet.
-- parametre: $aar $kommune $skole (tom = alle)
with skoler as (
    select enhet_id, navn, kommunenr from enhet
    where nivaa = 'skole'
        and (cast($kommune as varchar) is null or kommunenr = $kommune)
        and (cast($skole as varchar) is null or enhet_id = $skole)
),
utvalg as (
    -- the units a filtered run reads: its schools, their kommuner and the nation (null: all).
    -- A list from a subquery is not pushed below the views' pivots (every unit of the country
    -- is pivoted first); with both a school and its kommune given, the same units are also
    -- named as parameters below, which DuckDB filters on before the pivot (10× faster).
    select case when cast($kommune as varchar) is not null or cast($skole as varchar) is not null
        then (
            select list(distinct x) from (
                select enhet_id as x from skoler
                union all select kommunenr from skoler
                union all select 'I'
            )
        ) end as enheter
),
alle as (
    select
        'nasjonale_prover' as kilde, enhet_id, skoleaar, trinn, prove as indikator_kode,
        prove as indikator, skalapoeng as verdi, usikkerhet, cast(null as double) as standardavvik,
        antall, status
    from nasjonale_prover
    where kjonn = 'alle' and eierform = 'alle'
        and coalesce(list_contains((select enheter from utvalg), enhet_id), true)
        and (cast($skole as varchar) is null or cast($kommune as varchar) is null
            or enhet_id in ($skole, $kommune, 'I'))
    union all
    select
        'elevundersokelsen', enhet_id, skoleaar, trinn, indikator_kode, indikator, verdi,
        null, standardavvik, antall, status
    from elevundersokelsen
    where sporsmal_kode is null and kjonn = 'alle' and eierform = 'alle'
        and coalesce(list_contains((select enheter from utvalg), enhet_id), true)
        and (cast($skole as varchar) is null or cast($kommune as varchar) is null
            or enhet_id in ($skole, $kommune, 'I'))
    union all
    select
        'grunnskolepoeng', enhet_id, skoleaar, 10, 'grunnskolepoeng', 'grunnskolepoeng', poeng,
        null, null, antall, status
    from grunnskolepoeng
    where kjonn = 'alle' and eierform = 'alle'
        and coalesce(list_contains((select enheter from utvalg), enhet_id), true)
        and (cast($skole as varchar) is null or cast($kommune as varchar) is null
            or enhet_id in ($skole, $kommune, 'I'))
)
select
    s.enhet_id,
    s.navn,
    s.kommunenr,
    a.skoleaar,
    a.kilde,
    a.trinn,
    a.indikator_kode,
    a.indikator,
    a.antall,
    a.verdi,
    a.usikkerhet,
    a.standardavvik,
    a.status,
    k.verdi as kommune,
    l.verdi as landet
from skoler as s
join alle as a using (enhet_id)
left join alle as k
    on k.enhet_id = s.kommunenr and k.kilde = a.kilde and k.skoleaar = a.skoleaar
    and k.trinn = a.trinn and k.indikator_kode = a.indikator_kode
left join alle as l
    on l.enhet_id = 'I' and l.kilde = a.kilde and l.skoleaar = a.skoleaar
    and l.trinn = a.trinn and l.indikator_kode = a.indikator_kode
where cast($aar as varchar) is null or a.skoleaar = $aar
order by s.navn, s.enhet_id, a.skoleaar, a.kilde, a.trinn, a.indikator_kode;
