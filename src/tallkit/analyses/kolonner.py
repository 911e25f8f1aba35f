"""Column-wise helpers the analyses share, where polars alone would not give the same bits."""

from __future__ import annotations

import inspect
import math
from typing import Any, Final

import polars as pl

from tallkit import stats


def exact_sums(frame: pl.DataFrame, by: list[str], **sums: pl.Expr) -> pl.DataFrame:
    """One row per ``by`` group with the exactly rounded sum (``math.fsum``) of each named
    expression over the group's rows (nulls count as nothing; every expression must give one
    value per row).

    polars' own ``sum`` adds in an order that depends on how it splits the work between threads
    and on where a group's values lie in memory, so the same school's numbers could differ in
    the last bit between a national run and its kommune alone, and between two runs.
    ``tests/test_utvalg.py`` holds one school's rows to the whole run's, bit for bit."""
    names = list(sums)
    values = frame.select(
        *by, **{name: expr.cast(pl.Float64).fill_null(0.0) for name, expr in sums.items()}
    )
    # every group's values in one list per column, all of one length per group
    lists = values.group_by(by, maintain_order=True).agg(pl.col(names), _len=pl.len())
    return pl.concat([lists.select(by), _fsum_lists(lists, names)], how="horizontal")


def _fsum_lists(lists: pl.DataFrame, names: list[str]) -> pl.DataFrame:
    """The exactly rounded sum of each list column ``names`` (Float64, no nulls), row by row;
    ``_len`` is every row's list length."""
    # a group of one or two values needs no Python: one IEEE addition is rounded exactly once,
    # as fsum rounds; about half of all groups in the analyses. fsum of -0.0 is 0.0 (and polars
    # drops a ``+ 0.0``, so the zero is replaced, not added to)
    first, last = pl.col(names).list.first(), pl.col(names).list.last()
    few = pl.col("_len") <= 2
    total = pl.when(pl.col("_len") == 2).then(first + last).otherwise(first)
    totals = lists.select(pl.when(total == 0.0).then(0.0).otherwise(total).name.keep())
    many = lists.with_row_index("_at").filter(~few)
    if many.height:
        # one flat list per column and one set of group boundaries: far faster out of polars
        # than a list per group
        ends = many["_len"].cum_sum().to_list()
        starts = [0, *ends[:-1]]
        at = many["_at"]
        flat = many.select(pl.col(names).explode())
        for name in names:
            column = flat[name].to_list()
            exact = [math.fsum(column[a:b]) for a, b in zip(starts, ends, strict=True)]
            totals = totals.with_columns(totals[name].scatter(at, exact))
    return totals


def divided_by(expr: pl.Expr, constant: float) -> pl.Expr:
    """``expr / constant`` rounded as Python (and IEEE) divides: polars multiplies by the
    reciprocal when the divisor is one number, which is up to an ulp off, and an interval that
    touches 0 exactly (a school 5 points over the nation, Udir's «Usikkerhet» 5.0) would turn
    «over» by that ulp.

    The divisor is therefore a column as long as the frame, which polars divides value by value.
    Not a Python function over the values (``map_batches``): polars runs such a function on its
    own threads, which must take Python's lock: a known road to a process that hangs for good
    (polars issues 26821, 19560), and the one such function when a CI run hung."""
    divisor = pl.int_range(pl.len(), dtype=pl.UInt32).cast(pl.Float64) * 0.0 + constant
    return expr.cast(pl.Float64) / divisor


def squared(expr: pl.Expr) -> pl.Expr:
    """``expr ** 2`` as Python computes it (C's ``pow``), which is not always ``x * x``: about one
    value in 1,200 differs in the last bit. polars squares a literal exponent as ``x * x``, but
    raises to a column of exponents with ``pow`` itself."""
    two = pl.int_range(pl.len(), dtype=pl.UInt32).cast(pl.Float64) * 0.0 + 2.0
    return expr.cast(pl.Float64).pow(two)


def complementary_suppression(groups: pl.DataFrame, by: list[str], min_group: int) -> pl.Series:
    """:func:`stats.complementary_suppression` of each ``by`` unit's groups (``antall``, in the
    rows' order within the unit), as a boolean column of ``groups``, column-wise.

    The groups under the minimum are hidden; while they hold some but fewer than ``min_group``
    pupils together, the smallest visible group (the first among equals) is hidden too. A
    visible group holds at least ``min_group`` itself, so that one is always enough: at most
    one more group per unit, which two window expressions find without a Python loop over
    the units (a national run has 7,000 with a small group)."""
    n = pl.col("antall")
    small = n < min_group
    hidden_pupils = pl.when(small).then(n).otherwise(0).sum().over(by)
    needs_company = (hidden_pupils > 0) & (hidden_pupils < min_group)
    # the smallest visible group first, the earlier row among equals: one sortable number
    # (the row index as a column: inside a window, int_range would count per unit)
    order = pl.when(~small).then(n.cast(pl.Int64) * (1 << 32) + pl.col("_row"))
    flags = groups.select(*by, "antall", _row=pl.int_range(pl.len(), dtype=pl.Int64)).select(
        _hidden=small | (needs_company & (order == order.min().over(by)).fill_null(False))
    )
    return flags["_hidden"].fill_null(False)


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


def flag(low: pl.Expr, high: pl.Expr, known: pl.Expr | None = None) -> pl.Expr:
    """:func:`stats.flag` column-wise from an interval's ends: ``over`` when it lies above 0,
    ``under`` below, else ``ikke_sikker``; null where ``known`` is false."""
    verdict = (
        pl.when(low > 0)
        .then(pl.lit(stats.OVER))
        .when(high < 0)
        .then(pl.lit(stats.UNDER))
        .otherwise(pl.lit(stats.NOT_SURE))
    )
    return verdict if known is None else pl.when(known).then(verdict)


def pooled_means(
    frame: pl.DataFrame,
    by: list[str],
    n: str = "antall",
    mean: str = "snitt",
    **also: pl.Expr,
) -> pl.DataFrame:
    """Per ``by`` group of group summaries: the pupils (``_n``), their pooled mean (``_mean`` =
    Σ n_g·mean_g / n) and the sum of squares between the groups about it (``_between`` =
    Σ n_g (mean_g − mean)²), both sums exact and the second taken about the pooled mean (two
    passes, not Σ n_g mean_g² − n·mean², which loses digits on scale points). ``also``: more
    exact sums over the same groups, taken in the first pass.

    One grouping: the second pass runs over the same lists, each group's pooled mean beside
    its rows (as two joins on the group's key columns it cost the analyses ~0.3 s
    nationally; :func:`exact_sums` gives the same sums)."""
    first_names = ["_sum", *also]
    values = frame.select(
        *by,
        pl.col(n).alias("_count"),
        pl.col(mean).alias("_of"),
        **{
            name: expr.cast(pl.Float64).fill_null(0.0)
            for name, expr in {"_sum": pl.col(n) * pl.col(mean), **also}.items()
        },
    )
    lists = values.group_by(by, maintain_order=True).agg(
        pl.col(*first_names, "_count", "_of"), _n=pl.col("_count").sum(), _len=pl.len()
    )
    first = _fsum_lists(lists, first_names).with_columns(_n=lists["_n"])
    first = first.with_columns(_mean=pl.col("_sum") / pl.col("_n")).drop("_sum")
    about = (
        lists.select("_count", "_of", "_len", _pooled_mean=first["_mean"])
        .with_row_index("_group")
        .explode("_count", "_of")
        .select(
            "_group",
            _between=(pl.col("_count") * (pl.col("_of") - pl.col("_pooled_mean")) ** 2)
            .cast(pl.Float64)
            .fill_null(0.0),
        )
        .group_by("_group", maintain_order=True)
        .agg(pl.col("_between"), _len=pl.len())
    )
    between = _fsum_lists(about, ["_between"])
    return pl.concat([lists.select(by), first, between], how="horizontal")
