-- name: progresjon_elever
-- description: Pupil pairs for progression: the same pupil's result on 8. trinn (year Y) and
--   9. trinn (Y+1), and on 5. trinn (Y) and 8. trinn (Y+3), same test. One row per pupil and
--   pair, keyed by the school at the end and, for 5 -> 8, the school the pupil came from
--   (avgiverskole, else the school on 5. trinn). Read by the library, which only returns
--   aggregates; no pupil row leaves tallkit.
-- params: $aar $prove $kommune (each may be null for all; $aar is the end year)
-- beskrivelse: Elevpar for progresjon: samme elev på 8. og 9. trinn, og på 5. og 8. trinn (elevdata; brukes av «tallkit progresjon»).
-- parametre: $aar $prove $kommune (tom = alle; $aar er sluttåret)
with r as (
    select
        elev, enhet_id, gruppe, skoleaar, cast(substr(skoleaar, 1, 4) as integer) as start_aar,
        trinn, prove, skalapoeng, mestringsnivaa, avgiverskole
    from elevresultat
    where deltatt_status = 'D' and skalapoeng is not null
),
overganger as (
    select 8 as fra_trinn, 9 as til_trinn, 1 as aar_mellom
    union all
    select 5, 8, 3
)
select
    o.fra_trinn, o.til_trinn, f.skoleaar as fra_aar, t.skoleaar as til_aar, t.prove,
    t.enhet_id, coalesce(t.gruppe, '(uten gruppe)') as gruppe,
    coalesce(f.gruppe, '(uten gruppe)') as fra_gruppe,
    coalesce(t.avgiverskole, f.enhet_id) as fra_skole,
    e.kommunenr,
    f.skalapoeng as fra_poeng, t.skalapoeng as til_poeng,
    f.mestringsnivaa as fra_nivaa, t.mestringsnivaa as til_nivaa
from overganger as o
join r as f on f.trinn = o.fra_trinn
join r as t
    on t.elev = f.elev and t.prove = f.prove and t.trinn = o.til_trinn
    and t.start_aar = f.start_aar + o.aar_mellom
left join enhet as e on e.enhet_id = t.enhet_id
where (o.fra_trinn = 5 or t.prove in ('lesing', 'regning'))
    and (cast($aar as varchar) is null or t.skoleaar = $aar)
    and (cast($prove as varchar) is null or t.prove = $prove)
    and (cast($kommune as varchar) is null or e.kommunenr = $kommune)
-- a fixed order makes every sum below add up the same way: byte-identical output run to run
order by all;
