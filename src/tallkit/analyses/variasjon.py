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
from typing import Any, Final

import polars as pl

from tallkit import skjerming, stats
from tallkit.analyses import (
    NATIONAL_SD,
    Analysis,
    Filters,
    frame_of,
    group_rows,
    run_query,
    school_rows,
    school_se,
    suppression_plan,
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
SHRINKAGE_METHOD: Final = "empirisk Bayes (normal–normal), τ² ved DerSimonian–Laird"
DECOMPOSITION_METHOD: Final = (
    "Hendersons metode I (ANOVA, ubalansert hierarki), negative satt til 0"
)
_CELL: Final = ("skoleaar", "trinn", "prove", "kommunenr")


def _pupil_sd(schools: list[dict[str, Any]]) -> tuple[float, str]:
    """The pupil-level SD for funnel limits: pupil data, else pooled from Udir's uncertainty."""
    with_pupils = [s for s in schools if s["elev_sd"] is not None and (s["elev_antall"] or 0) > 1]
    if with_pupils:
        num = math.fsum((s["elev_antall"] - 1) * s["elev_sd"] ** 2 for s in with_pupils)
        den = sum(s["elev_antall"] - 1 for s in with_pupils)
        return math.sqrt(num / den), "elevdata"
    with_udir = [s for s in schools if s["usikkerhet"] is not None and s["usikkerhet"] > 0]
    if with_udir:
        num = math.fsum(
            (s["antall"] - 1) * (stats.se_from_half_width(s["usikkerhet"]) ** 2 * s["antall"])
            for s in with_udir
        )
        return math.sqrt(num / sum(s["antall"] - 1 for s in with_udir)), "udir (usikkerhet)"
    return NATIONAL_SD, "tilnærming (nasjonalt SD)"


def _reference(schools: list[dict[str, Any]], ses: list[float]) -> tuple[float, float, float, str]:
    """(mean, se, total n, source): Udir's kommune row, else the n-weighted school mean."""
    first = schools[0]
    if first["kommune_snitt"] is not None and first["kommune_antall"]:
        half = first["kommune_usikkerhet"]
        se = stats.se_from_half_width(half) if half is not None else 0.0
        return first["kommune_snitt"], se, float(first["kommune_antall"]), "kommunen (Udir)"
    total = float(sum(s["antall"] for s in schools))
    mean = math.fsum(s["antall"] * s["skalapoeng"] for s in schools) / total
    se = math.sqrt(
        math.fsum((s["antall"] / total) ** 2 * v**2 for s, v in zip(schools, ses, strict=True))
    )
    return mean, se, total, "beregnet fra skolene"


def between_schools(store: Store, filters: Filters, min_group: int) -> pl.DataFrame:
    """One row per school, year, trinn and test (published results, all pupils)."""
    rows = school_rows(store, filters, min_group)
    out: list[dict[str, Any]] = []
    for schools in group_rows(rows, _CELL).values():
        # compared with every school of its kommune, shown for the one asked about
        out.extend(r for r in _compare_schools(schools) if filters.skole in (None, r["enhet_id"]))
    return frame_of(out, SCHOOL_SCHEMA)


def _compare_schools(schools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    se_and_source = [school_se(s) for s in schools]
    ses = [se for se, _ in se_and_source]
    ref, ref_se, total, ref_source = _reference(schools, ses)
    sigma, sigma_source = _pupil_sd(schools)
    shrunk = (
        stats.shrink([s["skalapoeng"] for s in schools], [v * v for v in ses])
        if len(schools) > 1
        else None
    )
    ranks = stats.rank_intervals([s["skalapoeng"] for s in schools], ses)
    result = []
    for index, (school, (se, source)) in enumerate(zip(schools, se_and_source, strict=True)):
        weight = min(school["antall"] / total, 0.99)  # the school is inside its reference
        diff = school["skalapoeng"] - ref
        diff_se = stats.part_whole_se(se, ref_se, weight)
        low95, high95 = stats.funnel_limits(
            ref, sigma, school["antall"], stats.Z95, weight=weight, reference_se=ref_se
        )
        low998, high998 = stats.funnel_limits(
            ref, sigma, school["antall"], stats.Z998, weight=weight, reference_se=ref_se
        )
        est = shrunk.estimates[index] if shrunk else school["skalapoeng"]
        est_se = shrunk.ses[index] if shrunk else se
        result.append(
            {
                "skoleaar": school["skoleaar"],
                "aar_slatt_sammen": school["aar_slatt_sammen"],
                "trinn": school["trinn"],
                "prove": school["prove"],
                "kommunenr": school["kommunenr"],
                "enhet_id": school["enhet_id"],
                "navn": school["navn"],
                "antall": school["antall"],
                "skalapoeng": school["skalapoeng"],
                "se": se,
                "usikkerhet_kilde": source,
                "referanse": ref,
                "referanse_kilde": ref_source,
                "forskjell": diff,
                "forskjell_lav": diff - stats.Z95 * diff_se,
                "forskjell_hoy": diff + stats.Z95 * diff_se,
                "flagg": stats.flag(diff, diff_se),
                "trakt_95_lav": low95,
                "trakt_95_hoy": high95,
                "trakt_998_lav": low998,
                "trakt_998_hoy": high998,
                "posisjon_95": stats.funnel_position(school["skalapoeng"], low95, high95),
                "posisjon_998": stats.funnel_position(school["skalapoeng"], low998, high998),
                "elev_sd": sigma,
                "elev_sd_kilde": sigma_source,
                "krympet": est,
                "krympet_lav": est - stats.Z95 * est_se,
                "krympet_hoy": est + stats.Z95 * est_se,
                "rang_fra": ranks[index][0],
                "rang_til": ranks[index][1],
                "antall_skoler": len(schools),
            }
        )
    return result


def spread(store: Store, filters: Filters, min_group: int) -> pl.DataFrame:
    """Per kommune, year, trinn and test: how much school means differ, and why."""
    rows = school_rows(store, filters, min_group)
    out = []
    for (year, trinn, test, kommune), schools in group_rows(rows, _CELL).items():
        if len(schools) < 2:
            continue  # one school has no spread; saying 0 would be a number without meaning
        means = [s["skalapoeng"] for s in schools]
        ses = [school_se(s)[0] for s in schools]
        shrunk = stats.shrink(means, [v * v for v in ses])
        sigma, sigma_source = _pupil_sd(schools)
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
    plan = suppression_plan(store, min_group)  # suppression across tables (skjerming.py)
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
