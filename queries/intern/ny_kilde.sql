-- name: ny_kilde
-- description: Record one ingested file.
-- params: $kilde_id $sha256 $filnavn $sti $type $beskrivelse $rader $skjermet $erstattet
--   $eksportert $innlest $merknader
insert into lager.kilde values (
    $kilde_id, $sha256, $filnavn, $sti, $type, $beskrivelse, $rader, $skjermet, $erstattet,
    $eksportert, $innlest, $merknader
);
