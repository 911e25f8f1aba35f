-- name: elev_last
-- description: Load a pupil file (NUDB register layout or tallkit's plain layout) straight from
--   disk. Columns come by canonical name ($kolonner maps the file's columns); a column the file
--   lacks is added as null by the empty «alle_kolonner» relation, so gruppe and avgiverskole are
--   optional and one query serves both layouts. Pupil ids are replaced through the pseudonym table
--   from elev_pseudonymer.sql (run first). «feil» names the first invalid column of a row; the
--   ingest refuses the file, whole, if any row has one.
-- params: $sti $skilletegn $tegnsett $hopp_over $kolonner $kilde_id $tallmonster
insert into lager.elevresultat
with alle_kolonner as (
    select
        null::varchar as elev_id, null::varchar as aargang, null::varchar as skoleaar,
        null::varchar as orgnr, null::varchar as kommunenr, null::varchar as gruppe,
        null::varchar as prove, null::varchar as avgiverskole, null::varchar as deltatt,
        null::varchar as skalapoeng, null::varchar as mestringsnivaa
    where false
), raw as (
    select * from read_csv(
        $sti, delim = $skilletegn, encoding = $tegnsett, header = false, skip = $hopp_over,
        columns = $kolonner, quote = '"', escape = '"',
        auto_detect = false, null_padding = false
    )
    union all by name
    select * from alle_kolonner
), cleaned as (
    select
        coalesce(trim(elev_id), '') as elev_id,
        coalesce(trim(aargang), '') as aargang,
        -- «2025-26» or «2025-2026»
        case
            when regexp_full_match(trim(skoleaar), '\d{4}-\d{4}')
                then substr(trim(skoleaar), 1, 5) || substr(trim(skoleaar), 8, 2)
            else coalesce(trim(skoleaar), '')
        end as skoleaar,
        coalesce(trim(orgnr), '') as orgnr,
        nullif(trim(kommunenr), '') as kommunenr,
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
    kommunenr,
    gruppe,
    case
        when aargang = '' then skoleaar
        -- NUDB's AARGANG is the test's year and month: autumn tests open the school year.
        when try_cast(substr(aargang, 5, 2) as integer) >= 8
            then substr(aargang, 1, 4) || '-'
                || lpad(cast((try_cast(substr(aargang, 1, 4) as integer) + 1) % 100 as varchar), 2, '0')
        else cast(try_cast(substr(aargang, 1, 4) as integer) - 1 as varchar) || '-'
            || substr(aargang, 3, 2)
    end as skoleaar,
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
        when aargang <> '' and not regexp_full_match(aargang, '20\d\d(0[1-9]|1[0-2])')
            then 'aargang'
        when aargang = '' and (
            not regexp_full_match(skoleaar, '\d{4}-\d{2}')
            or (try_cast(substr(skoleaar, 1, 4) as integer) + 1) % 100
                != try_cast(substr(skoleaar, 6, 2) as integer)
        ) then 'skoleaar'
        when orgnr = '' then 'orgnr'
        when not regexp_full_match(provekode, 'NP(ENG|LES|REG)(05|08|09)') then 'prove'
        when deltatt = '' then 'deltatt'
        when skalapoeng is not null and not regexp_full_match(skalapoeng, $tallmonster)
            then 'skalapoeng'
        when mestringsnivaa is not null and not regexp_full_match(mestringsnivaa, '[1-5]')
            then 'mestringsnivaa'
    end as feil
from cleaned
join pseudonymer as p using (elev_id);
