"""The canonical shapes every format parser produces; the store only ever sees these."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import polars as pl

# Long rows of aggregate statistics: one value (and its state) a row. ``domene`` says which
# public view a row belongs to; every key column is non-null so that "same keys" is equality.
MEASURE_SCHEMA: Final = {
    "domene": pl.String,  # np | gsp | eu
    "enhet_id": pl.String,
    "skoleaar": pl.String,
    "trinn": pl.Int16,  # 0 where the statistic has no trinn
    "emne": pl.String,  # test (np), index code (eu), "grunnskolepoeng" (gsp)
    "delemne": pl.String,  # EU question code; "" for the index or where none
    "kjonn": pl.String,
    "eierform": pl.String,
    "maal": pl.String,  # skalapoeng, usikkerhet, antall, poeng, verdi, ... or an unknown label
    "verdi": pl.Float64,
    "status": pl.String,
    "forelopig": pl.Boolean,
    "linje": pl.Int32,  # line (or record) in the source file, for provenance and errors
}
MEASURE_KEY: Final = (
    "domene",
    "enhet_id",
    "skoleaar",
    "trinn",
    "emne",
    "delemne",
    "kjonn",
    "eierform",
    "maal",
)
UNIT_SCHEMA: Final = {
    "enhet_id": pl.String,  # orgnr / kommunenr / fylkesnr / "I"; "navn:<name>" until matched
    "nivaa": pl.String,  # land | fylke | kommune | skole
    "navn": pl.String,
    "kommunenr": pl.String,
    "fylkesnr": pl.String,
}
LEVELS: Final = {1: "land", 2: "fylke", 3: "kommune", 4: "skole"}
NAME_KEY_PREFIX: Final = "navn:"


def empty_measures() -> pl.DataFrame:
    return pl.DataFrame(schema=MEASURE_SCHEMA)


def empty_units() -> pl.DataFrame:
    return pl.DataFrame(schema=UNIT_SCHEMA)


@dataclass(frozen=True)
class PupilLoad:
    """A pupil-level file, loaded by the store straight from disk (it can be millions of rows)."""

    path: Path
    layout: str  # "nudb" | "enkel": named in the summary; queries/intern/elev_last.sql reads both
    encoding: str  # DuckDB's name: "utf-8" | "latin-1"
    delimiter: str
    column_names: list[str]  # canonical name per file column, positional
    header_lines: int
    fnr_columns: list[str]  # file columns that hold fødselsnummer (never stored in clear)


@dataclass
class Parsed:
    """What one file holds, in canonical form, before anything is written."""

    kind: str  # np | gsp | eu | elev | skala | rapportside (a file may hold np and gsp rows)
    description: str  # for the summary, e.g. "statistikkbank-eksport, UTF-16LE, tabulator"
    units: pl.DataFrame = field(default_factory=empty_units)
    measures: pl.DataFrame = field(default_factory=empty_measures)
    tables: dict[str, pl.DataFrame] = field(default_factory=dict)  # lager.<name> side tables
    pupils: PupilLoad | None = None
    notes: list[str] = field(default_factory=list)
    unknown_measures: list[str] = field(default_factory=list)
    exported: str | None = None  # export timestamp when the file tells (ISO 8601)

    @property
    def suppressed_cells(self) -> int:
        return int(self.measures["status"].is_in(["skjermet", "skjermet_synlig"]).sum())
