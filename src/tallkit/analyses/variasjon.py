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
    Compared,
    Filters,
    compared_in_scope,
    compared_schools,
    frame_of,
    group_compared,
    group_rows,
    pupil_sd,
    referanser,
    run_query,
    scope_kommune,
    suppression_plan,
    uncertainty,
)
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
    out: list[dict[str, Any]] = []
    for cell in group_compared(compared, _CELL).values():
        first = cell[0].row
        if filters.rows_kommune not in (None, first["kommunenr"]) or (
            filters.skole is not None and all(c.row["enhet_id"] != filters.skole for c in cell)
        ):
            continue  # not asked for: no shrinkage or ranks to compute
        key = (first["skoleaar"], first["trinn"], first["prove"])
        # compared with every school of its kommune, shown for the one asked about
        out.extend(
            r
            for r in _compare_schools(cell, tau2.get(key, 0.0))
            if filters.skole in (None, r["enhet_id"])
        )
    run = referanser.prepare(store, filters, min_group)

    def references(cell: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [] if run is None else _reference_school_rows(run, cell[0])

    keys = ("skoleaar", "trinn", "prove")
    return frame_of(referanser.with_references(out, keys, references), SCHOOL_SCHEMA)


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


def _expected_se(c: Compared, sigma: float) -> float:
    """The SE a school of this size would have by chance alone: the funnel's width at its n."""
    n = c.row["antall"]
    return c.kommune_se(sigma**2 * c.model.design_effect(n, c.row["elev_gruppestorrelse"]) / n)


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


def _overdispersion(compared: list[Compared]) -> dict[tuple[str, int, str], float]:
    """τ² per year, trinn and test over every school in the data (more stable than per kommune;
    fewer than ten schools give no estimate and no widening)."""
    by_test: dict[tuple[str, int, str], list[tuple[float, float]]] = {}
    for cell in group_compared(compared, _CELL).values():
        sigma, _ = pupil_sd([c.row for c in cell])
        for c in cell:
            if c.kommune is None:
                continue
            s = _expected_se(c, sigma)
            key = (c.row["skoleaar"], c.row["trinn"], c.row["prove"])
            by_test.setdefault(key, []).append((c.kommune.value / s, s))
    return {
        key: stats.additive_overdispersion([z for z, _ in zs], [s for _, s in zs])
        if len(zs) >= 10
        else 0.0
        for key, zs in by_test.items()
    }


def _compare_schools(cell: list[Compared], tau2: float) -> list[dict[str, Any]]:
    schools = [c.row for c in cell]
    ses = [c.variance.se for c in cell]
    sigma, sigma_source = pupil_sd(schools)
    shrunk = (
        stats.shrink([s["skalapoeng"] for s in schools], [v * v for v in ses])
        if len(schools) > 1
        else None
    )
    ranks = stats.rank_intervals([s["skalapoeng"] for s in schools], ses)
    result = []
    for index, c in enumerate(cell):
        school = c.row
        row: dict[str, Any] = {k: school[k] for k in SCHOOL_SCHEMA if k in school}
        row |= {
            "se": c.variance.se,
            "usikkerhet_kilde": c.variance.source,
            "referanse_kilde": c.kommune_source,
            "elev_sd": sigma,
            "elev_sd_kilde": sigma_source,
            "rang_fra": ranks[index][0],
            "rang_til": ranks[index][1],
            "antall_skoler": len(schools),
        }
        if c.kommune is not None:
            diff = c.kommune
            width = math.sqrt(_expected_se(c, sigma) ** 2 + tau2)
            limits = {
                z: (diff.reference - z * width, diff.reference + z * width)
                for z in (stats.Z95, stats.Z998)
            }
            (low95, high95), (low998, high998) = limits[stats.Z95], limits[stats.Z998]
            row |= {
                "referanse": diff.reference,
                "forskjell": diff.value,
                "forskjell_lav": diff.low,
                "forskjell_hoy": diff.high,
                "flagg": diff.flag,
                "trakt_95_lav": low95,
                "trakt_95_hoy": high95,
                "trakt_998_lav": low998,
                "trakt_998_hoy": high998,
                "trakt_tau": math.sqrt(tau2),
                "posisjon_95": stats.funnel_position(school["skalapoeng"], low95, high95),
                "posisjon_998": stats.funnel_position(school["skalapoeng"], low998, high998),
            }
        est = shrunk.estimates[index] if shrunk else school["skalapoeng"]
        est_se = shrunk.ses[index] if shrunk else c.variance.se
        row |= {
            "krympet": est,
            "krympet_lav": est - stats.Z95 * est_se,
            "krympet_hoy": est + stats.Z95 * est_se,
        }
        result.append(row)
    return result


def spread(store: Store, filters: Filters, min_group: int) -> pl.DataFrame:
    """Per kommune, year, trinn and test: how much school means differ, and why.

    τ² (``sd_mellom_skoler``²) is the variation between schools alone: each school mean's
    variance includes the class-year component and the rounding, so neither is counted as a
    difference between schools.
    """
    compared = compared_schools(store, filters, min_group)
    out = []
    for (year, trinn, test, kommune), cell in group_compared(compared, _CELL).items():
        schools = [c.row for c in cell]
        if len(schools) < 2:
            continue  # one school has no spread; saying 0 would be a number without meaning
        variances = [c.variance.total for c in cell]
        means = [s["skalapoeng"] for s in schools]
        shrunk = stats.shrink(means, variances)
        sigma, sigma_source = pupil_sd(schools)
        mean = math.fsum(means) / len(means)
        sd = math.sqrt(math.fsum((m - mean) ** 2 for m in means) / (len(means) - 1))
        out.append(
            {
                "skoleaar": year,
                "aar_slatt_sammen": max(s["aar_slatt_sammen"] for s in schools),
                "trinn": trinn,
                "prove": test,
                "kommunenr": kommune,
                "antall_skoler": len(schools),
                "antall": sum(s["antall"] for s in schools),
                "snitt_skolesnitt": mean,
                "sd_skolesnitt": sd,
                "sd_mellom_skoler": math.sqrt(shrunk.tau2),
                "elev_sd": sigma,
                "elev_sd_kilde": sigma_source,
                "andel_mellom_skoler": shrunk.tau2 / (shrunk.tau2 + sigma * sigma),
                "metode": SHRINKAGE_METHOD,
            }
        )
    return frame_of(out, SPREAD_SCHEMA)


def _group_summaries(store: Store, filters: Filters) -> list[dict[str, Any]]:
    return run_query(
        store, "variasjon_grupper", filters.params("aar", "trinn", "prove", "kommune", "skole")
    ).to_dicts()


def within_schools(store: Store, filters: Filters, min_group: int) -> pl.DataFrame:
    """Per school, year, trinn and test: one row for all pupils, one per group (class)."""
    out: list[dict[str, Any]] = []
    keys = ("skoleaar", "trinn", "prove", "enhet_id")
    plan = suppression_plan(
        store, min_group, scope_kommune(store, filters)
    )  # suppression across tables (skjerming.py)
    for groups in group_rows(_group_summaries(store, filters), keys).values():
        rows = _one_school_groups(groups, min_group)
        out.extend(skjerming.grupper_rows(rows, plan, SUPPRESSED))
    return frame_of(out, GROUP_SCHEMA)


def _one_school_groups(groups: list[dict[str, Any]], min_group: int) -> list[dict[str, Any]]:
    first = groups[0]
    base = {k: first[k] for k in ("skoleaar", "trinn", "prove", "enhet_id", "navn")}
    total_n = sum(g["antall"] for g in groups)
    if total_n < min_group:
        return [{**base, **_hidden("alle")}]
    summaries = [
        stats.GroupSummary("s", g["gruppe"], g["antall"], g["snitt"], g["kvadratsum"])
        for g in groups
    ]
    hidden = stats.complementary_suppression([g["antall"] for g in groups], min_group)
    share = None
    if len(groups) > 1 and not any(hidden) and total_n > len(groups):
        share = stats.between_group_share(summaries)  # only when no group is hidden: it would leak
    total = _pooled(groups)
    rows = [{**base, **_shown("alle", total, groups), "andel_mellom_grupper": share}]
    for group, is_hidden in zip(groups, hidden, strict=True):
        if is_hidden:
            rows.append({**base, **_hidden(group["gruppe"])})
        else:
            rows.append(
                {
                    **base,
                    **_shown(group["gruppe"], _pooled([group]), [group]),
                    "andel_mellom_grupper": None,
                }
            )
    return rows


def _pooled(groups: list[dict[str, Any]]) -> tuple[int, float, float]:
    """(n, mean, sum of squares around the mean) of several groups together."""
    n = sum(g["antall"] for g in groups)
    mean = math.fsum(g["antall"] * g["snitt"] for g in groups) / n
    ss = math.fsum(g["kvadratsum"] + g["antall"] * (g["snitt"] - mean) ** 2 for g in groups)
    return n, mean, ss


def _shown(
    name: str, pooled: tuple[int, float, float], groups: list[dict[str, Any]]
) -> dict[str, Any]:
    n, mean, ss = pooled
    sd = math.sqrt(ss / (n - 1)) if n > 1 else 0.0
    half = stats.t_quantile(0.975, n - 1) * sd / math.sqrt(n) if n > 1 else math.inf
    with_level = sum(g["med_nivaa"] for g in groups)
    lowest = sum(g["laveste_nivaa"] for g in groups)
    highest = sum(g["hoyeste_nivaa"] for g in groups)
    return {
        "gruppe": name,
        "status": OK,
        "antall": n,
        "snitt": mean,
        "lav": mean - half,
        "hoy": mean + half,
        "sd": sd,
        "andel_laveste_nivaa": lowest / with_level if with_level else None,
        "andel_hoyeste_nivaa": highest / with_level if with_level else None,
    }


def _hidden(name: str) -> dict[str, Any]:
    return {
        "gruppe": name,
        "status": SUPPRESSED,
        "antall": None,
        "snitt": None,
        "lav": None,
        "hoy": None,
        "sd": None,
        "andel_laveste_nivaa": None,
        "andel_hoyeste_nivaa": None,
        "andel_mellom_grupper": None,
    }


def decomposition(store: Store, filters: Filters, min_group: int) -> pl.DataFrame:
    """Variance between schools / between groups within schools / within groups, per kommune."""
    out = []
    for (year, trinn, test, kommune), groups in group_rows(
        _group_summaries(store, filters), _CELL
    ).items():
        summaries = [
            stats.GroupSummary(g["enhet_id"], g["gruppe"], g["antall"], g["snitt"], g["kvadratsum"])
            for g in groups
        ]
        school_sizes: dict[str, int] = {}
        for g in summaries:
            school_sizes[g.school] = school_sizes.get(g.school, 0) + g.n
        # a school under the minimum would be a component of its own; leave it out
        summaries = [g for g in summaries if school_sizes[g.school] >= min_group]
        try:
            parts = stats.nested_variance_components(summaries)
        except ValueError:
            continue  # too few schools or groups to separate the levels
        out.append(
            {
                "skoleaar": year,
                "trinn": trinn,
                "prove": test,
                "kommunenr": kommune,
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
