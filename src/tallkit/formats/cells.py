"""Cell values and their states. A suppressed or missing cell is never a 0.

| cell            | status            | value            |
|-----------------|-------------------|------------------|
| ``56 929``      | ``ok``            | 56929.0          |
| ``*``           | ``skjermet``      | null             |
| ``47*``         | ``skjermet_synlig``| 47.0 (never shown)|
| empty, ``.``    | ``mangler``       | null             |

Numbers use a decimal comma (a point is accepted too) and any space as thousands separator
(U+0020, U+00A0, U+202F).
"""

from __future__ import annotations

import re
from typing import Any, Final

import polars as pl

OK: Final = "ok"
SUPPRESSED: Final = "skjermet"
SUPPRESSED_VISIBLE: Final = "skjermet_synlig"
MISSING: Final = "mangler"
STATES: Final = (OK, SUPPRESSED, SUPPRESSED_VISIBLE, MISSING)

_SPACES = "\u0020\u00a0\u202f\u2009"
# Either plain digits or digits grouped by threes with a space; then an optional decimal part.
# ASCII digits only: \d would also accept Arabic-Indic digits that no float parser reads.
NUMBER_PATTERN: Final = rf"-?(?:[0-9]{{1,3}}(?:[{_SPACES}][0-9]{{3}})+|[0-9]+)(?:[,.][0-9]+)?"
_NUMBER = re.compile(rf"^{NUMBER_PATTERN}$")
_VISIBLE = re.compile(rf"^{NUMBER_PATTERN}\s*\*$")
_MISSING_TOKENS: Final = ("", ".")


def parse_cell(raw: str | None) -> tuple[float | None, str]:
    """Parse one cell: ``(value, status)``; raises ``ValueError`` for a non-number."""
    text = (raw or "").strip(_SPACES + "\t\r\n")
    if text in _MISSING_TOKENS:
        return None, MISSING
    if text == "*":
        return None, SUPPRESSED
    if _NUMBER.match(text):
        return _to_float(text), OK
    if _VISIBLE.match(text):
        return _to_float(text.rstrip("* ")), SUPPRESSED_VISIBLE
    raise ValueError(text)


def _to_float(text: str) -> float:
    for space in _SPACES:
        text = text.replace(space, "")
    return float(text.replace(",", "."))


def parse_cells(raw: pl.Expr) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """Vectorised :func:`parse_cell`: expressions for (value, status, is_invalid)."""
    text = raw.fill_null("").str.strip_chars(_SPACES + "\t\r\n")
    is_number = text.str.contains(f"^{NUMBER_PATTERN}$")
    is_visible = text.str.contains(rf"^{NUMBER_PATTERN}\s*\*$")
    is_missing = text.is_in(list(_MISSING_TOKENS))
    is_suppressed = text == "*"
    digits = (
        text.str.strip_chars_end("* ")
        .str.replace_all(f"[{_SPACES}]", "")
        .str.replace(",", ".", literal=True)
    )
    value = (
        pl.when(is_number | is_visible).then(digits.cast(pl.Float64, strict=False)).otherwise(None)
    )
    status = (
        pl.when(is_missing)
        .then(pl.lit(MISSING))
        .when(is_suppressed)
        .then(pl.lit(SUPPRESSED))
        .when(is_visible)
        .then(pl.lit(SUPPRESSED_VISIBLE))
        .when(is_number)
        .then(pl.lit(OK))
        .otherwise(None)
    )
    invalid = ~(is_missing | is_suppressed | is_visible | is_number)
    return value, status, invalid


def with_cells(frame: pl.DataFrame, raw: str) -> tuple[pl.DataFrame, dict[str, Any] | None]:
    """Add ``verdi`` and ``status`` parsed from column ``raw``; also return the first row (by
    ``linje``) whose cell is no number, ``*`` or empty, for the caller to report, or None."""
    value, status, invalid = parse_cells(pl.col(raw))
    parsed = frame.with_columns(verdi=value, status=status, _ugyldig=invalid)
    bad = parsed.filter(pl.col("_ugyldig"))
    first = bad.sort("linje").row(0, named=True) if bad.height else None
    return parsed.drop("_ugyldig"), first
