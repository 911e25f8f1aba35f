-- name: flate_elevresultat_skole
-- description: Pupil results per school as «tallkit sql» sees them: no pupil rows, and no
--   numbers for a group under the minimum size.
-- params: $minste_gruppe
select
    enhet_id,
    skoleaar,
    trinn,
    prove,
    case when rader < $minste_gruppe then null else rader end as rader,
    case when antall < $minste_gruppe then null else antall end as antall,
    case when antall < $minste_gruppe then null else snitt end as snitt,
    case when antall < $minste_gruppe then null else sd end as sd
from elevresultat_skole;
