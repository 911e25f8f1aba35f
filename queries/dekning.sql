-- name: dekning
-- description: What the database holds per view and school year: trinn, tests or indicators,
--   units with published numbers, suppressed cells, and whether the year is preliminary.
-- params: none
-- beskrivelse: Hva databasen har per visning og skoleår: trinn, prøver eller indikatorer, enheter med tall, skjermede celler og om året er foreløpig.
-- parametre:
with alle as (
    select
        'nasjonale_prover' as visning, skoleaar, trinn, prove as innhold, enhet_id, status,
        forelopig, 1 as rader
    from nasjonale_prover
    where kjonn = 'alle' and eierform = 'alle'
    union all
    select 'grunnskolepoeng', skoleaar, 10, 'grunnskolepoeng', enhet_id, status, forelopig, 1
    from grunnskolepoeng
    where kjonn = 'alle' and eierform = 'alle'
    union all
    select 'elevundersokelsen', skoleaar, trinn, indikator_kode, enhet_id, status, forelopig, 1
    from elevundersokelsen
    where sporsmal_kode is null and kjonn = 'alle' and eierform = 'alle'
    union all
    -- per school, not per pupil: «tallkit sql» has no pupil rows (and hides small groups)
    select
        'elevresultat', skoleaar, trinn, prove, enhet_id,
        case when antall > 0 then 'ok' else 'mangler' end, false, rader
    from elevresultat_skole
)
select
    visning,
    skoleaar,
    array_to_string(list_sort(list_distinct(list(trinn))), ', ') as trinn,
    count(distinct innhold) as prover_eller_indikatorer,
    count(distinct enhet_id) filter (where status = 'ok') as enheter_med_tall,
    count(*) filter (where status in ('skjermet', 'skjermet_synlig')) as skjermede_celler,
    cast(sum(rader) as bigint) as rader,
    bool_or(forelopig) as forelopige_tall
from alle
group by visning, skoleaar
order by visning, skoleaar;
