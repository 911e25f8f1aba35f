"""Progression: the same pupils over time (PRODUCT.md §4.1).

- ``kull``: published results, same cohort: 8. trinn (Y) -> 9. trinn (Y+1) on the same scale, and
  5. trinn (Y) -> 8. trinn (Y+3) as the change in position against the nation.
- ``elever``: pupil pairs: the mean paired change per school (and group), and the mastery-level
  transitions (up / same / down). For 5 -> 8 the pupils are followed from the school they came
  from (avgiverskole).
- ``verdiskaping``: value added: the school's pupils' mean gain minus the mean gain of the
  kommune's pupils (the gain-score model: each pupil is expected to move as the kommune's pupils
  do), with a part–whole interval and empirical Bayes shrinkage. Not SSB's «skolebidrag», which
  also adjusts for family background. A regression on the earlier result was dropped: noise in
  the earlier score flattens its slope, and because a school's level is in both scores the
  residuals then reward a high level (measured on simulated kommuner: 0.32 × the level).
- ``trend``: a school's results over the years with intervals; every series break is marked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final

import polars as pl

from tallkit import skjerming, stats
from tallkit.analyses import (
    Analysis,
    ClassModel,
    Filters,
    Uncertainty,
    frame_of,
    in_schema,
    memo,
    own_kommune_params,
    rounding_of,
    run_query,
    scope_kommune,
    suppression_plan,
    uncertainty,
    uncertainty_defaults,
)
from tallkit.analyses.kolonner import (
    complementary_suppression,
    divided_by,
    exact_sums,
    flag,
    join_keeping_nulls,
    pooled_means,
    squared,
)
from tallkit.analyses.mot_kommune_og_land import (
    _design_effect,
    _quantiles,
    with_models,
    with_published_variance,
)
from tallkit.analyses.usikkerhet import (
    MIN_DF_OWN,
    NO_GROUP,
    SOURCE_ALL,
    SOURCE_DEFAULT,
    SOURCE_OWN,
    class_models_of,
    models_from_json,
    models_to_json,
)
from tallkit.analyses.variasjon import _shrunk
from tallkit.brudd import breaks_between
from tallkit.formats.cells import MISSING, OK, SUPPRESSED
from tallkit.store import Store

VALUE_ADDED_METHOD: Final = (
    "skolens gjennomsnittlige endring minus kommunens (hver elev forventes å endre seg som "
    "kommunens elever gjør); intervall med del–helhet og klasseeffekt; krympet med empirisk "
    "Bayes (DerSimonian–Laird). Ikke SSBs skolebidrag, som også justerer for familiebakgrunn."
)
COHORT_SCHEMA: Final = {
    "til_aar": pl.String,
    "fra_aar": pl.String,
    "fra_trinn": pl.Int16,
    "til_trinn": pl.Int16,
    "prove": pl.String,
    "nivaa": pl.String,
    "kommunenr": pl.String,
    "enhet_id": pl.String,
    "navn": pl.String,
    "fra_antall": pl.Int64,
    "til_antall": pl.Int64,
    "fra_skalapoeng": pl.Float64,
    "til_skalapoeng": pl.Float64,
    "endring": pl.Float64,
    "endring_lav": pl.Float64,
    "endring_hoy": pl.Float64,
    "fra_mot_landet": pl.Float64,
    "til_mot_landet": pl.Float64,
    "endring_mot_landet": pl.Float64,
    "endring_mot_landet_lav": pl.Float64,
    "endring_mot_landet_hoy": pl.Float64,
    "flagg": pl.String,
    "fra_mot_kommune": pl.Float64,
    "til_mot_kommune": pl.Float64,
    "endring_mot_kommune": pl.Float64,
    "sammenligning": pl.String,
}
PAIRED_SCHEMA: Final = {
    "til_aar": pl.String,
    "fra_trinn": pl.Int16,
    "til_trinn": pl.Int16,
    "prove": pl.String,
    "enhet_id": pl.String,
    "gruppe": pl.String,
    "status": pl.String,
    "antall": pl.Int64,
    "endring": pl.Float64,
    "endring_lav": pl.Float64,
    "endring_hoy": pl.Float64,
    "andel_opp": pl.Float64,
    "andel_samme": pl.Float64,
    "andel_ned": pl.Float64,
    "usikkerhet_kilde": pl.String,
}
VALUE_ADDED_SCHEMA: Final = {
    "til_aar": pl.String,
    "fra_trinn": pl.Int16,
    "til_trinn": pl.Int16,
    "prove": pl.String,
    "kommunenr": pl.String,
    "enhet_id": pl.String,
    "antall": pl.Int64,
    "restledd": pl.Float64,
    "restledd_lav": pl.Float64,
    "restledd_hoy": pl.Float64,
    "krympet": pl.Float64,
    "krympet_lav": pl.Float64,
    "krympet_hoy": pl.Float64,
    "flagg": pl.String,
    "usikkerhet_kilde": pl.String,
    "stigning": pl.Float64,
    "konstant": pl.Float64,
    "metode": pl.String,
}
TREND_SCHEMA: Final = {
    "enhet_id": pl.String,
    "trinn": pl.Int16,
    "prove": pl.String,
    "skoleaar": pl.String,
    "status": pl.String,
    "antall": pl.Int64,
    "skalapoeng": pl.Float64,
    "lav": pl.Float64,
    "hoy": pl.Float64,
    "usikkerhet_kilde": pl.String,
    "landet": pl.Float64,
    "serie": pl.Int32,
    "brudd_for": pl.String,
}


def _end_variance(frame: pl.DataFrame, unc: Uncertainty, end: str) -> pl.Series:
    """Variance of each row's published mean at one end (``fra``/``til``) about the unit's
    lasting level: the class model of that trinn, Udir's uncertainty, the rounding."""
    one_end = frame.select(
        "kommunenr",
        "prove",
        trinn=pl.col(f"{end}_trinn"),
        antall=pl.col(f"{end}_antall"),
        _value=pl.col(f"{end}_skalapoeng"),
        _half=pl.col(f"{end}_usikkerhet"),
    )
    published = with_published_variance(
        with_models(one_end, unc),
        unc,
        half_width=pl.col("_half"),
        rounding=rounding_of("_value"),
    )
    return published["var_utvalg"] + published["var_avrunding"]


def _nation(unc: Uncertainty, end: str) -> pl.Expr:
    """The variance of the nation's published mean at one end: Udir's uncertainty (none for
    tens of thousands of pupils) and the rounding."""
    half = pl.col(f"{end}_landet_usikkerhet")
    spread = (
        pl.when(half.is_not_null() & (half != 0))
        .then(divided_by(half, stats.Z95) ** 2)
        .otherwise(pl.lit(0.0))
    )
    if unc.independent:
        return spread
    return spread + rounding_of(f"{end}_landet")


def cohort(store: Store, filters: Filters, min_group: int) -> pl.DataFrame:
    """Published results of the same cohort at two trinn (school and kommune rows).

    Each end's variance includes the class component and Udir's rounding; the two ends are
    taken as independent, which is cautious (mostly the same pupils: their own level cancels).
    """
    params = own_kommune_params(store, filters, "aar", "prove", "kommune", "skole")
    frame = run_query(store, "progresjon_kull", params)
    frame = frame.filter((pl.col("fra_antall") >= min_group) & (pl.col("til_antall") >= min_group))
    if filters.skole is not None:
        frame = frame.filter(pl.col("enhet_id") == filters.skole)
    if frame.is_empty():
        return pl.DataFrame(schema=COHORT_SCHEMA)
    unc = uncertainty(store, filters)
    frame = frame.with_columns(
        _var_from=_end_variance(frame, unc, "fra"), _var_to=_end_variance(frame, unc, "til")
    )
    ends = pl.col("_var_from") + pl.col("_var_to")
    same_scale = pl.col("fra_trinn") == 8
    change = pl.when(same_scale).then(pl.col("til_skalapoeng") - pl.col("fra_skalapoeng"))
    before = pl.col("fra_skalapoeng") - pl.col("fra_landet")
    after = pl.col("til_skalapoeng") - pl.col("til_landet")
    with_nation = pl.col("fra_landet").is_not_null() & pl.col("til_landet").is_not_null()
    with_kommune = pl.col("fra_kommune").is_not_null() & pl.col("til_kommune").is_not_null()
    frame = frame.with_columns(
        endring=change,
        _se=ends.sqrt(),
        _relative=pl.when(with_nation).then(after - before),
        _relative_se=(ends + _nation(unc, "fra") + _nation(unc, "til")).sqrt(),
    )
    relative, relative_se = pl.col("_relative"), pl.col("_relative_se")
    low = relative - stats.Z95 * relative_se
    high = relative + stats.Z95 * relative_se
    # the school is inside its kommune at both ends: shown as a position, not flagged
    before_k = pl.col("fra_skalapoeng") - pl.col("fra_kommune")
    after_k = pl.col("til_skalapoeng") - pl.col("til_kommune")
    frame = frame.with_columns(
        endring_lav=pl.col("endring") - stats.Z95 * pl.col("_se"),
        endring_hoy=pl.col("endring") + stats.Z95 * pl.col("_se"),
        fra_mot_landet=pl.when(with_nation).then(before),
        til_mot_landet=pl.when(with_nation).then(after),
        endring_mot_landet=relative,
        endring_mot_landet_lav=low,
        endring_mot_landet_hoy=high,
        flagg=flag(low, high, relative.is_not_null()),
        fra_mot_kommune=pl.when(with_kommune).then(before_k),
        til_mot_kommune=pl.when(with_kommune).then(after_k),
        endring_mot_kommune=pl.when(with_kommune).then(after_k - before_k),
        sammenligning=pl.when(same_scale)
        .then(pl.lit("samme skala (8. til 9. trinn)"))
        .otherwise(pl.lit("posisjon mot landet (ulike skalaer)")),
    )
    return in_schema(frame, COHORT_SCHEMA)


_CELL: Final = ["til_aar", "fra_trinn", "til_trinn", "prove", "kommunenr"]
_CLASS_KEYS: Final = [*_CELL, "skole", "klynge"]


def _classes(store: Store, filters: Filters, *, scoped: bool = True) -> pl.DataFrame:
    """Pupil pairs summed per class (``queries/progresjon_klasser.sql``): n, mean change
    (``snitt``), its sum of squares, level moves and the variance of the earlier score, per
    cell, school the pairs count for (``skole``) and class (``klynge``), in the order of
    :data:`_CLASS_KEYS` (nulls first).

    8 -> 9 is counted at the school the pupils are in, clustered by their 9. trinn class;
    5 -> 8 at the school they came from, clustered by their 5. trinn class. For 8 -> 9 the
    change is in scale points; for 5 -> 8 (different scales) it is the change in position against
    the kommune's pupils on each test. Summed in SQL and shared by ``elever`` and
    ``verdiskaping`` (one query per run), so no pupil pair is shipped to Python. With
    ``filters.skole`` (``scoped``) only the kommuner where the school's pupils are counted are
    read, each whole.
    """
    params = filters.params("aar", "prove", "kommune") | {"skole": None}
    if scoped and filters.skole is not None and filters.kommune is None:
        params["skole"] = filters.skole  # whole kommuner: those the school's pupils count in
    classes: pl.DataFrame = memo(
        store,
        ("pair_classes", *params.values()),
        lambda: run_query(store, "progresjon_klasser", params).sort(_CLASS_KEYS),
    )
    return classes


def _pooled(classes: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """n, mean and sum of squares of the change (and level moves) per ``keys``, pooled from the
    classes with exactly rounded sums (so any order gives the same bytes), and the effective
    class size of the known classes (``_gs``, null without any), sorted by ``keys`` (nulls
    first)."""
    n = pl.col("antall")
    known = pl.col("klynge") != NO_GROUP
    counts = classes.group_by(keys).agg(
        pl.col("opp", "samme", "ned", "med_niva").sum(),
        _known=n.filter(known).sum(),
        _known_squares=(n * n).filter(known).sum(),
    )
    sums = pooled_means(classes, keys, _within=pl.col("kvadratsum"))
    return (
        join_keeping_nulls(sums, counts, keys)
        .with_columns(
            antall=pl.col("_n"),
            snitt=pl.col("_mean"),
            kvadratsum=pl.col("_within") + pl.col("_between"),
            _gs=pl.when(pl.col("_known") > 0).then(pl.col("_known_squares") / pl.col("_known")),
        )
        .select(*keys, "antall", "snitt", "kvadratsum", "opp", "samme", "ned", "med_niva", "_gs")
        .sort(keys, nulls_last=False)
    )


@dataclass(frozen=True)
class _Cluster:
    """One school's change over its classes: pooled n, mean, SD and effective class size."""

    n: int
    mean: float
    ss: float
    group_size: float | None

    @property
    def variance(self) -> float:
        return self.ss / (self.n - 1) if self.n > 1 else 0.0


def _gain_models(
    store: Store, filters: Filters, classes: pl.DataFrame, unc: Uncertainty
) -> dict[tuple[str | None, int], ClassModel]:
    """The class share of the change's variance per kommune and transition (all years and tests
    pooled; blocks = school × year × test), else over the whole database, else derived from the
    default class share of the scores (a new class effect in each of the two years). Once per
    run: ``elever`` and ``verdiskaping`` share them."""
    if unc.independent:
        return {}
    params = filters.params("aar", "prove", "kommune", "skole").values()
    key = ("gain_models", *params, unc.default_icc, unc.default_group_size)

    def make() -> dict[tuple[str | None, int], ClassModel]:
        if filters.kommune is None and filters.skole is None:
            # ``classes`` are then every kommune's: the models of the whole database, which
            # are kept beside it (0.2 s nationally, in each of ``elever`` and ``verdiskaping``)
            return _every_gain_model(store, filters, unc)
        models, complete = _make_gain_models(classes, unc)
        if not complete and filters.skole is not None and filters.kommune is None:
            # a kommune without enough classes of its own takes the model of all pupil data:
            # that needs every kommune's classes (as the whole run has them, and kept beside
            # the database for the next command), but only the school's kommuner's own models
            wanted = set(classes["kommunenr"].to_list())
            models = {
                key: model
                for key, model in _every_gain_model(store, filters, unc).items()
                if key[0] is None or key[0] in wanted
            }
        return models

    models: dict[tuple[str | None, int], ClassModel] = memo(store, key, make)
    return models


def _every_gain_model(
    store: Store, filters: Filters, unc: Uncertainty
) -> dict[tuple[str | None, int], ClassModel]:
    """:func:`_make_gain_models` over every kommune's classes, once per state of the database
    (tallkit.planlager): the one part of a school's progression that reads the whole country."""
    from tallkit import planlager

    def make() -> dict[tuple[str | None, int], ClassModel]:
        return _make_gain_models(_classes(store, filters, scoped=False), unc)[0]

    def decode(content: Any) -> dict[tuple[str | None, int], ClassModel]:
        models = models_from_json(content, 2)
        if not all(isinstance(k, str | None) and isinstance(t, int) for k, t in models):
            raise ValueError("not a gain model")
        return models

    key = (*filters.params("aar", "prove").values(), unc.default_icc, unc.default_group_size)
    found: dict[tuple[str | None, int], ClassModel] = planlager.remembered(
        store, "gevinstmodeller", key, make, models_to_json, decode
    )
    return found


def _make_gain_models(
    classes: pl.DataFrame, unc: Uncertainty, kommuner: set[str | None] | None = None
) -> tuple[dict[tuple[str | None, int], ClassModel], bool]:
    """The models from ``classes`` (own models for ``kommuner``, None: all), and whether every
    kommune had enough classes of its own (else the model over all of ``classes`` stands in).
    Blocks are school × year × test, groups the classes (``klynge``); the sums column-wise
    (:func:`usikkerhet.class_models_of`)."""
    block = ("skole", "til_aar", "prove")
    everyone = class_models_of(classes, ["fra_trinn"], SOURCE_ALL, block, group="klynge")
    own = class_models_of(
        classes, ["kommunenr", "fra_trinn"], SOURCE_OWN, block, MIN_DF_OWN, group="klynge"
    )
    models: dict[tuple[str | None, int], ClassModel] = {}
    complete = True
    for (trinn,) in classes.select("fra_trinn").unique(maintain_order=True).iter_rows():
        found = everyone.get((trinn,))
        if found is None:
            rows = classes.filter(pl.col("fra_trinn") == trinn).to_dicts()
            pooled = _pool(rows)
            # 2·ρ·σ²(score) of class variance in a change of variance σ²(change)
            change_var = pooled.variance
            share = (
                min(1.0, 2 * unc.default_icc * _score_variance(rows) / change_var)
                if change_var > 0
                else 0.0
            )
            found = ClassModel(share, unc.default_group_size, SOURCE_DEFAULT)
        models[(None, trinn)] = found
    pairs = classes.select("kommunenr", "fra_trinn").unique(maintain_order=True)
    for kommune, trinn in pairs.iter_rows():
        if kommuner is not None and kommune not in kommuner:
            continue
        model = own.get((kommune, trinn))
        models[(kommune, trinn)] = model or models[(None, trinn)]
        complete = complete and model is not None
    return models, complete


def _pool(classes: list[dict[str, Any]]) -> _Cluster:
    n = sum(c["antall"] for c in classes)
    mean = math.fsum(c["antall"] * c["snitt"] for c in classes) / n
    ss = math.fsum(c["kvadratsum"] + c["antall"] * (c["snitt"] - mean) ** 2 for c in classes)
    known = [c["antall"] for c in classes if c["klynge"] != NO_GROUP]
    return _Cluster(n, mean, ss, stats.effective_group_size(known) if known else None)


def _score_variance(rows: list[dict[str, Any]]) -> float:
    """The pupils' score variance at the start, for the default class share of a change."""
    n: int = sum(r["antall"] for r in rows)
    return math.fsum(float(r["fra_varians"]) * r["antall"] for r in rows) / n


def _model(
    models: dict[tuple[str | None, int], ClassModel], kommune: str | None, trinn: int
) -> ClassModel:
    from tallkit.analyses.usikkerhet import INDEPENDENT

    return models.get((kommune, trinn)) or models.get((None, trinn)) or INDEPENDENT


def paired(store: Store, filters: Filters, min_group: int) -> pl.DataFrame:
    """Mean paired change per school (gruppe ``alle``) and group, with level transitions.

    For 8 -> 9 (same scale) the change is in scale points; for 5 -> 8 it is the change in
    position against the pupils' own kommune mean on each test, since the scales differ. The
    interval carries the class component: pupils of one class share that year's class effect.
    A school under the minimum shows neither itself nor its groups; among its groups, enough
    are hidden that none can be worked out from the school's total (complementary suppression).
    """
    classes = _classes(store, filters)
    if classes.is_empty():
        return frame_of([], PAIRED_SCHEMA)
    unc = uncertainty_defaults(filters)  # the gain models are estimated here
    models = _gain_models(store, filters, classes, unc)
    if filters.skole is not None:
        # the models above use every class; the rows only the school's own
        classes = classes.filter(pl.col("skole") == filters.skole)
    keys = ["til_aar", "fra_trinn", "til_trinn", "prove", "skole"]
    n = pl.col("antall")
    # the school's own classes give its effective class size (_own_gs, null without any)
    schools = (
        _pooled(classes, [*keys, "kommunenr"])
        .rename({"_gs": "_own_gs"})
        .with_row_index("_s")
        .with_columns(gruppe=pl.lit("alle"), _o=pl.lit(0, dtype=pl.UInt32), _hidden=n < min_group)
    )
    shown = schools.filter(~pl.col("_hidden")).select(*keys, "kommunenr", "_s")
    groups = (
        _pooled(classes, [*keys, "gruppe"])
        .filter(pl.col("gruppe").ne_missing("alle"))
        .drop("_gs")
        .join(shown, on=keys, how="inner")
        # in each school: by the group's name as text, which its suppression counts in
        .sort("_s", pl.col("gruppe").cast(pl.String).fill_null("None"))
        .with_columns(_o=pl.int_range(1, pl.len() + 1, dtype=pl.UInt32).over("_s"))
    )
    groups = groups.with_columns(_hidden=complementary_suppression(groups, ["_s"], min_group))
    rows = pl.concat(
        [schools, groups.with_columns(_own_gs=n.cast(pl.Float64))], how="diagonal_relaxed"
    ).with_columns(_df=n - 1)
    rows = join_keeping_nulls(rows, _gain_model_table(rows, models), ["kommunenr", "fra_trinn"])
    rows = rows.join(_quantiles(rows["_df"]), on="_df", how="left")  # in order below
    sd = pl.when(n > 1).then((pl.col("kvadratsum") / (n - 1)).sqrt()).otherwise(pl.lit(0.0))
    half = pl.col("kvantil") * sd * (_design_effect(n, pl.col("_own_gs")) / n).sqrt()
    levels = pl.col("med_niva")
    visible = ~pl.col("_hidden")
    out = rows.sort("_s", "_o").select(
        "til_aar",
        "fra_trinn",
        "til_trinn",
        "prove",
        enhet_id=pl.col("skole"),
        gruppe=pl.col("gruppe"),
        status=pl.when(visible).then(pl.lit(OK)).otherwise(pl.lit(SUPPRESSED)),
        antall=pl.when(visible).then(n),
        endring=pl.when(visible).then(pl.col("snitt")),
        endring_lav=pl.when(visible).then(pl.col("snitt") - half),
        endring_hoy=pl.when(visible).then(pl.col("snitt") + half),
        andel_opp=pl.when(visible & (levels != 0)).then(pl.col("opp") / levels),
        andel_samme=pl.when(visible & (levels != 0)).then(pl.col("samme") / levels),
        andel_ned=pl.when(visible & (levels != 0)).then(pl.col("ned") / levels),
        usikkerhet_kilde=pl.when(visible).then(pl.lit("elevdata; ") + pl.col("_msrc")),
    )
    # suppression across tables (skjerming.py)
    return skjerming.elever_frame(
        in_schema(out, PAIRED_SCHEMA),
        suppression_plan(store, min_group, scope_kommune(store, filters)),
        SUPPRESSED,
    )


def _gain_model_table(
    rows: pl.DataFrame, models: dict[tuple[str | None, int], ClassModel]
) -> pl.DataFrame:
    """:func:`_model` for each kommune and transition in ``rows``: ``_icc``, ``_gs`` and the
    model's own label ``_msrc``."""
    keys = rows.select("kommunenr", "fra_trinn").unique(maintain_order=True)
    found = [_model(models, k, t) for k, t in keys.iter_rows()]
    return keys.with_columns(
        _icc=pl.Series([m.icc for m in found], dtype=pl.Float64),
        _gs=pl.Series([m.group_size for m in found], dtype=pl.Float64),
        _msrc=pl.Series([m.source for m in found], dtype=pl.String),
    )


def value_added(store: Store, filters: Filters, min_group: int) -> pl.DataFrame:
    """The school's mean gain minus its kommune's, per transition, year and test.

    Part–whole: the school is inside the kommune's mean, so the difference is (1 − w)(school −
    rest) and its variance uses the rest's own pupils; both carry the class component. A school
    that is the whole kommune has nothing to be compared with and gets no row.
    """
    classes = _classes(store, filters)
    if classes.is_empty():
        return frame_of([], VALUE_ADDED_SCHEMA)
    unc = uncertainty_defaults(filters)  # the gain models are estimated here
    models = _gain_models(store, filters, classes, unc)
    if filters.skole is not None:
        # a school is compared with every school of its cells, shown alone
        cells = classes.filter(pl.col("skole") == filters.skole).select(_CELL).unique()
        classes = join_keeping_nulls(classes, cells, _CELL).sort(_CLASS_KEYS, nulls_last=False)
    n = pl.col("antall")
    # every school of every cell pooled at once, in the cells' order and by school within one
    schools = (
        _pooled(classes, [*_CELL, "skole"])
        .rename({"_gs": "_own_gs"})
        .with_columns(_cell=pl.struct(_CELL).rle_id())
    )
    # a Series from the frame's own rows, attached before any join may reorder them
    schools = schools.with_columns(_rest_ss=_sums_of_the_others(schools, "_cell", "kvadratsum"))
    schools = (
        schools.join(exact_sums(schools, ["_cell"], _nm=n * pl.col("snitt")), on="_cell")
        .with_columns(_n_all=n.sum().over("_cell"), _k=pl.len().over("_cell"))
        # 5. -> 8. trinn: the pairs are centred on the kommune's own pairs in SQL
        # (progresjon_klasser.sql), so its mean is 0 by construction; the division would
        # leave rounding noise (-7.6e-17) in «konstant» and every «restledd»
        .with_columns(
            _kommune_mean=pl.when(pl.col("fra_trinn") == 5)
            .then(pl.lit(0.0))
            .otherwise(pl.col("_nm") / pl.col("_n_all"))
        )
    )
    schools = join_keeping_nulls(
        schools, _gain_model_table(schools, models), ["kommunenr", "fra_trinn"]
    )
    shown = schools.filter((n >= min_group) & (n < pl.col("_n_all"))).sort("_cell", "skole")
    rest_n = pl.col("_n_all") - n
    # sampling variance within the rest's schools (their lasting growth is part of the
    # kommune's, not noise), with the class component
    within = pl.col("_rest_ss") / pl.max_horizontal(rest_n - (pl.col("_k") - 1), pl.lit(1))
    rest_var = within * _design_effect(rest_n, None) / rest_n
    variance = pl.when(n > 1).then(pl.col("kvadratsum") / (n - 1)).otherwise(pl.lit(0.0))
    own_var = variance * _design_effect(n, pl.col("_own_gs")) / n
    weight = n / pl.col("_n_all")
    se = (squared(1.0 - weight) * (own_var + rest_var) + 0.0).sqrt()  # part_whole_difference_se
    shown = shown.with_columns(_value=pl.col("snitt") - pl.col("_kommune_mean"), _se=se)
    shown = _shrunk(
        shown.with_columns(_v=pl.max_horizontal(squared(pl.col("_se")), pl.lit(1e-9))),
        "_value",
        "_v",
        ["_cell"],
    ).with_columns(_units=pl.len().over("_cell"))
    if filters.skole is not None:
        shown = shown.filter(pl.col("skole") == filters.skole)
    value, value_se = pl.col("_value"), pl.col("_se")
    several = pl.col("_units") > 1
    estimate = pl.when(several).then(pl.col("_estimate")).otherwise(value)
    estimate_se = pl.when(several).then(pl.col("_estimate_se")).otherwise(value_se)
    low, high = value - stats.Z95 * value_se, value + stats.Z95 * value_se
    out = shown.select(
        *_CELL,
        enhet_id=pl.col("skole"),
        antall=n,
        restledd=value,
        restledd_lav=low,
        restledd_hoy=high,
        krympet=estimate,
        krympet_lav=estimate - stats.Z95 * estimate_se,
        krympet_hoy=estimate + stats.Z95 * estimate_se,
        flagg=flag(low, high),
        usikkerhet_kilde=pl.lit("elevdata; ") + pl.col("_msrc"),
        stigning=pl.lit(1.0),
        konstant=pl.col("_kommune_mean"),
        metode=pl.lit(VALUE_ADDED_METHOD),
    )
    # suppression across tables (skjerming.py)
    return skjerming.verdiskaping_frame(
        in_schema(out, VALUE_ADDED_SCHEMA),
        suppression_plan(store, min_group, scope_kommune(store, filters)),
    )


def _sums_of_the_others(frame: pl.DataFrame, group: str, column: str) -> pl.Series:
    """For each row, ``math.fsum`` of ``column`` over the other rows of its ``group``, exactly
    rounded as fsum rounds: every float is a whole multiple of 2⁻¹⁰⁷⁴, so the sums are taken
    exactly in Python integers and rounded once (int / int is correctly rounded). A group's
    total minus the row's own float would be rounded twice."""
    scale = 1074
    exact = []
    for value in frame[column].cast(pl.Float64).fill_null(0.0).to_list():
        numerator, denominator = value.as_integer_ratio()
        exact.append(numerator << (scale - denominator.bit_length() + 1))
    ids = frame[group].to_list()
    totals: dict[int, int] = {}
    for key, value in zip(ids, exact, strict=True):
        totals[key] = totals.get(key, 0) + value
    unit = 1 << scale
    return pl.Series(
        [(totals[key] - value) / unit for key, value in zip(ids, exact, strict=True)],
        dtype=pl.Float64,
    )


def trend(store: Store, filters: Filters, min_group: int) -> pl.DataFrame:
    """A unit's published results over the years, split into series at every break."""
    frame = run_query(
        store, "progresjon_trend", filters.params("trinn", "prove", "kommune", "skole")
    )
    if frame.is_empty():
        return pl.DataFrame(schema=TREND_SCHEMA)
    unc = uncertainty(store, filters)
    unit = ["enhet_id", "trinn", "prove"]
    frame = (
        frame.with_row_index("_rad")
        .with_columns(_first=pl.col("_rad").min().over(unit))
        .sort("_first", "skoleaar", "_rad")  # each unit's years in order, units as found
        .with_columns(_previous=pl.col("skoleaar").shift(1).over(unit))
    )
    crossed = _breaks_crossed(frame.select("_previous", "skoleaar", "nivaa").unique())
    frame = frame.join(crossed, on=["_previous", "skoleaar", "nivaa"], how="left")
    frame = frame.sort("_first", "skoleaar", "_rad").with_columns(
        serie=(1 + pl.col("brudd_for").is_not_null().cast(pl.Int32).cum_sum().over(unit))
    )
    value, n = pl.col("skalapoeng"), pl.col("antall")
    hidden = (pl.col("status") != OK) | value.is_null() | (n.fill_null(0) < min_group)
    frame = with_published_variance(
        with_models(frame, unc),
        unc,
        half_width=pl.col("usikkerhet"),
        rounding=rounding_of("skalapoeng"),
    ).with_columns(_se=(pl.col("var_utvalg") + pl.col("var_avrunding")).sqrt())
    shown = {
        "antall": n,
        "skalapoeng": value,
        "lav": value - stats.Z95 * pl.col("_se"),
        "hoy": value + stats.Z95 * pl.col("_se"),
        "usikkerhet_kilde": pl.col("usikkerhet_kilde"),
    }
    return in_schema(
        frame.with_columns(
            status=pl.when(~hidden)
            .then(pl.lit(OK))
            .when(pl.col("status") != MISSING)
            .then(pl.lit(SUPPRESSED))
            .otherwise(pl.lit(MISSING)),
            **{name: pl.when(hidden).then(None).otherwise(expr) for name, expr in shown.items()},
        ),
        TREND_SCHEMA,
    )


def _breaks_crossed(steps: pl.DataFrame) -> pl.DataFrame:
    """For each step from one year to the next (``_previous`` → ``skoleaar``) of a unit at
    ``nivaa``: the breaks it crosses, in words (``brudd_for``; null for none). A school keeps
    its number through kommune and fylke reforms."""
    texts = []
    for previous, year, level in steps.iter_rows():
        crossed = (
            []
            if previous is None
            else [
                b.text
                for b in breaks_between("np", previous, year)
                if b.domain == "np" or (level != "skole" and level in b.levels)
            ]
        )
        texts.append(" ".join(crossed) or None)
    return steps.with_columns(brudd_for=pl.Series(texts, dtype=pl.String))


def _ending_on_trinn(run: Analysis) -> Analysis:
    """The same analysis, keeping only progressions that end on --trinn (for 8->9, trinn 9)."""

    def filtered(store: Store, filters: Filters, min_group: int) -> pl.DataFrame:
        result = run(store, filters, min_group)
        if filters.trinn is None:
            return result
        return result.filter(pl.col("til_trinn") == filters.trinn)

    return filtered


PARTS: Final[dict[str, Analysis]] = {
    "kull": _ending_on_trinn(cohort),
    "elever": _ending_on_trinn(paired),
    "verdiskaping": _ending_on_trinn(value_added),
    "trend": trend,
}
