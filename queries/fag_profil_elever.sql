-- name: fag_profil_elever
-- description: The subject profile from pupil data: for every pupil who sat all of a trinn's
--   tests, each test's score minus the mean of the pupil's other tests (d), summed per school,
--   school year, trinn, test and group (class). Because d is taken within the pupil, what the
--   tests share (the same pupils) cancels, and the profile's uncertainty is the spread of d, not
--   of the scores. Sums are exact: with k tests, (k − 1)·d = k·x − (sum of the pupil's scores).
--   Only aggregates leave this query.
-- params: $aar $trinn $kommune $skole (each may be null for all)
-- beskrivelse: Fagprofilen fra elevdata: for elever med alle trinnets prøver, hver prøve mot snittet av elevens andre prøver (bare summer, ingen enkeltelever).
-- parametre: $aar $trinn $kommune $skole (tom = alle)
-- «not materialized»: read three times; materialised, every pupil row is written out first
with r as not materialized (
    select r.elev, r.enhet_id, e.kommunenr, coalesce(r.gruppe, '(uten gruppe)') as gruppe,
        r.skoleaar, r.trinn, r.prove, cast(r.skalapoeng as decimal(18, 4)) as poeng
    from elevresultat as r
    left join enhet as e using (enhet_id)
    where r.deltatt_status = 'D' and r.skalapoeng is not null
        and (cast($aar as varchar) is null or r.skoleaar = $aar)
        and (cast($trinn as integer) is null or r.trinn = $trinn)
        and (cast($kommune as varchar) is null or e.kommunenr = $kommune)
        and (cast($skole as varchar) is null or r.enhet_id = $skole)
),
prover as (
    select skoleaar, trinn, count(distinct prove) as k from r group by all
),
per_elev as (
    -- each pupil's tests that year: a grouped sum joined back (a window over 2.25M rows sorted
    -- them all, 1.8× the time)
    select elev, enhet_id, skoleaar, trinn, count(*) as har, sum(poeng) as sum_elev
    from r
    group by all
),
elever as (
    select r.*, p.k, e.har, e.sum_elev
    from r
    join per_elev as e using (elev, enhet_id, skoleaar, trinn)
    join prover as p using (skoleaar, trinn)
),
forskjeller as (
    select enhet_id, kommunenr, gruppe, skoleaar, trinn, prove, k, k * poeng - sum_elev as kd
    from elever
    where har = k and k > 1
)
select
    enhet_id, kommunenr, skoleaar, trinn, prove, gruppe,
    count(*) as antall,
    cast(sum(kd) as double) / (count(*) * (any_value(k) - 1)) as snitt,
    greatest(cast(sum(kd * kd) - sum(kd) * sum(kd) / count(*) as double), 0)
        / ((any_value(k) - 1) * (any_value(k) - 1)) as kvadratsum
from forskjeller
group by all
order by skoleaar, trinn, enhet_id, prove, gruppe;
