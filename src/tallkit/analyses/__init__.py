"""Analyses over the store: each builds one of ``queries/*.sql`` and shapes the result with
:mod:`tallkit.stats`. They return polars frames whose columns are documented in the README."""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final

import polars as pl

from tallkit import skjerming, stats
from tallkit.brudd import breaks_between
from tallkit.errors import UsageError
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
    pool_years: int = 1  # --slaa-sammen: pool 2-3 years per school (small schools)

    def params(self, *names: str) -> dict[str, Any]:
        return {name: getattr(self, name) for name in names}


Analysis = Callable[[Store, Filters, int], pl.DataFrame]  # (store, filters, minimum group size)


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


_PLANS: weakref.WeakKeyDictionary[Store, dict[int, skjerming.Plan]] = weakref.WeakKeyDictionary()


def suppression_plan(store: Store, min_group: int) -> skjerming.Plan:
    """The one suppression plan for every pupil-data number (``tallkit.skjerming``), made from
    all pupil data whatever the filters, once per open store."""
    plans = _PLANS.setdefault(store, {})
    if min_group not in plans:
        results = run_query(store, "skjerming", {})
        plans[min_group] = skjerming.plan(skjerming.candidates(results), min_group)
    return plans[min_group]


def school_se(row: dict[str, Any]) -> tuple[float, str]:
    """Uncertainty sources in the order of PRODUCT.md §4.4."""
    if row["usikkerhet"] is not None and row["usikkerhet"] > 0:
        return stats.se_from_half_width(row["usikkerhet"]), "udir"
    if row["elev_sd"] is not None and row["elev_antall"]:
        return row["elev_sd"] / math.sqrt(row["elev_antall"]), "elevdata"
    return NATIONAL_SD / math.sqrt(row["antall"]), "tilnærming (nasjonalt SD)"


def school_rows(store: Store, filters: Filters, min_group: int) -> list[dict[str, Any]]:
    """Published school results (with kommune, nation and pupil data), one row per school,
    year, trinn and test; with ``filters.pool_years`` > 1, years pooled per school."""
    years_filter = None if filters.pool_years > 1 else filters.aar
    params = filters.params("trinn", "prove", "kommune") | {"aar": years_filter}
    frame = run_query(store, "skoleresultater", params)
    if filters.pool_years > 1:
        frame = pool_years(frame, filters.pool_years, filters.aar)
    else:
        frame = frame.with_columns(aar_slatt_sammen=pl.lit(1, dtype=pl.Int32))
    # No number from fewer pupils than the minimum, even where Udir published one.
    return frame.filter(pl.col("antall") >= min_group).to_dicts()


def _previous_years(end: str, count: int) -> list[str]:
    start = int(end[:4])
    return [f"{y}-{(y + 1) % 100:02d}" for y in range(start - count + 1, start + 1)]


def pool_years(frame: pl.DataFrame, count: int, end: str | None) -> pl.DataFrame:
    """Pool ``count`` school years ending in ``end`` (or in each year) per school, weighted by n.

    For small schools (PRODUCT.md §4.4): the mean is n-weighted, its uncertainty combines the
    years' (independent cohorts), and the row says how many years it pools (``aar_slatt_sammen``)
    and which (``skoleaar`` becomes e.g. ``2023-24–2025-26``). Never across a series break.
    """
    if not 2 <= count <= 3:
        raise UsageError("--slaa-sammen tar 2 eller 3 år.")
    ends = [end] if end is not None else sorted(set(frame["skoleaar"]))
    pieces = []
    for last in ends:
        window = _previous_years(last, count)
        # a school keeps its number through unit reforms; only a break in the tests counts
        window = [
            y for y in window if not any(b.domain == "np" for b in breaks_between("np", y, last))
        ]
        rows = frame.filter(pl.col("skoleaar").is_in(window))
        if rows.is_empty():
            continue
        pieces.append(_pool_window(rows, window[0], last))
    if not pieces:
        return frame.head(0).with_columns(aar_slatt_sammen=pl.lit(1, dtype=pl.Int32))
    return pl.concat(pieces)


def _weighted(value: str, n: str) -> pl.Expr:
    return (pl.col(value) * pl.col(n)).sum() / pl.col(n).filter(pl.col(value).is_not_null()).sum()


def _combined_half_width(half: str, n: str) -> pl.Expr:
    # Var(Σ w_y x_y) = Σ w_y² se_y², w_y = n_y / N; null if any year lacks Udir's uncertainty.
    se = pl.col(half) / stats.Z95
    combined = ((pl.col(n) / pl.col(n).sum()) ** 2 * se**2).sum().sqrt() * stats.Z95
    return pl.when(pl.col(half).is_null().any()).then(None).otherwise(combined)


def _pool_window(rows: pl.DataFrame, first: str, last: str) -> pl.DataFrame:
    keys = ["trinn", "prove", "kommunenr", "enhet_id", "navn"]
    label = last if first == last else f"{first}–{last}"
    return (
        rows.group_by(keys, maintain_order=True)
        .agg(
            skalapoeng=_weighted("skalapoeng", "antall"),
            usikkerhet=_combined_half_width("usikkerhet", "antall"),
            kommune_snitt=_weighted("kommune_snitt", "kommune_antall"),
            kommune_usikkerhet=_combined_half_width("kommune_usikkerhet", "kommune_antall"),
            land_snitt=pl.col("land_snitt").mean(),
            land_usikkerhet=(pl.col("land_usikkerhet") ** 2).mean().sqrt(),
            elev_snitt=_weighted("elev_snitt", "elev_antall"),
            elev_sd=(
                ((pl.col("elev_antall") - 1) * pl.col("elev_sd") ** 2).sum()
                / (pl.col("elev_antall") - 1).filter(pl.col("elev_sd").is_not_null()).sum()
            ).sqrt(),
            antall=pl.col("antall").sum(),
            kommune_antall=pl.col("kommune_antall").sum(),
            elev_antall=pl.col("elev_antall").sum(),
            aar_slatt_sammen=pl.col("skoleaar").n_unique().cast(pl.Int32),
        )
        .with_columns(skoleaar=pl.lit(label))
        .select(*rows.columns, "aar_slatt_sammen")
        .sort("trinn", "prove", "kommunenr", "enhet_id")
    )
