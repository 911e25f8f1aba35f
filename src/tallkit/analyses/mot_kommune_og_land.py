"""Every school against its kommune and the nation, one method for all, column-wise.

``fag --del prover``, ``fag --del profil``, ``variasjon --del skoler``/``spredning`` and the
Læringsspeil all read their verdict from :func:`compare_frame`, so no two places can disagree
about the same comparison. It is the formulas of :mod:`tallkit.stats` and
:mod:`tallkit.analyses.usikkerhet` written as polars expressions over all schools at once:
a national database has 60,000 school rows, and the same arithmetic one Python object at a
time cost 1-2 s per analysis (issue 12). ``tests/test_kolonnevis.py`` holds every column
against the scalar functions, row by row.

Against the kommune the school is part of the whole: the difference is (1 − w)(school −
rest), whose variance uses the rest of the kommune's own n (pupil SD, design effect), so a
school that is most of its kommune keeps an honest, non-zero interval. A kommune with no other
pupils is not compared with itself; the nation still is.

The columns added to the school rows (``skoleresultater`` with rounding):

- ``var_utvalg``, ``var_avrunding``, ``se``, ``usikkerhet_kilde``: the school mean's variance
  (:meth:`Uncertainty.published`), ``design_effekt`` the class model's factor at its n.
- ``elev_sd``/``elev_sd_kilde`` of the cell (:func:`pupil_sd` of its schools), written as
  ``sigma``/``sigma_kilde`` so the school's own pupil SD (``elev_sd``) stays.
- ``referanse_kilde``, ``vekt``, ``rest_var``, ``del_avrunding``, ``utenfor_avrunding``: the
  part–whole terms (:class:`Compared`'s); ``k_*`` the difference to the kommune, null where
  there is none; ``l_*`` the difference to the nation, null without the nation's mean.
- ``kvantil``: t(n − 1)'s 97.5 % quantile for both differences (z below 2 pupils).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import polars as pl

from tallkit import stats
from tallkit.analyses.kolonner import divided_by, exact_sums, flag
from tallkit.analyses.usikkerhet import (
    INDEPENDENT,
    NATIONAL_SD,
    ROUNDING_LABEL,
    ClassModel,
    Uncertainty,
)

SOURCE_PUBLISHED_KOMMUNE: Final = "kommunen (Udir)"
SOURCE_NO_REST: Final = "kommunen har ingen andre elever: bare sammenlignet med landet"
SOURCE_COMPUTED: Final = "beregnet fra skolene"
SOURCE_ALONE: Final = "ingen andre skoler i kommunen: bare sammenlignet med landet"


def _rounding(variance: str | pl.Expr, unc: Uncertainty) -> pl.Expr:
    """:meth:`Uncertainty.rounding` of a column."""
    if unc.independent:
        return pl.lit(0.0)
    return (pl.col(variance) if isinstance(variance, str) else variance).fill_null(0.0)


def _design_effect(n: pl.Expr, group_size: pl.Expr | None) -> pl.Expr:
    """:meth:`ClassModel.design_effect` with the model's ``_icc``/``_gs`` columns."""
    nf = n.cast(pl.Float64)
    fallback = pl.min_horizontal(nf, pl.col("_gs"))
    m = fallback if group_size is None else pl.coalesce(group_size, fallback)
    return 1.0 + (pl.max_horizontal(pl.lit(1.0), pl.min_horizontal(m, nf)) - 1.0) * pl.col("_icc")


def _base_variance(
    half_width: pl.Expr, pupil_sd: pl.Expr | None, pupil_n: pl.Expr | None, n: pl.Expr
) -> tuple[pl.Expr, pl.Expr]:
    """:meth:`Uncertainty.published`'s variance before the design effect, and its source."""
    udir = half_width.is_not_null() & (half_width > 0)
    national = NATIONAL_SD**2 / pl.max_horizontal(n, pl.lit(1)).cast(pl.Float64)
    if pupil_sd is None or pupil_n is None:  # a mean without pupil data (the nation's, a trend)
        pupil_sd, pupil_n = pl.lit(None, dtype=pl.Float64), pl.lit(None, dtype=pl.Int64)
    pupils = pupil_sd.is_not_null() & pupil_n.is_not_null() & (pupil_n != 0)
    value = (
        pl.when(udir)
        .then(divided_by(half_width, stats.Z95) ** 2)
        .when(pupils)
        .then(pupil_sd**2 / pupil_n)
        .otherwise(national)
    )
    source = (
        pl.when(udir)
        .then(pl.lit("udir"))
        .when(pupils)
        .then(pl.lit("elevdata"))
        .otherwise(pl.lit("tilnærming (nasjonalt SD)"))
    )
    return value, source


def model_table(
    rows: pl.DataFrame, model_of: Callable[[str | None, int, str], ClassModel]
) -> pl.DataFrame:
    """The class model of each kommune, trinn and test in ``rows`` as ``model_of`` gives it,
    keyed by ``_kn`` (the kommune, "" for none), ``trinn`` and ``prove``: ``_icc``, ``_gs`` and
    ``_msrc`` (null for independent pupils, whose label has no class part)."""
    keys = rows.select("kommunenr", "trinn", "prove").unique(maintain_order=True)
    models = [model_of(k, t, p) for k, t, p in keys.iter_rows()]
    return keys.with_columns(
        _kn=pl.col("kommunenr").fill_null(""),
        _icc=pl.Series([m.icc for m in models], dtype=pl.Float64),
        _gs=pl.Series([m.group_size for m in models], dtype=pl.Float64),
        _msrc=pl.Series([None if m is INDEPENDENT else m.source for m in models], dtype=pl.String),
    ).drop("kommunenr")


def _quantiles(df: pl.Series) -> pl.DataFrame:
    """t(df)'s 97.5 % quantile for each df (z below 1), as :class:`Difference` takes it."""
    values = sorted(v for v in df.unique().to_list() if v is not None)
    return pl.DataFrame(
        {
            "_df": pl.Series(values, dtype=df.dtype),
            "kvantil": [stats.Z95 if v < 1 else stats.t_quantile(0.975, v) for v in values],
        }
    )


def _flag(value: str, se: str) -> pl.Expr:
    """:func:`stats.flag` with the row's quantile (null without a difference)."""
    low = pl.col(value) - pl.col("kvantil") * pl.col(se)
    high = pl.col(value) + pl.col("kvantil") * pl.col(se)
    return flag(low, high, pl.col(value).is_not_null())


def with_published_variance(
    frame: pl.DataFrame,
    unc: Uncertainty,
    *,
    half_width: pl.Expr,
    rounding: pl.Expr,
    pupil_sd: pl.Expr | None = None,
    pupil_n: pl.Expr | None = None,
    group_size: pl.Expr | None = None,
) -> pl.DataFrame:
    """:meth:`Uncertainty.published` for every row of ``frame`` (``antall`` pupils; the class
    model's ``_icc``, ``_gs``, ``_msrc`` joined by :func:`with_models`): ``design_effekt``,
    ``var_utvalg``, ``var_avrunding`` and ``usikkerhet_kilde``."""
    n = pl.col("antall")
    base, source = _base_variance(half_width, pupil_sd, pupil_n, n)
    label = (
        pl.when(pl.col("_msrc").is_null())
        .then(source)
        .otherwise(pl.concat_str(source, pl.lit("; "), pl.col("_msrc")))
    )
    frame = frame.with_columns(
        design_effekt=_design_effect(n, group_size),
        var_avrunding=pl.lit(0.0) if unc.independent else rounding,
        _base=base,
        _label=label,
    )
    return frame.with_columns(
        var_utvalg=pl.col("_base") * pl.col("design_effekt"),
        usikkerhet_kilde=pl.when(pl.col("var_avrunding") > 0)
        .then(pl.concat_str(pl.col("_label"), pl.lit(f"; {ROUNDING_LABEL}")))
        .otherwise(pl.col("_label")),
    ).drop("_base", "_label")


def with_models(frame: pl.DataFrame, unc: Uncertainty) -> pl.DataFrame:
    """``frame`` with the class model of its rows' kommune, trinn and test (``_icc``, ``_gs``,
    ``_msrc``) and ``_kn`` (the kommune, "" for none), in its own order."""
    return (
        frame.with_row_index("_modellrad")
        .with_columns(_kn=pl.col("kommunenr").fill_null(""))
        .join(model_table(frame, unc.model), on=["_kn", "trinn", "prove"], how="left")
        .sort("_modellrad")
        .drop("_modellrad")
    )


def compare_frame(rows: pl.DataFrame, unc: Uncertainty) -> pl.DataFrame:
    """Every school of ``rows`` against its kommune and the nation (see the module's text);
    rows in the order of their cells' first rows, each cell in its own order."""
    if rows.is_empty():
        return rows.with_columns(
            pl.lit(None, dtype=pl.Float64).alias(name) for name in FLOAT_COLUMNS
        ).with_columns(pl.lit(None, dtype=pl.String).alias(name) for name in STRING_COLUMNS)
    frame = with_models(rows.with_row_index("_rad"), unc)
    n = pl.col("antall")
    frame = with_published_variance(
        frame,
        unc,
        half_width=pl.col("usikkerhet"),
        pupil_sd=pl.col("elev_sd"),
        pupil_n=pl.col("elev_antall"),
        group_size=pl.col("elev_gruppestorrelse"),
        rounding=_rounding("avrunding", unc),
    )
    frame = frame.with_columns(var_total=pl.col("var_utvalg") + pl.col("var_avrunding"))
    frame = frame.with_columns(se=pl.col("var_total").sqrt(), _df=n - 1)
    frame = frame.join(_quantiles(frame["_df"]), on="_df", how="left")
    frame = _with_cell_sums(frame.sort("_rad"))
    frame = _against_kommune(frame, unc)
    frame = _against_nation(frame, unc)
    first_row = pl.col("_rad").min().over(KEY)
    return frame.sort(first_row, "_rad").drop(
        "_rad", "_kn", "_icc", "_gs", "_msrc", "_df", *_CELL_SUMS
    )


# the cell as grouped: kommunenr's nulls as "" (one cell, as a group of rows had them)
KEY: Final = ["skoleaar", "trinn", "prove", "_kn"]
_CELL_SUMS: Final = (
    "_pupils_num",
    "_pupils_den",
    "_udir_num",
    "_udir_den",
    "_a2v",
    "_nx",
    "_total",
    "_schools",
)


def _with_cell_sums(frame: pl.DataFrame) -> pl.DataFrame:
    """The cell's sums beside each of its rows (exact, :func:`exact_sums`), and its pupil SD
    (``sigma``, as :func:`analyses.pupil_sd`: pupil data, else Udir's uncertainty, else 10)."""
    n, half = pl.col("antall"), pl.col("usikkerhet")
    with_pupils = pl.col("elev_sd").is_not_null() & (pl.col("elev_antall").fill_null(0) > 1)
    with_udir = half.is_not_null() & (half > 0)
    sums = exact_sums(
        frame,
        KEY,
        _pupils_num=pl.when(with_pupils).then((pl.col("elev_antall") - 1) * pl.col("elev_sd") ** 2),
        _pupils_den=pl.when(with_pupils).then(pl.col("elev_antall") - 1),
        _udir_num=pl.when(with_udir).then((n - 1) * (divided_by(half, stats.Z95) ** 2 * n)),
        _udir_den=pl.when(with_udir).then(n - 1),
        # for the kommune mean computed from its schools: Σ n², weighted variances, Σ n·x
        _a2v=n.cast(pl.Float64) ** 2 * pl.col("var_total"),
        _nx=n * pl.col("skalapoeng"),
        _total=n,
    )
    counts = frame.group_by(KEY).agg(
        _schools=pl.len(), _any_pupils=with_pupils.any(), _any_udir=with_udir.any()
    )
    frame = frame.join(sums, on=KEY, how="left").join(counts, on=KEY, how="left")
    return (
        frame.with_columns(
            sigma=pl.when(pl.col("_any_pupils"))
            .then((pl.col("_pupils_num") / pl.col("_pupils_den")).sqrt())
            .when(pl.col("_any_udir"))
            .then((pl.col("_udir_num") / pl.col("_udir_den")).sqrt())
            .otherwise(pl.lit(NATIONAL_SD)),
            sigma_kilde=pl.when(pl.col("_any_pupils"))
            .then(pl.lit("elevdata"))
            .when(pl.col("_any_udir"))
            .then(pl.lit("udir (usikkerhet)"))
            .otherwise(pl.lit("tilnærming (nasjonalt SD)")),
        )
        .drop("_any_pupils", "_any_udir")
        .sort("_rad")
    )


def _against_kommune(frame: pl.DataFrame, unc: Uncertainty) -> pl.DataFrame:
    n = pl.col("antall")
    # the cell's published kommune numbers beside each row, once: as window expressions
    # repeated in every branch below they were grouped a dozen times (eager polars has no
    # common-subexpression elimination), 0.1 s of a national run
    frame = frame.with_columns(
        _k_n=pl.col("kommune_antall").first().over(KEY),
        _k_mean=pl.col("kommune_snitt").first().over(KEY),
        _k_rounding=pl.col("kommune_avrunding").first().over(KEY),
    )
    k_n = pl.col("_k_n")
    k_mean = pl.col("_k_mean")
    published = k_mean.is_not_null() & k_n.is_not_null() & (k_n != 0)
    total = pl.col("_total")
    rest_n = (k_n - n).cast(pl.Float64)
    rest_n_computed = total - n
    own_a2v = n.cast(pl.Float64) ** 2 * pl.col("var_total")
    has_rest = published & (rest_n > 0)
    computed = ~published & (pl.col("_schools") > 1)
    frame = frame.with_columns(
        referanse_kilde=pl.when(has_rest)
        .then(pl.lit(SOURCE_PUBLISHED_KOMMUNE))
        .when(published)
        .then(pl.lit(SOURCE_NO_REST))
        .when(computed)
        .then(pl.lit(SOURCE_COMPUTED))
        .otherwise(pl.lit(SOURCE_ALONE)),
        vekt=pl.when(has_rest).then(n / k_n).when(computed).then(n / total).otherwise(pl.lit(0.0)),
        rest_var=pl.when(has_rest)
        .then(pl.col("sigma") ** 2 * _design_effect(rest_n, None) / rest_n)
        .when(computed)
        # Σ over the other schools of (n_j / rest_n)² v_j
        .then((pl.col("_a2v") - own_a2v) / rest_n_computed**2)
        .otherwise(pl.lit(0.0)),
        del_avrunding=pl.when(computed).then(pl.col("var_avrunding")).otherwise(pl.lit(0.0)),
        utenfor_avrunding=pl.when(has_rest)
        .then(pl.col("var_avrunding") + _rounding(pl.col("_k_rounding"), unc))
        .otherwise(pl.lit(0.0)),
        k_referanse=pl.when(has_rest).then(k_mean).when(computed).then(pl.col("_nx") / total),
    )
    value = pl.col("skalapoeng") - pl.col("k_referanse")
    return (
        frame.with_columns(
            k_verdi=value,
            k_se=pl.when(value.is_not_null()).then(_part_whole_se(pl.col("var_utvalg"))),
        )
        .with_columns(
            k_lav=pl.col("k_verdi") - pl.col("kvantil") * pl.col("k_se"),
            k_hoy=pl.col("k_verdi") + pl.col("kvantil") * pl.col("k_se"),
            k_flagg=_flag("k_verdi", "k_se"),
        )
        .drop("_k_n", "_k_mean", "_k_rounding")
    )


def _part_whole_se(sampling: pl.Expr) -> pl.Expr:
    """:func:`stats.part_whole_difference_se` for a school mean of this sampling variance (its
    own for the interval, the chance-alone one for the funnel: :func:`expected_se`)."""
    part = sampling + pl.col("del_avrunding")
    return (
        (1.0 - pl.col("vekt")) ** 2 * (part + pl.col("rest_var")) + pl.col("utenfor_avrunding")
    ).sqrt()


def expected_se() -> pl.Expr:
    """The SE a school of this size would have against its kommune by chance alone: the
    funnel's width at its n (the cell's pupil SD, the class model's design effect)."""
    chance = pl.col("sigma") ** 2 * pl.col("design_effekt") / pl.col("antall")
    return _part_whole_se(chance)


def _against_nation(frame: pl.DataFrame, unc: Uncertainty) -> pl.DataFrame:
    nation_n = pl.col("land_antall")
    # Uncertainty.published for the nation's mean: its n, no pupil data, the class model
    n_or_1 = pl.when(nation_n.is_null() | (nation_n == 0)).then(pl.lit(1)).otherwise(nation_n)
    base, _ = _base_variance(pl.col("land_usikkerhet"), None, None, n_or_1)
    rounding = _rounding("land_avrunding", unc)
    only_rounding = pl.col("land_usikkerhet").is_null() & (nation_n.is_null() | (nation_n == 0))
    nation_var = (
        pl.when(only_rounding)  # tens of thousands of pupils: only the rounding counts
        .then(rounding)
        .otherwise(base * _design_effect(n_or_1, None) + rounding)
    )
    value = pl.col("skalapoeng") - pl.col("land_snitt")
    return frame.with_columns(
        l_verdi=value,
        l_se=pl.when(value.is_not_null()).then((pl.col("var_total") + nation_var).sqrt()),
    ).with_columns(
        l_lav=pl.col("l_verdi") - pl.col("kvantil") * pl.col("l_se"),
        l_hoy=pl.col("l_verdi") + pl.col("kvantil") * pl.col("l_se"),
        l_flagg=_flag("l_verdi", "l_se"),
    )


FLOAT_COLUMNS: Final = (
    "sigma",
    "design_effekt",
    "var_avrunding",
    "var_utvalg",
    "var_total",
    "se",
    "kvantil",
    "vekt",
    "rest_var",
    "del_avrunding",
    "utenfor_avrunding",
    "k_referanse",
    "k_verdi",
    "k_se",
    "k_lav",
    "k_hoy",
    "l_verdi",
    "l_se",
    "l_lav",
    "l_hoy",
)
STRING_COLUMNS: Final = (
    "sigma_kilde",
    "usikkerhet_kilde",
    "referanse_kilde",
    "k_flagg",
    "l_flagg",
)
