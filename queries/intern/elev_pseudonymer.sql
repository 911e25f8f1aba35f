-- name: elev_pseudonymer
-- description: One HMAC-SHA256 pseudonym per distinct pupil id in a pupil file, into a temp
--   table the load joins against. A pupil has several rows (tests, years), so hashing each id
--   once is about four times less work than hashing every row; a separate pass keeps memory
--   low (a CTE used twice would hold the whole file in memory). $indre/$ytre are the key's
--   padded halves: HMAC(k, m) = H((k ^ opad) || H((k ^ ipad) || m)). The table holds no raw id:
--   the load finds a row's pseudonym by md5 of a random per-load salt and the id («noekkel»;
--   128 bits, so two ids never meet), which lets DuckDB spill the table and the join's hash
--   table to its temp files without a fødselsnummer ever reaching the disk.
-- params: $sti $skilletegn $tegnsett $hopp_over $kolonner $indre $ytre $fnr_hel $maks_linje
--   $salt
create or replace temp table pseudonymer as
select
    md5_number($salt || elev_id) as noekkel,
    left(sha256($ytre || unhex(sha256($indre || encode(elev_id)))), 20) as elev
from (
    -- the same normalisation as elev_last.sql: 010113 85776 and 01011385776 are one pupil
    select distinct
        case
            when length(trim(elev_id)) = 12 and regexp_full_match(trim(elev_id), $fnr_hel)
                then regexp_replace(trim(elev_id), '[^0-9]', '', 'g')
            else coalesce(trim(elev_id), '')
        end as elev_id
    from read_csv(
        $sti, delim = $skilletegn, encoding = $tegnsett, header = false, skip = $hopp_over,
        columns = $kolonner, quote = '"', escape = '"', auto_detect = false,
        null_padding = false, max_line_size = $maks_linje
    )
);
