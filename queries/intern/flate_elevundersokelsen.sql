-- name: flate_elevundersokelsen
-- description: «elevundersokelsen» as «tallkit sql» sees it: no numbers for a group under the
--   minimum size.
-- params: $minste_gruppe
select * replace (
    case when antall < $minste_gruppe then null else verdi end as verdi,
    case when antall < $minste_gruppe then null else standardavvik end as standardavvik,
    case when antall < $minste_gruppe then null else antall end as antall,
    case when antall < $minste_gruppe then 'skjermet' else status end as status
)
from elevundersokelsen;
