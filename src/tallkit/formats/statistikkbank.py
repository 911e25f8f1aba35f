"""Udir statistikkbank «Eksporter»: NP, GSP (and EU, should its export use the same layout).

One row per unit in hierarchy order, nine unit columns, then wide measure columns whose headers
are flattened column paths (see :mod:`tallkit.formats.vocab`).
"""

from __future__ import annotations

from typing import Final

import polars as pl

from tallkit.errors import InputError, quote
from tallkit.formats import vocab
from tallkit.formats.cells import with_cells
from tallkit.formats.model import LEVELS, MEASURE_SCHEMA, UNIT_SCHEMA, Parsed
from tallkit.formats.text import Table

UNIT_COLUMNS: Final = (
    "EnhetNivaa",
    "Nasjonaltkode",
    "Fylkekode",
    "Kommunekode",
    "Organisasjonsnummer",
    "Nasjonalt",
    "Fylke",
    "Kommune",
    "EnhetNavn",
)
_AGGREGATE_NAMES: Final = {"alle skoler", "alle kommuner", "alle fylker"}


def matches(header: list[str]) -> bool:
    return all(column in header for column in UNIT_COLUMNS)


def parse(table: Table, description: str) -> Parsed:
    """Parse an exporter table into canonical units and long measures."""
    header = table.header
    _check_header(header)
    measure_columns = [c for c in header if c not in UNIT_COLUMNS]
    paths = [_parse_header(c) for c in measure_columns]
    domains = {p.column: _domain(p) for p in paths}

    frame = pl.DataFrame(
        table.rows, schema=dict.fromkeys(header, pl.String), orient="row"
    ).with_columns(pl.Series("linje", table.line_numbers, dtype=pl.Int32))
    units = _units(frame)
    frame = frame.with_columns(units["enhet_id"])

    dims = pl.DataFrame(
        {
            "kolonne": [p.column for p in paths],
            "domene": [domains[p.column] for p in paths],
            "skoleaar": [p.skoleaar for p in paths],
            "forelopig": [p.forelopig for p in paths],
            "emne": [p.emne or "grunnskolepoeng" for p in paths],
            "trinn": [p.trinn or (10 if domains[p.column] == "gsp" else 0) for p in paths],
            "eierform": [p.eierform for p in paths],
            "kjonn": [p.kjonn for p in paths],
            "maal": [p.maal for p in paths],
        },
        schema_overrides={"trinn": pl.Int16},
    )
    long = frame.unpivot(
        index=["linje", "enhet_id"], on=measure_columns, variable_name="kolonne", value_name="raw"
    ).join(dims, on="kolonne", how="left", maintain_order="left")
    long, bad = with_cells(long, "raw")
    if bad is not None:
        raise InputError(
            f"«{quote(bad['raw'].strip())}» er ikke et tall, «*» eller tomt.",
            line=int(bad["linje"]),
            column=str(bad["kolonne"]),
            hint="Tall skal ha desimalkomma; rett cellen eller last ned på nytt.",
        )

    measures = long.with_columns(delemne=pl.lit("")).select(
        [pl.col(name).cast(dtype) for name, dtype in MEASURE_SCHEMA.items()]
    )
    unknown = sorted({p.maal for p in paths if not p.known_measure})
    kinds = sorted(set(domains.values()))
    parsed = Parsed(
        kind="+".join(kinds),
        description=description,
        units=units.select(list(UNIT_SCHEMA)),
        measures=measures,
        unknown_measures=unknown,
    )
    if unknown:
        parsed.notes.append(
            "ukjente mål beholdt (ikke i de offentlige visningene): " + ", ".join(unknown)
        )
    return parsed


def _check_header(header: list[str]) -> None:
    seen: set[str] = set()
    for column in header:
        if column in seen:
            raise InputError(
                f"kolonnen «{quote(column, 100)}» finnes to ganger i overskriften.", line=1
            )
        seen.add(column)
    if len(header) == len(UNIT_COLUMNS):
        raise InputError(
            "eksporten har ingen tallkolonner, bare enhetskolonner.",
            hint="Velg minst ett mål (for eksempel Skalapoeng) før du eksporterer.",
        )


def _parse_header(column: str) -> vocab.HeaderPath:
    try:
        return vocab.parse_header(column)
    except InputError as exc:
        raise InputError(exc.bare_message, line=1, column=column, hint=exc.hint) from None


def _domain(path: vocab.HeaderPath) -> str:
    if path.emne in vocab.TESTS.values():
        if path.trinn is None:
            raise InputError(
                f"kolonnen «{quote(path.column, 100)}» mangler trinn.",
                line=1,
                column=path.column,
                hint="Eksporter med trinn synlig i kolonnene.",
            )
        return "np"
    if path.emne is not None:
        return "eu"
    return "gsp"


def _units(frame: pl.DataFrame) -> pl.DataFrame:
    level = pl.col("EnhetNivaa").str.strip_chars().cast(pl.Int8, strict=False)
    bad = frame.filter(level.is_null() | ~level.is_in(list(LEVELS)))
    if bad.height:
        raise InputError(
            f"ugyldig EnhetNivaa «{quote(bad['EnhetNivaa'][0])}» (ventet 1–4).",
            line=int(bad["linje"][0]),
            column="EnhetNivaa",
        )
    stripped = {c: pl.col(c).str.strip_chars() for c in UNIT_COLUMNS}
    own_name = stripped["EnhetNavn"]
    # Aggregate rows say "Alle skoler" (current variant) or the unit's own name (older one).
    name = (
        pl.when(level == 4)
        .then(own_name)
        .when(~own_name.str.to_lowercase().is_in(list(_AGGREGATE_NAMES)))
        .then(own_name)
        .when(level == 3)
        .then(stripped["Kommune"])
        .when(level == 2)
        .then(stripped["Fylke"])
        .otherwise(stripped["Nasjonalt"])
    )
    org = stripped["Organisasjonsnummer"]
    units = frame.select(
        "linje",
        enhet_id=pl.when(level == 1).then(pl.lit("I")).otherwise(org),
        nivaa=level.replace_strict(LEVELS, return_dtype=pl.String),
        navn=name,
        kommunenr=pl.when(level >= 3).then(stripped["Kommunekode"]).otherwise(None),
        fylkesnr=pl.when(level >= 2).then(stripped["Fylkekode"]).otherwise(None),
    )
    empty = units.filter(pl.col("enhet_id").fill_null("") == "")
    if empty.height:
        raise InputError(
            "Organisasjonsnummer mangler.",
            line=int(empty["linje"][0]),
            column="Organisasjonsnummer",
        )
    return units
