-- name: kilder
-- description: Every ingested file: what it was, how many rows, suppressed cells and rows it
--   replaced, when it was exported (when the file name tells) and read in.
-- params: none
-- beskrivelse: Innleste filer: type, rader, skjermede celler, erstattede rader, eksport- og innlesingstid.
-- parametre:
select
    kilde_id,
    filnavn,
    type,
    beskrivelse,
    rader,
    skjermet,
    erstattet,
    eksportert,
    innlest,
    left(sha256, 12) as sha256_start,
    merknader
from kilde
order by kilde_id;
