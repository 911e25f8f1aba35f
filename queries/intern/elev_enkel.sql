-- name: elev_enkel
-- description: Load a pupil file in the plain tallkit layout (README) straight from disk,
--   pseudonymising the pupil id through elev_pseudonymer.sql's table; see elev_nudb.sql.
-- params: $sti $skilletegn $tegnsett $hopp_over $kolonner $kilde_id $tallmonster
insert into lager.elevresultat
with raw as (
    select * from read_csv(
        $sti, delim = $skilletegn, encoding = $tegnsett, header = false, skip = $hopp_over,
        columns = $kolonner, quote = '"', escape = '"',
        auto_detect = false, null_padding = false
    )
), cleaned as (
    select
        coalesce(trim(elev_id), '') as elev_id,
        coalesce(trim(orgnr), '') as orgnr,
        -- «2025-26» or «2025-2026»
        case
            when regexp_full_match(trim(skoleaar), '\d{4}-\d{4}')
                then substr(trim(skoleaar), 1, 5) || substr(trim(skoleaar), 8, 2)
            else coalesce(trim(skoleaar), '')
        end as skoleaar,
        nullif(trim(gruppe), '') as gruppe,
        upper(coalesce(trim(prove), '')) as provekode,
        nullif(trim(avgiverskole), '') as avgiverskole,
        upper(coalesce(trim(deltatt), '')) as deltatt,
        nullif(nullif(trim(skalapoeng), ''), '.') as skalapoeng,
        nullif(nullif(trim(mestringsnivaa), ''), '.') as mestringsnivaa
    from raw
)
select
    p.elev,
    orgnr as enhet_id,
    cast(null as varchar) as kommunenr,
    gruppe,
    skoleaar,
    try_cast(substr(provekode, 6, 2) as smallint) as trinn,
    case substr(provekode, 1, 5)
        when 'NPENG' then 'engelsk' when 'NPLES' then 'lesing' when 'NPREG' then 'regning'
    end as prove,
    avgiverskole,
    deltatt as deltatt_status,
    -- decimal comma to point; spaces (also U+00A0, U+202F) as thousands separators dropped
    try_cast(translate(skalapoeng, ',' || chr(160) || chr(8239) || ' ', '.') as double) as skalapoeng,
    try_cast(mestringsnivaa as smallint) as mestringsnivaa,
    $kilde_id as kilde_id,
    case
        when elev_id = '' then 'elev_id'
        when orgnr = '' then 'orgnr'
        when not regexp_full_match(skoleaar, '\d{4}-\d{2}')
            or (try_cast(substr(skoleaar, 1, 4) as integer) + 1) % 100
                != try_cast(substr(skoleaar, 6, 2) as integer)
            then 'skoleaar'
        when not regexp_full_match(provekode, 'NP(ENG|LES|REG)(05|08|09)') then 'prove'
        when deltatt = '' then 'deltatt'
        when skalapoeng is not null and not regexp_full_match(skalapoeng, $tallmonster)
            then 'skalapoeng'
        when mestringsnivaa is not null and not regexp_full_match(mestringsnivaa, '[1-5]')
            then 'mestringsnivaa'
    end as feil
from cleaned
join pseudonymer as p using (elev_id);
