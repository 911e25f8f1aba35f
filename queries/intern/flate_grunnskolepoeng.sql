-- name: flate_grunnskolepoeng
-- description: «grunnskolepoeng» as «tallkit sql» sees it: no numbers for a group under the
--   minimum size.
-- params: $minste_gruppe
select * replace (
    case when antall < $minste_gruppe then null else poeng end as poeng,
    case when antall < $minste_gruppe then null else antall end as antall,
    case when antall < $minste_gruppe then 'skjermet' else status end as status
)
from grunnskolepoeng;
