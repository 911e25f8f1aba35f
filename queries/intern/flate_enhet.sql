-- name: flate_enhet
-- description: «enhet» as «tallkit sql» sees it (copied into a closed, in-memory database).
-- params: none
select * from enhet;
