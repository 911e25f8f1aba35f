-- name: elev_last
-- description: Load a pupil file (NUDB register layout or tallkit's plain layout) straight from
--   disk. Columns come by canonical name ($kolonner maps the file's columns); a column the file
--   lacks is added as null by the empty «alle_kolonner» relation, so gruppe and avgiverskole are
--   optional and one query serves both layouts. Pupil ids are replaced through the pseudonym table
--   from elev_pseudonymer.sql (run first), found by the salted digest «noekkel»: the raw id goes
--   no further than «checked», so nothing DuckDB may spill to disk (the join) holds one.
--   «feil» names the first invalid column of a row; the ingest refuses the file, whole, if any
--   row has one.
-- params: $sti $skilletegn $tegnsett $hopp_over $kolonner $kilde_id $tallmonster $fnr_hel
--   $fnr_del $maks_skalapoeng $maks_linje $salt
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
        auto_detect = false, null_padding = false, max_line_size = $maks_linje
    )
    union all by name
    select * from alle_kolonner
), cleaned as (
    select
        -- a fødselsnummer written with a space or hyphen is the same pupil as without
        case
            -- only 12 characters can be 11 digits and a separator: the regex runs on those only
            when length(trim(elev_id)) = 12 and regexp_full_match(trim(elev_id), $fnr_hel)
                then regexp_replace(trim(elev_id), '[^0-9]', '', 'g')
            else coalesce(trim(elev_id), '')
        end as elev_id,
        coalesce(trim(aargang), '') as aargang,
        -- «2025-26» or «2025-2026»
        case
            -- \d is ASCII only, so the pattern needs 9 bytes: other lengths skip the regex
            when strlen(trim(skoleaar)) = 9 and regexp_full_match(trim(skoleaar), '\d{4}-\d{4}')
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
), checked as (
    select
        * exclude (elev_id),
        md5_number($salt || elev_id) as noekkel,
        -- decimal comma to point; spaces (also U+00A0, U+202F) as thousands separators dropped
        try_cast(translate(skalapoeng, ',' || chr(160) || chr(8239) || ' ', '.') as double)
            as poeng,
        case
            -- Nearly every row of a register file passes this one pattern over its short
            -- columns joined by \x01 (no column pattern admits \x01, so each stays in its own
            -- place) and is valid; it costs a third of checking column by column. It only ever
            -- says «valid» where the checks below would: every other row goes through them,
            -- and they name the error.
            when regexp_full_match(
                    concat(aargang, chr(1), orgnr, chr(1), kommunenr, chr(1), avgiverskole,
                        chr(1), provekode, chr(1), deltatt, chr(1), skalapoeng, chr(1),
                        mestringsnivaa),
                    '20\d\d(0[1-9]|1[0-2])\x01[0-9]{9}\x01([0-9]{4})?\x01([0-9]{9})?\x01'
                        || 'NP(ENG|LES|REG)(05|08|09)\x01[A-Z0-9]{1,3}\x01([0-9]{1,3})?\x01'
                        || '([1-5])?'
                )
                and elev_id <> '' and strlen(elev_id) <= 64
                -- up to 10 bytes: too short for a fødselsnummer, well within 40 characters
                and (gruppe is null
                    or (strlen(gruppe) <= 10 and not regexp_matches(gruppe, '[\x00-\x1f\x7f]')))
                and (skalapoeng is null or poeng <= $maks_skalapoeng)
                and (mestringsnivaa is null or mestringsnivaa <= '3'
                    or not ends_with(provekode, '05'))
                then null
            -- a fødselsnummer where no pupil id belongs: refused, and never written (below);
            -- it needs 11 characters, so shorter values (nearly all) skip the regex
            when length(orgnr) >= 11 and regexp_matches(orgnr, $fnr_del) then 'fnr:orgnr'
            when length(gruppe) >= 11 and regexp_matches(gruppe, $fnr_del) then 'fnr:gruppe'
            when length(avgiverskole) >= 11 and regexp_matches(avgiverskole, $fnr_del)
                then 'fnr:avgiverskole'
            when length(kommunenr) >= 11 and regexp_matches(kommunenr, $fnr_del)
                then 'fnr:kommunenr'
            when elev_id = '' or length(elev_id) > 64 then 'elev_id'
            when aargang <> '' and not regexp_full_match(aargang, '20\d\d(0[1-9]|1[0-2])')
                then 'aargang'
            when aargang = '' and (
                not regexp_full_match(skoleaar, '\d{4}-\d{2}')
                or (try_cast(substr(skoleaar, 1, 4) as integer) + 1) % 100
                    != try_cast(substr(skoleaar, 6, 2) as integer)
            ) then 'skoleaar'
            when not regexp_full_match(orgnr, '[0-9]{9}') then 'orgnr'
            when kommunenr is not null and not regexp_full_match(kommunenr, '[0-9]{4}')
                then 'kommunenr'
            when avgiverskole is not null and not regexp_full_match(avgiverskole, '[0-9]{9}')
                then 'avgiverskole'
            when gruppe is not null
                and (length(gruppe) > 40 or regexp_matches(gruppe, '[\x00-\x1f\x7f]'))
                then 'gruppe'
            when not regexp_full_match(provekode, 'NP(ENG|LES|REG)(05|08|09)') then 'prove'
            when not regexp_full_match(deltatt, '[A-Z0-9]{1,3}') then 'deltatt'
            when skalapoeng is not null and (
                not regexp_full_match(skalapoeng, $tallmonster)
                or starts_with(skalapoeng, '-')
                or poeng not between 0 and $maks_skalapoeng
            ) then 'skalapoeng'
            when mestringsnivaa is not null and not (
                mestringsnivaa in ('1', '2', '3')
                or (mestringsnivaa in ('4', '5') and not ends_with(provekode, '05'))
            ) then 'mestringsnivaa'
        end as feil
    from cleaned
)
-- A row with an error keeps none of its values: the file is refused and rolled back, and a
-- refused value (it may be a fødselsnummer) never reaches the database file, not even there.
select
    p.elev,
    case when feil is null then orgnr else '' end as enhet_id,
    case when feil is null then kommunenr end as kommunenr,
    case when feil is null then gruppe end as gruppe,
    case
        when feil is not null then null
        when aargang = '' then skoleaar
        -- NUDB's AARGANG is the test's year and month: autumn tests open the school year.
        when try_cast(substr(aargang, 5, 2) as integer) >= 8
            then substr(aargang, 1, 4) || '-'
                || lpad(cast((try_cast(substr(aargang, 1, 4) as integer) + 1) % 100 as varchar), 2, '0')
        else cast(try_cast(substr(aargang, 1, 4) as integer) - 1 as varchar) || '-'
            || substr(aargang, 3, 2)
    end as skoleaar,
    case when feil is null then try_cast(substr(provekode, 6, 2) as smallint) end as trinn,
    case when feil is null then
        case substr(provekode, 1, 5)
            when 'NPENG' then 'engelsk' when 'NPLES' then 'lesing' when 'NPREG' then 'regning'
        end
    end as prove,
    case when feil is null then avgiverskole end as avgiverskole,
    case when feil is null then deltatt end as deltatt_status,
    case when feil is null then poeng end as skalapoeng,
    case when feil is null then try_cast(mestringsnivaa as smallint) end as mestringsnivaa,
    $kilde_id as kilde_id,
    feil
from checked
join pseudonymer as p using (noekkel);
