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
    Compared,
    Filters,
    compared_in_scope,
    frame_of,
    group_compared,
    group_rows,
    own_kommune_params,
    referanser,
    run_query,
    scope_kommune,
    suppression_plan,
    uncertainty,
    uncertainty_defaults,
)
from tallkit.analyses.usikkerhet import (
    NO_GROUP,
    ROUNDING_LABEL,
    ClassModel,
    Uncertainty,
    class_model_from,
    group_summaries,
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
    rows = [_test_row(c) for c in _compared(store, filters, min_group)]
    run = referanser.prepare(store, filters, min_group)

    def references(cell: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [] if run is None else _reference_test_rows(run, cell[0])

    keys = ("skoleaar", "trinn", "prove")
    return frame_of(referanser.with_references(rows, keys, references), TEST_SCHEMA)


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


def _compared(store: Store, filters: Filters, min_group: int) -> list[Compared]:
    return [
        c
        for c in compared_in_scope(store, filters, min_group)
        if filters.skole in (None, c.row["enhet_id"])
    ]


def _test_row(c: Compared) -> dict[str, Any]:
    row = c.row
    keys = ("skoleaar", "aar_slatt_sammen", "trinn", "prove", "kommunenr", "enhet_id", "navn")
    result = {k: row[k] for k in keys}
    result |= {
        "antall": row["antall"],
        "skalapoeng": row["skalapoeng"],
        "se": c.variance.se,
        "usikkerhet_kilde": c.variance.source,
        "kommune": row["kommune_snitt"],
        "landet": row["land_snitt"],
    }
    if c.kommune is not None:
        result |= {
            "mot_kommune": c.kommune.value,
            "mot_kommune_lav": c.kommune.low,
            "mot_kommune_hoy": c.kommune.high,
            "flagg_kommune": c.kommune.flag,
        }
    if c.landet is not None:
        result |= {
            "mot_landet": c.landet.value,
            "mot_landet_lav": c.landet.low,
            "mot_landet_hoy": c.landet.high,
            "flagg_landet": c.landet.flag,
        }
    return result


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
    compared = [c for c in _compared(store, filters, min_group) if c.landet is not None]
    pupil = _pupil_profile_variances(store, filters, min_group)
    unc = uncertainty(store, filters)
    out = []
    for rows in group_compared(compared, ("skoleaar", "trinn", "enhet_id")).values():
        if len(rows) < 2:
            continue
        k = len(rows)
        for c in rows:
            others = [o for o in rows if o is not c]
            row = c.row
            other_mean = math.fsum(o.landet.value for o in others if o.landet) / (k - 1)
            assert c.landet is not None
            diff = c.landet.value - other_mean
            # rounding of the school's and the nation's published means, own test and others
            rounding = unc.rounding(row["avrunding"]) + unc.rounding(row["land_avrunding"])
            rounding += (
                math.fsum(
                    unc.rounding(o.row["avrunding"]) + unc.rounding(o.row["land_avrunding"])
                    for o in others
                )
                / (k - 1) ** 2
            )
            key = (row["skoleaar"], row["trinn"], row["enhet_id"], row["prove"])
            if key in pupil and row["aar_slatt_sammen"] == 1:
                variance, source = pupil[key] + rounding, PROFILE_PUPILS
            else:
                sampling = (
                    c.variance.sampling
                    + math.fsum(o.variance.sampling for o in others) / (k - 1) ** 2
                )
                variance, source = sampling + rounding, PROFILE_INDEPENDENT
            low, high, flag = _interval(diff, math.sqrt(variance))
            out.append(
                {
                    "skoleaar": row["skoleaar"],
                    "aar_slatt_sammen": row["aar_slatt_sammen"],
                    "trinn": row["trinn"],
                    "enhet_id": row["enhet_id"],
                    "navn": row["navn"],
                    "prove": row["prove"],
                    "antall": row["antall"],
                    "mot_landet": c.landet.value,
                    "profil": diff,
                    "profil_lav": low,
                    "profil_hoy": high,
                    "flagg": flag,
                    "usikkerhet_kilde": source,
                }
            )
    return frame_of(out, PROFILE_SCHEMA)


def _pupil_profile_variances(
    store: Store, filters: Filters, min_group: int
) -> dict[tuple[str, int, str, str], float]:
    """Sampling variance of each school's profile from its pupils' own differences (d).

    The class share of d's variance is estimated per kommune, trinn and test over all years
    (blocks = school × year), else over the whole database, else the score model's.
    """
    if filters.pool_years > 1:
        return {}
    # the class model is the kommune's: read the school's kommune, not the school alone
    kommune = filters.kommune if filters.skole is None else scope_kommune(store, filters)
    params = filters.params("aar", "trinn") | {"kommune": kommune, "skole": None}
    if kommune is None and filters.skole is not None:
        params["skole"] = filters.skole  # a school without a kommune: its own pupils
    rows = run_query(store, "fag_profil_elever", params).to_dicts()
    if not rows:
        return {}
    unc = uncertainty(store, filters)
    by_test = group_rows(rows, ("kommunenr", "trinn", "prove"))
    models: dict[tuple[Any, ...], ClassModel] = {}  # one per kommune, trinn and test

    def model_of(kommune: str | None, trinn: int, test: str) -> ClassModel:
        key = (kommune, trinn, test)
        if key not in models:
            found = (
                None
                if unc.independent
                else class_model_from(
                    group_summaries(by_test.get(key, [])), "klasser: kommunens elevdata"
                )
            )
            models[key] = found or unc.model(kommune, trinn, test)
        return models[key]

    out: dict[tuple[str, int, str, str], float] = {}
    for (year, trinn, school, test), groups in group_rows(
        rows, ("skoleaar", "trinn", "enhet_id", "prove")
    ).items():
        if filters.skole not in (None, school):
            continue
        n = sum(g["antall"] for g in groups)
        if n < max(min_group, 2):
            continue
        mean = math.fsum(g["antall"] * g["snitt"] for g in groups) / n
        ss = math.fsum(g["kvadratsum"] + g["antall"] * (g["snitt"] - mean) ** 2 for g in groups)
        model = model_of(groups[0]["kommunenr"], trinn, test)
        sizes = [g["antall"] for g in groups if g["gruppe"] != NO_GROUP]
        group_size = stats.effective_group_size(sizes) if sizes else None
        out[(year, trinn, school, test)] = ss / (n - 1) / n * model.design_effect(n, group_size)
    return out


def links(store: Store, filters: Filters, min_group: int) -> pl.DataFrame:
    """Pupil-level correlation between tests (Fisher z interval) and low-in-one/both counts."""
    frame = run_query(store, "fag_sammenheng", filters.params("aar", "trinn", "kommune", "skole"))
    out = []
    for row in frame.filter(pl.col("antall") >= min_group).to_dicts():
        n = row["antall"]
        r = _correlation(n, row["sum_a"], row["sum_b"], row["sum_aa"], row["sum_bb"], row["sum_ab"])
        low = high = None
        if r is not None and n > 3 and abs(r) < 1:
            z, half = math.atanh(r), stats.Z95 / math.sqrt(n - 3)
            low, high = math.tanh(z - half), math.tanh(z + half)
        out.append(
            {
                **{k: row[k] for k in LINK_SCHEMA if k in row},
                "korrelasjon": r,
                "korrelasjon_lav": low,
                "korrelasjon_hoy": high,
                "andel_lav_bare_a": row["lav_bare_a"] / n,
                "andel_lav_bare_b": row["lav_bare_b"] / n,
                "andel_lav_begge": row["lav_begge"] / n,
            }
        )
    # suppression across tables (skjerming.py)
    out = skjerming.sammenheng_rows(
        out, suppression_plan(store, min_group, scope_kommune(store, filters))
    )
    return frame_of(out, LINK_SCHEMA)


def _correlation(n: int, sa: float, sb: float, saa: float, sbb: float, sab: float) -> float | None:
    """Pearson's r from exact sums (None when a test has no spread)."""
    var_a, var_b = n * saa - sa * sa, n * sbb - sb * sb
    if var_a <= 0 or var_b <= 0:
        return None
    return (n * sab - sa * sb) / math.sqrt(var_a * var_b)


def indicators(store: Store, filters: Filters, min_group: int) -> pl.DataFrame:
    """National tests, Elevundersøkelsen and grunnskolepoeng side by side per school and year;
    with ``filters.comparison`` each indicator and year is followed by the comparison
    kommuner's rows (Udir's, against the nation)."""
    rows = _indicator_rows(store, filters, min_group)
    run = referanser.prepare(store, filters, min_group)

    def references(cell: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [] if run is None else _reference_indicator_rows(run, cell[0])

    keys = ("skoleaar", "kilde", "trinn", "indikator_kode")
    return frame_of(referanser.with_references(rows, keys, references), INDICATOR_SCHEMA)


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


def _indicator_rows(store: Store, filters: Filters, min_group: int) -> list[dict[str, Any]]:
    params = own_kommune_params(store, filters, "aar", "kommune", "skole")
    frame = run_query(store, "fag_indikatorer", params)
    unc = uncertainty_defaults(filters)  # only its independent-pupils switch (the rounding)
    out = []
    for row in frame.to_dicts():
        result = {k: row[k] for k in INDICATOR_SCHEMA if k in row}
        code = row["indikator_kode"]
        result["retning"] = "lavere er bedre" if code in LOWER_IS_BETTER else "høyere er bedre"
        if row["status"] != OK or row["verdi"] is None or (row["antall"] or 0) < min_group:
            result |= {"status": SUPPRESSED if row["status"] != MISSING else MISSING}
            result |= {"antall": None, "verdi": None}
            out.append(result)
            continue
        se, source = _indicator_se(row, unc)
        result |= {"se": se, "usikkerhet_kilde": source}
        if row["landet"] is not None:
            diff = row["verdi"] - row["landet"]
            result["mot_landet"] = diff
            if se is not None:
                nation_var = _published_rounding(row, row["landet"], unc)
                low, high, flag = _interval(diff, math.sqrt(se**2 + nation_var))
                result |= {"mot_landet_lav": low, "mot_landet_hoy": high, "flagg_landet": flag}
        out.append(result)
    return out


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
