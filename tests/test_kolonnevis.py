"""The column-wise analyses held row by row against the scalar formulas in stats.py,
usikkerhet.py and fag.py they are written from (and a pupil SD written out here from its
definition): the comparison with kommune and nation (analyses/mot_kommune_og_land.py),
variasjon's funnel, shrinkage and ranks, and fag's indicators.

Real exports (Agder's national tests: Udir's kommune rows, no pupil data) and the sample
kommune (pupil data, kommune means computed from the schools where Udir has none) between
them reach every branch: Udir's uncertainty, pupil data, the national SD, a published and a
computed kommune mean, a kommune with one school, independent pupils."""

from __future__ import annotations

import dataclasses
import math
import random
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tallkit import analyses, skjerming, stats
from tallkit.analyses import Filters, fag, progresjon, variasjon
from tallkit.analyses.kolonner import complementary_suppression, divided_by, exact_sums, squared
from tallkit.analyses.mot_kommune_og_land import compare_frame
from tallkit.analyses.usikkerhet import NATIONAL_SD, Uncertainty
from tallkit.config import Settings
from tallkit.formats.cells import OK, SUPPRESSED
from tallkit.store import open_store

CELL = ("skoleaar", "trinn", "prove", "kommunenr")


def close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


def pupil_sd(schools: list[dict[str, Any]]) -> tuple[float, str]:
    """PRODUCT.md §4.4: pooled from pupil data, else from Udir's half-widths, else 10."""
    pupils = [s for s in schools if s["elev_sd"] is not None and (s["elev_antall"] or 0) > 1]
    if pupils:
        num = math.fsum((s["elev_antall"] - 1) * s["elev_sd"] ** 2 for s in pupils)
        return math.sqrt(num / sum(s["elev_antall"] - 1 for s in pupils)), "elevdata"
    udir = [s for s in schools if s["usikkerhet"] is not None and s["usikkerhet"] > 0]
    if udir:
        num = math.fsum(
            (s["antall"] - 1) * stats.se_from_half_width(s["usikkerhet"]) ** 2 * s["antall"]
            for s in udir
        )
        return math.sqrt(num / sum(s["antall"] - 1 for s in udir)), "udir (usikkerhet)"
    return NATIONAL_SD, "tilnærming (nasjonalt SD)"


def quantile(n: int) -> float:
    return stats.Z95 if n - 1 < 1 else stats.t_quantile(0.975, n - 1)


def check_school(row: dict[str, Any], cell: list[dict[str, Any]], unc: Uncertainty) -> None:
    model = unc.model(row["kommunenr"], row["trinn"], row["prove"])
    var = unc.published(
        model,
        row["avrunding"],
        row["usikkerhet"],
        row["antall"],
        pupil_sd=row["elev_sd"],
        pupil_n=row["elev_antall"],
        group_size=row["elev_gruppestorrelse"],
    )
    assert close(row["var_utvalg"], var.sampling) and close(row["se"], var.se)
    assert row["usikkerhet_kilde"] == var.source
    sigma, source = pupil_sd(cell)
    assert close(row["sigma"], sigma) and row["sigma_kilde"] == source
    q = quantile(row["antall"])
    first = cell[0]
    if first["kommune_snitt"] is not None and first["kommune_antall"]:
        rest_n = first["kommune_antall"] - row["antall"]
        if rest_n <= 0:
            assert row["k_verdi"] is None and row["referanse_kilde"].startswith("kommunen har")
        else:
            weight = row["antall"] / first["kommune_antall"]
            rest = sigma**2 * model.design_effect(rest_n) / rest_n
            outside = var.rounding + unc.rounding(first["kommune_avrunding"])
            se = stats.part_whole_difference_se(var.sampling, rest, weight, outside)
            assert close(row["k_referanse"], first["kommune_snitt"])
            assert close(row["k_se"], se)
            assert row["referanse_kilde"] == "kommunen (Udir)"
    elif len(cell) > 1:
        total = sum(s["antall"] for s in cell)
        rest_n = total - row["antall"]
        rest = math.fsum((s["antall"] / rest_n) ** 2 * s["var_total"] for s in cell if s is not row)
        reference = math.fsum(s["antall"] * s["skalapoeng"] for s in cell) / total
        se = stats.part_whole_difference_se(
            var.sampling + var.rounding, rest, row["antall"] / total
        )
        assert close(row["k_referanse"], reference) and close(row["k_se"], se)
        assert row["referanse_kilde"] == "beregnet fra skolene"
    else:
        assert row["k_verdi"] is None and row["referanse_kilde"].startswith("ingen andre")
    if row["k_verdi"] is not None:
        assert close(row["k_verdi"], row["skalapoeng"] - row["k_referanse"])
        assert row["k_flagg"] == stats.flag(row["k_verdi"], row["k_se"], q)
        assert close(row["k_lav"], row["k_verdi"] - q * row["k_se"])
    if row["land_snitt"] is None:
        assert row["l_verdi"] is None
        return
    rounding = unc.rounding(row["land_avrunding"])
    if row["land_usikkerhet"] is None and not row["land_antall"]:
        nation = rounding
    else:
        nation = unc.published(
            model, rounding, row["land_usikkerhet"], row["land_antall"] or 1, pupil_sd=sigma
        ).total
    assert close(row["l_se"], math.sqrt(var.total + nation))
    assert row["l_flagg"] == stats.flag(row["l_verdi"], row["l_se"], q)


@pytest.mark.parametrize("pooled", [1, 2])
@pytest.mark.parametrize("independent", [False, True])
@pytest.mark.parametrize("udir_kommune", [True, False])
@pytest.mark.parametrize("source", ["real_np", "sample_unsuppressed"])
def test_every_school_s_comparison_is_the_scalar_formulas(
    source: str, udir_kommune: bool, independent: bool, pooled: int, request: pytest.FixtureRequest
) -> None:
    """Without Udir's kommune rows (as for a kommune whose row is suppressed) the kommune mean
    is computed from its schools; with --slaa-sammen 2 the pooled rows go the same way."""
    settings: Settings = request.getfixturevalue(source)
    filters = Filters(independent_pupils=independent, pool_years=pooled)
    with open_store(settings.db_path, read_only=True) as store:
        schools = analyses.school_rows(store, filters, settings.min_group)
        unc = analyses.uncertainty(store, filters)
    if not udir_kommune:
        schools = schools.with_columns(kommune_snitt=None, kommune_antall=None)
    rows = compare_frame(schools, unc).to_dicts()
    assert len(rows) > 20
    cells: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for row in rows:
        cells.setdefault(tuple(row[k] for k in CELL), []).append(row)
    sources = set()
    for cell in cells.values():
        for row in cell:
            check_school(row, cell, unc)
            sources.add(row["referanse_kilde"])
    # the branch this case is meant to reach
    assert ("kommunen (Udir)" if udir_kommune else "beregnet fra skolene") in sources


def test_funnel_shrinkage_and_ranks_are_the_scalar_formulas(real_np: Settings) -> None:
    with open_store(real_np.db_path, read_only=True) as store:
        filters = Filters()
        compared = analyses.compared_schools(store, filters, real_np.min_group)
        tau2 = variasjon._overdispersion(compared)
        shown = variasjon.between_schools(store, filters, real_np.min_group)
    rows, out = compared.to_dicts(), shown.filter(pl.col("radtype") == "skole").to_dicts()
    assert [r["enhet_id"] for r in rows] == [r["enhet_id"] for r in out]
    by_test: dict[tuple[Any, ...], list[tuple[float, float]]] = {}
    cells: dict[tuple[Any, ...], list[int]] = {}
    for index, row in enumerate(rows):
        cells.setdefault(tuple(row[k] for k in CELL), []).append(index)
        if row["k_verdi"] is not None:
            model_deff = row["design_effekt"]
            chance = row["sigma"] ** 2 * model_deff / row["antall"]
            s = stats.part_whole_difference_se(
                chance + row["del_avrunding"],
                row["rest_var"],
                row["vekt"],
                row["utenfor_avrunding"],
            )
            key = (row["skoleaar"], row["trinn"], row["prove"])
            by_test.setdefault(key, []).append((row["k_verdi"] / s, s))
            width = math.sqrt(s**2 + tau2[key])
            assert close(out[index]["trakt_95_hoy"], row["k_referanse"] + stats.Z95 * width)
    widened = 0
    for key, zs in by_test.items():
        expected = (
            stats.additive_overdispersion([z for z, _ in zs], [s for _, s in zs])
            if len(zs) >= 10
            else 0.0
        )
        assert close(tau2[key], expected)
        widened += tau2[key] > 0
    assert widened > 0  # the real data is overdispersed somewhere: the check has something to hold
    several = 0
    for members in cells.values():
        means = [rows[i]["skalapoeng"] for i in members]
        ses = [rows[i]["se"] for i in members]
        ranks = stats.rank_intervals(means, ses)
        shrunk = stats.shrink(means, [s * s for s in ses]) if len(members) > 1 else None
        for position, i in enumerate(members):
            assert (out[i]["rang_fra"], out[i]["rang_til"]) == ranks[position]
            if shrunk is not None:
                assert close(out[i]["krympet"], shrunk.estimates[position])
                assert close(
                    out[i]["krympet_hoy"],
                    shrunk.estimates[position] + stats.Z95 * shrunk.ses[position],
                )
                several += 1
    assert several > 20


def test_one_cell_alone_gives_its_rows_in_the_whole_run_bit_for_bit(real_np: Settings) -> None:
    """The sums are exact (analyses/kolonner.py): a kommune's rows do not depend on what else
    polars was given, nor on how it split the work."""
    with open_store(real_np.db_path, read_only=True) as store:
        whole = analyses.compared_schools(store, Filters(), real_np.min_group)
    kommune = whole["kommunenr"].drop_nulls().mode().sort()[0]
    with open_store(real_np.db_path, read_only=True) as store:
        alone = analyses.compared_schools(
            store, dataclasses.replace(Filters(), kommune=kommune), real_np.min_group
        )
    assert alone.height > 5
    assert alone.equals(whole.filter(pl.col("kommunenr") == kommune))


@pytest.mark.parametrize("independent", [False, True])
def test_indicators_are_the_scalar_formulas(sample: Settings, independent: bool) -> None:
    """Every source (national tests with Udir's uncertainty, Elevundersøkelsen's indices with
    SD and its bullying share, grunnskolepoeng without spread), hidden rows included."""
    unc = Uncertainty(independent=independent)
    with open_store(sample.db_path, read_only=True) as store:
        raw = analyses.run_query(
            store, "fag_indikatorer", {"aar": None, "kommune": None, "skole": None}
        ).to_dicts()
        shown = fag._indicator_rows(store, Filters(independent_pupils=independent), 10)
    rows = shown.to_dicts()
    assert len(rows) == len(raw) > 50
    sources, hidden = set(), 0
    for before, row in zip(raw, rows, strict=True):
        assert row["enhet_id"] == before["enhet_id"]
        if before["status"] != "ok" or before["verdi"] is None or (before["antall"] or 0) < 10:
            assert row["verdi"] is None and row["se"] is None and row["mot_landet"] is None
            hidden += 1
            continue
        se, source = fag._indicator_se(before, unc)
        assert row["se"] == se and row["usikkerhet_kilde"] == source  # bit for bit
        sources.add(source)
        if before["landet"] is None or se is None:
            assert row["mot_landet_lav"] is None
            continue
        nation = fag._published_rounding(before, before["landet"], unc)
        low, high, flag = fag._interval(row["mot_landet"], math.sqrt(se**2 + nation))
        assert (row["mot_landet_lav"], row["mot_landet_hoy"], row["flagg_landet"]) == (
            low,
            high,
            flag,
        )
    assert hidden > 0
    assert {"udir", "ingen (eksporten oppgir ikke spredning)"} <= sources
    assert any(s.startswith("andel og n") for s in sources)
    assert any(s.startswith("standardavvik og n") for s in sources)


def test_divided_by_rounds_as_python_divides() -> None:
    """polars' own division by one number multiplies by its reciprocal (an ulp off for 5.0 /
    z₀.₉₇₅); the helper must give Python's quotient for every value, and keep nulls."""
    values = [5.0, None, *(i / 7 for i in range(1, 20_000))]
    frame = pl.DataFrame({"u": values})
    for constant in (stats.Z95, 100.0):
        found = frame.select(divided_by(pl.col("u"), constant))["u"].to_list()
        assert found == [None if v is None else v / constant for v in values]
        # as the analyses use it: in one branch of a when, and per group
        branch = frame.select(pl.when(pl.col("u") > 1).then(divided_by(pl.col("u"), constant)))[
            "u"
        ].to_list()
        assert branch == [v / constant if v is not None and v > 1 else None for v in values]
        grouped = (
            frame.with_row_index("i")
            .group_by(pl.col("i") % 3, maintain_order=True)
            .agg(pl.col("u"), q=divided_by(pl.col("u"), constant))
            .explode("u", "q")
        )
        assert all(
            (u is None and q is None) or q == u / constant
            for u, q in grouped.select("u", "q").iter_rows()
        )
        assert grouped.height == len(values)


def test_exact_sums_are_fsum_whatever_the_order() -> None:
    values = [1e16, 1.0, -1e16, 0.1, 0.2, 0.3] * 5_000
    frame = pl.DataFrame({"g": [i % 3 for i in range(len(values))], "x": values})
    sums = exact_sums(frame.sample(fraction=1.0, shuffle=True, seed=1), ["g"], s=pl.col("x"))
    expected = {g: math.fsum(values[g::3]) for g in range(3)}
    assert dict(zip(sums["g"].to_list(), sums["s"].to_list(), strict=True)) == expected


def test_exact_sums_of_small_groups_are_fsum_too() -> None:
    # groups of one and two values are summed by polars, the rest by fsum: every size is fsum
    rng = random.Random(7)
    rows = []
    for g in range(3_000):
        size = 1 + g % 4
        for _ in range(size):
            x = (
                rng.choice([-0.0, 0.0, 0.1, 1e16, -1e16, 1.0])
                if g % 7 == 0
                else rng.uniform(-1e3, 1e3)
            )
            rows.append((g, x, x * x / 3.0))
    frame = pl.DataFrame(
        rows, schema={"g": pl.Int64, "x": pl.Float64, "y": pl.Float64}, orient="row"
    )
    sums = exact_sums(
        frame.sample(fraction=1.0, shuffle=True, seed=2), ["g"], s=pl.col("x"), q=pl.col("y")
    )
    got = {g: (s, q) for g, s, q in sums.iter_rows()}
    for g in range(3_000):
        members = [(x, y) for h, x, y in rows if h == g]
        expected = (math.fsum(x for x, _ in members), math.fsum(y for _, y in members))
        assert got[g] == expected and math.copysign(1.0, got[g][0]) == math.copysign(
            1.0, expected[0]
        ), g


def test_exact_sums_of_nothing_is_no_group() -> None:
    empty = pl.DataFrame(schema={"g": pl.Int64, "x": pl.Float64})
    assert exact_sums(empty, ["g"], s=pl.col("x")).height == 0
    one_null = pl.DataFrame({"g": [1], "x": [None]}, schema={"g": pl.Int64, "x": pl.Float64})
    assert exact_sums(one_null, ["g"], s=pl.col("x"))["s"].to_list() == [0.0]


def _one_school(groups: list[dict[str, Any]], minimum: int) -> list[dict[str, Any]]:
    """variasjon --del grupper for one school, one group at a time (PRODUCT.md §4.3)."""
    base = {k: groups[0][k] for k in ("skoleaar", "trinn", "prove", "enhet_id", "navn")}
    hidden_row = dict.fromkeys(
        ("antall", "snitt", "lav", "hoy", "sd", "andel_laveste_nivaa", "andel_hoyeste_nivaa")
    )
    hidden_row |= {"status": SUPPRESSED, "andel_mellom_grupper": None}
    total_n = sum(g["antall"] for g in groups)
    if total_n < minimum:
        return [{**base, **hidden_row, "gruppe": "alle"}]

    def described(name: str, members: list[dict[str, Any]]) -> dict[str, Any]:
        n = sum(g["antall"] for g in members)
        mean = math.fsum(g["antall"] * g["snitt"] for g in members) / n
        ss = math.fsum(g["kvadratsum"] + g["antall"] * (g["snitt"] - mean) ** 2 for g in members)
        sd = math.sqrt(ss / (n - 1)) if n > 1 else 0.0
        half = stats.t_quantile(0.975, n - 1) * sd / math.sqrt(n) if n > 1 else math.inf
        level = sum(g["med_nivaa"] for g in members)
        low = sum(g["laveste_nivaa"] for g in members)
        high = sum(g["hoyeste_nivaa"] for g in members)
        return {
            **base,
            "gruppe": name,
            "status": OK,
            "antall": n,
            "snitt": mean,
            "lav": mean - half,
            "hoy": mean + half,
            "sd": sd,
            "andel_laveste_nivaa": low / level if level else None,
            "andel_hoyeste_nivaa": high / level if level else None,
            "andel_mellom_grupper": None,
        }

    hidden = stats.complementary_suppression([g["antall"] for g in groups], minimum)
    everyone = described("alle", groups)
    if len(groups) > 1 and not any(hidden) and total_n > len(groups):
        everyone["andel_mellom_grupper"] = stats.between_group_share(
            [
                stats.GroupSummary("s", g["gruppe"], g["antall"], g["snitt"], g["kvadratsum"])
                for g in groups
            ]
        )
    rows = [everyone]
    for group, is_hidden in zip(groups, hidden, strict=True):
        if is_hidden:
            rows.append({**base, **hidden_row, "gruppe": group["gruppe"]})
        else:
            rows.append(described(group["gruppe"], [group]))
    return rows


@pytest.mark.parametrize("source", ["sample", "sample_unsuppressed"])
def test_groups_within_schools_are_the_scalar_formulas(
    source: str, request: pytest.FixtureRequest
) -> None:
    """Every school's «alle» and group rows, hidden ones included (numbers to 1e-12: the pooled
    sum of squares is summed in two exact parts, within and between the groups); the
    cross-table plan applied as skjerming.grupper_rows applies it to one school's rows."""
    settings: Settings = request.getfixturevalue(source)
    minimum = settings.min_group
    with open_store(settings.db_path, read_only=True) as store:
        raw = analyses.run_query(
            store,
            "variasjon_grupper",
            {"aar": None, "trinn": None, "prove": None, "kommune": None, "skole": None},
        ).to_dicts()
        plan = analyses.suppression_plan(store, minimum)
        shown = variasjon.within_schools(store, Filters(), minimum).to_dicts()
    schools: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for row in raw:
        schools.setdefault(
            tuple(row[k] for k in ("skoleaar", "trinn", "prove", "enhet_id")), []
        ).append(row)
    expected = []
    for groups in schools.values():
        expected.extend(skjerming.grupper_rows(_one_school(groups, minimum), plan, SUPPRESSED))
    assert len(shown) == len(expected) > 20
    for found, wanted in zip(shown, expected, strict=True):
        assert found.keys() <= wanted.keys()
        for key, value in found.items():
            if isinstance(value, float) and math.isfinite(value):
                assert close(value, wanted[key]), (key, value, wanted[key])
            else:
                assert value == wanted[key], (key, value, wanted[key])
    statuses = {row["status"] for row in shown}
    assert statuses == ({OK, SUPPRESSED} if minimum > 1 else {OK})


def test_decomposition_is_the_scalar_formula(sample_unsuppressed: Settings) -> None:
    """Per kommune cell, stats.nested_variance_components of its groups (schools under the
    minimum left out), in the order of the query's rows."""
    minimum = 10  # leaves schools out of the sample kommune's cells
    with open_store(sample_unsuppressed.db_path, read_only=True) as store:
        raw = analyses.run_query(
            store,
            "variasjon_grupper",
            {"aar": None, "trinn": None, "prove": None, "kommune": None, "skole": None},
        ).to_dicts()
        shown = variasjon.decomposition(store, Filters(), minimum).to_dicts()
    cells: dict[tuple[Any, ...], list[stats.GroupSummary]] = {}
    for g in raw:
        cells.setdefault(tuple(g[k] for k in CELL), []).append(
            stats.GroupSummary(g["enhet_id"], g["gruppe"], g["antall"], g["snitt"], g["kvadratsum"])
        )
    expected, left_out = [], 0
    for key, groups in cells.items():
        sizes: dict[str, int] = {}
        for g in groups:
            sizes[g.school] = sizes.get(g.school, 0) + g.n
        kept = [g for g in groups if sizes[g.school] >= minimum]
        left_out += len(kept) < len(groups)
        try:
            expected.append((key, stats.nested_variance_components(kept)))
        except ValueError:
            continue
    assert left_out > 0 and len(expected) == len(shown) > 5
    for (key, parts), row in zip(expected, shown, strict=True):
        assert tuple(row[k] for k in CELL) == key
        assert (row["antall"], row["grupper"], row["skoler"]) == (
            parts.pupils,
            parts.groups,
            parts.schools,
        )
        assert close(row["var_mellom_skoler"], parts.between_schools)
        assert close(row["var_mellom_grupper"], parts.between_groups)
        assert close(row["var_innen_grupper"], parts.within_groups)


@pytest.mark.parametrize("independent", [False, True])
def test_cohort_and_trend_are_the_scalar_formulas(real_np: Settings, independent: bool) -> None:
    """progresjon --del kull and trend: each published mean's variance is
    Uncertainty.published (class model of its trinn, Udir's uncertainty, the rounding)."""
    filters = Filters(independent_pupils=independent)
    with open_store(real_np.db_path, read_only=True) as store:
        unc = analyses.uncertainty(store, filters)
        raw = analyses.run_query(
            store,
            "progresjon_kull",
            {"aar": None, "prove": None, "kommune": None, "skole": None},
        )
        published_rows = analyses.run_query(
            store,
            "progresjon_trend",
            {"trinn": None, "prove": None, "kommune": None, "skole": None},
        ).to_dicts()
        cohort = progresjon.cohort(store, filters, 10).to_dicts()
        trend = progresjon.trend(store, filters, 10).to_dicts()
    rows = raw.filter((pl.col("fra_antall") >= 10) & (pl.col("til_antall") >= 10)).to_dicts()
    assert len(rows) == len(cohort) > 20

    def published(row: dict[str, Any], end: str) -> float:
        model = unc.model(row["kommunenr"], row[f"{end}_trinn"], row["prove"])
        value = row[f"{end}_skalapoeng"]
        return unc.published(
            model, stats.rounding_variance(value), row[f"{end}_usikkerhet"], row[f"{end}_antall"]
        ).total

    def nation(row: dict[str, Any], end: str) -> float:
        half = row[f"{end}_landet_usikkerhet"]
        spread = stats.se_from_half_width(half) ** 2 if half else 0.0
        return spread + unc.rounding(stats.rounding_variance(row[f"{end}_landet"]))

    flagged = 0
    for row, found in zip(rows, cohort, strict=True):
        assert found["enhet_id"] == row["enhet_id"]
        ends = published(row, "fra") + published(row, "til")
        if row["fra_trinn"] == 8:
            change = row["til_skalapoeng"] - row["fra_skalapoeng"]
            assert found["endring_lav"] == change - stats.Z95 * math.sqrt(ends)
        if found["endring_mot_landet"] is not None:
            se = math.sqrt(ends + nation(row, "fra") + nation(row, "til"))
            assert found["endring_mot_landet_hoy"] == found["endring_mot_landet"] + stats.Z95 * se
            assert found["flagg"] == stats.flag(found["endring_mot_landet"], se)
            flagged += 1
    assert flagged > 20
    by_key = {(r["enhet_id"], r["trinn"], r["prove"], r["skoleaar"]): r for r in published_rows}
    shown = [r for r in trend if r["status"] == OK]
    assert len(trend) == len(published_rows) and len(shown) > 20
    for found in shown:
        row = by_key[(found["enhet_id"], found["trinn"], found["prove"], found["skoleaar"])]
        var = unc.published(
            unc.model(row["kommunenr"], row["trinn"], row["prove"]),
            stats.rounding_variance(row["skalapoeng"]),
            row["usikkerhet"],
            row["antall"],
        )
        assert found["lav"] == row["skalapoeng"] - stats.Z95 * var.se
        assert found["usikkerhet_kilde"] == var.source


def test_links_are_pearson_and_fisher_with_the_plan_applied(sample: Settings) -> None:
    """fag --del sammenheng: r from the sums, Fisher's z interval, and «low in only one»
    blanked exactly where skjerming.sammenheng_rows blanks it for the plan."""
    with open_store(sample.db_path, read_only=True) as store:
        raw = analyses.run_query(
            store, "fag_sammenheng", {"aar": None, "trinn": None, "kommune": None, "skole": None}
        )
        plan = analyses.suppression_plan(store, sample.min_group)
        shown = fag.links(store, Filters(), sample.min_group).to_dicts()
    rows = raw.filter(pl.col("antall") >= sample.min_group).to_dicts()
    assert len(rows) == len(shown) > 10
    expected_rows = skjerming.sammenheng_rows([dict(r) for r in rows], plan)
    blanked = 0
    for row, wanted, found in zip(rows, expected_rows, shown, strict=True):
        n = row["antall"]
        var_a = n * row["sum_aa"] - row["sum_a"] ** 2
        var_b = n * row["sum_bb"] - row["sum_b"] ** 2
        r = (n * row["sum_ab"] - row["sum_a"] * row["sum_b"]) / math.sqrt(var_a * var_b)
        assert close(found["korrelasjon"], r)
        half = stats.Z95 / math.sqrt(n - 3)
        assert close(found["korrelasjon_lav"], math.tanh(math.atanh(r) - half))
        for name in skjerming.LOW_IN_ONE:
            if name in wanted and wanted[name] is None:
                assert found[name] is None
        blanked += wanted["lav_bare_a"] is None
        assert (found["lav_bare_a"] is None) == (wanted["lav_bare_a"] is None)
        if found["lav_bare_a"] is not None:
            assert found["andel_lav_bare_a"] == row["lav_bare_a"] / n
    assert 0 < blanked < len(rows)  # the sample's plan hides some, not all


def test_gain_models_are_the_scalar_class_models(sample_unsuppressed: Settings) -> None:
    """progresjon's class share of a change: usikkerhet.class_model_from of the classes'
    summaries (blocks school × year × test), per transition and per kommune."""
    from tallkit.analyses.usikkerhet import (
        MIN_DF_OWN,
        SOURCE_ALL,
        SOURCE_OWN,
        class_model_from,
        group_summaries,
    )

    with open_store(sample_unsuppressed.db_path, read_only=True) as store:
        classes = progresjon._classes(store, Filters())
    models, _ = progresjon._make_gain_models(classes, Uncertainty())
    rows = classes.to_dicts()
    checked = 0
    for trinn in {r["fra_trinn"] for r in rows}:
        of_trinn = [r for r in rows if r["fra_trinn"] == trinn]
        block = ("skole", "til_aar", "prove")
        everyone = class_model_from(group_summaries(of_trinn, block, "klynge"), SOURCE_ALL)
        assert everyone is not None
        assert close(models[(None, trinn)].icc, everyone.icc)
        assert close(models[(None, trinn)].group_size, everyone.group_size)
        for kommune in {r["kommunenr"] for r in of_trinn}:
            own = [r for r in of_trinn if r["kommunenr"] == kommune]
            found = class_model_from(group_summaries(own, block, "klynge"), SOURCE_OWN, MIN_DF_OWN)
            expected = found or everyone
            assert models[(kommune, trinn)].source == expected.source
            assert close(models[(kommune, trinn)].icc, expected.icc)
            checked += 1
    assert checked >= 2


def test_pooled_years_without_pupil_data_are_unknown_not_nan(real_np: Settings) -> None:
    """--slaa-sammen on exports without pupil data: the pooled pupil SD and class size are
    null (unknown: the class model's typical class stands in), never 0/0 = NaN, which the
    design effect read as «no classes» (1.0) and polars as «one class of the whole school»."""
    with open_store(real_np.db_path, read_only=True) as store:
        filters = Filters(pool_years=2)
        rows = analyses.school_rows(store, filters, real_np.min_group)
        unc = analyses.uncertainty(store, filters)
    assert rows.height > 20
    for column in ("elev_sd", "elev_gruppestorrelse", "elev_snitt", "skalapoeng"):
        assert rows[column].is_nan().sum() == 0, column
    assert rows["elev_gruppestorrelse"].null_count() == rows.height
    compared = compare_frame(rows, unc).to_dicts()
    for row in compared:
        model = unc.model(row["kommunenr"], row["trinn"], row["prove"])
        assert close(row["design_effekt"], model.design_effect(row["antall"]))
    assert any(row["design_effekt"] > 1.0 for row in compared)


VALUE_ADDED_KEY = ("til_aar", "fra_trinn", "prove", "kommunenr", "enhet_id")


@pytest.mark.parametrize("minimum", [5, 10])
def test_paired_change_and_value_added_apply_the_plan_as_its_keys_say(
    sample: Settings, minimum: int
) -> None:
    """progresjon --del elever and verdiskaping join the plan's hidden keys as frames: a row is
    blanked (elever) or dropped (verdiskaping) exactly where ``Plan.shows`` says its key is
    hidden, with the trinn as the plan's int and the rest as strings."""
    with open_store(sample.db_path, read_only=True) as store:
        plan = analyses.suppression_plan(store, minimum)
        pairs = progresjon.paired(store, Filters(), 1)  # nothing hidden by the part itself
        added = progresjon.value_added(store, Filters(), 1)
    assert pairs.height and added.height
    hidden_pairs = skjerming.elever_frame(pairs, plan, SUPPRESSED)
    kept = skjerming.verdiskaping_frame(added, plan)
    blanked = 0
    rows = zip(pairs.iter_rows(named=True), hidden_pairs.iter_rows(named=True), strict=True)
    for before, after in rows:
        columns = ("til_aar", "fra_trinn", "prove", "enhet_id", "gruppe")
        key = ("elever", *(before[c] for c in columns))
        if plan.shows(key):
            assert after == before
        else:
            blanked += 1
            assert after["status"] == SUPPRESSED
            assert after["antall"] is None and after["endring"] is None
            assert after["enhet_id"] == before["enhet_id"]
    assert blanked > 0
    expected = [
        r
        for r in added.iter_rows(named=True)
        if plan.shows(("verdiskaping", *(r[c] for c in VALUE_ADDED_KEY)))
    ]
    assert kept.to_dicts() == expected
    assert len(expected) < added.height  # the plan hides some school at both minimums


def _paired_rows_one_by_one(store: Any, min_group: int) -> pl.DataFrame:
    """progresjon --del elever as it was written before it was column-wise: one school at a
    time, its groups sorted by name as text, complementary suppression per school, the
    interval t(n−1)·SD·√(deff/n) with the school's own class size (a group: its n)."""
    filters = Filters()
    classes = progresjon._classes(store, filters)
    models = progresjon._gain_models(
        store, filters, classes, analyses.uncertainty_defaults(filters)
    )
    keys = ["til_aar", "fra_trinn", "til_trinn", "prove", "skole"]
    schools = progresjon._pooled(classes, [*keys, "kommunenr"]).to_dicts()
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for row in progresjon._pooled(classes, [*keys, "gruppe"]).to_dicts():
        if row["gruppe"] != "alle":
            groups.setdefault(tuple(row[k] for k in keys), []).append(row)
    out: list[dict[str, Any]] = []
    for total in schools:
        model = progresjon._model(models, total["kommunenr"], total["fra_trinn"])
        members = sorted(
            groups.get(tuple(total[k] for k in keys), []), key=lambda r: str(r["gruppe"])
        )
        hidden = stats.complementary_suppression([g["antall"] for g in members], min_group)
        for row, is_hidden in [
            (total, total["antall"] < min_group),
            *zip(members, hidden, strict=True),
        ]:
            base = {k: row[k] for k in ("til_aar", "fra_trinn", "til_trinn", "prove")}
            base |= {"enhet_id": row["skole"], "gruppe": "alle" if row is total else row["gruppe"]}
            if is_hidden:
                out.append({**base, "status": SUPPRESSED})
                if row is total:
                    break
                continue
            n, levels = row["antall"], row["med_niva"]
            sd = math.sqrt(row["kvadratsum"] / (n - 1)) if n > 1 else 0.0
            deff = model.design_effect(n, row["_gs"] if row is total else float(n))
            half = stats.t_quantile(0.975, n - 1) * sd * math.sqrt(deff / n)
            out.append(
                {
                    **base,
                    "status": OK,
                    "antall": n,
                    "endring": row["snitt"],
                    "endring_lav": row["snitt"] - half,
                    "endring_hoy": row["snitt"] + half,
                    "andel_opp": row["opp"] / levels if levels else None,
                    "andel_samme": row["samme"] / levels if levels else None,
                    "andel_ned": row["ned"] / levels if levels else None,
                    "usikkerhet_kilde": f"elevdata; {model.source}",
                }
            )
    plan = analyses.suppression_plan(store, min_group)
    return skjerming.elever_frame(
        analyses.frame_of(out, progresjon.PAIRED_SCHEMA), plan, SUPPRESSED
    )


@pytest.mark.parametrize("minimum", [2, 5, 10])
def test_paired_change_is_the_school_by_school_computation(sample: Settings, minimum: int) -> None:
    """Bit for bit, every row (at 10 most schools and groups are hidden, at 2 almost none)."""
    with open_store(sample.db_path, read_only=True) as store:
        expected = _paired_rows_one_by_one(store, minimum)
        found = progresjon.paired(store, Filters(), minimum)
    assert_frame_equal(found, expected, check_exact=True)
    assert found.filter(pl.col("gruppe") != "alle")["status"].eq(OK).any()


def _value_added_one_cell_at_a_time(store: Any, min_group: int) -> pl.DataFrame:
    """progresjon --del verdiskaping as it was written before it was column-wise: per cell, each
    shown school against its kommune with the rest's own variance (fsum over the other schools),
    then stats.shrink over the cell's shown schools."""
    filters = Filters()
    classes = progresjon._classes(store, filters)
    models = progresjon._gain_models(
        store, filters, classes, analyses.uncertainty_defaults(filters)
    )
    cell_keys = ["til_aar", "fra_trinn", "til_trinn", "prove", "kommunenr"]
    cells: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for row in progresjon._pooled(classes, [*cell_keys, "skole"]).to_dicts():
        cells.setdefault(tuple(row[k] for k in cell_keys), []).append(row)
    out = []
    for key, schools in cells.items():
        model = progresjon._model(models, key[4], key[1])
        n_all = sum(c["antall"] for c in schools)
        mean = math.fsum(c["antall"] * c["snitt"] for c in schools) / n_all
        if key[1] == 5:
            # 5. -> 8. trinn is centred on the kommune's pairs in SQL: its mean is 0 but for
            # rounding, and value_added writes it as 0
            assert abs(mean) < 1e-9, (key, mean)
            mean = 0.0
        shown = [c for c in schools if min_group <= c["antall"] < n_all]
        estimates = {}
        for c in shown:
            n, rest = c["antall"], [r for r in schools if r is not c]
            rest_n = n_all - n
            within = math.fsum(r["kvadratsum"] for r in rest) / max(rest_n - len(rest), 1)
            rest_var = within * model.design_effect(rest_n) / rest_n
            variance = c["kvadratsum"] / (n - 1) if n > 1 else 0.0
            own_var = variance * model.design_effect(n, c["_gs"]) / n
            se = stats.part_whole_difference_se(own_var, rest_var, n / n_all)
            estimates[c["skole"]] = (c, analyses.Difference(c["snitt"] - mean, se, mean))
        names = sorted(estimates)
        shrunk = (
            stats.shrink(
                [estimates[k][1].value for k in names],
                [max(estimates[k][1].se ** 2, 1e-9) for k in names],
            )
            if len(names) > 1
            else None
        )
        for index, school in enumerate(names):
            c, diff = estimates[school]
            est = shrunk.estimates[index] if shrunk else diff.value
            est_se = shrunk.ses[index] if shrunk else diff.se
            out.append(
                {
                    **dict(zip(cell_keys, key, strict=True)),
                    "enhet_id": school,
                    "antall": c["antall"],
                    "restledd": diff.value,
                    "restledd_lav": diff.low,
                    "restledd_hoy": diff.high,
                    "krympet": est,
                    "krympet_lav": est - stats.Z95 * est_se,
                    "krympet_hoy": est + stats.Z95 * est_se,
                    "flagg": diff.flag,
                    "usikkerhet_kilde": f"elevdata; {model.source}",
                    "stigning": 1.0,
                    "konstant": mean,
                    "metode": progresjon.VALUE_ADDED_METHOD,
                }
            )
    plan = analyses.suppression_plan(store, min_group)
    return skjerming.verdiskaping_frame(analyses.frame_of(out, progresjon.VALUE_ADDED_SCHEMA), plan)


@pytest.mark.parametrize("minimum", [1, 10])
def test_value_added_is_the_cell_by_cell_computation(
    sample_unsuppressed: Settings, minimum: int
) -> None:
    """Bit for bit (the rest's sum exactly rounded as fsum, squares as Python's pow), with
    nothing hidden and at the real minimum, where the plan hides some schools (until the
    kommune cells ranked with their rows, it hid every one: 84 of 84 here)."""
    with open_store(sample_unsuppressed.db_path, read_only=True) as store:
        expected = _value_added_one_cell_at_a_time(store, minimum)
        found = progresjon.value_added(store, Filters(), minimum)
    assert_frame_equal(found, expected, check_exact=True)
    assert found.height > (50 if minimum == 1 else 10) and found["flagg"].n_unique() > 1


def test_squared_is_python_s_power_of_two() -> None:
    values = [i / 7.3 + 1e-3 * i for i in range(20_000)]
    found = pl.DataFrame({"x": values}).select(squared(pl.col("x")))["x"].to_list()
    assert found == [v**2 for v in values]
    assert any(v**2 != v * v for v in values)  # else this would not test anything


def test_complementary_suppression_column_wise_is_the_rule_unit_by_unit() -> None:
    """kolonner.complementary_suppression hides, per unit, what stats.complementary_suppression
    hides for the unit's group sizes in row order: units in any order, a null in the key
    (a school without a kommune is one unit), sizes of 0, ties."""
    rng = random.Random(11)
    rows = []
    for unit in range(3_000):
        key = None if unit % 13 == 0 else f"k{unit % 401}"
        for _ in range(rng.randint(1, 6)):
            size = rng.choice([0, 1, 2, 3, 5, 8, 9, 10, 11, 12, 15, 20, rng.randint(0, 40)])
            rows.append((key, unit // 401, size))
    frame = pl.DataFrame(
        rows, schema={"k": pl.String, "u": pl.Int64, "antall": pl.Int64}, orient="row"
    ).sample(fraction=1.0, shuffle=True, seed=3)
    units = frame.with_row_index("i").group_by(["k", "u"], maintain_order=True).agg("i", "antall")
    for minimum in (1, 5, 10, 15):
        found = complementary_suppression(frame, ["k", "u"], minimum).to_list()
        expected: list[bool | None] = [None] * frame.height
        for rows_of_unit, sizes in zip(
            units["i"].to_list(), units["antall"].to_list(), strict=True
        ):
            for i, hidden in zip(
                rows_of_unit, stats.complementary_suppression(sizes, minimum), strict=True
            ):
                expected[i] = hidden
        assert found == expected, minimum
        assert any(found) and not all(found)
