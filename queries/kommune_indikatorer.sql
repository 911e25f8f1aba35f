-- name: kommune_indikatorer
-- description: Udir's published kommune rows side by side for each school year: national tests
--   (all pupils), Elevundersøkelsen indices and grunnskolepoeng, with n, spread where the export
--   gives it, and the nation's value. Only what Udir publishes for the kommune; nothing computed.
-- params: $enheter (a list of kommunenr), $aar (may be null for all years)
-- beskrivelse: Udirs publiserte kommunerader side om side per skoleår: nasjonale prøver, Elevundersøkelsen og grunnskolepoeng, med n, spredning og landet. Ingenting regnet ut.
-- parametre: $enheter (liste av kommunenummer) $aar (tom = alle)
with alle as (
    select
        'nasjonale_prover' as kilde, enhet_id, skoleaar, trinn, prove as indikator_kode,
        prove as indikator, skalapoeng as verdi, usikkerhet, cast(null as double) as standardavvik,
        antall, status
    from nasjonale_prover
    where kjonn = 'alle' and eierform = 'alle'
    union all
    select
        'elevundersokelsen', enhet_id, skoleaar, trinn, indikator_kode, indikator, verdi,
        null, standardavvik, antall, status
    from elevundersokelsen
    where sporsmal_kode is null and kjonn = 'alle' and eierform = 'alle'
    union all
    select
        'grunnskolepoeng', enhet_id, skoleaar, 10, 'grunnskolepoeng', 'grunnskolepoeng', poeng,
        null, null, antall, status
    from grunnskolepoeng
    where kjonn = 'alle' and eierform = 'alle'
)
select
    e.enhet_id,
    e.navn,
    e.enhet_id as kommunenr,
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
    a.verdi as kommune,
    l.verdi as landet
from enhet as e
join alle as a using (enhet_id)
left join alle as l
    on l.enhet_id = 'I' and l.kilde = a.kilde and l.skoleaar = a.skoleaar
    and l.trinn = a.trinn and l.indikator_kode = a.indikator_kode
where e.nivaa = 'kommune' and list_contains($enheter, e.enhet_id)
    and (cast($aar as varchar) is null or a.skoleaar = $aar)
order by e.enhet_id, a.skoleaar, a.kilde, a.trinn, a.indikator_kode;
