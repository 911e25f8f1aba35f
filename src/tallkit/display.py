"""What a table command shows on a terminal: a chosen set of columns, Norwegian headers, rounded
numbers with units, laid out to fit the terminal's width.

Pure data (no rich): the CLI draws the cells. Files and pipes get every column at full precision
(``output.py``); this is only for reading on a screen. README: «Tabeller i terminalen».
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

import polars as pl

NBSP: Final = "\u00a0"
# Flags beside a difference: beyond the uncertainty above / below; nothing when it is not.
ARROWS: Final = {"over": "↑", "under": "↓", "ikke_sikker": ""}


@dataclass(frozen=True)
class Column:
    """One shown column. ``kind``: tekst, heltall, tall0, tall1, tall2, andel (share 0-1 shown
    in %), flagg (a value in column ``name`` with the arrow of ``extra``), spenn (``name``-``extra``),
    trinn (``name``→``extra``), dato, navn (a school's name; a comparison kommune's row says so)."""

    name: str
    label: str
    kind: str = "tekst"
    extra: str | None = None


def _c(name: str, label: str, kind: str = "tekst", extra: str | None = None) -> Column:
    return Column(name, label, kind, extra)


_YEAR = _c("skoleaar", "Skoleår")
_TRINN = _c("trinn", "Trinn", "heltall")
_TEST = _c("prove", "Prøve")
_SCHOOL = _c("navn", "Skole", "navn")
# a reference row (--sammenligning) in a table of schools: the kommune's name says what it is
REFERENCE_MARK: Final = " (sammenligningskommune)"
_N = _c("antall", "Elever", "heltall")

# The documented terminal columns per command and part (README: «Tabeller i terminalen»).
VIEWS: Final[dict[str, tuple[Column, ...]]] = {
    "skoler": (
        _c("orgnr", "Orgnr"),
        _SCHOOL,
        _c("kommune", "Kommune"),
        _c("trinn", "Trinn"),
        _c("forste_aar", "Første år"),
        _c("siste_aar", "Siste år"),
    ),
    "konfig": (
        _c("innstilling", "Innstilling"),
        _c("verdi", "Verdi"),
        _c("kilde", "Kilde"),
    ),
    "status.kilder": (
        _c("kilde_id", "Nr", "heltall"),
        _c("filnavn", "Fil"),
        _c("type", "Type"),
        _c("rader", "Rader", "heltall"),
        _c("skjermet", "Skjermet", "heltall"),
        _c("erstattet", "Erstattet", "heltall"),
        _c("innlest", "Lest inn", "dato"),
    ),
    "status.dekning": (
        _c("visning", "Visning"),
        _YEAR,
        _c("trinn", "Trinn"),
        _c("prover_eller_indikatorer", "Mål", "heltall"),
        _c("enheter_med_tall", "Enheter", "heltall"),
        _c("rader", "Rader", "heltall"),
        _c("forelopige_tall", "Foreløpig"),
    ),
    "status.hull": (
        _c("type", "Type"),
        _c("enhet_id", "Enhet"),
        _c("navn", "Navn"),
        _c("detalj", "Hva mangler"),
    ),
    "fag.prover": (
        _YEAR,
        _TRINN,
        _TEST,
        _SCHOOL,
        _N,
        _c("skalapoeng", "Poeng", "tall1"),
        _c("mot_kommune", "Mot kommunen", "flagg", "flagg_kommune"),
        _c("mot_landet", "Mot landet", "flagg", "flagg_landet"),
    ),
    "fag.profil": (
        _YEAR,
        _TRINN,
        _SCHOOL,
        _TEST,
        _N,
        _c("mot_landet", "Mot landet", "tall1"),
        _c("profil", "Profil", "flagg", "flagg"),
    ),
    "fag.sammenheng": (
        _YEAR,
        _TRINN,
        _SCHOOL,
        _c("prove_a", "Prøve A"),
        _c("prove_b", "Prøve B"),
        _N,
        _c("korrelasjon", "Korrelasjon", "tall2"),
        _c("andel_lav_begge", "Lav i begge", "andel"),
    ),
    "fag.indikatorer": (
        _YEAR,
        _SCHOOL,
        _TRINN,
        _c("indikator", "Indikator"),
        _c("verdi", "Verdi", "tall1"),
        _c("landet", "Landet", "tall1"),
        _c("mot_landet", "Mot landet", "flagg", "flagg_landet"),
    ),
    "variasjon.skoler": (
        _YEAR,
        _TRINN,
        _TEST,
        _SCHOOL,
        _N,
        _c("skalapoeng", "Poeng", "tall1"),
        _c("forskjell", "Mot kommunen", "flagg", "flagg"),
        _c("rang_fra", "Rang", "spenn", "rang_til"),
    ),
    "variasjon.spredning": (
        _YEAR,
        _TRINN,
        _TEST,
        _c("antall_skoler", "Skoler", "heltall"),
        _N,
        _c("snitt_skolesnitt", "Snitt", "tall1"),
        _c("sd_mellom_skoler", "SD mellom skoler", "tall1"),
        _c("andel_mellom_skoler", "Andel mellom skoler", "andel"),
    ),
    "variasjon.grupper": (
        _YEAR,
        _TRINN,
        _TEST,
        _SCHOOL,
        _c("gruppe", "Gruppe"),
        _N,
        _c("snitt", "Snitt", "tall1"),
        _c("andel_laveste_nivaa", "Laveste nivå", "andel"),
    ),
    "variasjon.dekomponering": (
        _YEAR,
        _TRINN,
        _TEST,
        _N,
        _c("andel_mellom_skoler", "Mellom skoler", "andel"),
        _c("andel_mellom_grupper", "Mellom grupper", "andel"),
        _c("andel_innen_grupper", "Innen grupper", "andel"),
    ),
    "progresjon.kull": (
        _c("til_aar", "Til år"),
        _c("fra_trinn", "Trinn", "trinn", "til_trinn"),
        _TEST,
        _SCHOOL,
        _c("til_antall", "Elever", "heltall"),
        _c("endring", "Endring", "tall1"),
        _c("endring_mot_landet", "Mot landet", "flagg", "flagg"),
    ),
    "progresjon.elever": (
        _c("til_aar", "Til år"),
        _c("fra_trinn", "Trinn", "trinn", "til_trinn"),
        _TEST,
        _c("enhet_id", "Skole"),
        _c("gruppe", "Gruppe"),
        _N,
        _c("endring", "Endring", "tall1"),
        _c("andel_opp", "Opp", "andel"),
        _c("andel_ned", "Ned", "andel"),
    ),
    "progresjon.verdiskaping": (
        _c("til_aar", "Til år"),
        _c("fra_trinn", "Trinn", "trinn", "til_trinn"),
        _TEST,
        _c("enhet_id", "Skole"),
        _N,
        _c("restledd", "Restledd", "flagg", "flagg"),
        _c("krympet", "Krympet", "tall1"),
    ),
    "progresjon.trend": (
        _c("enhet_id", "Enhet"),
        _TRINN,
        _TEST,
        _YEAR,
        _N,
        _c("skalapoeng", "Poeng", "tall1"),
        _c("lav", "95 % intervall", "spenn1", "hoy"),
        _c("landet", "Landet", "tall1"),
        _c("serie", "Serie", "heltall"),
    ),
}

# Headers for every column tallkit produces, for --alle-kolonner; others show their own name.
LABELS: Final[dict[str, str]] = {
    column.name: column.label for view in VIEWS.values() for column in view
} | {
    "enhet_id": "Enhet",
    "kommunenr": "Kommunenr",
    "se": "Standardfeil",
    "usikkerhet_kilde": "Usikkerhet fra",
    "kommune": "Kommunen",
    "landet": "Landet",
    "aar_slatt_sammen": "År slått sammen",
    "fra_aar": "Fra år",
    "til_trinn": "Til trinn",
    "navn": "Navn",
    "beskrivelse": "Beskrivelse",
    "parametre": "Parametre",
}


@dataclass(frozen=True)
class Shown:
    """Cells ready to draw: headers, text rows and which columns are right-aligned numbers."""

    headers: list[str]
    rows: list[list[str]]
    numeric: list[bool]


def shown(frame: pl.DataFrame, view: str | None, *, all_columns: bool = False) -> Shown:
    """The terminal cells for ``frame``: the view's columns (those present), or every column
    with ``all_columns`` or when there is no view (``sql``)."""
    columns = list(VIEWS.get(view or "", ())) if not all_columns else []
    columns = [c for c in columns if c.name in frame.columns]
    if not columns:
        columns = [_generic(name, frame.schema[name]) for name in frame.columns]
    rows = [[_format(row, column) for column in columns] for row in frame.iter_rows(named=True)]
    numeric = [c.kind not in ("tekst", "dato", "navn") for c in columns]
    return Shown([c.label for c in columns], rows, numeric)


def _generic(name: str, dtype: pl.DataType) -> Column:
    label = LABELS.get(name, name)
    if dtype.is_float() or dtype == pl.Decimal or isinstance(dtype, pl.Decimal):
        return Column(name, label, "tall2")
    if dtype.is_integer():
        return Column(name, label, "heltall")
    if dtype == pl.Datetime or dtype == pl.Date:
        return Column(name, label, "dato")
    return Column(name, label, "tekst")


def number(value: float | int, decimals: int) -> str:
    """Norwegian number: decimal comma, no-break space between thousands."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", NBSP).replace(".", ",")


def _format(row: dict[str, object], column: Column) -> str:
    value = row.get(column.name)
    kind = column.kind
    if kind == "navn":
        mark = REFERENCE_MARK if row.get("radtype") == "sammenligningskommune" else ""
        return "" if value is None else f"{value}{mark}"
    if kind == "flagg":
        flag = row.get(column.extra or "")
        arrow = ARROWS.get(str(flag), "") if flag is not None else ""
        text = _format_value(value, "tall1")
        return f"{text}{NBSP}{arrow or NBSP}" if text else text  # NBSP keeps the digits aligned
    if kind in ("spenn", "spenn1", "trinn"):
        other = row.get(column.extra or "")
        if value is None or other is None:
            return ""
        inner = "tall1" if kind == "spenn1" else "heltall"
        sep = "→" if kind == "trinn" else "–"
        return _format_value(value, inner) + sep + _format_value(other, inner)
    return _format_value(value, kind)


def _format_value(value: object, kind: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nei"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join("" if v is None else str(v) for v in value)
    if kind in ("tekst", "dato") or not (isinstance(value, int | float) or _is_decimal(value)):
        return str(value)
    numeric = float(value)  # type: ignore[arg-type]
    if math.isnan(numeric) or math.isinf(numeric):
        return ""
    if kind == "heltall" and isinstance(value, int):
        return number(value, 0)
    if kind == "andel":
        return number(100 * numeric, 0) + NBSP + "%"
    decimals = {"tall0": 0, "tall1": 1, "tall2": 2, "heltall": 0}.get(kind, 2)
    text = number(numeric, decimals)
    if text.startswith("-") and not any(ch in "123456789" for ch in text):
        text = text[1:]  # no «-0,0»
    return text


def _is_decimal(value: object) -> bool:
    from decimal import Decimal

    return isinstance(value, Decimal)


# -- layout ----------------------------------------------------------------------------------

GAP: Final = 3  # between columns: padding on both sides and the separator


def min_widths(table: Shown) -> list[int]:
    """The narrowest each column can be without splitting a word (numbers never break)."""
    widths = []
    for index, header in enumerate(table.headers):
        cells = [row[index] for row in table.rows]
        words = [w for text in [header, *cells] for w in text.split(" ")]
        longest_word = max((len(w) for w in words), default=1)
        if table.numeric[index]:
            longest_word = max([longest_word, *(len(c) for c in cells)])
        widths.append(max(longest_word, 1))
    return widths


def natural_widths(table: Shown) -> list[int]:
    return [
        max([len(header), *(len(row[i]) for row in table.rows)])
        for i, header in enumerate(table.headers)
    ]


def blocks(table: Shown, width: int, *, keys: int = 1) -> list[list[int]]:
    """Split the columns into blocks that each fit ``width``; every block after the first
    repeats the first ``keys`` columns so a row can be found again. A single column wider than
    the screen gets a block of its own (the terminal then wraps it)."""
    minimum = min_widths(table)
    count = len(table.headers)
    keys = min(keys, count)
    key_cols = list(range(keys))
    key_width = sum(minimum[i] + GAP for i in key_cols)
    result: list[list[int]] = []
    current: list[int] = list(key_cols)
    used = key_width
    for index in range(keys, count):
        need = minimum[index] + GAP
        if len(current) > keys and used + need - GAP > width:
            result.append(current)
            current, used = list(key_cols), key_width
        current.append(index)
        used += need
    if len(current) > keys or not result:
        result.append(current)
    return result


def take(table: Shown, columns: Sequence[int]) -> Shown:
    return Shown(
        [table.headers[i] for i in columns],
        [[row[i] for i in columns] for row in table.rows],
        [table.numeric[i] for i in columns],
    )


def fit_widths(table: Shown, width: int) -> list[int]:
    """Column widths for one block: every column at least its narrowest (no word split), then
    the spare room to the columns that need the least of it to show in full, so as few lines
    wrap as possible. The cells come first: a header that wraps costs the table one line, a
    column of school names that wraps one line per row («Solåsen skole» in two lines 15 times
    over because «Mot kommunen» took the room to stay on one)."""
    minimum = min_widths(table)
    cells = [max([minimum[i], *(len(row[i]) for row in table.rows)]) for i in range(len(minimum))]
    result = list(minimum)
    spare = width - sum(minimum) - GAP * (len(minimum) - 1)
    natural = natural_widths(table)
    for wanted_widths in (cells, natural):  # the cells whole, then the headers
        deficits = [max(w - r, 0) for w, r in zip(wanted_widths, result, strict=True)]
        for index in sorted(range(len(result)), key=lambda i: (deficits[i], i)):
            if 0 < deficits[index] <= min(12, spare):  # short cells: show them whole
                result[index] += deficits[index]
                spare -= deficits[index]
    deficits = [n - r for n, r in zip(natural, result, strict=True)]
    wanted = sum(deficits)
    if spare > 0 and wanted:
        for index, deficit in enumerate(deficits):
            extra = min(deficit, spare * deficit // wanted)
            result[index] += extra
    return result
