-- name: elev_nudb
-- description: Load a pupil file in the NUDB register layout straight from disk, pseudonymising
--   the pupil id with HMAC-SHA256 ($indre/$ytre are the key's padded halves) in the same pass.
--   «feil» names the first invalid column of a row; the ingest refuses the file if any is set.
-- params: $sti $skilletegn $tegnsett $hopp_over $kolonner $indre $ytre $kilde_id $tallmonster
insert into lager.elevresultat
with raw as (
    select * from read_csv(
        $sti, delim = $skilletegn, encoding = $tegnsett, header = false, skip = $hopp_over,
        columns = $kolonner, quote = '"', escape = '"',
        auto_detect = false, null_padding = false
    )
), cleaned as (
    select
        trim(elev_id) as elev_id,
        trim(aargang) as aargang,
        trim(orgnr) as orgnr,
        nullif(trim(kommunenr), '') as kommunenr,
        nullif(trim(gruppe), '') as gruppe,
        upper(trim(prove)) as provekode,
        nullif(trim(avgiverskole), '') as avgiverskole,
        upper(trim(deltatt)) as deltatt,
        nullif(nullif(trim(skalapoeng), ''), '.') as skalapoeng,
        nullif(nullif(trim(mestringsnivaa), ''), '.') as mestringsnivaa
    from raw
)
select
    left(sha256($ytre || unhex(sha256($indre || encode(elev_id)))), 20) as elev,
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
    try_cast(replace(regexp_replace(skalapoeng, '[\s\x{00a0}\x{202f}]', '', 'g'), ',', '.') as double)
        as skalapoeng,
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
from cleaned;
