-- name: elev_nudb
-- description: Load a pupil file in the NUDB register layout straight from disk, pseudonymising
--   the pupil id through the pseudonym table from elev_pseudonymer.sql (run first).
--   «feil» names the first invalid column of a row; the ingest refuses the file if any is set.
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
        coalesce(trim(aargang), '') as aargang,
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
    -- AARGANG is the year and month of the test: autumn tests open the school year.
    case
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
        when not regexp_full_match(aargang, '20\d\d(0[1-9]|1[0-2])') then 'aargang'
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
