-- name: flate_ukjente_maal
-- description: «ukjente_maal» as «tallkit sql» sees it (copied into a closed, in-memory database).
-- params: none
select * from ukjente_maal;
