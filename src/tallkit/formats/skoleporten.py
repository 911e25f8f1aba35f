"""The old Skoleporten download: long (one value a row), ``;``, UTF-8 with BOM, no orgnr.

Schools are known by name only; they get a ``navn:<name>`` key that the store replaces with the
orgnr as soon as another file names the same school with its orgnr.
"""

from __future__ import annotations

import re
from typing import Final

import polars as pl

from tallkit.errors import InputError, quote
from tallkit.formats import vocab
from tallkit.formats.cells import with_cells
from tallkit.formats.model import MEASURE_SCHEMA, NAME_KEY_PREFIX, Parsed
from tallkit.formats.text import Table

COLUMNS: Final = (
    "Enhetsnavn",
    "Skoletype",
    "Vurderingsområde",
    "Statistikk",
    "Indikator/delskår",
    "Periode",
    "Eierform",
    "Trinn",
    "Kjønn",
    "Verdi",
    "Måleenhet",
)
# "Lesing avgiverskole (Kun skolenivå)": 8. trinn results of the pupils who came from this school.
_INDICATOR = re.compile(r"^(?P<test>engelsk|lesing|regning)(?P<feeder> avgiverskole.*)?$", re.I)
_MEASURES: Final = {
    "skalapoeng": "skalapoeng",
    # The pre-2014 scale is another measure; it must never be mixed with skalapoeng.
    "gjennomsnittspoeng med én desimal (1-3)": "gjennomsnittspoeng_1_3",
}


def matches(header: list[str]) -> bool:
    return tuple(header[: len(COLUMNS)]) == COLUMNS


def parse(table: Table, description: str) -> Parsed:
    frame = pl.DataFrame(
        table.rows, schema=dict.fromkeys(table.header, pl.String), orient="row"
    ).with_columns(pl.Series("linje", table.line_numbers, dtype=pl.Int32))
    rows = []
    for record in frame.iter_rows(named=True):
        rows.append(_dimensions(record))
    dims = pl.DataFrame(rows, orient="row", schema=_DIM_SCHEMA)
    long, bad = with_cells(pl.concat([frame, dims], how="horizontal"), "Verdi")
    if bad is not None:
        raise InputError(
            f"«{quote(bad['Verdi'])}» er ikke et tall eller «.».",
            line=int(bad["linje"]),
            column="Verdi",
        )
    names = long["Enhetsnavn"].str.strip_chars()
    measures = long.with_columns(
        domene=pl.lit("np"),
        enhet_id=pl.lit(NAME_KEY_PREFIX) + names,
        delemne=pl.lit(""),
        forelopig=pl.lit(False),
    ).select([pl.col(n).cast(t) for n, t in MEASURE_SCHEMA.items()])
    units = (
        pl.DataFrame({"navn": names.unique(maintain_order=True)})
        .with_columns(
            enhet_id=pl.lit(NAME_KEY_PREFIX) + pl.col("navn"),
            nivaa=pl.lit("skole"),
            kommunenr=pl.lit(None, dtype=pl.String),
            fylkesnr=pl.lit(None, dtype=pl.String),
        )
        .select("enhet_id", "nivaa", "navn", "kommunenr", "fylkesnr")
    )
    unknown = sorted(set(dims["maal"]) - set(_MEASURES.values()) - {"skalapoeng_avgiverskole"})
    parsed = Parsed(
        kind="np", description=description, units=units, measures=measures, unknown_measures=unknown
    )
    parsed.notes.append(
        f"{units.height} {'skole' if units.height == 1 else 'skoler'} uten orgnr (Skoleporten "
        "oppgir bare navn); de kobles til orgnr "
        "når en fil med orgnr for samme navn leses inn."
    )
    parsed.notes.append("«.» betyr manglende eller skjermet i Skoleporten og lagres som «mangler».")
    return parsed


_DIM_SCHEMA: Final = {
    "skoleaar": pl.String,
    "trinn": pl.Int16,
    "emne": pl.String,
    "kjonn": pl.String,
    "eierform": pl.String,
    "maal": pl.String,
}


def _dimensions(record: dict[str, object]) -> tuple[object, ...]:
    line = int(str(record["linje"]))
    year = vocab.school_year(str(record["Periode"]))
    if year is None:
        raise InputError(
            f"ukjent periode «{quote(record['Periode'])}».", line=line, column="Periode"
        )
    trinn = vocab.trinn_number(str(record["Trinn"]))
    if trinn is None:
        raise InputError(f"ukjent trinn «{quote(record['Trinn'])}».", line=line, column="Trinn")
    indicator = _INDICATOR.match(str(record["Indikator/delskår"]).strip())
    if indicator is None:
        raise InputError(
            f"ukjent indikator «{quote(record['Indikator/delskår'])}».",
            line=line,
            column="Indikator/delskår",
        )
    gender = vocab.GENDERS.get(str(record["Kjønn"]).strip().casefold())
    if gender is None:
        raise InputError(f"ukjent kjønn «{quote(record['Kjønn'])}».", line=line, column="Kjønn")
    owner = vocab.OWNERSHIPS.get(str(record["Eierform"]).strip().casefold())
    if owner is None:
        raise InputError(
            f"ukjent eierform «{quote(record['Eierform'])}».", line=line, column="Eierform"
        )
    unit = str(record["Måleenhet"]).strip()
    measure = _MEASURES.get(unit.casefold(), unit)
    if indicator["feeder"] and measure == "skalapoeng":
        measure = "skalapoeng_avgiverskole"
    return (year[0], trinn, indicator["test"].lower(), gender, owner, measure)
