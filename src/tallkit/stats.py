"""Small, pure statistics: intervals, part–whole comparisons, shrinkage, funnels, rank intervals,
variance decomposition and suppression. No I/O; every function is tested against an independent
computation (scipy, numpy, or simulation with known truth) in ``tests/test_stats.py``.

Conventions: ``se`` is a standard error; a "half-width" is the ± of a 95 % interval, which is
what Udir's «Usikkerhet» column holds.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from statistics import NormalDist
from typing import Final

Z95: Final = NormalDist().inv_cdf(0.975)  # 1.959964
Z998: Final = NormalDist().inv_cdf(0.999)  # 3.090232: the funnel's outer (99.8 %) limits

# Flags, part of the output contract.
OVER: Final = "over"
UNDER: Final = "under"
NOT_SURE: Final = "ikke_sikker"
INSIDE: Final = "innenfor"


# -- distributions ---------------------------------------------------------------------------


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction for the incomplete beta function (Lentz's method)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c if abs(1.0 + aa / c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c if abs(1.0 + aa / c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-14:
            break
    return h


def _incomplete_beta(a: float, b: float, x: float) -> float:
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """Student's t distribution function."""
    x = df / (df + t * t)
    tail = 0.5 * _incomplete_beta(df / 2.0, 0.5, x)
    return 1.0 - tail if t > 0 else tail


# t_quantile(0.975, df) for df = 1 … this, read from a table that ``make t-tabell`` writes with
# :func:`quantile_by_bisection` (tests/test_stats.py checks every entry bit for bit). Every
# interval tallkit draws asks for 0.975, and df up to a school's size: a fresh command
# computed each one it met (~0.25 ms apiece, 0.6 s over the twelve analysis parts nationally).
T975_TABLE_MAX_DF: Final = 1000
T975_TABLE: Final = Path(__file__).resolve().parent / "data" / "t975.txt"


@cache  # analyses ask for the same few (p, df) pairs hundreds of thousands of times
def t_quantile(p: float, df: float) -> float:
    """Student's t quantile by bisection on :func:`t_cdf` (no scipy at run time); the common
    0.975 with a whole df up to :data:`T975_TABLE_MAX_DF` from the table of the same bits."""
    if p == 0.975 and 1 <= df <= T975_TABLE_MAX_DF and float(df).is_integer():
        return _t975_table()[int(df) - 1]
    return quantile_by_bisection(p, df)


@cache
def _t975_table() -> tuple[float, ...]:
    lines = T975_TABLE.read_text(encoding="ascii").splitlines()
    found = tuple(float(line) for line in lines if line and not line.startswith("#"))
    if len(found) != T975_TABLE_MAX_DF:  # pragma: no cover - a damaged installation
        raise ValueError(f"{T975_TABLE}: {len(found)} verdier, ventet {T975_TABLE_MAX_DF}")
    return found


def t975_table_text() -> str:
    """The table file's text (``make t-tabell``): each value as its shortest repr, which reads
    back as the same float."""
    values = (repr(quantile_by_bisection(0.975, df)) for df in range(1, T975_TABLE_MAX_DF + 1))
    head = "# t_quantile(0.975, df) for df = 1, 2, ... (one per line): `make t-tabell`\n"
    return head + "\n".join(values) + "\n"


def quantile_by_bisection(p: float, df: float) -> float:
    """:func:`t_quantile` computed, not looked up."""
    if not 0.0 < p < 1.0 or df <= 0:
        raise ValueError("p must be in (0, 1) and df positive")
    if p == 0.5:
        return 0.0
    below = _below_quantile(p, df)
    lo, hi = -1.0, 1.0
    while not below(lo) and t_cdf(lo, df) > p:
        lo *= 2.0
    while below(hi):
        hi *= 2.0
    for _ in range(200):
        mid = (lo + hi) / 2.0
        if below(mid):
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-12:
            break
    return (lo + hi) / 2.0


def _below_quantile(p: float, df: float) -> Callable[[float], bool]:
    """``t_cdf(x, df) < p``, answered without the continued fraction where a bracket already
    settles it. A fresh command computes each t quantile it needs (0.5-1 ms by plain bisection;
    a part over many school sizes needs hundreds): a few Newton steps find the quantile to about
    1e-9, and two evaluations confirm it lies inside [a, b] with a margin far above t_cdf's
    rounding. Every x at or below a is then below, every x at or above b is not, and the
    bisection above takes the same steps and returns the same bits as without the bracket.
    Without a confirmed bracket every question goes to :func:`t_cdf`."""

    def asked(value: float) -> bool:
        return t_cdf(value, df) < p

    x = NormalDist().inv_cdf(p)
    try:
        for _ in range(6):
            step = (t_cdf(x, df) - p) / _t_pdf(x, df)
            x -= step
            if abs(step) < 1e-10 * max(1.0, abs(x)):
                break
        width = 1e-9 * max(1.0, abs(x))
        a, b = x - width, x + width
        margin = 1e-12
        confirmed = t_cdf(a, df) < p - margin and t_cdf(b, df) > p + margin
    except (ArithmeticError, ValueError):  # a step off to where the density underflows
        confirmed = False
    if not confirmed:
        return asked
    return lambda value: value <= a or (value < b and asked(value))


def _t_pdf(t: float, df: float) -> float:
    """Student's t density (for the Newton steps of :func:`_below_quantile`)."""
    log_c = math.lgamma((df + 1.0) / 2.0) - math.lgamma(df / 2.0) - 0.5 * math.log(df * math.pi)
    return math.exp(log_c - (df + 1.0) / 2.0 * math.log1p(t * t / df))


# -- intervals and comparisons ---------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    """A mean with its standard error and 95 % interval."""

    mean: float
    se: float
    low: float
    high: float


def mean_interval(values: Sequence[float]) -> Estimate:
    """Mean of ``values`` with a t-based 95 % interval (needs at least two values)."""
    n = len(values)
    if n < 2:
        raise ValueError("at least two values are needed for an interval")
    mean = math.fsum(values) / n
    var = math.fsum((v - mean) ** 2 for v in values) / (n - 1)
    se = math.sqrt(var / n)
    half = t_quantile(0.975, n - 1) * se
    return Estimate(mean, se, mean - half, mean + half)


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a share: stays inside [0, 1] and behaves for small counts."""
    if n <= 0:
        raise ValueError("n must be positive")
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def se_from_half_width(half_width: float) -> float:
    """Udir's «Usikkerhet» is the half-width of a 95 % interval."""
    return half_width / Z95


def share_se(share: float, n: int) -> float:
    """SE of a share of ``n`` pupils (0–1): the plain binomial SE, but never below Agresti and
    Coull's (z²/2 successes and failures added; Amer. Statistician 52 (1998)). The plain SE is
    0 at 0 % and 100 %, so «none of 21 pupils» looked certainly below any other share (exact
    coverage 0.35 at a true 2 %, n = 21); with the floor it is 0.999, and never lower than
    before anywhere (tests/test_stats.py counts it exactly)."""
    z2 = Z95 * Z95
    adjusted_n = n + z2
    adjusted = (share * n + z2 / 2) / adjusted_n
    return max(
        math.sqrt(share * (1 - share) / n), math.sqrt(adjusted * (1 - adjusted) / adjusted_n)
    )


# Udir rounds what it publishes: national-test means to whole points (known to ±0.5), and
# Elevundersøkelsen's indices (1-5) and shares (percent) to one decimal (±0.05). A uniform error
# over the step has variance step²/12. Small against a school's spread, but a kommune's 262
# survey answers give an SE of about 0.05, and «3,7 mot 3,8» could be 0.0 as well as 0.2.
ROUNDING_VARIANCE: Final = 1.0 / 12.0
DECIMAL_ROUNDING_VARIANCE: Final = 0.01 / 12.0
_ROUNDING_VARIANCES: Final = {0: ROUNDING_VARIANCE, 1: DECIMAL_ROUNDING_VARIANCE}


def rounding_variance(value: float | None, decimals: int = 0) -> float:
    """Variance from Udir's rounding when ``value`` is published with ``decimals`` decimals
    (0: a whole-point mean, 1: a survey value), else 0."""
    if value is None or not math.isfinite(value) or value != round(value, decimals):
        return 0.0
    return _ROUNDING_VARIANCES[decimals]


def effective_group_size(sizes: Sequence[int]) -> float:
    """Σn_g² / Σn_g: the group size a pupil sees on average (one group of n gives n)."""
    total = sum(sizes)
    if total <= 0:
        raise ValueError("need at least one pupil")
    return sum(n * n for n in sizes) / total


def design_effect(icc: float, group_size: float) -> float:
    """Kish's design effect 1 + (m − 1)·ρ for a mean over pupils who share a group effect.

    ``icc`` (ρ) is the share of the pupil variance that lies between groups (classes) of the same
    school and year; ``group_size`` (m) the effective group size (:func:`effective_group_size`).
    """
    if not 0.0 <= icc <= 1.0 or group_size < 1.0:
        raise ValueError("icc must be in [0, 1] and group_size at least 1")
    return 1.0 + (group_size - 1.0) * icc


@dataclass(frozen=True)
class GroupComponents:
    """Variance between groups within blocks (schools × years) and within groups."""

    between_groups: float
    within_groups: float
    groups: int
    blocks: int

    @property
    def icc(self) -> float:
        total = self.between_groups + self.within_groups
        return self.between_groups / total if total > 0 else 0.0


def group_components(groups: Sequence[GroupSummary]) -> GroupComponents | None:
    """Pooled one-way ANOVA of groups nested in blocks, blocks as fixed effects.

    ``GroupSummary.school`` is the block (a school in one year, trinn and test): the class-year
    effect is estimated from how classes of the *same* block differ, so the schools' own levels
    do not leak into it. Henderson's method I for the within-block level (its k₁), negative
    estimates set to 0. ``None`` when no block has two groups with pupils to compare.
    """
    blocks: dict[str, list[GroupSummary]] = {}
    for group in groups:
        if group.n > 0:
            blocks.setdefault(group.school, []).append(group)
    n_total = df_between = 0
    ss_between = ss_within = sum_ng2_over_nb = 0.0
    for members in blocks.values():
        n_b = sum(g.n for g in members)
        mean_b = math.fsum(g.n * g.mean for g in members) / n_b
        ss_between += math.fsum(g.n * (g.mean - mean_b) ** 2 for g in members)
        ss_within += math.fsum(g.ss for g in members)
        sum_ng2_over_nb += sum(g.n * g.n for g in members) / n_b
        df_between += len(members) - 1
        n_total += n_b
    n_groups = sum(len(m) for m in blocks.values())
    return components_from_sums(
        n_total, n_groups, len(blocks), ss_between, ss_within, sum_ng2_over_nb
    )


def components_from_sums(
    pupils: int,
    groups: int,
    blocks: int,
    ss_between: float,
    ss_within: float,
    sum_ng2_over_nb: float,
) -> GroupComponents | None:
    """:func:`group_components` from its sums (e.g. taken in SQL): pupils, groups, blocks, the
    sums of squares between groups within blocks and within groups, and Σ_blocks Σn_g²/n_b."""
    df_between = groups - blocks
    df_within = pupils - groups
    if df_between < 1 or df_within < 1:
        return None
    ms_between, ms_within = ss_between / df_between, ss_within / df_within
    k1 = (pupils - sum_ng2_over_nb) / df_between
    var_groups = max(0.0, (ms_between - ms_within) / k1)
    return GroupComponents(var_groups, ms_within, groups, blocks)


def part_whole_difference_se(
    var_part: float, var_rest: float, weight: float, extra_variance: float = 0.0
) -> float:
    """SE of (part mean − whole mean) from the part's and the rest's own variances.

    whole = w·part + (1 − w)·rest, so the difference is (1 − w)(part − rest), with variance
    (1 − w)²(var_part + var_rest). Written with the rest's variance instead of the whole's, it
    can never collapse to zero for a school that is most of its kommune (the older form
    (1 − 2w)·se_part² + se_whole² did when the two SEs came from different sources).
    ``extra_variance`` adds what does not follow the part–whole structure, such as the
    rounding of the two published means.
    """
    if not 0.0 <= weight < 1.0:
        raise ValueError("weight must be in [0, 1)")
    return math.sqrt((1.0 - weight) ** 2 * (var_part + var_rest) + extra_variance)


def part_whole_se(se_part: float, se_whole: float, weight: float) -> float:
    """SE of (part mean − whole mean) when the part is inside the whole.

    With w the part's share of the whole's pupils, whole = w·part + (1 − w)·rest, so the difference
    is (1 − w)(part − rest) and its variance (1 − 2w)·se_part² + se_whole² (part and rest
    independent). Ignoring that the school is inside its kommune would overstate the uncertainty
    for a small school and understate the difference for a large one.
    """
    if not 0.0 <= weight < 1.0:
        raise ValueError("weight must be in [0, 1)")
    return math.sqrt(max((1.0 - 2.0 * weight) * se_part**2 + se_whole**2, 0.0))


def flag(difference: float, se: float, z: float = Z95) -> str:
    """``over``/``under`` when the interval of the difference excludes 0, else ``ikke_sikker``."""
    if difference - z * se > 0:
        return OVER
    if difference + z * se < 0:
        return UNDER
    return NOT_SURE


# -- shrinkage -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shrinkage:
    """Empirical Bayes estimates for units with sampling variances ``v`` (random-effects model)."""

    mu: float  # the precision-weighted grand mean
    mu_se: float
    tau2: float  # between-unit variance (DerSimonian–Laird, truncated at 0)
    estimates: tuple[float, ...]
    ses: tuple[float, ...]
    weights: tuple[float, ...]  # B_j = tau2 / (tau2 + v_j): how much of the raw deviation is kept


def shrink(means: Sequence[float], variances: Sequence[float]) -> Shrinkage:
    """Empirical Bayes (normal–normal) shrinkage with the DerSimonian–Laird estimate of τ².

    y_j ~ N(θ_j, v_j), θ_j ~ N(μ, τ²). The shrunken estimate is μ + B_j (y_j − μ) with
    B_j = τ²/(τ² + v_j); its standard error adds the uncertainty of μ̂.
    """
    k = len(means)
    if k != len(variances) or k < 2:
        raise ValueError("need at least two units with a mean and a variance each")
    if any(v <= 0 for v in variances):
        raise ValueError("sampling variances must be positive")
    w = [1.0 / v for v in variances]
    sw = math.fsum(w)
    fixed = math.fsum(wi * y for wi, y in zip(w, means, strict=True)) / sw
    q = math.fsum(wi * (y - fixed) ** 2 for wi, y in zip(w, means, strict=True))
    c = sw - math.fsum(wi * wi for wi in w) / sw
    tau2 = max(0.0, (q - (k - 1)) / c) if c > 0 else 0.0
    w_star = [1.0 / (v + tau2) for v in variances]
    mu = math.fsum(wi * y for wi, y in zip(w_star, means, strict=True)) / math.fsum(w_star)
    mu_var = 1.0 / math.fsum(w_star)
    estimates, ses, weights = [], [], []
    for y, v in zip(means, variances, strict=True):
        b = tau2 / (tau2 + v)
        estimates.append(mu + b * (y - mu))
        ses.append(math.sqrt(b * v + (1.0 - b) ** 2 * mu_var))
        weights.append(b)
    return Shrinkage(mu, math.sqrt(mu_var), tau2, tuple(estimates), tuple(ses), tuple(weights))


# -- funnels and ranks -----------------------------------------------------------------------


def funnel_limits(
    reference: float,
    sd: float,
    n: float,
    z: float,
    *,
    weight: float = 0.0,
    reference_se: float = 0.0,
) -> tuple[float, float]:
    """Limits for a unit mean of ``n`` pupils around ``reference`` (pupil SD ``sd``).

    Against an outside reference (the nation) ``weight`` and ``reference_se`` are 0 and the limits
    are the classic reference ± z·sd/√n; against the unit's own kommune the part–whole variance
    is used (see :func:`part_whole_se`).
    """
    se = part_whole_se(sd / math.sqrt(n), reference_se, weight)
    return reference - z * se, reference + z * se


def additive_overdispersion(z_scores: Sequence[float], ses: Sequence[float]) -> float:
    """τ² for funnel limits that allow for real variation between units.

    Spiegelhalter's additive random-effects funnel ("Funnel plots for comparing institutional
    performance", Statistics in Medicine 24 (2005), §5.2): φ̂ = mean(z²), τ̂² = (I·φ̂ − (I − 1)) /
    (Σw − Σw²/Σw), w = 1/s², 0 when not positive; limits are reference ± z·√(s² + τ²), as in
    the FFT/NHS funnels. We do *not* winsorise the z-scores: with SEs as unequal as school
    sizes make them, 10 % winsorising halved τ² in simulation (τ² = 4 estimated as 1.3–1.8) and
    left several times the promised share outside the 99.8 % limits.
    """
    k = len(z_scores)
    if k != len(ses) or k < 2:
        raise ValueError("need at least two units with a z-score and an SE each")
    phi = math.fsum(z * z for z in z_scores) / k
    w = [1.0 / (s * s) for s in ses]
    sw = math.fsum(w)
    denominator = sw - math.fsum(x * x for x in w) / sw
    if denominator <= 0:
        return 0.0
    return max(0.0, (k * phi - (k - 1)) / denominator)


def funnel_position(mean: float, low: float, high: float) -> str:
    if mean > high:
        return OVER
    if mean < low:
        return UNDER
    return INSIDE


def bonferroni_z(comparisons: int, level: float = 0.95) -> float:
    """Two-sided z for ``comparisons`` tests that together hold at ``level`` (Bonferroni)."""
    if comparisons < 1:
        return NormalDist().inv_cdf(1.0 - (1.0 - level) / 2.0)
    return NormalDist().inv_cdf(1.0 - (1.0 - level) / (2.0 * comparisons))


def rank_intervals(
    means: Sequence[float], ses: Sequence[float], z: float | None = None
) -> list[tuple[int, int]]:
    """Rank (1 = highest) intervals from pairwise comparisons.

    A unit's best possible rank is 1 + the number of units clearly above it; its worst is the
    number of units not clearly below it. "Clearly" = the pairwise difference's interval
    excludes 0. By default each unit's k − 1 comparisons are Bonferroni-corrected together
    (:func:`bonferroni_z`), so a unit's whole rank interval holds with at least 95 %
    confidence, not each comparison alone. A bare rank would claim an order the data cannot
    support.
    """
    k = len(means)
    if z is None:
        z = bonferroni_z(k - 1)
    intervals = []
    for i in range(k):
        above = below = 0
        for j in range(k):
            if i == j:
                continue
            se = math.sqrt(ses[i] ** 2 + ses[j] ** 2)
            if means[j] - means[i] > z * se:
                above += 1
            elif means[i] - means[j] > z * se:
                below += 1
        intervals.append((1 + above, k - below))
    return intervals


# -- variance decomposition ------------------------------------------------------------------


@dataclass(frozen=True)
class VarianceComponents:
    """Nested random-effects variance components (ANOVA / method-of-moments estimator)."""

    between_schools: float
    between_groups: float  # between groups within schools
    within_groups: float
    pupils: int
    groups: int
    schools: int

    @property
    def total(self) -> float:
        return self.between_schools + self.between_groups + self.within_groups

    def share(self, component: float) -> float:
        return component / self.total if self.total > 0 else 0.0


@dataclass(frozen=True)
class GroupSummary:
    """One group's pupils, summarised (SQL computes these over millions of rows)."""

    school: str
    group: str
    n: int
    mean: float
    ss: float  # sum of squared deviations from the group mean


def summarise_groups(rows: Sequence[tuple[str, str, float]]) -> list[GroupSummary]:
    """(school, group, score) rows -> one :class:`GroupSummary` per group."""
    found: dict[tuple[str, str], list[float]] = {}
    for school, group, score in rows:
        found.setdefault((school, group), []).append(score)
    summaries = []
    for (school, group), values in sorted(found.items()):
        mean = math.fsum(values) / len(values)
        ss = math.fsum((x - mean) ** 2 for x in values)
        summaries.append(GroupSummary(school, group, len(values), mean, ss))
    return summaries


def nested_variance_components(groups: Sequence[GroupSummary]) -> VarianceComponents:
    """Schools / groups within schools / pupils, from group summaries.

    Henderson's method I (ANOVA sums of squares with the expected mean squares of an unbalanced
    nested design, e.g. Searle, Casella & McCulloch 1992, ch. 5); negative estimates are set to 0.
    """
    schools: dict[str, list[GroupSummary]] = {}
    for group in groups:
        schools.setdefault(group.school, []).append(group)
    n_total = sum(g.n for g in groups)
    n_groups = len(groups)
    n_schools = len(schools)
    if n_schools < 2 or n_groups <= n_schools or n_total <= n_groups:
        raise ValueError(
            "need at least two schools, more groups than schools and pupils than groups"
        )
    grand = math.fsum(g.n * g.mean for g in groups) / n_total
    ss_w = math.fsum(g.ss for g in groups)
    ss_g = ss_s = 0.0
    sum_ng2_over_ns = sum_ng2 = sum_ns2 = 0.0
    for members in schools.values():
        n_s = sum(g.n for g in members)
        mean_s = math.fsum(g.n * g.mean for g in members) / n_s
        ss_s += n_s * (mean_s - grand) ** 2
        ss_g += math.fsum(g.n * (g.mean - mean_s) ** 2 for g in members)
        squares = sum(g.n * g.n for g in members)
        sum_ng2 += squares
        sum_ng2_over_ns += squares / n_s
        sum_ns2 += n_s * n_s
    return nested_components_from_sums(
        n_total, n_groups, n_schools, ss_w, ss_g, ss_s, sum_ng2, sum_ng2_over_ns, sum_ns2
    )


def nested_components_from_sums(
    n_total: int,
    n_groups: int,
    n_schools: int,
    ss_w: float,
    ss_g: float,
    ss_s: float,
    sum_ng2: float,
    sum_ng2_over_ns: float,
    sum_ns2: float,
) -> VarianceComponents:
    """:func:`nested_variance_components` from its sums (e.g. taken column-wise): pupils, groups,
    schools, the sums of squares within groups, between groups within schools and between
    schools, Σn_g², Σ_s Σn_g²/n_s and Σn_s²."""
    ms_w = ss_w / (n_total - n_groups)
    ms_g = ss_g / (n_groups - n_schools)
    ms_s = ss_s / (n_schools - 1)
    k1 = (n_total - sum_ng2_over_ns) / (n_groups - n_schools)
    k2 = (sum_ng2_over_ns - sum_ng2 / n_total) / (n_schools - 1)
    k3 = (n_total - sum_ns2 / n_total) / (n_schools - 1)
    var_g = max(0.0, (ms_g - ms_w) / k1)
    var_s = max(0.0, (ms_s - ms_w - k2 * var_g) / k3)
    return VarianceComponents(var_s, var_g, ms_w, n_total, n_groups, n_schools)


def between_group_share(groups: Sequence[GroupSummary]) -> float:
    """Share of a school's pupil variance that lies between its groups (one-way ANOVA ICC)."""
    n_total = sum(g.n for g in groups)
    k = len(groups)
    if k < 2 or n_total <= k:
        raise ValueError("need at least two groups and more pupils than groups")
    grand = math.fsum(g.n * g.mean for g in groups) / n_total
    ms_b = math.fsum(g.n * (g.mean - grand) ** 2 for g in groups) / (k - 1)
    ms_w = math.fsum(g.ss for g in groups) / (n_total - k)
    n0 = (n_total - sum(g.n * g.n for g in groups) / n_total) / (k - 1)
    var_b = max(0.0, (ms_b - ms_w) / n0)
    return var_b / (var_b + ms_w) if var_b + ms_w > 0 else 0.0


# -- suppression -----------------------------------------------------------------------------


def complementary_suppression(sizes: Sequence[int], minimum: int) -> list[bool]:
    """Which sibling groups to hide so that no hidden group can be derived from the total.

    Groups under ``minimum`` are hidden (primary); if the hidden groups together hold fewer than
    ``minimum`` pupils, their combined result would follow from the total and the visible
    siblings, so the smallest visible groups are hidden too until the hidden ones reach
    ``minimum`` (or all are hidden).
    """
    hidden = [n < minimum for n in sizes]
    order = sorted(range(len(sizes)), key=lambda i: (sizes[i], i))
    while 0 < sum(n for n, h in zip(sizes, hidden, strict=True) if h) < minimum:
        nxt = next((i for i in order if not hidden[i]), None)
        if nxt is None:
            break
        hidden[nxt] = True
    return hidden
