"""One verdict per comparison, in the same words everywhere.

The analyses decide (``flagg`` over/under/ikke_sikker, from their intervals); this module only
turns that decision into the report's words and into better/worse for indicators where lower
is better. Every place that prints «over» or «under» — summary, funnel, hovedbilde, reflections,
the JSON twin — asks here, so two places cannot disagree about the same comparison.
"""

from __future__ import annotations

import math
from typing import Final

from tallkit import stats
from tallkit.analyses.fag import LOWER_IS_BETTER
from tallkit.reports.words import Words

__all__ = ["LOWER_IS_BETTER", "direction", "sureness", "trend_change", "verdict", "z_score"]
CLEAR_Z: Final = 3.0  # «tydelig»: the difference is at least three SEs from zero


def verdict(flag: str | None, words: Words) -> str | None:
    """«over», «under» or «ikke sikker forskjell» (or the kommune's own words); None: no test."""
    if flag is None:
        return None
    key = {stats.OVER: "over", stats.UNDER: "under"}.get(flag, "ikke_sikker")
    return words.text("dom", key)


def direction(flag: str | None, code: str | None = None) -> str:
    """``bedre``/``svakere``/``ingen_sikker_forskjell`` for the JSON's ``retning``."""
    if flag not in (stats.OVER, stats.UNDER):
        return "ingen_sikker_forskjell"
    higher = flag == stats.OVER
    return "bedre" if higher != (code in LOWER_IS_BETTER) else "svakere"


def z_score(value: float, low: float | None, high: float | None) -> float:
    """|value| in standard errors, from a symmetric 95 % interval."""
    if low is None or high is None or high <= low:
        return 0.0
    return abs(value) / ((high - low) / (2 * stats.Z95))


def sureness(z: float, words: Words) -> str:
    """«tydelig » for a difference at least three SEs from zero, else nothing."""
    return words.text("sikkerhet", "tydelig" if z >= CLEAR_Z else "vanlig")


def trend_change(
    points: list[tuple[int, float, float]],
) -> tuple[float, float] | None:
    """Weighted least-squares slope per year and its SE from (year, value, variance) points.

    The test of a development over 3–5 years: is the slope further from zero than its
    uncertainty? Each year's variance is its own (classes and rounding included).
    """
    if len(points) < 3 or any(v <= 0 for _, _, v in points):
        return None
    w = [1.0 / v for _, _, v in points]
    sw = math.fsum(w)
    x_bar = math.fsum(wi * x for wi, (x, _, _) in zip(w, points, strict=True)) / sw
    y_bar = math.fsum(wi * y for wi, (_, y, _) in zip(w, points, strict=True)) / sw
    sxx = math.fsum(wi * (x - x_bar) ** 2 for wi, (x, _, _) in zip(w, points, strict=True))
    if sxx <= 0:
        return None
    sxy = math.fsum(wi * (x - x_bar) * (y - y_bar) for wi, (x, y, _) in zip(w, points, strict=True))
    return sxy / sxx, math.sqrt(1.0 / sxx)


def published_decimals(kilde: str) -> int | None:
    """How Udir writes a source's numbers: national-test scale points whole (None: as
    norsk.number does), indices, shares and grunnskolepoeng with one decimal (4,0 beside 4,2)."""
    return None if kilde == "nasjonale_prover" else 1
