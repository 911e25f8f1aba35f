-- name: variasjon_grupper
-- description: Pupil-level results summarised per school, year, trinn, test and group (class):
--   pupils with a score, mean, sum of squares around the group mean, and how many pupils are
--   at the lowest and the highest mastery level. Input to «tallkit variasjon --del grupper» and
--   the variance decomposition; no single pupil leaves this query. Sums are exact (DECIMAL), so
--   the output is byte-identical however DuckDB's threads add them up.
-- params: $aar $trinn $prove $kommune $skole (each may be null for all)
-- beskrivelse: Elevresultater oppsummert per skole, år, trinn, prøve og gruppe (klasse); ingen enkeltelever.
-- parametre: $aar $trinn $prove $kommune $skole (tom = alle)
select
    r.enhet_id,
    coalesce(e.navn, r.enhet_id) as navn,
    e.kommunenr,
    r.skoleaar,
    r.trinn,
    r.prove,
    coalesce(r.gruppe, '(uten gruppe)') as gruppe,
    count(*) as antall,
    cast(sum(cast(r.skalapoeng as decimal(18, 4))) as double) / count(*) as snitt,
    greatest(
        cast(
            sum(cast(r.skalapoeng as decimal(18, 4)) * cast(r.skalapoeng as decimal(18, 4)))
            - sum(cast(r.skalapoeng as decimal(18, 4))) * sum(cast(r.skalapoeng as decimal(18, 4)))
            / count(*)
            as double
        ),
        0
    ) as kvadratsum,
    count(*) filter (where r.mestringsnivaa = 1) as laveste_nivaa,
    count(*) filter (where r.mestringsnivaa = case when r.trinn = 5 then 3 else 5 end)
        as hoyeste_nivaa,
    count(r.mestringsnivaa) as med_nivaa
from elevresultat as r
left join enhet as e using (enhet_id)
where r.deltatt_status = 'D' and r.skalapoeng is not null
    and (cast($aar as varchar) is null or r.skoleaar = $aar)
    and (cast($trinn as integer) is null or r.trinn = $trinn)
    and (cast($prove as varchar) is null or r.prove = $prove)
    and (cast($kommune as varchar) is null or e.kommunenr = $kommune)
    and (cast($skole as varchar) is null or r.enhet_id = $skole)
group by all
order by r.skoleaar, r.trinn, r.prove, r.enhet_id, gruppe;
