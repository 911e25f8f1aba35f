-- name: progresjon_klasser
-- description: Pupil pairs for progression summed per class: the same pupil's result on
--   8. trinn (year Y) and 9. trinn (Y+1), and on 5. trinn (Y) and 8. trinn (Y+3), same test.
--   One row per end year, transition, test, kommune (of the school at the end), school the
--   pairs count for (8 -> 9: the school at the end; 5 -> 8: the school the pupils came from,
--   avgiverskole, else the school on 5. trinn) and class (8 -> 9: the 9. trinn class; 5 -> 8:
--   the 5. trinn class): pairs, mean change and its sum of squares, level moves (8 -> 9) and
--   the variance of the earlier score. For 5 -> 8 (different scales) the change is the change in
--   position against the kommune's pupils on each test, so the mean is taken against the cell's
--   mean. Sums are exact (DECIMAL): byte-identical output however DuckDB's threads add them
--   up. Read by «tallkit progresjon --del elever/verdiskaping»; no pupil row leaves this query.
--   $skole keeps whole kommuner: those where the school's pupils are counted (its own, and
--   for 5 -> 8 every kommune its pupils moved on to), so each kommune's classes are complete.
-- params: $aar $prove $kommune $skole (each may be null for all; $aar is the end year)
-- beskrivelse: Elevpar for progresjon summert per klasse: endring, nivåflytting og spredning (elevdata; brukes av «tallkit progresjon»).
-- parametre: $aar $prove $kommune $skole (tom = alle; $aar er sluttåret; $skole gir hele
--   kommunene der skolens elever telles)
-- «not materialized»: used twice, DuckDB would otherwise write every pupil row of the country
-- to a temporary result first (1.3-1.6× the time, and the memory of it, on 2.25M rows)
with r as not materialized (
    select
        elev, enhet_id, gruppe, skoleaar, cast(substr(skoleaar, 1, 4) as integer) as start_aar,
        trinn, prove, cast(skalapoeng as decimal(18, 4)) as poeng, mestringsnivaa, avgiverskole
    from elevresultat
    where deltatt_status = 'D' and skalapoeng is not null
),
skolens_kommuner as (
    -- a superset is harmless: every kommune kept is kept whole
    select e.kommunenr
    from elevresultat as t
    join enhet as e using (enhet_id)
    where t.trinn in (8, 9) and (t.enhet_id = $skole or t.avgiverskole = $skole)
    union
    select e.kommunenr
    from elevresultat as f
    join elevresultat as t on t.elev = f.elev and t.trinn = 8
    join enhet as e on e.enhet_id = t.enhet_id
    where f.enhet_id = $skole and f.trinn = 5
),
slutt as (
    -- the end of each pair, selected before the join (filters on the joined rows would not
    -- reach the scan)
    select *
    from r
    where trinn in (8, 9)
        and (cast($aar as varchar) is null or skoleaar = $aar)
        and (cast($prove as varchar) is null or prove = $prove)
        and (
            cast($skole as varchar) is null
            or list_contains(
                (
                    select list(enhet_id) from enhet
                    where kommunenr in (select kommunenr from skolens_kommuner)
                ),
                enhet_id
            )
        )
),
overganger as (
    select 8 as fra_trinn, 9 as til_trinn, 1 as aar_mellom
    union all
    select 5, 8, 3
),
par as (
    select
        t.skoleaar as til_aar, o.fra_trinn, o.til_trinn, t.prove, e.kommunenr,
        case when o.fra_trinn = 5 then coalesce(t.avgiverskole, f.enhet_id) else t.enhet_id end
            as skole,
        coalesce(case when o.fra_trinn = 5 then f.gruppe else t.gruppe end, '(uten gruppe)')
            as klynge,
        case when o.fra_trinn = 5 then 'alle' else coalesce(t.gruppe, '(uten gruppe)') end
            as gruppe,
        t.poeng - f.poeng as d,
        f.poeng as fra,
        case when o.fra_trinn = 8 then sign(t.mestringsnivaa - f.mestringsnivaa) end as retning
    from overganger as o
    join r as f on f.trinn = o.fra_trinn
    join slutt as t
        on t.elev = f.elev and t.prove = f.prove and t.trinn = o.til_trinn
        and t.start_aar = f.start_aar + o.aar_mellom
    left join enhet as e on e.enhet_id = t.enhet_id
    where (o.fra_trinn = 5 or t.prove in ('lesing', 'regning'))
        and (cast($kommune as varchar) is null or e.kommunenr = $kommune)
),
klasser as (
    select
        til_aar, fra_trinn, til_trinn, prove, kommunenr, skole, klynge, gruppe,
        count(*) as antall,
        sum(d) as sum_d,
        sum(d * d) as sum_dd,
        sum(fra) as sum_fra,
        sum(fra * fra) as sum_fra2,
        count(*) filter (where retning > 0) as opp,
        count(*) filter (where retning = 0) as samme,
        count(*) filter (where retning < 0) as ned,
        count(retning) as med_niva
    from par
    group by all
)
select
    til_aar, fra_trinn, til_trinn, prove, kommunenr, skole, klynge, gruppe, antall,
    -- 5 -> 8: each pupil's change minus the mean change of the kommune's pupils (the cell)
    cast(sum_d as double) / antall - case when fra_trinn = 5 then
        cast(sum(sum_d) over (partition by til_aar, fra_trinn, prove, kommunenr) as double)
        / sum(antall) over (partition by til_aar, fra_trinn, prove, kommunenr)
        else 0 end as snitt,
    greatest(cast(sum_dd - sum_d * sum_d / antall as double), 0) as kvadratsum,
    case when antall > 1
        then greatest(cast(sum_fra2 - sum_fra * sum_fra / antall as double), 0) / (antall - 1)
        else 0 end as fra_varians,
    opp, samme, ned, med_niva
from klasser
order by til_aar, fra_trinn, til_trinn, prove, kommunenr, skole, klynge;
