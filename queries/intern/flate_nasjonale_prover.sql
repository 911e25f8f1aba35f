-- name: flate_nasjonale_prover
-- description: «nasjonale_prover» as «tallkit sql» sees it: a group under the minimum size
--   (configurable, at least Udir's 10) shows no numbers and the status «skjermet».
-- params: $minste_gruppe
select * replace (
    case when antall < $minste_gruppe then null else skalapoeng end as skalapoeng,
    case when antall < $minste_gruppe then null else usikkerhet end as usikkerhet,
    case when antall < $minste_gruppe then null else antall end as antall,
    case when antall < $minste_gruppe then 'skjermet' else status end as status
)
from nasjonale_prover;
