-- name: sett_inn_skalaparametre
-- description: SSB's scale correction parameters from «ny_skalaparametre»; newest wins.
-- params: $kilde_id
insert or replace into lager.skalaparametre
select skoleaar, prove, trinn, gammel_snitt, gammel_sd, ny_snitt, ny_sd, $kilde_id
from ny_skalaparametre;
