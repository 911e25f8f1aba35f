-- name: sett_inn_maal
-- description: Store the staged measure rows («ny_maal») under one source.
-- params: $kilde_id
insert into lager.maal
select
    domene, enhet_id, skoleaar, trinn, emne, delemne, kjonn, eierform, maal, verdi, status,
    forelopig, $kilde_id, linje
from ny_maal;
