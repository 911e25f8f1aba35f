-- name: skoleresultater
-- description: Published national test results for every school (all pupils), with its
--   kommune's and the nation's published result and, where pupil data exists, the school's
--   pupil-level n, mean, SD and effective class size (Σn²/Σn over its groups). The input to «tallkit variasjon» and «tallkit fag»; suppressed
--   and missing results are left out.
-- params: $aar $trinn $prove $kommune (each may be null for all)
-- beskrivelse: Publiserte resultater på nasjonale prøver for hver skole, med kommunen, landet og elevdata der de finnes.
-- parametre: $aar $trinn $prove $kommune (tom = alle)
with skoler as (
    select
        n.skoleaar, n.trinn, n.prove, e.kommunenr, n.enhet_id, e.navn,
        n.skalapoeng, n.usikkerhet, n.antall
    from nasjonale_prover as n
    join enhet as e using (enhet_id)
    where e.nivaa = 'skole' and n.kjonn = 'alle' and n.eierform = 'alle' and n.status = 'ok'
        and n.skalapoeng is not null and n.antall is not null
        and (cast($aar as varchar) is null or n.skoleaar = $aar)
        and (cast($trinn as integer) is null or n.trinn = $trinn)
        and (cast($prove as varchar) is null or n.prove = $prove)
        and (cast($kommune as varchar) is null or e.kommunenr = $kommune)
),
kommuner as (
    select
        enhet_id as kommunenr, skoleaar, trinn, prove,
        skalapoeng as kommune_snitt, usikkerhet as kommune_usikkerhet, antall as kommune_antall
    from nasjonale_prover
    where kjonn = 'alle' and eierform = 'alle' and status = 'ok'
        and enhet_id in (select enhet_id from enhet where nivaa = 'kommune')
        -- with a kommune given only its own row is joined; named as a parameter, DuckDB
        -- filters before the view's pivot (not every kommune's rows pivoted first)
        and (cast($kommune as varchar) is null or enhet_id = $kommune)
),
landet as (
    select
        skoleaar, trinn, prove, skalapoeng as land_snitt, usikkerhet as land_usikkerhet,
        antall as land_antall
    from nasjonale_prover
    where enhet_id = 'I' and kjonn = 'alle' and eierform = 'alle' and status = 'ok'
),
grupper as (
    -- pupils per class: the school's effective group size Σn²/Σn for the class component
    select enhet_id, skoleaar, trinn, prove, gruppe, count(*) as n
    from elevresultat
    where deltatt_status = 'D' and skalapoeng is not null and gruppe is not null
        and enhet_id in (select enhet_id from skoler)
    group by all
),
gruppestorrelse as (
    select enhet_id, skoleaar, trinn, prove,
        cast(sum(n * n) as double) / sum(n) as elev_gruppestorrelse
    from grupper
    group by all
),
elever as (
    select
        enhet_id, skoleaar, trinn, prove,
        count(skalapoeng) as elev_antall,
        -- exact (DECIMAL) sums: the same result whatever order the threads add in
        cast(sum(cast(skalapoeng as decimal(18, 4))) as double) / count(*) as elev_snitt,
        case when count(*) > 1 then sqrt(greatest(cast(
            (sum(cast(skalapoeng as decimal(18, 4)) * cast(skalapoeng as decimal(18, 4)))
                - sum(cast(skalapoeng as decimal(18, 4))) * sum(cast(skalapoeng as decimal(18, 4)))
                / count(*)) / (count(*) - 1)
            as double), 0)) end as elev_sd
    from elevresultat
    where deltatt_status = 'D' and skalapoeng is not null
        and enhet_id in (select enhet_id from skoler)
    group by all
)
select s.*, k.kommune_snitt, k.kommune_usikkerhet, k.kommune_antall,
    l.land_snitt, l.land_usikkerhet, l.land_antall, p.elev_antall, p.elev_snitt, p.elev_sd,
    g.elev_gruppestorrelse
from skoler as s
left join kommuner as k using (kommunenr, skoleaar, trinn, prove)
left join landet as l using (skoleaar, trinn, prove)
left join elever as p using (enhet_id, skoleaar, trinn, prove)
left join gruppestorrelse as g using (enhet_id, skoleaar, trinn, prove)
order by s.skoleaar, s.trinn, s.prove, s.kommunenr, s.enhet_id;
