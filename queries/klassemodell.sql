-- name: klassemodell
-- description: The sums behind the class share of the pupil variance (ρ), per kommune, trinn
--   and test, and per trinn and test over all pupil data (``alle`` = 1): a pooled one-way ANOVA
--   of classes nested in blocks (school × year), Henderson's method I (tallkit.stats
--   group_components). Per cell: pupils, groups, blocks, the sums of squares between groups
--   within blocks and within groups, Σ(Σn²/n) over blocks (for k₁) and Σn² over groups (the
--   typical effective class size). Group sums are exact (DECIMAL) and the sums over groups
--   and blocks are taken in a fixed order: byte-identical output run to run. Pupils without
--   a group are left out. Input to the uncertainty model (analyses/usikkerhet.py).
-- params: $kommune (null: every kommune; the rows over all pupil data are always there)
-- beskrivelse: Summene bak klasseandelen (ρ) per kommune, trinn og prøve og for hele databasen (elevdata; brukes av usikkerhetsmodellen).
-- parametre: $kommune (tom = alle)
with grupper as (
    select
        r.enhet_id, e.kommunenr, r.skoleaar, r.trinn, r.prove, r.gruppe,
        count(*) as n,
        sum(cast(r.skalapoeng as decimal(18, 4))) as s,
        sum(cast(r.skalapoeng as decimal(18, 4)) * cast(r.skalapoeng as decimal(18, 4))) as s2
    from elevresultat as r
    left join enhet as e using (enhet_id)
    where r.deltatt_status = 'D' and r.skalapoeng is not null
        and r.gruppe is not null and r.gruppe <> '(uten gruppe)'
    group by all
),
med_snitt as (
    -- a group's mean and sum of squares as queries/variasjon_grupper.sql gives them
    select
        *,
        cast(s as double) / n as snitt,
        greatest(cast(s2 - s * s / n as double), 0.0) as kvadratsum,
        cast(sum(s) over blokk as double) / sum(n) over blokk as blokksnitt
    from grupper
    window blokk as (partition by enhet_id, skoleaar, trinn, prove)
),
blokker as (
    select
        enhet_id, kommunenr, skoleaar, trinn, prove,
        sum(n) as n_blokk,
        count(*) as grupper,
        sum(n * n) as n2,
        sum(n * (snitt - blokksnitt) * (snitt - blokksnitt) order by gruppe) as ss_mellom,
        sum(kvadratsum order by gruppe) as ss_innen
    from med_snitt
    group by all
),
celler as (
    select
        grouping(kommunenr) as alle, kommunenr, trinn, prove,
        cast(sum(n_blokk) as bigint) as elever,
        cast(sum(grupper) as bigint) as grupper,
        count(*) as blokker,
        cast(sum(ss_mellom order by enhet_id, skoleaar) as double) as ss_mellom,
        cast(sum(ss_innen order by enhet_id, skoleaar) as double) as ss_innen,
        sum(cast(n2 as double) / n_blokk order by enhet_id, skoleaar) as sum_n2_per_blokk,
        cast(sum(n2) as bigint) as n2
    from blokker
    group by grouping sets ((kommunenr, trinn, prove), (trinn, prove))
)
select *
from celler
where alle = 1 or (kommunenr is not null and (cast($kommune as varchar) is null or kommunenr = $kommune))
order by alle, kommunenr, trinn, prove;
