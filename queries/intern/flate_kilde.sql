-- name: flate_kilde
-- description: «kilde» as «tallkit sql» sees it (copied into a closed, in-memory database).
-- params: none
select * from kilde;
