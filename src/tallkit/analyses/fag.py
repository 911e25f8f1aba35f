"""Cross-subject comparison (PRODUCT.md §4.2).

- ``prover``: each school's result per test against its kommune (part–whole corrected) and the
  nation, flagged ``over``/``under``/``ikke_sikker``.
- ``profil``: which test stands out relative to the school's other tests, beyond the uncertainty.
- ``sammenheng``: from pupil data, the correlation between tests and the pupils at the lowest
  mastery level in one test but not the other, or in both.
- ``indikatorer``: national tests beside Elevundersøkelsen and grunnskolepoeng for the same year.
"""

from __future__ import annotations

import math
from typing import Any, Final

import polars as pl

from tallkit import skjerming, stats
from tallkit.analyses import (
    Analysis,
    Filters,
    compared_in_scope,
    frame_of,
    in_schema,
    own_kommune_params,
    referanser,
    run_query,
    scope_kommune,
    suppression_plan,
    uncertainty,
    uncertainty_defaults,
)
from tallkit.analyses.kolonner import divided_by, exact_sums, flag, pooled_means
from tallkit.analyses.mot_kommune_og_land import model_table
from tallkit.analyses.usikkerhet import (
    NO_GROUP,
    ROUNDING_LABEL,
    ClassModel,
    Uncertainty,
    class_models_of,
    models_from_json,
    models_to_json,
)
from tallkit.formats.cells import MISSING, OK, SUPPRESSED
from tallkit.store import Store

# Higher is better for every indicator except bullying (a share of pupils bullied).
LOWER_IS_BETTER: Final = frozenset({"EUIndeks_1398"})
# Indicators published as a percentage of pupils (no SD in the export).
SHARE_INDICATORS: Final = frozenset({"EUIndeks_1398"})

TEST_SCHEMA: Final = {
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
    "kommune": pl.Float64,
    "mot_kommune": pl.Float64,
    "mot_kommune_lav": pl.Float64,
    "mot_kommune_hoy": pl.Float64,
    "flagg_kommune": pl.String,
    "landet": pl.Float64,
    "mot_landet": pl.Float64,
    "mot_landet_lav": pl.Float64,
    "mot_landet_hoy": pl.Float64,
    "flagg_landet": pl.String,
    **referanser.COLUMNS,
}
PROFILE_SCHEMA: Final = {
    "skoleaar": pl.String,
    "aar_slatt_sammen": pl.Int32,
    "trinn": pl.Int16,
    "enhet_id": pl.String,
    "navn": pl.String,
    "prove": pl.String,
    "antall": pl.Int64,
    "mot_landet": pl.Float64,
    "profil": pl.Float64,
    "profil_lav": pl.Float64,
    "profil_hoy": pl.Float64,
    "flagg": pl.String,
    "usikkerhet_kilde": pl.String,
}
LINK_SCHEMA: Final = {
    "skoleaar": pl.String,
    "trinn": pl.Int16,
    "enhet_id": pl.String,
    "navn": pl.String,
    "prove_a": pl.String,
    "prove_b": pl.String,
    "antall": pl.Int64,
    "korrelasjon": pl.Float64,
    "korrelasjon_lav": pl.Float64,
    "korrelasjon_hoy": pl.Float64,
    "lav_bare_a": pl.Int64,
    "lav_bare_b": pl.Int64,
    "lav_begge": pl.Int64,
    "andel_lav_bare_a": pl.Float64,
    "andel_lav_bare_b": pl.Float64,
    "andel_lav_begge": pl.Float64,
}
INDICATOR_SCHEMA: Final = {
    "skoleaar": pl.String,
    "enhet_id": pl.String,
    "navn": pl.String,
    "kilde": pl.String,
    "trinn": pl.Int16,
    "indikator_kode": pl.String,
    "indikator": pl.String,
    "retning": pl.String,
    "status": pl.String,
    "antall": pl.Int64,
    "verdi": pl.Float64,
    "se": pl.Float64,
    "usikkerhet_kilde": pl.String,
    "kommune": pl.Float64,
    "landet": pl.Float64,
    "mot_landet": pl.Float64,
    "mot_landet_lav": pl.Float64,
    "mot_landet_hoy": pl.Float64,
    "flagg_landet": pl.String,
    **{k: v for k, v in referanser.COLUMNS.items() if k != "status"},
}


def _interval(diff: float, se: float) -> tuple[float, float, str]:
    return diff - stats.Z95 * se, diff + stats.Z95 * se, stats.flag(diff, se)


def by_test(store: Store, filters: Filters, min_group: int) -> pl.DataFrame:
    """Each test against the kommune (part–whole) and the nation; with ``filters.comparison``
    each year, trinn and test is followed by the comparison kommuner's rows (Udir's)."""
    frame = _compared(store, filters, min_group).select(
        "skoleaar",
        "aar_slatt_sammen",
        "trinn",
        "prove",
        "kommunenr",
        "enhet_id",
        "navn",
        "antall",
        "skalapoeng",
        "se",
        "usikkerhet_kilde",
        kommune=pl.col("kommune_snitt"),
        landet=pl.col("land_snitt"),
        mot_kommune=pl.col("k_verdi"),
        mot_kommune_lav=pl.col("k_lav"),
        mot_kommune_hoy=pl.col("k_hoy"),
        flagg_kommune=pl.col("k_flagg"),
        mot_landet=pl.col("l_verdi"),
        mot_landet_lav=pl.col("l_lav"),
        mot_landet_hoy=pl.col("l_hoy"),
        flagg_landet=pl.col("l_flagg"),
    )
    run = referanser.prepare(store, filters, min_group)

    def references(cell: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [] if run is None else _reference_test_rows(run, cell[0])

    keys = ("skoleaar", "trinn", "prove")
    return referanser.with_references_frame(frame, keys, references, run, TEST_SCHEMA)


def _reference_test_rows(run: referanser.Run, cell: dict[str, Any]) -> list[dict[str, Any]]:
    """The comparison kommuner's published results for one year, trinn and test: against the
    nation (Udir's row, as in the kommune report) and against the run's own kommune (two
    independent published means: the variance is the sum)."""
    names = ("mot_kommune", "mot_kommune_lav", "mot_kommune_hoy", "flagg_kommune")
    out = []
    for row, found, own in referanser.test_rows(run, cell, names):
        row |= {"kommune": None if own is None else own["verdi"], "landet": cell["landet"]}
        if found.value is not None and found.row is not None:
            published = found.row
            row |= {
                "landet": published["landet"],
                "mot_landet": published["mot_landet"],
                "mot_landet_lav": published["mot_landet_lav"],
                "mot_landet_hoy": published["mot_landet_hoy"],
                "flagg_landet": published["flagg_landet"],
            }
        out.append(row)
    return out


def _compared(store: Store, filters: Filters, min_group: int) -> pl.DataFrame:
    compared = compared_in_scope(store, filters, min_group)
    if filters.skole is None:
        return compared
    return compared.filter(pl.col("enhet_id") == filters.skole)


PROFILE_INDEPENDENT: Final = "uavhengige prøver (forsiktig: de samme elevene tar alle prøvene)"
PROFILE_PUPILS: Final = "elevdata: hver elevs prøver mot hverandre"


def profile(store: Store, filters: Filters, min_group: int) -> pl.DataFrame:
    """Per school, year and trinn: each test's distance to the nation minus the mean distance of
    the school's other tests.

    Where pupil data has the school's pupils on every test, the uncertainty is that of each
    pupil's own difference between the tests (the same pupils sit them all, so what they share
    cancels), clustered by class. Elsewhere the tests are taken as independent, which is
    cautious, and labelled so.
    """
    compared = _compared(store, filters, min_group).filter(pl.col("l_verdi").is_not_null())
    unc = uncertainty(store, filters)
    school = ["skoleaar", "trinn", "enhet_id"]
    if unc.independent:
        own_rounding = pl.lit(0.0)
    else:
        own_rounding = pl.col("avrunding").fill_null(0.0) + pl.col("land_avrunding").fill_null(0.0)
    frame = (
        compared.with_row_index("_rad")
        .with_columns(_k=pl.len().over(school), _r=own_rounding)
        .filter(pl.col("_k") >= 2)
    )
    columns = ("l_verdi", "_r", "var_utvalg")
    sums = exact_sums(frame, school, **{f"_all{name}": pl.col(name) for name in columns})
    frame = (
        frame.join(sums, on=school, how="left")
        .join(
            _pupil_profile_variances(store, filters, min_group),
            on=["skoleaar", "trinn", "enhet_id", "prove"],
            how="left",
        )
        .sort("_rad")
    )

    def others(column: str) -> pl.Expr:
        """The sum of a column over the school's other tests."""
        return pl.col(f"_all{column}") - pl.col(column)

    k_minus_1 = (pl.col("_k") - 1).cast(pl.Float64)
    # rounding of the school's and the nation's published means, own test and others
    rounding = pl.col("_r") + others("_r") / k_minus_1**2
    independent = pl.col("var_utvalg") + others("var_utvalg") / k_minus_1**2
    from_pupils = pl.col("_elevvarians").is_not_null() & (pl.col("aar_slatt_sammen") == 1)
    frame = frame.with_columns(
        profil=pl.col("l_verdi") - others("l_verdi") / k_minus_1,
        _var=pl.when(from_pupils).then(pl.col("_elevvarians")).otherwise(independent) + rounding,
        usikkerhet_kilde=pl.when(from_pupils)
        .then(pl.lit(PROFILE_PUPILS))
        .otherwise(pl.lit(PROFILE_INDEPENDENT)),
    ).with_columns(_se=pl.col("_var").sqrt())
    low = pl.col("profil") - stats.Z95 * pl.col("_se")
    high = pl.col("profil") + stats.Z95 * pl.col("_se")
    frame = frame.with_columns(
        profil_lav=low,
        profil_hoy=high,
        flagg=flag(low, high),
        mot_landet=pl.col("l_verdi"),
    )
    ordered = frame.sort(pl.col("_rad").min().over(school), "_rad")
    return in_schema(ordered, PROFILE_SCHEMA)


PUPIL_VARIANCE_SCHEMA: Final = {
    "skoleaar": pl.String,
    "trinn": pl.Int16,
    "enhet_id": pl.String,
    "prove": pl.String,
    "_elevvarians": pl.Float64,
}


def _pupil_profile_variances(store: Store, filters: Filters, min_group: int) -> pl.DataFrame:
    """Sampling variance of each school's profile from its pupils' own differences (d), per
    school, year, trinn and test (``_elevvarians``).

    The class share of d's variance is estimated per kommune, trinn and test over all years
    (blocks = school × year), else over the whole database, else the score model's.
    """
    empty = pl.DataFrame(schema=PUPIL_VARIANCE_SCHEMA)
    if filters.pool_years > 1:
        return empty
    # the class model is the kommune's: read the school's kommune, not the school alone
    kommune = filters.kommune if filters.skole is None else scope_kommune(store, filters)
    params = filters.params("aar", "trinn") | {"kommune": kommune, "skole": None}
    if kommune is None and filters.skole is not None:
        params["skole"] = filters.skole  # a school without a kommune: its own pupils
    rows = run_query(store, "fag_profil_elever", params)
    if rows.is_empty():
        return empty
    unc = uncertainty(store, filters)
    test = ["kommunenr", "trinn", "prove"]
    own = {} if unc.independent else _profile_class_models(store, filters, rows, test)
    models = model_table(rows, lambda k, t, p: own.get((k, t, p)) or unc.model(k, t, p))
    if filters.skole is not None:
        rows = rows.filter(pl.col("enhet_id") == filters.skole)
    n = pl.col("antall")
    grouped = pl.col("gruppe") != NO_GROUP
    school = ["skoleaar", "trinn", "enhet_id", "prove"]
    schools = (
        rows.group_by(school)
        .agg(
            _kn=pl.col("kommunenr").first().fill_null(""),
            _grouped=n.filter(grouped).sum(),
            _grouped_squares=(n * n).filter(grouped).sum(),
        )
        .join(pooled_means(rows, school, _within=pl.col("kvadratsum")), on=school)
        .filter(pl.col("_n") >= max(min_group, 2))
        .join(models, on=["_kn", "trinn", "prove"], how="left")
    )
    total = pl.col("_n").cast(pl.Float64)
    ss = pl.col("_within") + pl.col("_between")
    group_size = (
        pl.when(pl.col("_grouped") > 0)
        .then(pl.col("_grouped_squares") / pl.col("_grouped"))
        .otherwise(pl.min_horizontal(total, pl.col("_gs")))
    )
    m = pl.max_horizontal(pl.lit(1.0), pl.min_horizontal(group_size, total))
    design_effect = 1.0 + (m - 1.0) * pl.col("_icc")
    return schools.select(
        "skoleaar",
        "trinn",
        "enhet_id",
        "prove",
        _elevvarians=ss / (total - 1) / total * design_effect,
    )


def _profile_class_models(
    store: Store, filters: Filters, rows: pl.DataFrame, test: list[str]
) -> dict[tuple[Any, ...], ClassModel]:
    """The class share of the pupils' differences per kommune, trinn and test. Each kommune's
    model comes from its own rows, so a run over every kommune keeps them beside the database
    (tallkit.planlager) for the next such command, as the score models are: 0.3 s nationally."""
    from tallkit import planlager

    def make() -> dict[tuple[Any, ...], ClassModel]:
        return class_models_of(rows, test, "klasser: kommunens elevdata")

    if filters.kommune is not None or filters.skole is not None:
        return make()
    key = tuple(filters.params("aar", "trinn").values())
    found: dict[tuple[Any, ...], ClassModel] = planlager.remembered(
        store,
        "profilmodeller",
        key,
        make,
        models_to_json,
        lambda content: models_from_json(content, len(test)),
    )
    return found


def links(store: Store, filters: Filters, min_group: int) -> pl.DataFrame:
    """Pupil-level correlation between tests (Fisher z interval) and low-in-one/both counts;
    «low in only one» blanked where the cross-table plan hides it (skjerming.py)."""
    frame = run_query(store, "fag_sammenheng", filters.params("aar", "trinn", "kommune", "skole"))
    frame = frame.filter(pl.col("antall") >= min_group)
    n = pl.col("antall").cast(pl.Float64)
    sum_a, sum_b = pl.col("sum_a"), pl.col("sum_b")
    var_a = n * pl.col("sum_aa") - sum_a * sum_a
    var_b = n * pl.col("sum_bb") - sum_b * sum_b
    # Pearson's r from the exact sums (none when a test has no spread)
    frame = frame.with_columns(
        korrelasjon=pl.when((var_a > 0) & (var_b > 0)).then(
            (n * pl.col("sum_ab") - sum_a * sum_b) / (var_a * var_b).sqrt()
        )
    )
    r = pl.col("korrelasjon")
    interval = r.is_not_null() & (pl.col("antall") > 3) & (r.abs() < 1)
    half = stats.Z95 / (n - 3).sqrt()
    frame = frame.with_columns(
        korrelasjon_lav=pl.when(interval).then((r.arctanh() - half).tanh()),
        korrelasjon_hoy=pl.when(interval).then((r.arctanh() + half).tanh()),
        andel_lav_bare_a=pl.col("lav_bare_a") / pl.col("antall"),
        andel_lav_bare_b=pl.col("lav_bare_b") / pl.col("antall"),
        andel_lav_begge=pl.col("lav_begge") / pl.col("antall"),
    )
    # suppression across tables (skjerming.py)
    plan = suppression_plan(store, min_group, scope_kommune(store, filters))
    hidden = skjerming.hidden_rows(
        plan, "sammenheng", frame, ["enhet_id", "skoleaar", "trinn", "prove_a", "prove_b"]
    )
    frame = frame.with_columns(
        pl.when(hidden).then(None).otherwise(pl.col(name)).alias(name)
        for name in skjerming.LOW_IN_ONE
    )
    return in_schema(frame, LINK_SCHEMA)


def indicators(store: Store, filters: Filters, min_group: int) -> pl.DataFrame:
    """National tests, Elevundersøkelsen and grunnskolepoeng side by side per school and year;
    with ``filters.comparison`` each indicator and year is followed by the comparison
    kommuner's rows (Udir's, against the nation)."""
    rows = _indicator_rows(store, filters, min_group)
    run = referanser.prepare(store, filters, min_group)

    def references(cell: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [] if run is None else _reference_indicator_rows(run, cell[0])

    keys = ("skoleaar", "kilde", "trinn", "indikator_kode")
    return referanser.with_references_frame(rows, keys, references, run, INDICATOR_SCHEMA)


def _reference_indicator_rows(run: referanser.Run, cell: dict[str, Any]) -> list[dict[str, Any]]:
    """The comparison kommuner's published values for one indicator and year (Udir's rows,
    against the nation; ``kommune`` is the run's own kommune's value)."""
    key = (cell["kilde"], cell["indikator_kode"], cell["trinn"], cell["skoleaar"])
    own = run.own_row(*key)
    out = []
    for kommunenr in run.kommuner:
        found = run.references.find(kommunenr, *key)
        published = {k: v for k, v in (found.row or {}).items() if k in INDICATOR_SCHEMA}
        out.append(
            {
                **{k: cell[k] for k in ("skoleaar", "kilde", "trinn", "indikator_kode")},
                "indikator": cell["indikator"],
                "retning": cell["retning"],
                "landet": cell["landet"],
                **published,
                "enhet_id": kommunenr,
                "navn": found.navn,
                "kommune": None if own is None else own["verdi"],
                **referanser.reference_fields(found),
            }
        )
    return out


def _indicator_rows(store: Store, filters: Filters, min_group: int) -> pl.DataFrame:
    """Every school's indicators with their SE (:func:`_indicator_se`, column-wise: a national
    run has 250,000 rows) and the difference to the nation; hidden below ``min_group``."""
    params = own_kommune_params(store, filters, "aar", "kommune", "skole")
    frame = run_query(store, "fag_indikatorer", params)
    unc = uncertainty_defaults(filters)  # only its independent-pupils switch (the rounding)
    value, n = pl.col("verdi"), pl.col("antall")
    hidden = (pl.col("status") != OK) | value.is_null() | (n.fill_null(0) < min_group)
    known_n = n.is_not_null() & (n != 0)
    survey = pl.col("kilde") == "elevundersokelsen"
    share = (pl.col("indikator_kode").is_in(sorted(SHARE_INDICATORS))) & known_n
    share &= (value >= 0) & (value <= 100)
    base_se = (
        pl.when(pl.col("standardavvik").is_not_null() & known_n)
        .then(pl.col("standardavvik") / n.cast(pl.Float64).sqrt())
        .when(share)
        .then(100 * _share_se(divided_by(value, 100), n.cast(pl.Float64)))
    )
    base_source = (
        pl.when(pl.col("standardavvik").is_not_null() & known_n)
        .then(pl.lit("standardavvik og n"))
        .when(share)
        .then(pl.lit("andel og n (Agresti–Coull)"))
        .otherwise(pl.lit("ingen (eksporten oppgir ikke spredning)"))
    )
    rounding = _survey_rounding(value, survey, unc)
    udir = pl.col("usikkerhet").is_not_null()
    rounded = base_se.is_not_null() & (rounding > 0)
    frame = frame.with_columns(
        retning=pl.when(pl.col("indikator_kode").is_in(sorted(LOWER_IS_BETTER)))
        .then(pl.lit("lavere er bedre"))
        .otherwise(pl.lit("høyere er bedre")),
        se=pl.when(hidden)
        .then(None)
        .when(udir)
        .then(divided_by(pl.col("usikkerhet"), stats.Z95))
        .when(rounded)
        .then((base_se * base_se + rounding).sqrt())
        .otherwise(base_se),
        usikkerhet_kilde=pl.when(hidden)
        .then(None)
        .when(udir)
        .then(pl.lit("udir"))
        .when(rounded)
        .then(pl.concat_str(base_source, pl.lit(f"; {ROUNDING_LABEL}")))
        .otherwise(base_source),
    )
    diff = pl.when(~hidden).then(value - pl.col("landet"))
    nation = _survey_rounding(pl.col("landet"), survey, unc)
    se = (pl.col("se") ** 2 + nation).sqrt()
    low, high = pl.col("mot_landet") - stats.Z95 * se, pl.col("mot_landet") + stats.Z95 * se
    with_interval = pl.col("mot_landet").is_not_null() & pl.col("se").is_not_null()
    frame = frame.with_columns(mot_landet=diff).with_columns(
        mot_landet_lav=pl.when(with_interval).then(low),
        mot_landet_hoy=pl.when(with_interval).then(high),
        flagg_landet=flag(low, high, with_interval),
    )
    return frame.with_columns(
        status=pl.when(~hidden)
        .then(pl.col("status"))
        .when(pl.col("status") != MISSING)
        .then(pl.lit(SUPPRESSED))
        .otherwise(pl.lit(MISSING)),
        antall=pl.when(hidden).then(None).otherwise(n),
        verdi=pl.when(hidden).then(None).otherwise(value),
    )


def _share_se(share: pl.Expr, n: pl.Expr) -> pl.Expr:
    """:func:`stats.share_se` column-wise."""
    z2 = stats.Z95 * stats.Z95
    adjusted_n = n + z2
    adjusted = (share * n + z2 / 2) / adjusted_n
    return pl.max_horizontal(
        (share * (1 - share) / n).sqrt(), (adjusted * (1 - adjusted) / adjusted_n).sqrt()
    )


def _survey_rounding(value: pl.Expr, survey: pl.Expr, unc: Uncertainty) -> pl.Expr:
    """:func:`stats.rounding_variance` of Elevundersøkelsen's one-decimal values, column-wise
    (0 for the other sources, whose own path carries theirs, and for Udir's own intervals)."""
    if unc.independent:
        return pl.lit(0.0)
    whole_tenths = value.is_not_null() & value.is_finite() & (value == value.round(1))
    return (
        pl.when(survey & whole_tenths)
        .then(pl.lit(stats.DECIMAL_ROUNDING_VARIANCE))
        .otherwise(pl.lit(0.0))
    )


def kommune_indicators(
    store: Store, filters: Filters, kommuner: list[str], min_group: int
) -> pl.DataFrame:
    """Udir's published kommune rows (national tests, Elevundersøkelsen, grunnskolepoeng) for
    ``kommuner`` against the nation, every year (or ``filters.aar``). Nothing is computed from
    the schools: these are the numbers Udir publishes for the kommune (issue 11, point 4).

    Same columns as :func:`indicators` (``kommune`` is the kommune's own value). The national
    tests' SE is the one a kommune trend uses (Udir's «Usikkerhet», the class component and the
    rounding to whole points); the difference to the nation adds the nation's rounding.
    """
    frame = run_query(
        store, "kommune_indikatorer", {"enheter": sorted(set(kommuner)), "aar": filters.aar}
    )
    unc = uncertainty(store, filters)
    out = []
    for row in frame.to_dicts():
        result = {k: row[k] for k in INDICATOR_SCHEMA if k in row}
        code = row["indikator_kode"]
        result["retning"] = "lavere er bedre" if code in LOWER_IS_BETTER else "høyere er bedre"
        # a kommune row some exports give without n (Udir's report pages) is still Udir's
        # published number: hidden only when its n is known and under the minimum
        small = row["antall"] is not None and row["antall"] < min_group
        if row["status"] != OK or row["verdi"] is None or small:
            result |= {"status": SUPPRESSED if row["status"] != MISSING else MISSING}
            result |= {"antall": None, "verdi": None}
            out.append(result)
            continue
        nation_var = 0.0
        if row["kilde"] == "nasjonale_prover" and row["antall"]:
            var = unc.published(
                unc.model(row["enhet_id"], row["trinn"], code),
                stats.rounding_variance(row["verdi"]),
                row["usikkerhet"],
                row["antall"],
            )
            se: float | None = var.se
            source = var.source
            nation_var = unc.rounding(stats.rounding_variance(row["landet"]))
        else:
            se, source = _indicator_se(row, unc)
            nation_var = _published_rounding(row, row["landet"], unc)
        result |= {"se": se, "usikkerhet_kilde": source}
        if row["landet"] is not None:
            diff = row["verdi"] - row["landet"]
            result["mot_landet"] = diff
            if se is not None:
                low, high, flag = _interval(diff, math.sqrt(se**2 + nation_var))
                result |= {"mot_landet_lav": low, "mot_landet_hoy": high, "flagg_landet": flag}
        out.append(result)
    return frame_of(out, INDICATOR_SCHEMA)


def _indicator_se(row: dict[str, Any], unc: Uncertainty) -> tuple[float | None, str]:
    """The SE of a school's or kommune's published indicator, with Elevundersøkelsen's rounding
    to one decimal (as the national tests' rounding to whole points; not with Udir's own
    intervals, ``--uavhengige-elever``)."""
    if row["usikkerhet"] is not None:
        return stats.se_from_half_width(row["usikkerhet"]), "udir"
    if row["standardavvik"] is not None and row["antall"]:
        se, source = row["standardavvik"] / math.sqrt(row["antall"]), "standardavvik og n"
    elif row["indikator_kode"] in SHARE_INDICATORS and row["antall"] and 0 <= row["verdi"] <= 100:
        # a share of pupils (percent): from the share and n, never none, and never 0 (at 0 %
        # the plain binomial SE is 0 and a school with no pupil bullied was «certainly better»)
        se = 100 * stats.share_se(row["verdi"] / 100, row["antall"])
        source = "andel og n (Agresti–Coull)"
    else:
        # No spread in the export (grunnskolepoeng): say so rather than invent an interval.
        return None, "ingen (eksporten oppgir ikke spredning)"
    rounding = _published_rounding(row, row["verdi"], unc)
    if rounding > 0:
        return math.sqrt(se * se + rounding), f"{source}; {ROUNDING_LABEL}"
    return se, source


def _published_rounding(row: dict[str, Any], value: float | None, unc: Uncertainty) -> float:
    """The rounding variance of one of Elevundersøkelsen's published values (0 for the others,
    whose own path carries theirs)."""
    if row["kilde"] != "elevundersokelsen":
        return 0.0
    return unc.rounding(stats.rounding_variance(value, decimals=1))


PARTS: Final[dict[str, Analysis]] = {
    "prover": by_test,
    "profil": profile,
    "sammenheng": links,
    "indikatorer": indicators,
}
