"""Column-wise helpers the analyses share, where polars alone would not give the same bits."""

from __future__ import annotations

import inspect
import math
from typing import Any, Final

import polars as pl


def exact_sums(frame: pl.DataFrame, by: list[str], **sums: pl.Expr) -> pl.DataFrame:
    """One row per ``by`` group with the exactly rounded sum (``math.fsum``) of each named
    expression over the group's rows (nulls left out).

    polars' own ``sum`` adds in an order that depends on how it splits the work between threads
    and on where a group's values lie in memory, so the same school's numbers could differ in
    the last bit between a national run and its kommune alone, and between two runs.
    ``tests/test_utvalg.py`` holds one school's rows to the whole run's, bit for bit."""
    lists = frame.group_by(by, maintain_order=True).agg(
        **{name: expr.drop_nulls() for name, expr in sums.items()}
    )
    totals = {}
    for name in sums:
        # one flat list and the groups' lengths: far faster out of polars than a list per group
        # (an empty list explodes to one null in polars 1.x; the lists hold no nulls)
        flat = lists[name].explode().drop_nulls().to_list()
        ends = lists[name].list.len().cum_sum().to_list()
        starts = [0, *ends[:-1]] if ends else []
        totals[name] = [
            math.fsum(flat[start:end]) if end > start else 0.0
            for start, end in zip(starts, ends, strict=True)
        ]
    return lists.with_columns(
        pl.Series(name, values, dtype=pl.Float64) for name, values in totals.items()
    )


def divided_by(expr: pl.Expr, constant: float) -> pl.Expr:
    """``expr / constant`` rounded as Python (and IEEE) divides: polars multiplies by the
    reciprocal when the divisor is one number, which is up to an ulp off, and an interval that
    touches 0 exactly (a school 5 points over the nation, Udir's «Usikkerhet» 5.0) would turn
    «over» by that ulp."""

    def divide(values: pl.Series) -> pl.Series:
        import pyarrow.compute as pc  # Arrow divides element by element, as Python does

        quotient = pl.from_arrow(pc.divide(values.to_arrow(), constant))
        assert isinstance(quotient, pl.Series)
        return quotient.alias(values.name)

    return expr.cast(pl.Float64).map_batches(divide, return_dtype=pl.Float64, is_elementwise=True)


def join_keeping_nulls(
    left: pl.DataFrame, right: pl.DataFrame, on: list[str], **options: Any
) -> pl.DataFrame:
    """``left.join(right, on=on)`` where a null key matches a null key (a school without a
    kommune is one group, as ``group_by`` makes it): the option is ``join_nulls`` in polars
    1.x and ``nulls_equal`` from 1.24 on."""
    options[_NULLS_EQUAL] = True
    joined: pl.DataFrame = left.join(right, on=on, **options)
    return joined


_NULLS_EQUAL: Final = (
    "nulls_equal"
    if "nulls_equal" in inspect.signature(pl.DataFrame.join).parameters
    else "join_nulls"
)
