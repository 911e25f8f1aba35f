-- name: progresjon_kull
-- description: The same cohort in published results: 8. trinn year Y -> 9. trinn year Y+1 (same
--   scale, lesing and regning) and 5. trinn year Y -> 8. trinn year Y+3 at the same unit (1-10
--   schools, kommuner; another scale, so only the position against the nation is comparable).
--   Schools and kommuner, all pupils; both ends must be published.
-- params: $aar $prove $kommune $skole (each may be null for all; $aar is the end year)
-- beskrivelse: Samme kull i publiserte tall: 8. trinn år Y mot 9. trinn år Y+1, og 5. trinn år Y mot 8. trinn år Y+3.
-- parametre: $aar $prove $kommune $skole (tom = alle; $aar er sluttåret)
with np as (
    select
        n.enhet_id, e.navn, e.nivaa, coalesce(e.kommunenr, n.enhet_id) as kommunenr,
        n.skoleaar, cast(substr(n.skoleaar, 1, 4) as integer) as start_aar, n.trinn, n.prove,
        n.skalapoeng, n.usikkerhet, n.antall
    from nasjonale_prover as n
    join enhet as e using (enhet_id)
    where n.kjonn = 'alle' and n.eierform = 'alle' and n.status = 'ok'
        and e.nivaa in ('skole', 'kommune', 'land')
        -- one school with its kommune given: only its, its kommune's and the nation's rows are
        -- read (named as parameters, DuckDB filters before the view's pivot)
        and (cast($skole as varchar) is null or cast($kommune as varchar) is null
            or n.enhet_id in ($skole, $kommune, 'I'))
),
overganger as (
    select 8 as fra_trinn, 9 as til_trinn, 1 as aar_mellom
    union all
    select 5, 8, 3
)
select
    t.enhet_id, t.navn, t.nivaa, t.kommunenr, t.prove,
    o.fra_trinn, o.til_trinn, f.skoleaar as fra_aar, t.skoleaar as til_aar,
    f.antall as fra_antall, f.skalapoeng as fra_skalapoeng, f.usikkerhet as fra_usikkerhet,
    t.antall as til_antall, t.skalapoeng as til_skalapoeng, t.usikkerhet as til_usikkerhet,
    lf.skalapoeng as fra_landet, lf.usikkerhet as fra_landet_usikkerhet,
    lt.skalapoeng as til_landet, lt.usikkerhet as til_landet_usikkerhet,
    case when t.nivaa = 'skole' then kf.skalapoeng end as fra_kommune,
    case when t.nivaa = 'skole' then kt.skalapoeng end as til_kommune
from overganger as o
join np as f on f.trinn = o.fra_trinn
join np as t
    on t.enhet_id = f.enhet_id and t.trinn = o.til_trinn and t.prove = f.prove
    and t.start_aar = f.start_aar + o.aar_mellom
left join np as lf
    on lf.enhet_id = 'I' and lf.skoleaar = f.skoleaar and lf.trinn = f.trinn and lf.prove = f.prove
left join np as lt
    on lt.enhet_id = 'I' and lt.skoleaar = t.skoleaar and lt.trinn = t.trinn and lt.prove = t.prove
left join np as kf
    on kf.enhet_id = f.kommunenr and kf.skoleaar = f.skoleaar and kf.trinn = f.trinn
    and kf.prove = f.prove
left join np as kt
    on kt.enhet_id = t.kommunenr and kt.skoleaar = t.skoleaar and kt.trinn = t.trinn
    and kt.prove = t.prove
where t.nivaa <> 'land'
    and (o.fra_trinn = 5 or t.prove in ('lesing', 'regning'))
    and (cast($aar as varchar) is null or t.skoleaar = $aar)
    and (cast($prove as varchar) is null or t.prove = $prove)
    and (cast($kommune as varchar) is null or t.kommunenr = $kommune)
    and (cast($skole as varchar) is null or t.enhet_id = $skole)
order by t.skoleaar, o.fra_trinn, t.prove, t.nivaa, t.kommunenr, t.enhet_id;
