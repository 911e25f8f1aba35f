"""Analyses over the store: each builds one of ``queries/*.sql`` and shapes the result with
:mod:`tallkit.stats`. They return polars frames whose columns are documented in the README."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

import polars as pl

from tallkit import stats
from tallkit.resources import find_query
from tallkit.store import Store

NATIONAL_SD: Final = 10.0  # the NP scale's SD in its reference year (FORMATS.md §6)


@dataclass(frozen=True)
class Filters:
    """The CLI's --aar/--trinn/--prove/--kommune/--skole; None means all."""

    aar: str | None = None
    trinn: int | None = None
    prove: str | None = None
    kommune: str | None = None
    skole: str | None = None

    def params(self, *names: str) -> dict[str, Any]:
        return {name: getattr(self, name) for name in names}


def frame_of(rows: list[dict[str, Any]], schema: dict[str, Any]) -> pl.DataFrame:
    """Rows to a frame with a fixed schema, also when there are no rows (stable columns)."""
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)


def run_query(store: Store, name: str, params: dict[str, Any]) -> pl.DataFrame:
    return store.query(find_query(name).read_text(encoding="utf-8"), params)


def group_rows(
    rows: list[dict[str, Any]], keys: Iterable[str]
) -> dict[tuple[Any, ...], list[dict[str, Any]]]:
    found: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    names = tuple(keys)
    for row in rows:
        found.setdefault(tuple(row[k] for k in names), []).append(row)
    return found


def school_se(row: dict[str, Any]) -> tuple[float, str]:
    """Uncertainty sources in the order of PRODUCT.md §4.4."""
    if row["usikkerhet"] is not None and row["usikkerhet"] > 0:
        return stats.se_from_half_width(row["usikkerhet"]), "udir"
    if row["elev_sd"] is not None and row["elev_antall"]:
        return row["elev_sd"] / math.sqrt(row["elev_antall"]), "elevdata"
    return NATIONAL_SD / math.sqrt(row["antall"]), "tilnærming (nasjonalt SD)"


def school_rows(store: Store, filters: Filters, min_group: int) -> list[dict[str, Any]]:
    frame = run_query(store, "skoleresultater", filters.params("aar", "trinn", "prove", "kommune"))
    # No number from fewer pupils than the minimum, even where Udir published one.
    return frame.filter(pl.col("antall") >= min_group).to_dicts()
