"""Statistics against independent computations: scipy, numpy, and simulations with known truth."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats as sp

from tallkit import stats


@given(st.floats(min_value=0.001, max_value=0.999), st.integers(min_value=1, max_value=400))
def test_t_quantile_matches_scipy(p: float, df: int) -> None:
    assert stats.t_quantile(p, df) == pytest.approx(sp.t.ppf(p, df), rel=1e-7, abs=1e-7)


def _plain_bisection(p: float, df: float) -> float:
    """t_quantile as it was before its bracket: every step asks t_cdf."""
    lo, hi = -1.0, 1.0
    while stats.t_cdf(lo, df) > p:
        lo *= 2.0
    while stats.t_cdf(hi, df) < p:
        hi *= 2.0
    for _ in range(200):
        mid = (lo + hi) / 2.0
        if stats.t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-12:
            break
    return (lo + hi) / 2.0


@given(
    st.sampled_from([0.975, 0.025, 0.995, 0.9, 0.999, 0.6]),
    st.one_of(st.integers(min_value=1, max_value=5000), st.floats(min_value=0.5, max_value=1e6)),
)
def test_t_quantile_bracket_changes_no_bit(p: float, df: float) -> None:
    # the Newton bracket only skips questions whose answer it has proved: same bits as before,
    # so no report number moves (the golden files hold them too)
    assert stats.quantile_by_bisection(p, df) == _plain_bisection(p, df)


def test_the_t_table_holds_the_computed_bits() -> None:
    """t_quantile(0.975, df) comes from src/tallkit/data/t975.txt for whole df up to the
    table's end: the file is exactly what `make t-tabell` writes now (shortest reprs, so the
    same floats), and a looked-up value equals the computed one and scipy's."""
    assert stats.T975_TABLE.read_text(encoding="ascii") == stats.t975_table_text()
    stats.t_quantile.cache_clear()
    last = stats.T975_TABLE_MAX_DF
    for df in (1, 2, 3, 30, 383, last):
        looked_up = stats.t_quantile(0.975, df)
        assert looked_up == _plain_bisection(0.975, df)
        assert looked_up == pytest.approx(sp.t.ppf(0.975, df), rel=1e-9)
    # past the table, and a fractional df, are computed as before
    assert stats.t_quantile(0.975, last + 1) == _plain_bisection(0.975, last + 1)
    assert stats.t_quantile(0.975, 7.5) == _plain_bisection(0.975, 7.5)


def test_mean_interval_matches_scipy() -> None:
    values = [41.0, 55.0, 48.0, 62.0, 39.0, 50.0, 47.0, 53.0, 58.0, 44.0]
    est = stats.mean_interval(values)
    low, high = sp.t.interval(0.95, len(values) - 1, loc=np.mean(values), scale=sp.sem(values))
    assert (est.low, est.high) == (pytest.approx(low), pytest.approx(high))


def test_part_whole_se_matches_a_simulation() -> None:
    rng = np.random.default_rng(1)
    n_school, n_rest, sd = 40, 360, 10.0
    weight = n_school / (n_school + n_rest)
    diffs = []
    for _ in range(20_000):
        school = rng.normal(50, sd, n_school).mean()
        rest = rng.normal(50, sd, n_rest).mean()
        whole = weight * school + (1 - weight) * rest
        diffs.append(school - whole)
    se_school = sd / math.sqrt(n_school)
    se_whole = sd / math.sqrt(n_school + n_rest)
    expected = stats.part_whole_se(se_school, se_whole, weight)
    assert float(np.std(diffs)) == pytest.approx(expected, rel=0.02)
    # the naive formula (independent school and kommune) is clearly wrong here
    assert math.hypot(se_school, se_whole) > expected * 1.05


def test_part_whole_difference_se_matches_a_simulation_with_classes_and_rounding() -> None:
    # A school that is 90 % of its kommune: the old form (1 − 2w)·se² + se_k² went to zero
    # whenever the two SEs came from different sources; this one is what the simulation shows.
    rng = np.random.default_rng(7)
    school_classes, rest_classes, size, icc, sd = 4, 1, 20, 0.05, 8.6
    class_sd, pupil_sd = sd * math.sqrt(icc), sd * math.sqrt(1 - icc)
    diffs = []
    for _ in range(20_000):
        school = np.concatenate(
            [rng.normal(rng.normal(0, class_sd), pupil_sd, size) for _ in range(school_classes)]
        )
        rest = np.concatenate(
            [rng.normal(rng.normal(0, class_sd), pupil_sd, size) for _ in range(rest_classes)]
        )
        whole = np.concatenate([school, rest]).mean()
        diffs.append(round(school.mean()) - round(whole))
    n_s, n_r = school_classes * size, rest_classes * size
    weight = n_s / (n_s + n_r)
    var_s = sd**2 / n_s * stats.design_effect(icc, size)
    var_r = sd**2 / n_r * stats.design_effect(icc, size)
    expected = stats.part_whole_difference_se(var_s, var_r, weight, 2 * stats.ROUNDING_VARIANCE)
    assert float(np.std(diffs)) == pytest.approx(expected, rel=0.03)
    assert expected > 0.5  # never the zero width the old clamp gave


def test_design_effect_matches_a_simulation_of_clustered_means() -> None:
    rng = np.random.default_rng(3)
    sizes, icc = [12, 25, 25], 0.08
    means = [
        np.concatenate(
            [rng.normal(rng.normal(0, math.sqrt(icc)), math.sqrt(1 - icc), n) for n in sizes]
        ).mean()
        for _ in range(20_000)
    ]
    m = stats.effective_group_size(sizes)
    assert m == pytest.approx((12**2 + 2 * 25**2) / 62)
    expected = stats.design_effect(icc, m) / sum(sizes)
    assert float(np.var(means)) == pytest.approx(expected, rel=0.03)


def test_group_components_recover_the_class_share_on_average() -> None:
    rng = np.random.default_rng(11)
    estimates = []
    for _ in range(200):
        groups = []
        for block in range(30):
            shift = rng.normal(0, 3)  # the school's level: must not count as class variance
            for g in range(int(rng.integers(1, 4))):
                x = shift + rng.normal(0, 2) + rng.normal(0, 8.6, int(rng.integers(12, 28)))
                ss = float(((x - x.mean()) ** 2).sum())
                groups.append(stats.GroupSummary(str(block), str(g), len(x), float(x.mean()), ss))
        found = stats.group_components(groups)
        assert found is not None
        estimates.append(found.icc)
    assert float(np.mean(estimates)) == pytest.approx(4 / (4 + 8.6**2), abs=0.006)
    one_group_each = [stats.GroupSummary(str(b), "a", 20, 50.0, 100.0) for b in range(5)]
    assert stats.group_components(one_group_each) is None


def test_additive_overdispersion_matches_its_formula_and_a_simulation() -> None:
    rng = np.random.default_rng(5)
    estimates, outside, naive = [], [], []
    for _ in range(50):
        ses = rng.uniform(0.8, 3.0, 400)
        values = rng.normal(0, np.sqrt(ses**2 + 2.0**2))  # real variation between units: τ = 2
        z = values / ses
        w = 1 / ses**2
        direct = (np.sum(z**2) - (len(z) - 1)) / (w.sum() - (w**2).sum() / w.sum())
        tau2 = stats.additive_overdispersion(z.tolist(), ses.tolist())
        assert tau2 == pytest.approx(max(direct, 0.0), rel=1e-9)
        estimates.append(tau2)
        outside.append(np.mean(np.abs(values) > stats.Z998 * np.sqrt(ses**2 + tau2)))
        naive.append(np.mean(np.abs(values) > stats.Z998 * ses))
    assert float(np.mean(estimates)) == pytest.approx(4.0, rel=0.05)
    assert float(np.mean(outside)) < 0.005  # about the 0.2 % the limits promise
    assert float(np.mean(naive)) > 0.05  # without τ², thirty times the promised share


def test_bonferroni_z_matches_scipy() -> None:
    from scipy.stats import norm

    assert stats.bonferroni_z(9) == pytest.approx(norm.ppf(1 - 0.05 / 18), rel=1e-9)
    assert stats.bonferroni_z(1) == pytest.approx(norm.ppf(0.975), rel=1e-9)


def test_rounding_variance_only_for_whole_points() -> None:
    assert stats.rounding_variance(51.0) == pytest.approx(1 / 12)
    assert stats.rounding_variance(51.4) == 0.0
    assert stats.rounding_variance(None) == 0.0


def test_flag() -> None:
    assert stats.flag(5.0, 2.0) == stats.OVER
    assert stats.flag(-5.0, 2.0) == stats.UNDER
    assert stats.flag(3.0, 2.0) == stats.NOT_SURE


def _simulate_schools(
    rng: np.random.Generator, k: int = 40
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    tau = 3.0
    truth = 50 + rng.normal(0, tau, k)
    n = rng.integers(10, 90, k)
    se = 10.0 / np.sqrt(n)
    observed = truth + rng.normal(0, se)
    return truth, observed, se**2


def test_shrinkage_lowers_the_error_against_the_truth_and_covers_it() -> None:
    rng = np.random.default_rng(7)
    raw_err = shrunk_err = 0.0
    covered = total = 0
    for _ in range(300):
        truth, observed, var = _simulate_schools(rng)
        result = stats.shrink(observed.tolist(), var.tolist())
        est = np.array(result.estimates)
        raw_err += float(np.mean((observed - truth) ** 2))
        shrunk_err += float(np.mean((est - truth) ** 2))
        se = np.array(result.ses)
        covered += int(np.sum(np.abs(est - truth) <= stats.Z95 * se))
        total += len(truth)
    assert shrunk_err < 0.85 * raw_err
    assert 0.93 <= covered / total <= 0.97


def test_dersimonian_laird_tau2_matches_a_direct_computation() -> None:
    rng = np.random.default_rng(3)
    _, y, v = _simulate_schools(rng, k=25)
    w = 1 / v
    fixed = np.sum(w * y) / np.sum(w)
    q = np.sum(w * (y - fixed) ** 2)
    c = np.sum(w) - np.sum(w**2) / np.sum(w)
    tau2 = max(0.0, (q - (len(y) - 1)) / c)
    assert stats.shrink(y.tolist(), v.tolist()).tau2 == pytest.approx(tau2)


def test_raw_intervals_cover_about_95_percent() -> None:
    rng = np.random.default_rng(11)
    covered = 0
    runs = 4000
    for _ in range(runs):
        sample = rng.normal(52.0, 10.0, 15)
        est = stats.mean_interval(sample.tolist())
        covered += est.low <= 52.0 <= est.high
    assert 0.94 <= covered / runs <= 0.96


def test_funnel_limits_hold_95_percent_of_schools_at_the_reference() -> None:
    rng = np.random.default_rng(5)
    inside = total = 0
    for _ in range(4000):
        n = int(rng.integers(10, 80))
        mean = rng.normal(50, 10, n).mean()
        low, high = stats.funnel_limits(50.0, 10.0, n, stats.Z95)
        inside += stats.funnel_position(mean, low, high) == stats.INSIDE
        total += 1
    assert 0.94 <= inside / total <= 0.96


def test_rank_intervals() -> None:
    ranks = stats.rank_intervals([60.0, 50.0, 49.5, 40.0], [1.0, 1.0, 1.0, 1.0])
    assert ranks == [(1, 1), (2, 3), (2, 3), (4, 4)]
    # with huge uncertainty nobody can be ranked
    assert stats.rank_intervals([60.0, 40.0], [50.0, 50.0]) == [(1, 2), (1, 2)]


def _nested_data(rng: np.random.Generator, balanced: bool) -> list[tuple[str, str, float]]:
    rows = []
    for s in range(30):
        school = rng.normal(0, 3.0)
        for g in range(int(rng.integers(2, 5)) if not balanced else 3):
            group = rng.normal(0, 2.0)
            size = int(rng.integers(8, 30)) if not balanced else 20
            for x in rng.normal(50 + school + group, 9.0, size):
                rows.append((f"s{s}", f"g{g}", float(x)))
    return rows


def test_variance_decomposition_matches_the_balanced_closed_form() -> None:
    rng = np.random.default_rng(2)
    rows = _nested_data(rng, balanced=True)
    y = np.array([r[2] for r in rows]).reshape(30, 3, 20)
    ms_w = np.sum((y - y.mean(axis=2, keepdims=True)) ** 2) / (30 * 3 * 19)
    ms_g = 20 * np.sum((y.mean(axis=2) - y.mean(axis=(1, 2))[:, None]) ** 2) / (30 * 2)
    ms_s = 60 * np.sum((y.mean(axis=(1, 2)) - y.mean()) ** 2) / 29
    result = stats.nested_variance_components(stats.summarise_groups(rows))
    assert result.within_groups == pytest.approx(ms_w)
    assert result.between_groups == pytest.approx(max(0.0, (ms_g - ms_w) / 20))
    assert result.between_schools == pytest.approx(max(0.0, (ms_s - ms_g) / 60))


def test_variance_decomposition_is_close_to_the_truth_on_average() -> None:
    rng = np.random.default_rng(9)
    runs = [
        stats.nested_variance_components(stats.summarise_groups(_nested_data(rng, balanced=False)))
        for _ in range(60)
    ]
    assert np.mean([r.between_schools for r in runs]) == pytest.approx(9.0, rel=0.15)
    assert np.mean([r.between_groups for r in runs]) == pytest.approx(4.0, rel=0.2)
    assert np.mean([r.within_groups for r in runs]) == pytest.approx(81.0, rel=0.03)


@given(st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=8), st.integers(5, 15))
def test_complementary_suppression_never_leaves_a_derivable_small_group(
    sizes: list[int], minimum: int
) -> None:
    hidden = stats.complementary_suppression(sizes, minimum)
    assert all(h for n, h in zip(sizes, hidden, strict=True) if n < minimum)
    hidden_total = sum(n for n, h in zip(sizes, hidden, strict=True) if h)
    assert hidden_total == 0 or hidden_total >= minimum or all(hidden)


def test_between_group_share_matches_a_direct_one_way_anova() -> None:
    rng = np.random.default_rng(4)
    groups = [rng.normal(50 + rng.normal(0, 3), 9, int(rng.integers(12, 28))) for _ in range(5)]
    rows = [("s", f"g{i}", float(x)) for i, g in enumerate(groups) for x in g]
    everything = np.concatenate(groups)
    k, n = len(groups), len(everything)
    ms_b = sum(len(g) * (g.mean() - everything.mean()) ** 2 for g in groups) / (k - 1)
    ms_w = sum(((g - g.mean()) ** 2).sum() for g in groups) / (n - k)
    n0 = (n - sum(len(g) ** 2 for g in groups) / n) / (k - 1)
    var_b = max(0.0, (ms_b - ms_w) / n0)
    expected = var_b / (var_b + ms_w)
    assert stats.between_group_share(stats.summarise_groups(rows)) == pytest.approx(expected)


@given(st.integers(min_value=1, max_value=500), st.data())
def test_wilson_interval_matches_scipy(n: int, data: st.DataObject) -> None:
    k = data.draw(st.integers(min_value=0, max_value=n))
    expected = sp.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    low, high = stats.wilson_interval(k, n)
    assert (low, high) == (
        pytest.approx(expected.low, abs=1e-9),
        pytest.approx(expected.high, abs=1e-9),
    )


def _share_coverage(p: float, n: int, se_of: Callable[[float, int], float]) -> float:
    """Exact coverage (binomial probabilities, no simulation) of share ± z·SE for the true p."""
    return math.fsum(
        math.comb(n, x) * p**x * (1 - p) ** (n - x)
        for x in range(n + 1)
        if abs(x / n - p) <= stats.Z95 * se_of(x / n, n)
    )


@pytest.mark.parametrize("n", [10, 21, 40, 120])
@pytest.mark.parametrize("p", [0.02, 0.05, 0.1, 0.3, 0.5])
def test_a_share_s_interval_holds_its_level_also_for_small_shares(p: float, n: int) -> None:
    # the bullying share (Elevundersøkelsen) of a class-sized group: often 0 of 20
    def plain(share: float, size: int) -> float:
        return math.sqrt(share * (1 - share) / size)

    adjusted, before = _share_coverage(p, n, stats.share_se), _share_coverage(p, n, plain)
    assert adjusted >= before - 1e-12  # never narrower than the plain binomial interval
    assert adjusted >= 0.88, (p, n, adjusted)  # a binomial's steps: no share hits 0.95 exactly
    if n * p < 2:  # where the plain SE fails (0 of n gives SE 0, «certainly» below)
        assert before < 0.9 and adjusted >= 0.95, (p, n, before, adjusted)


def test_the_rounding_of_a_one_decimal_value_has_the_variance_of_its_error() -> None:
    # independent of the constant: round many true values to one decimal, as Udir publishes
    # Elevundersøkelsen, and measure the error's variance
    true = np.random.default_rng(7).uniform(1.0, 5.0, 200_000)
    error = np.round(true, 1) - true
    assert stats.rounding_variance(3.7, decimals=1) == pytest.approx(float(np.var(error)), rel=0.02)
    assert stats.rounding_variance(3.74, decimals=1) == 0.0  # not a one-decimal publication
    assert stats.rounding_variance(None, decimals=1) == 0.0


def test_a_kommunes_one_decimal_survey_value_carries_its_rounding() -> None:
    from tallkit.analyses import fag
    from tallkit.analyses.usikkerhet import Uncertainty

    row = {
        "kilde": "elevundersokelsen",
        "indikator_kode": "EUIndeks_1384",
        "verdi": 3.7,
        "usikkerhet": None,
        "standardavvik": 0.8,
        "antall": 262,
    }
    se, source = fag._indicator_se(row, Uncertainty())
    plain = 0.8 / math.sqrt(262)
    assert se == pytest.approx(math.sqrt(plain**2 + 0.01 / 12)) and "avrunding" in source
    # «3,7 mot 3,8»: published to one decimal, the true difference may be 0.0 as well as 0.2
    both = math.sqrt(se**2 + fag._published_rounding(row, 3.8, Uncertainty()))
    assert stats.flag(3.7 - 3.8, both) == stats.flag(0.0, 1.0)
    assert stats.flag(3.7 - 3.8, plain) != stats.flag(0.0, 1.0)  # as it was flagged before
    # Udir's own intervals (--uavhengige-elever) leave the rounding out, as for the tests
    assert fag._indicator_se(row, Uncertainty(independent=True)) == (plain, "standardavvik og n")
