"""Benchmark: the three analysis commands on a national-size database, against their own SQL.

What is measured
----------------
* **tallkit** -- every part of the three analysis commands through the library:
  ``tallkit.progresjon(part)`` (kull, elever, verdiskaping, trend), ``tallkit.fag(part)``
  (prover, profil, sammenheng, indikatorer) and ``tallkit.variasjon(part)`` (skoler, spredning,
  grupper, dekomponering), with no filters, on one national-size database.
* **baseline** -- the SQL file in ``queries/`` that the part reads, run directly in DuckDB on
  the same database: a fresh read-only connection, ``con.sql(sql, params=…).to_arrow_table()``
  with every ``$param`` None (no filter), ``close()``. Both sides pay for opening the file, as a
  user does on every command. The fetch is Arrow, as tallkit's own: ``fetchall()`` builds
  Python tuples and was slower than tallkit's whole part on the pair query, which made the
  ratio look better than it is. The ratio tallkit / SQL is what tallkit adds on top of its
  query: the statistics in Python (intervals, shrinkage, rank intervals, suppression,
  regressions ...), repeated reads, and building the result frame.
* **wall and CPU** -- both sides are timed with the wall clock and with this process's CPU
  time (which counts DuckDB's threads); each figure is a median of alternating runs.
* **total** -- the twelve parts together: tallkit's sum against the SQL's sum, wall and CPU,
  held against issue 12's bar (≤ 1.3× at every size; this is line 6 of ``make bench``), and
  the older bar "running all three analyses over a national-size database takes seconds, not
  minutes" (≤ 60 s counts as met).
* **CLI** -- one part of each command end to end, ``tallkit --db DB KOMMANDO --format parquet
  --ut FIL`` in a fresh interpreter: the library call plus start-up and writing the output.

Each figure is the median of ``--gjentak`` runs after one warm-up call, so the OS page cache
is warm for both sides and neither pays for reading the file from disk the first time. tallkit's
own process-wide caches (t quantiles and the like) are emptied before every tallkit run, as a
fresh command starts without them.

The database
------------
Built once per size and cached under ``bench/_data/`` (gitignored); ``--ny`` rebuilds it.
``--rader`` picks the size and can be repeated (``--rader 2250000 --rader 9000000`` measures
both; 9M rows take a few minutes to build once). :func:`ensure_database` also builds a database
with another number of schools (for ``bench/speil_skala.py``), from a pupil file drawn by
bench/ingest.py's generator at that school count.

* **Pupil-level results**: the file ``bench/ingest.py`` generates (2.25M rows in the NUDB
  layout, shared cache): eight cohorts followed through 5., 8. and 9. trinn over 2022-23 …
  2025-26 -- the same SNR_NUDB on 5. trinn in year Y and on 8. trinn in Y+3, and on 8. trinn in
  Y and 9. trinn in Y+1 -- at about 3,000 schools in 356 kommuner in 15 fylker, GRUPPENUMMER
  1-4, the 5. trinn school as AVGIVERSKOLE on 8. and 9. trinn.
* **Nasjonale prøver**: Udir statistikkbank exports (one for 5. trinn, one for ungdomstrinn)
  for the same schools plus 300 schools with published results only (about 3,300 in all), in
  the exact download format: UTF-16LE without BOM, ``sep=\\t`` first, TAB, LF, decimal comma,
  a space as thousands separator, ``*`` in all three cells below 10 pupils, empty cells where
  a school has no such trinn. The published numbers of a school are its pupils' numbers in the
  pupil file, so the two sources agree as the real ones do; kommune, fylke and land rows are
  pooled from their schools.
* **Grunnskolepoeng** (statistikkbank) and **Elevundersøkelsen** indices (Eksport API JSON)
  for the same schools, so ``fag --del indikatorer`` has all three of its sources.

Everything goes in through ``tallkit.ingest`` under a throw-away pseudonym key.

Usage::

    .venv/bin/python bench/analyses.py                    # build once, then 3 runs per part
    .venv/bin/python bench/analyses.py --gjentak 1 --del variasjon.skoler --del fag
    .venv/bin/python bench/analyses.py --rader 2250000 --rader 9000000 --json rader.json
    .venv/bin/python bench/analyses.py --ny               # rebuild the database first

``--json FIL`` writes line 6's rows for ``bench/tabell.py`` (see ``bench/maaling.py``).

The exit code is 0 whether or not the 60 s bar is met (this is a measurement, not a test); it
is 1 when building the database, a part, or a CLI run fails.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import duckdb
import ingest as nudb  # bench/ingest.py: the NUDB pupil-file generator and its cache
import numpy as np
import polars as pl

import tallkit
import tallkit.api
from tallkit.resources import find_query

DATA_DIR: Final = nudb.DATA_DIR
DEFAULT_PUPIL_ROWS: Final = nudb.DEFAULT_ROWS
DEFAULT_REPEATS: Final = 3
SEED: Final = 20250301  # the exports; the pupil file has its own seed in bench/ingest.py
BUILD_VERSION: Final = 1  # bump when the generated exports change, so the cache is rebuilt
TARGET_TOTAL_SECONDS: Final = 60.0
TARGET_RATIO: Final = 1.3  # issue 12: the parts together ≤ 1.3× their own SQL, CPU and wall

YEARS: Final = nudb.YEARS  # autumn of each school year: 2022 -> 2022-23
# Schools in the published exports but not in the pupil file: a tenth of the pupil file's
# schools (300 at the generator's 3,000).
EXTRA_SHARE: Final = 10
DEFAULT_SCHOOLS: Final = nudb.N_SCHOOLS
MIN_PUBLISHED: Final = 10  # Udir shows "*" for fewer pupils
PUPIL_SD: Final = 9.3  # within-school SD of the pupil file's scale scores

# =============================================================================================
# Parts and their SQL
# =============================================================================================


@dataclass(frozen=True)
class Part:
    """One ``--del`` of one analysis command and the queries it reads (src/tallkit/analyses):
    every SQL file the part runs, each once (a second read of one file is tallkit's cost)."""

    command: str
    name: str
    query: str  # queries/<query>.sql
    params: tuple[str, ...]  # the query's $params, all None here
    more: tuple[tuple[str, tuple[str, ...]], ...] = ()  # further (query, params) it reads

    @property
    def label(self) -> str:
        return f"{self.command}.{self.name}"


_SCHOOL_RESULTS = ("aar", "trinn", "prove", "kommune")
_GROUPS = ("aar", "trinn", "prove", "kommune", "skole")
PARTS: Final = (
    Part("progresjon", "kull", "progresjon_kull", ("aar", "prove", "kommune", "skole")),
    # elever and verdiskaping share one query of pupil pairs summed per class (no pupil pair
    # leaves DuckDB); progresjon_elever.sql is the public per-pair query, not what they read
    Part("progresjon", "elever", "progresjon_klasser", ("aar", "prove", "kommune", "skole")),
    Part("progresjon", "verdiskaping", "progresjon_klasser", ("aar", "prove", "kommune", "skole")),
    Part("progresjon", "trend", "progresjon_trend", ("trinn", "prove", "kommune", "skole")),
    Part("fag", "prover", "skoleresultater", _SCHOOL_RESULTS),
    # the profile's interval for one school reads its pupils' results per test too
    Part(
        "fag",
        "profil",
        "skoleresultater",
        _SCHOOL_RESULTS,
        more=(("fag_profil_elever", ("aar", "trinn", "kommune", "skole")),),
    ),
    Part("fag", "sammenheng", "fag_sammenheng", ("aar", "trinn", "kommune", "skole")),
    Part("fag", "indikatorer", "fag_indikatorer", ("aar", "kommune", "skole")),
    Part("variasjon", "skoler", "skoleresultater", _SCHOOL_RESULTS),
    Part("variasjon", "spredning", "skoleresultater", _SCHOOL_RESULTS),
    Part("variasjon", "grupper", "variasjon_grupper", _GROUPS),
    Part("variasjon", "dekomponering", "variasjon_grupper", _GROUPS),
)
# The part of each command timed end to end through the CLI: the command's default part.
CLI_PARTS: Final = ("progresjon.kull", "fag.prover", "variasjon.skoler")

ANALYSES: Final[dict[str, Callable[..., pl.DataFrame]]] = {
    "progresjon": tallkit.progresjon,
    "fag": tallkit.fag,
    "variasjon": tallkit.variasjon,
}


def query_text(query: str, params: tuple[str, ...]) -> str:
    """The SQL of ``queries/<query>.sql``, checked against the parameters listed in PARTS."""
    text = find_query(query).read_text(encoding="utf-8")
    code = "\n".join(line.split("--", 1)[0] for line in text.splitlines())
    found = set(re.findall(r"\$([A-Za-z_]\w*)", code))
    if found != set(params):
        raise SystemExit(
            f"queries/{query}.sql takes {sorted(found)}, PARTS says {sorted(params)}: "
            "update PARTS in bench/analyses.py"
        )
    return text


def part_queries(part: Part) -> list[tuple[str, dict[str, None]]]:
    """Every query the part reads, with each of its parameters None (no filter)."""
    return [
        (query_text(query, params), dict.fromkeys(params))
        for query, params in ((part.query, part.params), *part.more)
    ]


# =============================================================================================
# Generating the exports
# =============================================================================================

Moments = tuple[int, float, float]  # n, sum, sum of squares of the pupils' scale scores

SUBJECTS: Final = {"ENG": "Engelsk", "LES": "Lesing", "REG": "Regning"}
NP_FILES: Final = {
    # file name (export stamp of the newest year first) -> tests in Udir's column order
    "2025-26_20260115-0915_Nasjonale_proever_5._trinn.csv": ("NPENG05", "NPLES05", "NPREG05"),
    "2025-26_20260115-0917_Nasjonale_proever_ungdomstrinn.csv": (
        "NPENG08",
        "NPLES08",
        "NPLES09",
        "NPREG08",
        "NPREG09",
    ),
}
NP_MEASURES: Final = ("Skalapoeng", "Usikkerhet", "Antall elever deltatt")
GSP_FILE: Final = "2025-26_20261001-1200_Grunnskolepoeng.csv"
EU_FILE: Final = "eksportapi_148_elevundersokelsen_indikator_hele_landet.json"
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
FYLKE_NAMES: Final = {
    "03": "Oslo", "11": "Rogaland", "15": "Møre og Romsdal", "18": "Nordland", "31": "Østfold",
    "32": "Akershus", "33": "Buskerud", "34": "Innlandet", "39": "Vestfold", "40": "Telemark",
    "42": "Agder", "46": "Vestland", "50": "Trøndelag", "55": "Troms", "56": "Finnmark",
}  # fmt: skip
# Elevundersøkelsen indices: code -> (name, national mean on the 1-5 scale).
EU_INDICES: Final = {
    "EUIndeks_1378": ("Faglig utfordring", 4.2),
    "EUIndeks_1379": ("Trivsel", 4.2),
    "EUIndeks_1380": ("Støtte fra lærerne", 4.3),
    "EUIndeks_1381": ("Støtte hjemmefra", 4.4),
    "EUIndeks_1382": ("Vurdering for læring", 3.7),
    "EUIndeks_1383": ("Læringskultur", 3.9),
    "EUIndeks_1384": ("Mestring", 4.0),
    "EUIndeks_1385": ("Motivasjon", 3.8),
    "EUIndeks_1386": ("Elevdemokrati og medvirkning", 3.7),
    "EUIndeks_1387": ("Felles regler", 4.1),
}
PLACE_HEADS: Final = (
    "Aust", "Berg", "Bjørk", "Bø", "Dal", "Eid", "Eng", "Fjell", "Fjord", "Fur", "Gran", "Ha",
    "Hol", "Hov", "Kval", "Lang", "Li", "Lund", "Mo", "Mørk", "Nord", "Ny", "Ros", "Sand", "Sel",
    "Sko", "Sol", "Stor", "Strand", "Sun", "Tor", "Vest", "Vik", "Øst", "Ås",
)  # fmt: skip
PLACE_TAILS: Final = (
    "vik", "dal", "nes", "berg", "fjord", "ås", "haug", "land", "sund", "strand", "øy", "stad",
    "heim", "rud", "bø", "li", "mo", "voll", "eid", "set",
)  # fmt: skip


@dataclass(frozen=True)
class Unit:
    """One row of a statistikkbank export: land, fylke, kommune or school."""

    level: int  # EnhetNivaa: 1 land, 2 fylke, 3 kommune, 4 skole
    fylke: str  # 2 digits ("00" for land)
    kommune: str  # 4 digits ("0000" above kommune)
    unit_id: str  # Organisasjonsnummer: I, fylke, kommune or the school's orgnr
    fylke_name: str
    kommune_name: str
    name: str

    def columns(self) -> list[str]:
        return [
            str(self.level),
            "I",
            self.fylke,
            self.kommune,
            self.unit_id,
            "Hele landet",
            self.fylke_name,
            self.kommune_name,
            self.name,
        ]


@dataclass
class World:
    """Everything the exports are written from."""

    units: list[Unit]  # export order: land, each fylke, its kommuner, each with its schools
    parents: dict[str, tuple[str, ...]]  # school orgnr -> (kommune, fylke, "I")
    np: dict[tuple[str, int, str], Moments] = field(default_factory=dict)  # (unit, year, test)


def year_label(year: int) -> str:
    return f"{year}-{(year + 1) % 100:02d}"


def count_text(n: int) -> str:
    """Udir's counts: a space as thousands separator."""
    return f"{n:,}".replace(",", " ")


def decimal_text(value: float) -> str:
    """One decimal with a decimal comma."""
    return f"{value:.1f}".replace(".", ",")


def round_half_up(value: float) -> int:
    return math.floor(value + 0.5)


def place_names(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` distinct place names (``n`` at most the number of head × tail pairs)."""
    pool = [head + tail for head in PLACE_HEADS for tail in PLACE_TAILS]
    return [pool[i] for i in rng.choice(len(pool), size=n, replace=False)]


def read_pupils(path: Path) -> pl.DataFrame:
    """The pupil file's columns the exports are computed from (all as text)."""
    columns = ["AARGANG", "ORGNRBED", "SKOLEKOM", "SKOLEFYLKE", "SKOLETYPE"]
    columns += ["DELTATTSTATUS", "PROVE", "SKALAPOENG"]
    return pl.read_csv(
        path, separator=";", columns=columns, infer_schema=False, encoding="utf8-lossy"
    )


def pupil_cells(pupils: pl.DataFrame) -> dict[tuple[str, int, str], Moments]:
    """Per school, year and test: the moments of the scale scores of the pupils who took it."""
    score = pl.col("SKALAPOENG").cast(pl.Float64)
    cells = (
        pupils.filter((pl.col("DELTATTSTATUS") == "D") & pl.col("SKALAPOENG").is_not_null())
        .group_by("ORGNRBED", "AARGANG", "PROVE")
        .agg(n=pl.len(), s1=score.sum(), s2=(score * score).sum())
    )
    return {
        (orgnr, int(aargang[:4]), test): (int(n), float(s1), float(s2))
        for orgnr, aargang, test, n, s1, s2 in cells.iter_rows()
    }


def schools_of(pupils: pl.DataFrame) -> pl.DataFrame:
    """orgnr, kommunenr, fylkesnr, skoletype of the schools in the pupil file."""
    return (
        pupils.group_by("ORGNRBED")
        .agg(pl.col("SKOLEKOM").first(), pl.col("SKOLEFYLKE").first(), pl.col("SKOLETYPE").first())
        .select(
            orgnr="ORGNRBED",
            kommunenr="SKOLEKOM",
            fylkesnr="SKOLEFYLKE",
            skoletype=pl.col("SKOLETYPE").cast(pl.Int64),
        )
        .sort("orgnr")
    )


def extra_schools(
    rng: np.random.Generator, kommuner: pl.DataFrame, count: int
) -> tuple[pl.DataFrame, dict[tuple[str, int, str], Moments]]:
    """Schools only in the published exports, with results drawn from the same model."""
    pick = rng.integers(0, kommuner.height, size=count)
    skoletype = rng.choice([1, 2, 3], size=count, p=nudb.SKOLETYPE_SHARES)
    orgnr = [str(o) for o in 880_000_000 + rng.choice(20_000_000, count, replace=False)]
    schools = pl.DataFrame(
        {
            "orgnr": orgnr,
            "kommunenr": kommuner["kommunenr"].gather(pick),
            "fylkesnr": kommuner["fylkesnr"].gather(pick),
            "skoletype": skoletype,
        }
    )
    trinn_of_type = {1: (5,), 2: (8, 9), 3: (5, 8, 9)}
    size = np.maximum(3.0, rng.lognormal(np.log(25.0), 0.7, size=count))
    effect = rng.normal(0.0, 3.0, size=count)
    cells: dict[tuple[str, int, str], Moments] = {}
    for i, school in enumerate(orgnr):
        for trinn in trinn_of_type[int(skoletype[i])]:
            for test in nudb.TESTS_BY_TRINN[trinn]:
                for year in YEARS:
                    n = int(max(1, round(size[i] * rng.normal(1.0, 0.1))))
                    lift = 4.0 if trinn == 9 else 0.0
                    mean = 50.0 + lift + effect[i] + rng.normal(0.0, PUPIL_SD / math.sqrt(n))
                    s2 = (n - 1) * PUPIL_SD**2 + n * mean * mean
                    cells[(school, year, test)] = (n, n * mean, s2)
    return schools, cells


def build_world(pupil_file: Path, rng: np.random.Generator, extra_count: int) -> World:
    pupils = read_pupils(pupil_file)
    cells = pupil_cells(pupils)
    schools = schools_of(pupils)
    kommuner = schools.select("kommunenr", "fylkesnr").unique().sort("kommunenr")
    extra, extra_cells = extra_schools(rng, kommuner, extra_count)
    schools = pl.concat([schools, extra]).sort("orgnr")
    cells |= extra_cells

    kommune_names = dict(zip(kommuner["kommunenr"], place_names(rng, kommuner.height), strict=True))
    units = [Unit(1, "00", "0000", "I", "Alle fylker", "Alle kommuner", "Alle skoler")]
    parents: dict[str, tuple[str, ...]] = {}
    for fylke in sorted(set(kommuner["fylkesnr"])):
        fylke_name = FYLKE_NAMES.get(fylke, f"Fylke {fylke}")
        units.append(Unit(2, fylke, "0000", fylke, fylke_name, "Alle kommuner", "Alle skoler"))
        for kommune in kommuner.filter(pl.col("fylkesnr") == fylke)["kommunenr"]:
            k_name = kommune_names[kommune]
            units.append(Unit(3, fylke, kommune, kommune, fylke_name, k_name, "Alle skoler"))
            here = schools.filter(pl.col("kommunenr") == kommune)
            school_units = [
                # Udir's school names end in a space
                Unit(4, fylke, kommune, orgnr, fylke_name, k_name, f"{place} {kind} ")
                for orgnr, place, kind in zip(
                    here["orgnr"],
                    place_names(rng, here.height),
                    ["ungdomsskole" if t == 2 else "skole" for t in here["skoletype"]],
                    strict=True,
                )
            ]
            units.extend(sorted(school_units, key=lambda u: u.name))
            parents |= {u.unit_id: (kommune, fylke, "I") for u in school_units}

    world = World(units, parents)
    for (school, year, test), moments in cells.items():
        for unit in (school, *parents[school]):
            world.np[(unit, year, test)] = _add(world.np.get((unit, year, test)), moments)
    return world


def _add(a: Moments | None, b: Moments) -> Moments:
    return b if a is None else (a[0] + b[0], a[1] + b[1], a[2] + b[2])


def np_cells(moments: Moments | None) -> list[str]:
    """Skalapoeng, Usikkerhet (half-width of the 95 % interval), Antall elever deltatt."""
    if moments is None:
        return ["", "", ""]
    n, s1, s2 = moments
    if n < MIN_PUBLISHED:
        return ["*", "*", "*"]
    mean = s1 / n
    sd = math.sqrt(max(0.0, (s2 - s1 * s1 / n) / (n - 1)))
    return [str(round_half_up(mean)), decimal_text(1.96 * sd / math.sqrt(n)), count_text(n)]


def statistikkbank_text(units: list[Unit], header: list[str], rows: Iterator[list[str]]) -> str:
    lines = ["sep=\t", "\t".join([*UNIT_COLUMNS, *header])]
    lines += ["\t".join([*unit.columns(), *cells]) for unit, cells in zip(units, rows, strict=True)]
    return "\n".join(lines) + "\n"


def np_export(world: World, tests: tuple[str, ...]) -> str:
    """One statistikkbank NP export: the given tests for every year, "Alle" columns only."""
    keys = [(year, test) for year in YEARS for test in tests]
    header = [
        f"{year_label(year)}.{SUBJECTS[test[2:5]]}.{int(test[5:])}. årstrinn."
        f"Alle eierformer.Alle kjønn.{measure}"
        for year, test in keys
        for measure in NP_MEASURES
    ]
    # a school is listed when it has the file's trinn in some year
    units = [
        u for u in world.units if u.level < 4 or any((u.unit_id, y, t) in world.np for y, t in keys)
    ]
    rows = (
        [cell for y, t in keys for cell in np_cells(world.np.get((u.unit_id, y, t)))] for u in units
    )
    return statistikkbank_text(units, header, rows)


Weighted = tuple[int, float, float]  # n, sum of n * value, sum of n * sd


def school_indicator(
    rng: np.random.Generator, world: World, test: str, scale: float, noise: float
) -> dict[tuple[str, int], tuple[int, float]]:
    """Per school and year: (n, value) for an indicator that follows the school's NP level."""
    found = {}
    for unit in world.units:
        if unit.level != 4:
            continue
        level = rng.normal(0.0, noise)
        for year in YEARS:
            moments = world.np.get((unit.unit_id, year, test))
            if moments is not None:
                n = moments[0]
                value = scale * (moments[1] / n - 50.0) + level + rng.normal(0, noise / 2)
                found[(unit.unit_id, year)] = (n, value)
    return found


def pooled(
    world: World, values: dict[Any, tuple[int, float, float]]
) -> dict[Any, tuple[int, float, float]]:
    """School (key[0]) values pooled n-weighted into their kommune, fylke and land: (n, mean, sd)."""
    sums: dict[Any, Weighted] = {}
    for key, (n, value, sd) in values.items():
        for unit in (key[0], *world.parents[key[0]]):
            wkey = (unit, *key[1:])
            old = sums.get(wkey, (0, 0.0, 0.0))
            sums[wkey] = (old[0] + n, old[1] + n * value, old[2] + n * sd)
    return {k: (n, s / n, sd / n) for k, (n, s, sd) in sums.items()}


def gsp_export(rng: np.random.Generator, world: World) -> str:
    """Grunnskolepoeng for the schools with ungdomstrinn, following their 9. trinn NP level."""
    schools = school_indicator(rng, world, "NPLES09", 0.3, 1.2)
    table = pooled(world, {k: (n, 41.7 + v, 0.0) for k, (n, v) in schools.items()})
    header = [
        f"{year_label(year)}.Alle eierformer.Alle kjønn.{measure}"
        for year in YEARS
        for measure in ("Grunnskolepoeng", "Antall elever")
    ]
    units = [u for u in world.units if u.level < 4 or any((u.unit_id, y) in table for y in YEARS)]
    rows = ([cell for y in YEARS for cell in _gsp_cells(table.get((u.unit_id, y)))] for u in units)
    return statistikkbank_text(units, header, rows)


def _gsp_cells(value: tuple[int, float, float] | None) -> list[str]:
    if value is None:
        return ["", ""]
    n, mean, _ = value
    return ["*", "*"] if n < MIN_PUBLISHED else [decimal_text(mean), count_text(n)]


# Records per Eksport API page file. tallkit refuses a file over 256 MiB, which the whole
# country's 6,600 schools of the doubled bench would exceed in one file; the real API pages
# its answers (Sidenummer, RaderSide, RaderTotalt) the same way. The default size (211,540
# records) stays one file, so its cached database is unchanged.
EU_PAGE_RECORDS: Final = 250_000


def eu_export(rng: np.random.Generator, world: World) -> list[bytes]:
    """Elevundersøkelsen indices (7. and 10. trinn) in the Eksport API's flat JSON, one
    document per page of at most ``EU_PAGE_RECORDS``."""
    values: dict[tuple[str, int, int, str], tuple[int, float, float]] = {}
    for trinn, test in ((7, "NPLES05"), (10, "NPLES09")):
        for code, (_, mean) in EU_INDICES.items():
            for (school, year), (n, level) in school_indicator(
                rng, world, test, 0.02, 0.15
            ).items():
                sd = 0.7 + rng.normal(0.0, 0.05)
                # the index is on a 1-5 scale (tallkit refuses anything else); at the default
                # size no school reaches the ends, so clipping leaves those files unchanged
                value = min(5.0, max(1.0, mean + level))
                values[(school, year, trinn, code)] = (n, value, sd)
    table = pooled(world, values)
    records = [
        _eu_record(unit, year, trinn, code, table[key])
        for unit in world.units
        for year in YEARS
        for trinn in (7, 10)
        for code in EU_INDICES
        if (key := (unit.unit_id, year, trinn, code)) in table
    ]
    pages = [
        records[start : start + EU_PAGE_RECORDS]
        for start in range(0, len(records), EU_PAGE_RECORDS)
    ]
    for number, page in enumerate(pages, start=1):
        for record in page:
            record |= {"Sidenummer": number, "RaderSide": len(page), "RaderTotalt": len(records)}
    return [
        json.dumps(page, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        for page in pages
    ]


def _eu_record(
    unit: Unit, year: int, trinn: int, code: str, value: tuple[int, float, float]
) -> dict[str, Any]:
    n, mean, sd = value
    hidden = n < MIN_PUBLISHED
    return {
        "SpoersmaalNivaa": 0,
        "Spoersmaalgruppekode": code,
        "Spoersmaalgruppe": EU_INDICES[code][0],
        "Spoersmaalkode": "",
        "Spoersmaalnavn": "Alle spørsmål",
        "Skoleaarnavn": year_label(year),
        "EnhetNivaa": unit.level,
        "Nasjonaltkode": "I",
        "Nasjonalt": "Hele landet",
        "Fylkekode": unit.fylke,
        "Fylke": unit.fylke_name,
        "Kommunekode": unit.kommune,
        "Kommune": unit.kommune_name,
        "Organisasjonsnummer": unit.unit_id,
        "EnhetNavn": unit.name,
        "GruppeNivaa": 0,
        "GruppeKode": "-10",
        "GruppeNavn": "Alle grupper",
        "TrinnNivaa": 1,
        "TrinnKode": str(trinn),
        "Trinnnavn": f"{trinn}. trinn",
        "EierformNivaa": 0,
        "Eierformkode": "-10",
        "EierformNavn": "Alle eierformer",
        "KjoennNivaa": 0,
        "KjoennKode": "A",
        "Kjoenn": "Alle kjønn",
        "Score": "*" if hidden else decimal_text(mean),
        "Standardavvik": "*" if hidden else decimal_text(sd),
        "AntallBesvart": "*" if hidden else count_text(n),
    }


def write_exports(pupil_file: Path, folder: Path, schools: int = DEFAULT_SCHOOLS) -> list[Path]:
    """Generate the statistikkbank and Eksport API files into ``folder``."""
    rng = np.random.default_rng(SEED)
    world = build_world(pupil_file, rng, schools // EXTRA_SHARE)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, tests in NP_FILES.items():
        written.append(folder / name)
        # the statistikkbank's download: UTF-16LE without a BOM
        written[-1].write_bytes(np_export(world, tests).encode("utf-16-le"))
    written.append(folder / GSP_FILE)
    written[-1].write_bytes(gsp_export(rng, world).encode("utf-16-le"))
    pages = eu_export(rng, world)
    for number, page in enumerate(pages, start=1):
        name = EU_FILE if len(pages) == 1 else EU_FILE.replace(".json", f"_side{number}.json")
        written.append(folder / name)
        written[-1].write_bytes(page)
    schools = sum(u.level == 4 for u in world.units)
    kommuner = sum(u.level == 3 for u in world.units)
    _log(f"exports: {schools:,} schools in {kommuner} kommuner -> {folder.name}/")
    return written


# =============================================================================================
# Building the database
# =============================================================================================


@dataclass
class Build:
    """How the cached database was made (``bygget.json`` beside it)."""

    built: str  # ISO time
    pupil_file: str
    pupil_file_seconds: float | None  # None: the file was already cached by bench/ingest.py
    exports_seconds: float
    ingest_seconds: float
    total_seconds: float


def build_dir(pupil_rows: int, schools: int = DEFAULT_SCHOOLS) -> Path:
    size = "" if schools == DEFAULT_SCHOOLS else f"_skoler{schools}"
    return DATA_DIR / f"analyser_{pupil_rows}{size}_s{SEED}_v{BUILD_VERSION}"


def ensure_pupil_file(pupil_rows: int, schools: int) -> tuple[Path, float | None]:
    """bench/ingest.py's cached pupil file, or one with another number of schools.

    bench/ingest.py draws ``N_SCHOOLS`` schools (3,000); the school-scaling row needs twice as
    many at the same pupils per school. Its generator reads the module constant, so it is set
    for the call (bench/ingest.py belongs to the ingest benchmark and stays as it is).
    """
    if schools == DEFAULT_SCHOOLS:
        return nudb.ensure_data(pupil_rows)
    path = DATA_DIR / f"nudb_elevresultater_{pupil_rows}_skoler{schools}_s{nudb.SEED}.csv"
    if path.is_file():
        return path, None
    _log(f"generating {pupil_rows:,} rows at {schools:,} schools -> {path.name} ...")
    start = time.perf_counter()
    saved = nudb.N_SCHOOLS
    nudb.N_SCHOOLS = schools
    try:
        nudb.generate(pupil_rows, path)
    finally:
        nudb.N_SCHOOLS = saved
    return path, time.perf_counter() - start


@contextmanager
def pseudonym_key() -> Iterator[None]:
    """A throw-away pseudonym key in ``TALLKIT_NOKKELFIL`` for the duration of the block."""
    with tempfile.TemporaryDirectory() as tmp:
        key = Path(tmp) / "nokkel"
        key.write_text(secrets.token_hex(32) + "\n", encoding="ascii")
        key.chmod(0o600)
        os.environ["TALLKIT_NOKKELFIL"] = str(key)
        try:
            yield
        finally:
            del os.environ["TALLKIT_NOKKELFIL"]


def build_database(pupil_rows: int, schools: int = DEFAULT_SCHOOLS) -> Path:
    """Generate the files and ingest them into a new database; built beside, then renamed."""
    start = time.perf_counter()
    pupil_file, pupil_seconds = ensure_pupil_file(pupil_rows, schools)
    work = Path(tempfile.mkdtemp(prefix="analyser-bygger-", dir=DATA_DIR))
    try:
        t0 = time.perf_counter()
        exports = write_exports(pupil_file, work / "eksport", schools)
        exports_seconds = time.perf_counter() - t0
        _log(f"exports written in {exports_seconds:.1f} s; ingesting ...")
        t0 = time.perf_counter()
        with pseudonym_key():
            # (tallkit.ingest and tallkit.api.ingest are the same function)
            report = tallkit.api.ingest([*exports, pupil_file], db=work / "tallkit.duckdb")
        ingest_seconds = time.perf_counter() - t0
        failed = [f for f in report.files if f.status != "innlest"]
        for f in report.files:
            _log(f"  {f.status:<8} {f.kind:<5} {f.rows:>10,} rows  {f.path.name}")
        if failed:
            raise SystemExit(f"ingest failed: {failed[0].path.name}: {failed[0].error}")
        # (instead of bench/ingest.py's line count, which misreads some large files); ingest
        # reports resolved paths, so a bench/_data that is a symlink still matches
        stored = next(f.rows for f in report.files if f.path.resolve() == pupil_file.resolve())
        if stored != pupil_rows:
            raise SystemExit(
                f"{pupil_file.name}: {stored:,} rows ingested, expected {pupil_rows:,}"
            )
        _log(f"ingested in {ingest_seconds:.1f} s")
        build = Build(
            built=datetime.now().isoformat(timespec="seconds"),
            pupil_file=pupil_file.name,
            pupil_file_seconds=pupil_seconds,
            exports_seconds=round(exports_seconds, 2),
            ingest_seconds=round(ingest_seconds, 2),
            total_seconds=round(time.perf_counter() - start, 2),
        )
        (work / "bygget.json").write_text(json.dumps(asdict(build), indent=2) + "\n")
        target = build_dir(pupil_rows, schools)
        shutil.rmtree(target, ignore_errors=True)
        work.rename(target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target / "tallkit.duckdb"


def ensure_database(
    pupil_rows: int, rebuild: bool = False, schools: int = DEFAULT_SCHOOLS
) -> tuple[Path, Build, bool]:
    """The cached database (built first if missing or ``rebuild``); (path, build, built now)."""
    folder = build_dir(pupil_rows, schools)
    fresh = rebuild or not (folder / "bygget.json").is_file()
    if fresh:
        _log(f"building the national database ({pupil_rows:,} pupil rows, {schools:,} schools) ...")
        build_database(pupil_rows, schools)
    build = Build(**json.loads((folder / "bygget.json").read_text()))
    return folder / "tallkit.duckdb", build, fresh


def table_counts(db: Path) -> dict[str, int]:
    """Rows in the public views the analyses read, and pupil rows whose school has no unit."""
    views = ("nasjonale_prover", "elevresultat", "grunnskolepoeng", "elevundersokelsen", "enhet")
    con = duckdb.connect(str(db), read_only=True)
    try:
        counts = {v: int(con.execute(f"select count(*) from {v}").fetchall()[0][0]) for v in views}  # noqa: S608
        counts["skoler"] = int(
            con.execute("select count(*) from enhet where nivaa = 'skole'").fetchall()[0][0]
        )
        orphans = (
            "select count(*) from elevresultat where enhet_id not in (select enhet_id from enhet)"
        )
        counts["elevresultat_uten_enhet"] = int(con.execute(orphans).fetchall()[0][0])
        return counts
    finally:
        con.close()


# Measuring
# =============================================================================================


@dataclass
class Timing:
    """Median of repeated runs of one part, both sides: wall time and CPU time."""

    part: str
    rows: int = 0
    sql_rows: int = 0
    tallkit_seconds: list[float] = field(default_factory=list)
    sql_seconds: list[float] = field(default_factory=list)
    tallkit_cpu_seconds: list[float] = field(default_factory=list)
    sql_cpu_seconds: list[float] = field(default_factory=list)
    # the warm-up call, made with no stored suppression plan: what the first command after an
    # ingest costs (tallkit.planlager keeps the plan for the commands after it)
    first_seconds: float = math.nan
    error: str | None = None

    @property
    def tallkit(self) -> float:
        return _median(self.tallkit_seconds)

    @property
    def sql(self) -> float:
        return _median(self.sql_seconds)

    @property
    def tallkit_cpu(self) -> float:
        return _median(self.tallkit_cpu_seconds)

    @property
    def sql_cpu(self) -> float:
        return _median(self.sql_cpu_seconds)

    @property
    def ratio(self) -> float:
        return self.tallkit / self.sql if self.sql_seconds and self.sql > 0 else math.nan

    @property
    def cpu_ratio(self) -> float:
        return (
            self.tallkit_cpu / self.sql_cpu
            if self.sql_cpu_seconds and self.sql_cpu > 0
            else math.nan
        )


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else math.nan


# (rows, wall seconds, CPU seconds); CPU is this process's, which counts DuckDB's threads too
Clocked = tuple[int, float, float]


def run_tallkit(part: Part, db: Path) -> Clocked:
    """One part through the library, as a fresh command would run it: tallkit's process-wide
    caches (t quantiles, the code digest, comparison settings ...) emptied first. Kept warm
    from one run to the next they hid ~15 % of the parts' time (a new process computes every
    t quantile it needs, ~1 ms each by bisection: ~0.3 s for a part over many school sizes)."""
    _empty_tallkit_caches()
    start, cpu = time.perf_counter(), time.process_time()
    frame = ANALYSES[part.command](part.name, db=db)
    return frame.height, time.perf_counter() - start, time.process_time() - cpu


def _empty_tallkit_caches() -> None:
    """``cache_clear()`` on every cached function defined in a loaded tallkit module."""
    for name, module in list(sys.modules.items()):
        if not name.startswith("tallkit") or module is None:
            continue
        for value in vars(module).values():
            clear = getattr(value, "cache_clear", None)
            if clear is not None and getattr(value, "__module__", "") == name:
                clear()


def run_sql(queries: list[tuple[str, dict[str, None]]], db: Path) -> Clocked:
    """The part's queries straight in DuckDB on one connection, each fetched as an Arrow table
    (rows: the first query's).

    Arrow, not ``fetchall()``: tallkit reads its results as Arrow too, and building Python
    tuples is slower (3.0× wall on the 583k-row pair query against 2.2× with fetchall), so a
    tuple fetch would flatter tallkit.
    """
    start, cpu = time.perf_counter(), time.process_time()
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = [con.sql(sql, params=params).to_arrow_table().num_rows for sql, params in queries]
    finally:
        con.close()
    return rows[0], time.perf_counter() - start, time.process_time() - cpu


def measure_part(part: Part, db: Path, repeats: int) -> Timing:
    """One warm-up call per side, then ``repeats`` alternating runs. The warm-up is made with no
    suppression plan kept beside the database, so it is the first command after an ingest; the
    measured runs read the plan it kept, as every later command does."""
    timing = Timing(part.label)
    queries = part_queries(part)
    try:
        shutil.rmtree(db.with_name(db.name + ".skjermingsplan"), ignore_errors=True)
        timing.rows, first, _ = run_tallkit(part, db)
        timing.first_seconds = first
        timing.sql_rows, first_sql, _ = run_sql(queries, db)
        _log(f"  {part.label:<24} warm-up: tallkit {first:7.2f} s, SQL {first_sql:7.2f} s")
        for _ in range(repeats):
            _, wall, cpu = run_tallkit(part, db)
            timing.tallkit_seconds.append(wall)
            timing.tallkit_cpu_seconds.append(cpu)
            _, wall, cpu = run_sql(queries, db)
            timing.sql_seconds.append(wall)
            timing.sql_cpu_seconds.append(cpu)
    except Exception as exc:  # a failing part is reported, the others still run
        timing.error = f"{type(exc).__name__}: {exc}".splitlines()[0]
        _log(f"  {part.label:<24} FAILED: {timing.error}")
    return timing


@dataclass
class CliTiming:
    part: str
    seconds: list[float] = field(default_factory=list)
    output_bytes: int = 0
    error: str | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.seconds) if self.seconds else math.nan


CLI_CODE: Final = "import sys; from tallkit.cli import main; sys.exit(main())"


def measure_cli(label: str, db: Path, repeats: int) -> CliTiming:
    """``tallkit --db DB KOMMANDO --del DEL --format parquet --ut FIL`` in a fresh interpreter."""
    command, name = label.split(".")
    timing = CliTiming(label)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TALLKIT_")}
    with tempfile.TemporaryDirectory() as tmp:  # also the cwd: no stray tallkit.toml applies
        out = Path(tmp) / "ut.parquet"
        argv = [sys.executable, "-c", CLI_CODE, "--db", str(db), command, "--del", name]
        argv += ["--format", "parquet", "--ut", str(out)]
        for run in range(repeats + 1):  # the first is the warm-up
            start = time.perf_counter()
            done = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=tmp)
            seconds = time.perf_counter() - start
            if done.returncode != 0:
                lines = done.stderr.strip().splitlines() or ["(no output)"]
                timing.error = f"exit {done.returncode}: {lines[-1]}"
                _log(f"  CLI {label:<20} FAILED: {timing.error}")
                return timing
            if run > 0:
                timing.seconds.append(seconds)
        timing.output_bytes = out.stat().st_size
    _log(f"  CLI {label:<20} {timing.median:7.2f} s")
    return timing


# =============================================================================================
# Reporting
# =============================================================================================


def _fmt(value: float, digits: int = 2, suffix: str = "") -> str:
    return "-" if math.isnan(value) else f"{value:.{digits}f}{suffix}"


def totals(timings: list[Timing]) -> dict[str, Any]:
    """The sum over all parts, wall and CPU, held against the 60 s bar."""
    complete = all(t.error is None for t in timings)
    done = [t for t in timings if t.error is None]
    tallkit_total = sum(t.tallkit for t in done)
    sql_total = sum(t.sql for t in done)
    tallkit_cpu = sum(t.tallkit_cpu for t in done)
    sql_cpu = sum(t.sql_cpu for t in done)
    return {
        "parts": len(timings),
        "complete": complete,
        "tallkit_seconds": round(tallkit_total, 3),
        "sql_seconds": round(sql_total, 3),
        "ratio": round(tallkit_total / sql_total, 3) if sql_total > 0 else None,
        "tallkit_cpu_seconds": round(tallkit_cpu, 3),
        "sql_cpu_seconds": round(sql_cpu, 3),
        "cpu_ratio": round(tallkit_cpu / sql_cpu, 3) if sql_cpu > 0 else None,
        "target_seconds": TARGET_TOTAL_SECONDS,
        "ok": complete and tallkit_total <= TARGET_TOTAL_SECONDS,
    }


@dataclass
class SizeResult:
    """Everything measured on the database of one size."""

    pupil_rows: int
    db: Path
    build: Build
    built_now: bool
    counts: dict[str, int]
    timings: list[Timing]
    cli: list[CliTiming]


def render_table(result: SizeResult, repeats: int) -> str:
    timings, cli, counts, build = result.timings, result.cli, result.counts, result.build
    total = totals(timings)
    out = [
        f"analyses on a national-size database: {counts['skoler']:,} schools, "
        f"{counts['elevresultat']:,} pupil rows; median of {repeats} runs after one warm-up",
        "",
        f"{'part':<24}{'rows':>9}{'tallkit (s)':>12}{'SQL (s)':>9}{'SQL rows':>10}"
        f"{'wall':>7}{'CPU':>7}{'1st (s)':>9}",
    ]
    by_label = {t.part: t for t in timings}
    for t in timings:
        if t.error is not None:
            out.append(f"{t.part:<24}  FAILED: {t.error}")
            continue
        out.append(
            f"{t.part:<24}{t.rows:>9,}{_fmt(t.tallkit, 3):>12}{_fmt(t.sql, 3):>9}"
            f"{t.sql_rows:>10,}{_fmt(t.ratio, 1, '×'):>7}{_fmt(t.cpu_ratio, 1, '×'):>7}"
            f"{_fmt(t.first_seconds, 2):>9}"
        )
    verdict = "OK" if total["ok"] else ("INCOMPLETE" if not total["complete"] else "OVER")
    ratio = "-" if total["ratio"] is None else f"{total['ratio']:.2f}×"
    cpu_ratio = "-" if total["cpu_ratio"] is None else f"{total['cpu_ratio']:.2f}×"
    out += [
        f"{'total (' + str(total['parts']) + ' parts)':<24}{'':>9}"
        f"{total['tallkit_seconds']:>12.3f}{total['sql_seconds']:>9.3f}{'':>10}{ratio:>7}"
        f"{cpu_ratio:>7}",
        f"1st: the part as the first command after an ingest (makes and keeps the "
        f"suppression plan): {math.fsum(t.first_seconds for t in timings if t.error is None):.1f} s "
        "for all parts, each made afresh",
        f"total CPU: tallkit {total['tallkit_cpu_seconds']:.3f} s, "
        f"SQL {total['sql_cpu_seconds']:.3f} s (target for both ratios: ≤ {TARGET_RATIO}×)",
        f"target: all parts ≤ {TARGET_TOTAL_SECONDS:.0f} s through tallkit: {verdict}",
    ]
    if cli:
        out += [
            "",
            "CLI end to end (fresh interpreter, --format parquet --ut FILE)",
            f"{'command':<26}{'CLI (s)':>9}{'library (s)':>13}{'start-up + output (s)':>23}",
        ]
        for c in cli:
            if c.error is not None:
                out.append(f"{c.part:<26}  FAILED: {c.error}")
                continue
            library = by_label[c.part].tallkit if c.part in by_label else math.nan
            out.append(
                f"{c.part:<26}{_fmt(c.median):>9}{_fmt(library):>13}{_fmt(c.median - library):>23}"
            )
    pupil = (
        "cached by bench/ingest.py"
        if build.pupil_file_seconds is None
        else f"{build.pupil_file_seconds:.1f} s"
    )
    built = "" if result.built_now else " (cached, " + build.built + ")"
    out += [
        "",
        "database: "
        + ", ".join(f"{name} {counts[name]:,}" for name in ("nasjonale_prover", "elevresultat"))
        + f" rows (grunnskolepoeng {counts['grunnskolepoeng']:,}, "
        f"elevundersokelsen {counts['elevundersokelsen']:,}, enhet {counts['enhet']:,})",
        f"build{built}: {build.total_seconds:.1f} s "
        f"(pupil file {pupil}, exports {build.exports_seconds:.1f} s, "
        f"tallkit.ingest {build.ingest_seconds:.1f} s)",
    ]
    return "\n".join(out)


def millions(rows: int) -> str:
    """2250000 -> «2,25 mill.» (bokmål, for the table's row names)."""
    text = f"{rows / 1e6:.2f}".rstrip("0").rstrip(".").replace(".", ",")
    return f"{text} mill."


def table_rows(results: list[SizeResult]) -> list[dict[str, Any]]:
    """Issue 12, line 6: the twelve parts together against their SQL, CPU and wall, per size."""
    rows: list[dict[str, Any]] = []
    for result in results:
        total = totals(result.timings)
        note = None if total["complete"] else "noen deler feilet; summen gjelder resten"
        size = f"{millions(result.pupil_rows)} elevrader"
        for what, mine, theirs in (
            ("CPU", total["tallkit_cpu_seconds"], total["sql_cpu_seconds"]),
            ("veggtid", total["tallkit_seconds"], total["sql_seconds"]),
        ):
            rows.append(
                {
                    "linje": 6,
                    "rad": f"12 analysedeler mot egen SQL, {size}, {what}",
                    "maalt": mine,
                    "grunnlinje": theirs,
                    "forhold": round(mine / theirs, 4) if theirs else None,
                    "maal": TARGET_RATIO,
                    "enhet": "s",
                    "merknad": note,
                }
            )
        first = math.fsum(t.first_seconds for t in result.timings if t.error is None)
        rows.append(
            {
                "linje": 6,
                "rad": f"de samme, første kommando etter innlesing, {size}, veggtid",
                "maalt": first,
                "grunnlinje": total["sql_seconds"],
                "forhold": round(first / total["sql_seconds"], 4) if total["sql_seconds"] else None,
                "maal": TARGET_RATIO,
                "enhet": "s",
                "merknad": "hver del lager skjermingsplanen selv (ingen lagret plan)",
            }
        )
    return rows


def _log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=(
            "Mål analysene (progresjon, fag, variasjon) på en database på nasjonal størrelse, "
            "hver del mot SQL-en den leser kjørt rett i DuckDB."
        )
    )
    parser.add_argument(
        "--gjentak",
        type=int,
        default=DEFAULT_REPEATS,
        help=f"kjøringer per måling etter én oppvarming; medianen rapporteres (standard {DEFAULT_REPEATS})",
    )
    parser.add_argument(
        "--rader",
        type=int,
        action="append",
        help=f"rader i elevresultatfilen; kan gjentas for flere størrelser (standard {DEFAULT_PUPIL_ROWS:_})",
    )
    parser.add_argument("--ny", action="store_true", help="bygg databasene på nytt")
    parser.add_argument(
        "--del",
        dest="deler",
        action="append",
        metavar="DEL",
        help="bare denne kommandoen eller delen (f.eks. «fag» eller «variasjon.skoler»); kan gjentas",
    )
    parser.add_argument("--uten-cli", action="store_true", help="ikke mål kommandolinjen")
    parser.add_argument(
        "--json",
        type=Path,
        metavar="FIL",
        help="skriv radene til «make bench»-tabellen (bench/tabell.py) som JSON hit",
    )
    args = parser.parse_args(argv)
    args.rader = args.rader or [DEFAULT_PUPIL_ROWS]
    if args.gjentak < 1 or min(args.rader) < 1:
        parser.error("--gjentak og --rader må være minst 1")
    known = {p.command for p in PARTS} | {p.label for p in PARTS}
    unknown = sorted(set(args.deler or ()) - known)
    if unknown:
        parser.error(f"ukjent del {unknown[0]!r}; gyldige: {', '.join(sorted(known))}")
    return args


def selected(wanted: list[str] | None) -> list[Part]:
    if not wanted:
        return list(PARTS)
    return [p for p in PARTS if p.command in wanted or p.label in wanted]


def measure_size(pupil_rows: int, args: argparse.Namespace) -> SizeResult:
    db, build, built_now = ensure_database(pupil_rows, args.ny)
    counts = table_counts(db)
    if counts["elevresultat_uten_enhet"]:
        _log(f"warning: {counts['elevresultat_uten_enhet']:,} pupil rows have no school unit")
    parts = selected(args.deler)
    _log(f"{pupil_rows:,} rows: {len(parts)} parts, {args.gjentak} runs each after a warm-up ...")
    timings = [measure_part(part, db, args.gjentak) for part in parts]
    cli: list[CliTiming] = []
    if not args.uten_cli:
        labels = {p.label for p in parts}
        cli = [measure_cli(label, db, args.gjentak) for label in CLI_PARTS if label in labels]
    return SizeResult(pupil_rows, db, build, built_now, counts, timings, cli)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    for name in [k for k in os.environ if k.startswith("TALLKIT_")]:
        del os.environ[name]  # measure the defaults (minste gruppe 10), whatever the shell says
    os.chdir(DATA_DIR.parent)  # bench/: no tallkit.toml from the caller's folder applies
    results = []
    for pupil_rows in args.rader:
        results.append(measure_size(pupil_rows, args))
        print(render_table(results[-1], args.gjentak) + "\n", flush=True)
    if args.json is not None:
        args.json.write_text(
            json.dumps(table_rows(results), indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    failed = any(t.error for r in results for t in r.timings) or any(
        c.error for r in results for c in r.cli
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
