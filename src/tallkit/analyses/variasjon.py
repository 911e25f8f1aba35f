"""Variation between schools and within schools (PRODUCT.md §4.3).

- ``skoler``: each school's published result against its kommune (part–whole corrected), funnel
  limits (95 % and 99.8 %), empirical Bayes shrinkage and a rank interval.
- ``spredning``: per kommune, year, trinn and test: the spread of school means and the share of
  the pupil variance that lies between schools.
- ``grupper``: within a school from pupil data: group (class) means with intervals, the share of
  variance between groups, pupil spread; small groups hidden with complementary suppression.
- ``dekomponering``: variance between schools / between groups within schools / within groups.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, Final

import polars as pl

from tallkit import skjerming, stats
from tallkit.analyses import (
    Analysis,
    Filters,
    compared_in_scope,
    compared_schools,
    frame_of,
    in_schema,
    referanser,
    run_query,
    scope_kommune,
    suppression_plan,
    uncertainty,
)
from tallkit.analyses.kolonner import (
    complementary_suppression,
    exact_sums,
    pooled_means,
    squared,
)
from tallkit.analyses.mot_kommune_og_land import expected_se
from tallkit.formats.cells import OK, SUPPRESSED
from tallkit.store import Store

SCHOOL_SCHEMA: Final = {
    "skoleaar": pl.String,
    "aar_slatt_sammen": pl.Int32,
    "trinn": pl.Int16,
    "prove": pl.String,
    "kommunenr": pl.String,
    "enhet_id": pl.String,
    "navn": pl.String,
    "antall": pl.Int64,
    "skalapoeng": pl.Float64,
    "se": pl.Float64,
    "usikkerhet_kilde": pl.String,
    "referanse": pl.Float64,
    "referanse_kilde": pl.String,
    "forskjell": pl.Float64,
    "forskjell_lav": pl.Float64,
    "forskjell_hoy": pl.Float64,
    "flagg": pl.String,
    "trakt_95_lav": pl.Float64,
    "trakt_95_hoy": pl.Float64,
    "trakt_998_lav": pl.Float64,
    "trakt_998_hoy": pl.Float64,
    "trakt_tau": pl.Float64,
    "posisjon_95": pl.String,
    "posisjon_998": pl.String,
    "elev_sd": pl.Float64,
    "elev_sd_kilde": pl.String,
    "krympet": pl.Float64,
    "krympet_lav": pl.Float64,
    "krympet_hoy": pl.Float64,
    "rang_fra": pl.Int32,
    "rang_til": pl.Int32,
    "antall_skoler": pl.Int32,
    **referanser.COLUMNS,
}
SPREAD_SCHEMA: Final = {
    "skoleaar": pl.String,
    "aar_slatt_sammen": pl.Int32,
    "trinn": pl.Int16,
    "prove": pl.String,
    "kommunenr": pl.String,
    "antall_skoler": pl.Int32,
    "antall": pl.Int64,
    "snitt_skolesnitt": pl.Float64,
    "sd_skolesnitt": pl.Float64,
    "sd_mellom_skoler": pl.Float64,
    "elev_sd": pl.Float64,
    "elev_sd_kilde": pl.String,
    "andel_mellom_skoler": pl.Float64,
    "metode": pl.String,
}
GROUP_SCHEMA: Final = {
    "skoleaar": pl.String,
    "trinn": pl.Int16,
    "prove": pl.String,
    "enhet_id": pl.String,
    "navn": pl.String,
    "gruppe": pl.String,
    "status": pl.String,
    "antall": pl.Int64,
    "snitt": pl.Float64,
    "lav": pl.Float64,
    "hoy": pl.Float64,
    "sd": pl.Float64,
    "andel_laveste_nivaa": pl.Float64,
    "andel_hoyeste_nivaa": pl.Float64,
    "andel_mellom_grupper": pl.Float64,
}
DECOMPOSITION_SCHEMA: Final = {
    "skoleaar": pl.String,
    "trinn": pl.Int16,
    "prove": pl.String,
    "kommunenr": pl.String,
    "antall": pl.Int64,
    "grupper": pl.Int32,
    "skoler": pl.Int32,
    "var_mellom_skoler": pl.Float64,
    "var_mellom_grupper": pl.Float64,
    "var_innen_grupper": pl.Float64,
    "andel_mellom_skoler": pl.Float64,
    "andel_mellom_grupper": pl.Float64,
    "andel_innen_grupper": pl.Float64,
    "metode": pl.String,
}
SHRINKAGE_METHOD: Final = (
    "empirisk Bayes (normal–normal), τ² ved DerSimonian–Laird; skolenes usikkerhet med "
    "klasseeffekt og avrunding, så τ² er variasjonen mellom skoler alene"
)
FUNNEL_METHOD: Final = (
    "grenser referanse ± z·√(s² + τ²): s fra elev-SD, n, klasseeffekt og del–helhet; τ² "
    "additiv overspredning (Spiegelhalter 2005, z winsorisert ved 10. og 90. persentil)"
)
DECOMPOSITION_METHOD: Final = (
    "Hendersons metode I (ANOVA, ubalansert hierarki), negative satt til 0"
)
_CELL: Final = ("skoleaar", "trinn", "prove", "kommunenr")
OWN_KOMMUNE: Final = "kommunen analysen gjelder (Udir)"


def between_schools(store: Store, filters: Filters, min_group: int) -> pl.DataFrame:
    """One row per school, year, trinn and test (published results, all pupils)."""
    if filters.rows_kommune is not None and filters.kommune is None:
        # one kommune's rows out of the whole selection (one school's report): its own schools'
        # comparisons, and τ² over every school, kept beside the database after the first run
        compared = compared_in_scope(store, filters, min_group)
        tau2 = _every_schools_overdispersion(store, filters, min_group)
    else:
        compared = compared_schools(store, filters, min_group)
        tau2 = _overdispersion(compared)  # over every school of the selection
    # only the cells asked for: no shrinkage or ranks to compute for the others
    if filters.rows_kommune is not None:
        compared = compared.filter(pl.col("kommunenr") == filters.rows_kommune)
    if filters.skole is not None:
        compared = compared.filter((pl.col("enhet_id") == filters.skole).any().over(_CELL))
    out = _compare_schools(compared, tau2)
    if filters.skole is not None:
        # compared with every school of its kommune, shown for the one asked about
        out = out.filter(pl.col("enhet_id") == filters.skole)
    run = referanser.prepare(store, filters, min_group)

    def references(cell: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [] if run is None else _reference_school_rows(run, cell[0])

    keys = ("skoleaar", "trinn", "prove")
    return referanser.with_references_frame(out, keys, references, run, SCHOOL_SCHEMA)


def _reference_school_rows(run: referanser.Run, cell: dict[str, Any]) -> list[dict[str, Any]]:
    """The comparison kommuner's published means for one year, trinn and test, against the
    run's own kommune (Udir's row): two independent published means, so the variance of the
    difference is the sum of theirs. No funnel, shrinkage or rank: those are about the
    schools of one kommune."""
    out = []
    for row, _, own in referanser.test_rows(
        run, cell, ("forskjell", "forskjell_lav", "forskjell_hoy", "flagg")
    ):
        if own is not None and own["verdi"] is not None:
            row |= {"referanse": own["verdi"], "referanse_kilde": OWN_KOMMUNE}
        out.append(row)
    return out


def _every_schools_overdispersion(
    store: Store, filters: Filters, min_group: int
) -> dict[tuple[str, int, str], float]:
    """:func:`_overdispersion` over every school of the selection, once per state of the
    database (tallkit.planlager)."""
    from tallkit import planlager

    def make() -> dict[tuple[str, int, str], float]:
        return _overdispersion(
            compared_schools(store, replace(filters, rows_kommune=None), min_group)
        )

    def encode(tau2: dict[tuple[str, int, str], float]) -> list[list[Any]]:
        return [[*key, value] for key, value in tau2.items()]

    def decode(content: Any) -> dict[tuple[str, int, str], float]:
        found = {}
        for year, trinn, prove, value in content:
            if not (
                isinstance(year, str)
                and isinstance(trinn, int)
                and isinstance(prove, str)
                and isinstance(value, int | float)
            ):
                raise ValueError("not a τ² row")
            found[(year, trinn, prove)] = value
        return found

    key = (
        *filters.params("aar", "trinn", "prove", "pool_years").values(),
        min_group,
        uncertainty(store, filters).settings_key,
    )
    tau2: dict[tuple[str, int, str], float] = planlager.remembered(
        store, "tau2", key, make, encode, decode
    )
    return tau2


def _overdispersion(compared: pl.DataFrame) -> dict[tuple[str, int, str], float]:
    """τ² per year, trinn and test over every school in the data (more stable than per kommune;
    fewer than ten schools give no estimate and no widening): :func:`stats.additive_
    overdispersion` of each school's z against its kommune, with the funnel's chance-alone SE."""
    test = ["skoleaar", "trinn", "prove"]
    with_kommune = compared.filter(pl.col("k_verdi").is_not_null()).with_columns(_s=expected_se())
    z, w = pl.col("k_verdi") / pl.col("_s"), 1.0 / (pl.col("_s") * pl.col("_s"))
    sums = exact_sums(with_kommune, test, _zz=z * z, _sw=w, _sw2=w * w).join(
        with_kommune.group_by(test).agg(_k=pl.len()), on=test
    )
    out = {}
    for year, trinn, prove, zz, sw, sw2, k in sums.iter_rows():
        phi = zz / k
        denominator = sw - sw2 / sw
        tau2 = 0.0
        if k >= 10 and denominator > 0:
            tau2 = max(0.0, (k * phi - (k - 1)) / denominator)
        out[(year, trinn, prove)] = tau2
    return out


def _shrunk(frame: pl.DataFrame, means: str, variances: str, by: list[str]) -> pl.DataFrame:
    """:func:`stats.shrink` per ``by`` group of two units or more, column-wise with the same
    exact sums: ``_tau2`` (DerSimonian–Laird), the shrunken ``_estimate`` and its ``_estimate_se``
    beside each row."""
    y, v = pl.col(means), pl.col(variances)
    w = 1.0 / v
    frame = frame.with_row_index("_order")
    first = exact_sums(frame, by, _sw=w, _swy=w * y, _sww=w * w)
    frame = frame.join(first, on=by, how="left").with_columns(
        _fixed=pl.col("_swy") / pl.col("_sw"),
        _c=pl.col("_sw") - pl.col("_sww") / pl.col("_sw"),
        _units=pl.len().over(by),
    )
    second = exact_sums(frame, by, _q=w * squared(y - pl.col("_fixed")))
    c = pl.col("_c")
    tau2 = (
        pl.when(c > 0)
        .then(pl.max_horizontal(pl.lit(0.0), (pl.col("_q") - (pl.col("_units") - 1)) / c))
        .otherwise(pl.lit(0.0))
    )
    frame = frame.join(second, on=by, how="left").with_columns(_tau2=tau2)
    w_star = 1.0 / (v + pl.col("_tau2"))
    third = exact_sums(frame, by, _sws=w_star, _swsy=w_star * y)
    frame = frame.join(third, on=by, how="left")
    mu, mu_var = pl.col("_swsy") / pl.col("_sws"), 1.0 / pl.col("_sws")
    b = pl.col("_tau2") / (pl.col("_tau2") + v)
    return (
        frame.with_columns(
            _estimate=mu + b * (y - mu), _estimate_se=(b * v + squared(1.0 - b) * mu_var).sqrt()
        )
        .sort("_order")
        .drop("_order", "_sw", "_swy", "_sww", "_fixed", "_c", "_units", "_q", "_sws", "_swsy")
    )


def _rank_intervals(frame: pl.DataFrame) -> pl.DataFrame:
    """:func:`stats.rank_intervals` per cell (``_rad`` -> ``rang_fra``, ``rang_til``): each
    school against every other school of its cell, Bonferroni-corrected over its k − 1
    comparisons, as one self-join."""
    cell = [*_CELL[:3], "_kn"]
    units = frame.select(*cell, "_rad", "_k", y="skalapoeng", s="se")
    sizes = sorted(set(units["_k"].to_list()))
    z = pl.DataFrame(
        {
            "_k": pl.Series(sizes, dtype=units["_k"].dtype),
            "_z": [stats.bonferroni_z(k - 1) for k in sizes],
        }
    )
    pairs = (
        units.join(z, on="_k")
        .join(units.select(*cell, _j=pl.col("_rad"), y2="y", s2="s"), on=cell)
        .filter(pl.col("_rad") != pl.col("_j"))
    )
    margin = pl.col("_z") * (pl.col("s") ** 2 + pl.col("s2") ** 2).sqrt()
    counted = pairs.group_by("_rad").agg(
        _above=(pl.col("y2") - pl.col("y") > margin).sum(),
        _below=(pl.col("y") - pl.col("y2") > margin).sum(),
    )
    return (
        frame.select("_rad", "_k")
        .join(counted, on="_rad", how="left")
        .select(
            "_rad",
            rang_fra=(1 + pl.col("_above").fill_null(0)).cast(pl.Int32),
            rang_til=(pl.col("_k") - pl.col("_below").fill_null(0)).cast(pl.Int32),
        )
    )


def _compare_schools(
    compared: pl.DataFrame, tau2: dict[tuple[str, int, str], float]
) -> pl.DataFrame:
    """Each school of each cell against its kommune with the funnel (τ² per year, trinn and
    test), shrinkage and a rank interval among the cell's schools."""
    cell = [*_CELL[:3], "_kn"]
    taus = pl.DataFrame(
        [(*key, value) for key, value in tau2.items()],
        schema={
            "skoleaar": pl.String,
            "trinn": compared["trinn"].dtype,
            "prove": pl.String,
            "_trakt_tau2": pl.Float64,
        },
        orient="row",
    )
    frame = (
        compared.with_row_index("_rad")
        .with_columns(_kn=pl.col("kommunenr").fill_null(""), _k=pl.len().over(_CELL))
        .join(taus, on=["skoleaar", "trinn", "prove"], how="left")
        .with_columns(pl.col("_trakt_tau2").fill_null(0.0))
        .sort("_rad")
    )
    frame = _shrunk(frame.with_columns(_se2=pl.col("se") ** 2), "skalapoeng", "_se2", cell)
    several = pl.col("_k") > 1
    estimate = pl.when(several).then(pl.col("_estimate")).otherwise(pl.col("skalapoeng"))
    estimate_se = pl.when(several).then(pl.col("_estimate_se")).otherwise(pl.col("se"))
    width = (expected_se() ** 2 + pl.col("_trakt_tau2")).sqrt()
    has_kommune = pl.col("k_verdi").is_not_null()

    def limit(z: float, sign: float) -> pl.Expr:
        return pl.when(has_kommune).then(pl.col("k_referanse") + sign * z * width)

    def position(low: str, high: str) -> pl.Expr:
        mean = pl.col("skalapoeng")
        return (
            pl.when(~has_kommune)
            .then(None)
            .when(mean > pl.col(high))
            .then(pl.lit(stats.OVER))
            .when(mean < pl.col(low))
            .then(pl.lit(stats.UNDER))
            .otherwise(pl.lit(stats.INSIDE))
        )

    frame = frame.with_columns(
        referanse=pl.col("k_referanse"),
        forskjell=pl.col("k_verdi"),
        forskjell_lav=pl.col("k_lav"),
        forskjell_hoy=pl.col("k_hoy"),
        flagg=pl.col("k_flagg"),
        trakt_95_lav=limit(stats.Z95, -1.0),
        trakt_95_hoy=limit(stats.Z95, 1.0),
        trakt_998_lav=limit(stats.Z998, -1.0),
        trakt_998_hoy=limit(stats.Z998, 1.0),
        trakt_tau=pl.when(has_kommune).then(pl.col("_trakt_tau2").sqrt()),
        _estimate=estimate,
        _estimate_se=estimate_se,
        antall_skoler=pl.col("_k").cast(pl.Int32),
    ).with_columns(
        posisjon_95=position("trakt_95_lav", "trakt_95_hoy"),
        posisjon_998=position("trakt_998_lav", "trakt_998_hoy"),
        elev_sd=pl.col("sigma"),
        elev_sd_kilde=pl.col("sigma_kilde"),
        krympet=pl.col("_estimate"),
        krympet_lav=pl.col("_estimate") - stats.Z95 * pl.col("_estimate_se"),
        krympet_hoy=pl.col("_estimate") + stats.Z95 * pl.col("_estimate_se"),
    )
    ranks = _rank_intervals(frame)
    return frame.join(ranks, on="_rad", how="left").sort("_rad")


def spread(store: Store, filters: Filters, min_group: int) -> pl.DataFrame:
    """Per kommune, year, trinn and test: how much school means differ, and why.

    τ² (``sd_mellom_skoler``²) is the variation between schools alone: each school mean's
    variance includes the class-year component and the rounding, so neither is counted as a
    difference between schools.
    """
    cell = [*_CELL[:3], "_kn"]
    compared = compared_schools(store, filters, min_group).with_columns(
        _kn=pl.col("kommunenr").fill_null("")
    )
    # one school has no spread; saying 0 would be a number without meaning
    several = _shrunk(compared.filter(pl.len().over(cell) >= 2), "skalapoeng", "var_total", cell)
    means = pl.col("skalapoeng")
    spread = several.group_by(cell, maintain_order=True).agg(
        kommunenr=pl.col("kommunenr").first(),
        aar_slatt_sammen=pl.col("aar_slatt_sammen").max(),
        antall_skoler=pl.len(),
        antall=pl.col("antall").sum(),
        _tau2=pl.col("_tau2").first(),
        elev_sd=pl.col("sigma").first(),
        elev_sd_kilde=pl.col("sigma_kilde").first(),
    )
    spread = spread.join(exact_sums(several, cell, _sum=means), on=cell, how="left").with_columns(
        snitt_skolesnitt=pl.col("_sum") / pl.col("antall_skoler")
    )
    deviations = several.join(spread.select(*cell, "snitt_skolesnitt"), on=cell, how="left")
    squares = exact_sums(deviations, cell, _ss=(means - pl.col("snitt_skolesnitt")) ** 2)
    spread = spread.join(squares, on=cell, how="left").with_columns(
        sd_skolesnitt=(pl.col("_ss") / (pl.col("antall_skoler") - 1)).sqrt()
    )
    tau2, sigma = pl.col("_tau2"), pl.col("elev_sd")
    spread = spread.with_columns(
        sd_mellom_skoler=tau2.sqrt(),
        andel_mellom_skoler=tau2 / (tau2 + sigma * sigma),
        metode=pl.lit(SHRINKAGE_METHOD),
    )
    return in_schema(spread, SPREAD_SCHEMA)


def _group_summaries(store: Store, filters: Filters) -> pl.DataFrame:
    return run_query(
        store, "variasjon_grupper", filters.params("aar", "trinn", "prove", "kommune", "skole")
    )


_SCHOOL: Final = ["skoleaar", "trinn", "prove", "enhet_id"]
_GROUP_VALUES: Final = (
    "antall",
    "snitt",
    "lav",
    "hoy",
    "sd",
    "andel_laveste_nivaa",
    "andel_hoyeste_nivaa",
    "andel_mellom_grupper",
)


def within_schools(store: Store, filters: Filters, min_group: int) -> pl.DataFrame:
    """Per school, year, trinn and test: one row for all pupils, one per group (class).

    A school under the minimum shows only a hidden «alle»; groups under it are hidden with
    their smallest siblings until the hidden ones cannot be derived from the total
    (:func:`stats.complementary_suppression`); the cross-table plan (skjerming.py) hides more;
    where any row of a school is hidden, its share between groups is too (it would leak).
    Column-wise over every school: a national run has 200,000 rows."""
    groups = _group_summaries(store, filters).with_row_index("_rad")
    if groups.is_empty():
        return pl.DataFrame(schema=GROUP_SCHEMA)
    plan = suppression_plan(store, min_group, scope_kommune(store, filters))
    n = pl.col("antall")
    groups = groups.with_columns(
        _total=n.sum().over(_SCHOOL),
        _k=pl.len().over(_SCHOOL),
        _first=pl.col("_rad").min().over(_SCHOOL),
        _hidden=complementary_suppression(groups, _SCHOOL, min_group),
    )
    schools = _all_pupils(groups.filter(pl.col("_total") >= min_group))
    # one group pooled alone, as the «alle» row pools several (the same arithmetic)
    one_group = groups.with_columns(_mean=(n * pl.col("snitt")) / n, _n=n)
    one_group = one_group.with_columns(
        _ss=pl.col("kvadratsum") + n * (pl.col("snitt") - pl.col("_mean")) ** 2
    )
    group_rows_shown = _described(one_group).with_columns(
        andel_mellom_grupper=pl.lit(None, dtype=pl.Float64), _order=1
    )
    too_small = (
        groups.filter(pl.col("_total") < min_group)
        .unique(_SCHOOL, keep="first", maintain_order=True)
        .with_columns(gruppe=pl.lit("alle"), _hidden=pl.lit(True), _order=0)
    )
    rows = pl.concat(
        [
            in_schema(schools.with_columns(_order=0), _WORK_SCHEMA),
            in_schema(group_rows_shown.filter(pl.col("_total") >= min_group), _WORK_SCHEMA),
            in_schema(too_small, _WORK_SCHEMA),
        ]
    )
    planned = skjerming.hidden_rows(
        plan, "grupper", rows, ["enhet_id", "skoleaar", "trinn", "prove", "gruppe"]
    )
    rows = rows.with_columns(_hidden=pl.col("_hidden") | planned).with_columns(
        _leaks=pl.col("_hidden").any().over(_SCHOOL)
    )
    blank = pl.col("_hidden")
    shown = rows.sort("_first", "_order", "_rad").with_columns(
        status=pl.when(blank).then(pl.lit(SUPPRESSED)).otherwise(pl.lit(OK)),
        **{
            name: pl.when(blank).then(None).otherwise(pl.col(name))
            for name in _GROUP_VALUES
            if name != "andel_mellom_grupper"
        },
        andel_mellom_grupper=pl.when(pl.col("_leaks"))
        .then(None)
        .otherwise(pl.col("andel_mellom_grupper")),
    )
    return in_schema(shown, GROUP_SCHEMA)


_WORK_SCHEMA: Final = {
    **{k: v for k, v in GROUP_SCHEMA.items() if k != "status"},
    "_rad": pl.UInt32,
    "_first": pl.UInt32,
    "_order": pl.Int32,
    "_hidden": pl.Boolean,
}


def _all_pupils(groups: pl.DataFrame) -> pl.DataFrame:
    """The «alle» row of each school: its groups pooled, and the share between them (only
    where no group is hidden and there are more pupils than groups)."""
    n = pl.col("antall")
    sums = pooled_means(groups, _SCHOOL, _within=pl.col("kvadratsum"), _n2=n * n)
    schools = (
        groups.group_by(_SCHOOL, maintain_order=True)
        .agg(
            pl.col("navn", "_rad", "_first", "_k", "_total").first(),
            pl.col("_hidden").any().alias("_any_hidden"),
            pl.col("med_nivaa", "laveste_nivaa", "hoyeste_nivaa").sum(),
        )
        .join(sums.drop("_n"), on=_SCHOOL, how="left")
        .with_columns(_ss=pl.col("_within") + pl.col("_between"))
        .with_columns(gruppe=pl.lit("alle"), _n=pl.col("_total"), _hidden=pl.lit(False))
    )
    # stats.between_group_share: one-way ANOVA ICC over the school's groups
    k, total = pl.col("_k"), pl.col("_total")
    ms_b = pl.col("_between") / (k - 1)
    ms_w = pl.col("_within") / (total - k)
    n0 = (total - pl.col("_n2") / total) / (k - 1)
    var_b = pl.max_horizontal(pl.lit(0.0), (ms_b - ms_w) / n0)
    share = pl.when(var_b + ms_w > 0).then(var_b / (var_b + ms_w)).otherwise(pl.lit(0.0))
    with_share = (k > 1) & ~pl.col("_any_hidden") & (total > k)
    return _described(schools).with_columns(andel_mellom_grupper=pl.when(with_share).then(share))


def _described(rows: pl.DataFrame) -> pl.DataFrame:
    """n, mean, interval (t), SD and the shares at the lowest and highest mastery level from
    ``_n``, ``_mean``, ``_ss`` and the level counts."""
    n, ss = pl.col("_n"), pl.col("_ss")
    sd = pl.when(n > 1).then((ss / (n - 1)).sqrt()).otherwise(pl.lit(0.0))
    sizes = sorted(set(rows["_n"].to_list()))
    quantiles = pl.DataFrame(
        {
            "_n": pl.Series(sizes, dtype=rows["_n"].dtype),
            "_q": [stats.t_quantile(0.975, m - 1) if m > 1 else math.inf for m in sizes],
        }
    )
    rows = rows.join(quantiles, on="_n", how="left").with_columns(sd=sd)
    half = (
        pl.when(n > 1)
        .then(pl.col("_q") * pl.col("sd") / n.cast(pl.Float64).sqrt())
        .otherwise(pl.lit(math.inf))
    )
    with_level = pl.col("med_nivaa")
    return rows.with_columns(
        antall=n,
        snitt=pl.col("_mean"),
        lav=pl.col("_mean") - half,
        hoy=pl.col("_mean") + half,
        andel_laveste_nivaa=pl.when(with_level > 0).then(pl.col("laveste_nivaa") / with_level),
        andel_hoyeste_nivaa=pl.when(with_level > 0).then(pl.col("hoyeste_nivaa") / with_level),
    )


def decomposition(store: Store, filters: Filters, min_group: int) -> pl.DataFrame:
    """Variance between schools / between groups within schools / within groups, per kommune
    (:func:`stats.nested_variance_components`, its sums taken column-wise and exactly)."""
    cell = [*_CELL[:3], "_kn"]
    school = [*cell, "enhet_id"]
    n, mean = pl.col("antall"), pl.col("snitt")
    groups = (
        _group_summaries(store, filters)
        .with_row_index("_rad")
        .with_columns(_kn=pl.col("kommunenr").fill_null(""))
        # in the order of the query's rows, also where its first school is left out below
        .with_columns(_first=pl.col("_rad").min().over(cell))
        # a school under the minimum would be a component of its own; leave it out
        .filter(n.sum().over(school) >= min_group)
    )
    if groups.is_empty():
        return pl.DataFrame(schema=DECOMPOSITION_SCHEMA)
    schools = groups.group_by(school, maintain_order=True).agg(_n_s=n.sum(), _squares=(n * n).sum())
    schools = schools.join(exact_sums(groups, school, _sum_s=n * mean), on=school)
    schools = schools.with_columns(_mean_s=pl.col("_sum_s") / pl.col("_n_s"))
    groups = groups.join(schools.select(*school, "_mean_s"), on=school, how="left")
    schools = schools.join(
        exact_sums(groups, school, _ss_g=n * (mean - pl.col("_mean_s")) ** 2), on=school
    )
    cells = groups.group_by(cell, maintain_order=True).agg(
        kommunenr=pl.col("kommunenr").first(),
        _n=n.sum(),
        _groups=pl.len(),
        _schools=pl.col("enhet_id").n_unique(),
        _first=pl.col("_first").first(),
    )
    cells = cells.join(
        exact_sums(groups, cell, _sum=n * mean, _ss_w=pl.col("kvadratsum")), on=cell, how="left"
    ).with_columns(_grand=pl.col("_sum") / pl.col("_n"))
    schools = schools.join(cells.select(*cell, "_grand"), on=cell, how="left")
    per_school = exact_sums(
        schools,
        cell,
        _ss_s=pl.col("_n_s") * (pl.col("_mean_s") - pl.col("_grand")) ** 2,
        _ss_g=pl.col("_ss_g"),
        _sum_ng2=pl.col("_squares"),
        _sum_ng2_over_ns=pl.col("_squares") / pl.col("_n_s"),
        _sum_ns2=pl.col("_n_s") * pl.col("_n_s"),
    )
    cells = cells.join(per_school, on=cell, how="left").sort("_first")  # as the query's rows
    out = []
    for row in cells.iter_rows(named=True):
        if row["_schools"] < 2 or row["_groups"] <= row["_schools"] or row["_n"] <= row["_groups"]:
            continue  # too few schools or groups to separate the levels
        parts = stats.nested_components_from_sums(
            row["_n"],
            row["_groups"],
            row["_schools"],
            row["_ss_w"],
            row["_ss_g"],
            row["_ss_s"],
            row["_sum_ng2"],
            row["_sum_ng2_over_ns"],
            row["_sum_ns2"],
        )
        out.append(
            {
                "skoleaar": row["skoleaar"],
                "trinn": row["trinn"],
                "prove": row["prove"],
                "kommunenr": row["kommunenr"],
                "antall": parts.pupils,
                "grupper": parts.groups,
                "skoler": parts.schools,
                "var_mellom_skoler": parts.between_schools,
                "var_mellom_grupper": parts.between_groups,
                "var_innen_grupper": parts.within_groups,
                "andel_mellom_skoler": parts.share(parts.between_schools),
                "andel_mellom_grupper": parts.share(parts.between_groups),
                "andel_innen_grupper": parts.share(parts.within_groups),
                "metode": DECOMPOSITION_METHOD,
            }
        )
    return frame_of(out, DECOMPOSITION_SCHEMA)


PARTS: Final[dict[str, Analysis]] = {
    "skoler": between_schools,
    "spredning": spread,
    "grupper": within_schools,
    "dekomponering": decomposition,
}
