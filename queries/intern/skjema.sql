-- name: skjema
-- description: Internal tables (schema «lager»). Users script against the views, not these.
-- params: none
create schema if not exists lager;

create table if not exists lager.meta (
    nokkel varchar primary key,
    verdi varchar not null
);

create table if not exists lager.kilde (
    kilde_id integer primary key,
    sha256 varchar not null unique,
    filnavn varchar not null,
    sti varchar not null,
    type varchar not null,
    beskrivelse varchar not null,
    rader bigint not null,
    skjermet bigint not null,
    erstattet bigint not null,
    eksportert timestamp,
    innlest timestamp not null,
    merknader varchar not null
);

create table if not exists lager.enhet (
    enhet_id varchar primary key,
    nivaa varchar not null,
    navn varchar not null,
    kommunenr varchar,
    fylkesnr varchar,
    kilde_id integer not null
);

-- One published value (or its absence) a row; every key column is non-null.
create table if not exists lager.maal (
    domene varchar not null,
    enhet_id varchar not null,
    skoleaar varchar not null,
    trinn smallint not null,
    emne varchar not null,
    delemne varchar not null,
    kjonn varchar not null,
    eierform varchar not null,
    maal varchar not null,
    verdi double,
    status varchar not null,
    forelopig boolean not null,
    kilde_id integer not null,
    linje integer
);

create table if not exists lager.indikator (
    kode varchar primary key,
    navn varchar not null,
    kilde_id integer not null
);

-- «elev» is a keyed pseudonym; raw ids never reach this table. «feil» is non-null only inside
-- a failing ingest transaction, which is then rolled back.
create table if not exists lager.elevresultat (
    elev varchar not null,
    enhet_id varchar not null,
    kommunenr varchar,
    gruppe varchar,
    skoleaar varchar,
    trinn smallint,
    prove varchar,
    avgiverskole varchar,
    deltatt_status varchar,
    skalapoeng double,
    mestringsnivaa smallint,
    kilde_id integer not null,
    feil varchar
);

create table if not exists lager.skalaparametre (
    skoleaar varchar not null,
    prove varchar not null,
    trinn smallint not null,
    gammel_snitt double not null,
    gammel_sd double not null,
    ny_snitt double not null,
    ny_sd double not null,
    kilde_id integer not null,
    primary key (skoleaar, prove, trinn)
);

create table if not exists lager.udir_tekst (
    rapport varchar not null,
    tekst_id varchar not null,
    tekst varchar not null,
    kilde_id integer not null,
    primary key (rapport, tekst_id)
);
