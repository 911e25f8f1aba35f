-- name: visninger
-- description: The public views (contract: PRODUCT.md §3 and README). Add columns freely; never
--   rename or drop one. A suppressed, screened or missing cell has a null value and its status.
-- params: none
create or replace view enhet as
select enhet_id, nivaa, navn, kommunenr, fylkesnr
from lager.enhet;

create or replace view nasjonale_prover as
select
    enhet_id,
    skoleaar,
    trinn,
    emne as prove,
    kjonn,
    eierform,
    max(verdi) filter (where maal = 'skalapoeng' and status = 'ok') as skalapoeng,
    max(verdi) filter (where maal = 'usikkerhet' and status = 'ok') as usikkerhet,
    cast(max(verdi) filter (where maal = 'antall' and status = 'ok') as bigint) as antall,
    coalesce(
        max(status) filter (where maal = 'skalapoeng'),
        max(status) filter (where maal = 'antall')
    ) as status,
    bool_or(forelopig) as forelopig,
    coalesce(
        max(kilde_id) filter (where maal = 'skalapoeng'), max(kilde_id)
    ) as kilde_id
from lager.maal
where domene = 'np' and maal in ('skalapoeng', 'usikkerhet', 'antall')
group by all;

create or replace view grunnskolepoeng as
select
    enhet_id,
    skoleaar,
    kjonn,
    eierform,
    max(verdi) filter (where maal = 'poeng' and status = 'ok') as poeng,
    cast(max(verdi) filter (where maal = 'antall' and status = 'ok') as bigint) as antall,
    coalesce(
        max(status) filter (where maal = 'poeng'), max(status) filter (where maal = 'antall')
    ) as status,
    bool_or(forelopig) as forelopig,
    coalesce(max(kilde_id) filter (where maal = 'poeng'), max(kilde_id)) as kilde_id
from lager.maal
where domene = 'gsp' and maal in ('poeng', 'antall')
group by all;

create or replace view elevundersokelsen as
select
    m.enhet_id,
    m.skoleaar,
    m.trinn,
    m.emne as indikator_kode,
    coalesce(i.navn, m.emne) as indikator,
    nullif(m.delemne, '') as sporsmal_kode,
    q.navn as sporsmal,
    m.kjonn,
    m.eierform,
    max(m.verdi) filter (where m.maal = 'verdi' and m.status = 'ok') as verdi,
    max(m.verdi) filter (where m.maal = 'standardavvik' and m.status = 'ok') as standardavvik,
    cast(max(m.verdi) filter (where m.maal = 'antall' and m.status = 'ok') as bigint) as antall,
    coalesce(
        max(m.status) filter (where m.maal = 'verdi'), max(m.status) filter (where m.maal = 'antall')
    ) as status,
    bool_or(m.forelopig) as forelopig,
    coalesce(max(m.kilde_id) filter (where m.maal = 'verdi'), max(m.kilde_id)) as kilde_id
from lager.maal as m
left join lager.indikator as i on i.kode = m.emne
left join lager.indikator as q on q.kode = nullif(m.delemne, '')
where m.domene = 'eu' and m.maal in ('verdi', 'standardavvik', 'antall')
group by all;

create or replace view elevresultat as
select
    elev,
    enhet_id,
    gruppe,
    skoleaar,
    trinn,
    prove,
    avgiverskole,
    skalapoeng,
    mestringsnivaa,
    deltatt_status,
    kilde_id
from lager.elevresultat;

create or replace view kilde as
select
    kilde_id,
    sha256,
    filnavn,
    type,
    rader,
    innlest,
    beskrivelse,
    skjermet,
    erstattet,
    eksportert,
    merknader
from lager.kilde;

-- Pupil results per school, year, trinn and test: no pupil rows, for «tallkit sql» (which
-- also hides groups under the minimum size) and the coverage queries.
create or replace view elevresultat_skole as
select
    enhet_id,
    skoleaar,
    trinn,
    prove,
    count(*) as rader,
    count(skalapoeng) filter (where deltatt_status = 'D') as antall,
    avg(skalapoeng) filter (where deltatt_status = 'D') as snitt,
    stddev_samp(skalapoeng) filter (where deltatt_status = 'D') as sd
from lager.elevresultat
group by all;

-- Measures kept but not recognised (README: «tallkit status --del hull»).
create or replace view ukjente_maal as
select domene, maal, count(*) as celler
from lager.maal
where maal not in (
    'skalapoeng', 'usikkerhet', 'antall', 'poeng', 'verdi', 'standardavvik',
    'antall_invitert', 'andel_besvart', 'skalapoeng_avgiverskole', 'gjennomsnittspoeng_1_3'
) and maal not like 'andel_svaralternativ_%' and maal not like 'antall_svaralternativ_%'
group by domene, maal;
