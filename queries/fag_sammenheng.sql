-- name: fag_sammenheng
-- description: Pupil-level links between tests, per school, school year, trinn and pair of tests:
--   pupils with both results, the correlation of their scores, and how many are at the lowest
--   mastery level in one test but not the other, or in both. Only aggregates leave this query.
--   Sums are taken exactly (DECIMAL) so the result is the same whatever order threads add in;
--   the library computes the correlation from them.
-- params: $aar $trinn $kommune $skole (each may be null for all)
-- beskrivelse: Sammenhengen mellom prøvene for de samme elevene (elevdata): korrelasjon og elever på laveste nivå i én eller begge prøver.
-- parametre: $aar $trinn $kommune $skole (tom = alle)
-- «not materialized»: joined with itself; materialised, every pupil row is written out first
with resultater as not materialized (
    select r.elev, r.enhet_id, r.skoleaar, r.trinn, r.prove, r.skalapoeng, r.mestringsnivaa
    from elevresultat as r
    left join enhet as e using (enhet_id)
    where r.deltatt_status = 'D' and r.skalapoeng is not null
        and (cast($aar as varchar) is null or r.skoleaar = $aar)
        and (cast($trinn as integer) is null or r.trinn = $trinn)
        and (cast($kommune as varchar) is null or e.kommunenr = $kommune)
        and (cast($skole as varchar) is null or r.enhet_id = $skole)
),
par as (
    select
        a.enhet_id, a.skoleaar, a.trinn, a.prove as prove_a, b.prove as prove_b,
        cast(a.skalapoeng as decimal(18, 4)) as poeng_a,
        cast(b.skalapoeng as decimal(18, 4)) as poeng_b,
        a.mestringsnivaa = 1 as lav_a, b.mestringsnivaa = 1 as lav_b
    from resultater as a
    join resultater as b
        on b.elev = a.elev and b.enhet_id = a.enhet_id and b.skoleaar = a.skoleaar
        and b.trinn = a.trinn and a.prove < b.prove
)
select
    p.enhet_id,
    coalesce(e.navn, p.enhet_id) as navn,
    p.skoleaar,
    p.trinn,
    p.prove_a,
    p.prove_b,
    count(*) as antall,
    cast(sum(p.poeng_a) as double) as sum_a,
    cast(sum(p.poeng_b) as double) as sum_b,
    cast(sum(p.poeng_a * p.poeng_a) as double) as sum_aa,
    cast(sum(p.poeng_b * p.poeng_b) as double) as sum_bb,
    cast(sum(p.poeng_a * p.poeng_b) as double) as sum_ab,
    count(*) filter (where p.lav_a and not p.lav_b) as lav_bare_a,
    count(*) filter (where p.lav_b and not p.lav_a) as lav_bare_b,
    count(*) filter (where p.lav_a and p.lav_b) as lav_begge
from par as p
left join enhet as e using (enhet_id)
group by all
order by p.skoleaar, p.trinn, p.enhet_id, p.prove_a, p.prove_b;
