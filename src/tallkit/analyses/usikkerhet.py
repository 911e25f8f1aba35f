"""How sure a published or pupil-based mean is, for real school data (PRODUCT.md §4.4).

Three things make Udir's own «Usikkerhet» too narrow for the questions the reports ask (how a
school's *lasting* level compares with its kommune's, whether it grew):

- **Classes.** Pupils in one class share that year's class effect, so a school mean varies more
  than independent pupils would make it. The variance is multiplied by Kish's design effect
  1 + (m − 1)·ρ, with ρ the class (group) share of the pupil variance within a school and year,
  and m the effective group size. ρ comes from the kommune's own pupil data when it has enough
  classes to compare, else from all pupil data in the database, else from a documented default.
- **Rounding.** Udir publishes school and kommune means in whole points: each is known to ±0.5
  (variance 1/12), added to every comparison that uses it.
- **Missing uncertainty.** When a school's or kommune's «Usikkerhet» is absent it is derived
  (pupil data, or the pupil SD and n) and labelled, never taken as 0.

``--uavhengige-elever`` (``Uncertainty(independent=True)``) turns the class component and the
rounding off, which gives Udir's own intervals back.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

import polars as pl

from tallkit import stats
from tallkit.analyses.kolonner import exact_sums, join_keeping_nulls, pooled_means
from tallkit.config import Settings
from tallkit.store import Store

NATIONAL_SD: Final = 10.0  # the NP scale's SD in its reference year (FORMATS.md §6)

# Used when no pupil data tells otherwise. TIMSS 2015 sampled one class per school in Norway and
# found 0.078–0.084 of the mathematics variance between those classes (school and class
# together; Large-scale Assessments in Education 10 (2022), «Equal opportunities for all?»,
# table 2). We take a little over half of it as the class-within-school share, and basis groups
# of about 20 pupils. Both can be set in tallkit.toml ([usikkerhet]).
DEFAULT_ICC: Final = 0.05
DEFAULT_GROUP_SIZE: Final = 20.0
# Fewer groups-to-compare than this in a kommune and its own ρ is too noisy to use alone.
MIN_DF_OWN: Final = 20

SOURCE_OWN: Final = "klasser: kommunens elevdata"
SOURCE_ALL: Final = "klasser: elevdata i databasen"
SOURCE_DEFAULT: Final = "klasser: standardantakelse"
SOURCE_INDEPENDENT: Final = "uavhengige elever (som Udir)"
ROUNDING_LABEL: Final = "avrunding"


@dataclass(frozen=True)
class ClassModel:
    """The class component for one kommune, trinn and test."""

    icc: float
    group_size: float  # for a school whose own classes are unknown
    source: str

    def design_effect(self, n: float, group_size: float | None = None) -> float:
        """For a mean of ``n`` pupils; ``group_size`` is the school's own when pupil data has it."""
        m = group_size if group_size is not None else min(float(n), self.group_size)
        return stats.design_effect(self.icc, max(1.0, min(m, float(n))))


INDEPENDENT: Final = ClassModel(0.0, 1.0, SOURCE_INDEPENDENT)


@dataclass(frozen=True)
class Variance:
    """A mean's variance about the unit's lasting level, in two parts that combine differently
    in a part–whole comparison, and where it came from."""

    sampling: float
    rounding: float
    source: str

    @property
    def total(self) -> float:
        return self.sampling + self.rounding

    @property
    def se(self) -> float:
        return math.sqrt(self.total)


@dataclass(frozen=True)
class Uncertainty:
    """The class models of one database (or one kommune of it), looked up per cell."""

    independent: bool = False
    own: dict[tuple[str, int, str], ClassModel] = field(default_factory=dict)
    everyone: dict[tuple[int, str], ClassModel] = field(default_factory=dict)
    default_icc: float = DEFAULT_ICC
    default_group_size: float = DEFAULT_GROUP_SIZE
    # the kommune the own models were read for (None: every kommune); part of what a reference
    # kept beside the database was made with (tallkit.planlager)
    scope: str | None = None

    @property
    def settings_key(self) -> tuple[Any, ...]:
        """What, besides the state of the database, these models were made from."""
        return (self.independent, self.default_icc, self.default_group_size, self.scope)

    def model(self, kommunenr: str | None, trinn: int, prove: str) -> ClassModel:
        if self.independent:
            return INDEPENDENT
        if kommunenr is not None and (kommunenr, trinn, prove) in self.own:
            return self.own[(kommunenr, trinn, prove)]
        if (trinn, prove) in self.everyone:
            return self.everyone[(trinn, prove)]
        return ClassModel(self.default_icc, self.default_group_size, SOURCE_DEFAULT)

    def rounding(self, variance: float | None) -> float:
        """A rounding variance as carried by the rows (0 when reproducing Udir's intervals)."""
        return 0.0 if self.independent or variance is None else variance

    def published(
        self,
        model: ClassModel,
        rounding: float | None,
        half_width: float | None,
        n: int,
        *,
        pupil_sd: float | None = None,
        pupil_n: int | None = None,
        group_size: float | None = None,
    ) -> Variance:
        """A published mean (school or kommune): Udir's «Usikkerhet» when given, else pupil data,
        else the national SD; times the design effect, plus rounding."""
        if half_width is not None and half_width > 0:
            base, source = stats.se_from_half_width(half_width) ** 2, "udir"
        elif pupil_sd is not None and pupil_n:
            base, source = pupil_sd**2 / pupil_n, "elevdata"
        else:
            base, source = NATIONAL_SD**2 / max(n, 1), "tilnærming (nasjonalt SD)"
        return self._with_classes(base, source, model, n, group_size, self.rounding(rounding))

    def pupil_mean(
        self, model: ClassModel, sd: float, n: int, group_size: float | None
    ) -> Variance:
        """A mean computed from pupil data (no rounding)."""
        return self._with_classes(sd * sd / n, "elevdata", model, n, group_size, 0.0)

    def _with_classes(
        self,
        base: float,
        source: str,
        model: ClassModel,
        n: int,
        group_size: float | None,
        rounding: float,
    ) -> Variance:
        deff = model.design_effect(n, group_size)
        label = source if model is INDEPENDENT else f"{source}; {model.source}"
        if rounding > 0:
            label = f"{label}; {ROUNDING_LABEL}"
        return Variance(base * deff, rounding, label)


def group_summaries(
    rows: Iterable[dict[str, Any]],
    block: tuple[str, ...] = ("enhet_id", "skoleaar"),
    group: str = "gruppe",
) -> list[stats.GroupSummary]:
    """Rows of (n, mean, sum of squares) per group as :class:`stats.GroupSummary`, the block
    (what the groups are compared within) made of ``block``'s columns; unknown groups left out."""
    return [
        stats.GroupSummary(
            "|".join(str(r[k]) for k in block), r[group], r["antall"], r["snitt"], r["kvadratsum"]
        )
        for r in rows
        if r[group] != NO_GROUP
    ]


NO_GROUP: Final = "(uten gruppe)"


def class_model_from(
    groups: list[stats.GroupSummary], source: str, min_df: int = 1
) -> ClassModel | None:
    """ρ and the typical effective group size from group summaries (blocks = school × year)."""
    parts = stats.group_components(groups)
    if parts is None or parts.groups - parts.blocks < min_df:
        return None
    sizes: dict[str, list[int]] = {}
    for g in groups:
        sizes.setdefault(g.school, []).append(g.n)
    total = sum(sum(v) for v in sizes.values())
    typical = sum(sum(n * n for n in v) for v in sizes.values()) / total
    return ClassModel(parts.icc, typical, source)


def class_models_of(
    rows: pl.DataFrame,
    keys: list[str],
    source: str,
    block: tuple[str, ...] = ("enhet_id", "skoleaar"),
    min_df: int = 1,
    group: str = "gruppe",
) -> dict[tuple[Any, ...], ClassModel]:
    """:func:`class_model_from` for every value of ``keys`` at once, from rows of (n, mean, sum
    of squares) per group (``antall``, ``snitt``, ``kvadratsum``, ``group``): the one-way
    ANOVA's sums taken column-wise, the model made per key (a key without one is left out)."""
    n = pl.col("antall")
    groups = rows.filter((pl.col(group) != NO_GROUP) & (n > 0))
    if groups.is_empty():
        return {}
    by = [*keys, *block]
    blocks = groups.group_by(by).agg(_n2=(n * n).sum(), _groups=pl.len())
    sums = pooled_means(groups, by, _within=pl.col("kvadratsum"))
    blocks = join_keeping_nulls(blocks, sums, by)
    total = pl.col("_n").cast(pl.Float64)
    blocks = blocks.with_columns(_n2_over_n=pl.col("_n2") / total)
    counts = blocks.group_by(keys).agg(
        pupils=pl.col("_n").sum(), groups=pl.col("_groups").sum(), blocks=pl.len()
    )
    block_sums = exact_sums(
        blocks,
        keys,
        ss_between=pl.col("_between"),
        ss_within=pl.col("_within"),
        sum_ng2_over_nb=pl.col("_n2_over_n"),
        _n2=pl.col("_n2"),
        _n=pl.col("_n"),
    )
    sums = join_keeping_nulls(counts, block_sums, keys).with_columns(
        typical=pl.col("_n2") / pl.col("_n")
    )
    found = {}
    for row in sums.iter_rows(named=True):
        parts = stats.components_from_sums(
            row["pupils"],
            row["groups"],
            row["blocks"],
            row["ss_between"],
            row["ss_within"],
            row["sum_ng2_over_nb"],
        )
        if parts is not None and parts.groups - parts.blocks >= min_df:
            found[tuple(row[k] for k in keys)] = ClassModel(parts.icc, row["typical"], source)
    return found


def models_to_json(models: dict[tuple[Any, ...], ClassModel]) -> list[list[Any]]:
    """Class models as JSON values (the key's values, then the model), for tallkit.planlager."""
    return [[*key, m.icc, m.group_size, m.source] for key, m in models.items()]


def models_from_json(content: Any, width: int) -> dict[tuple[Any, ...], ClassModel]:
    """:func:`models_to_json` read back (keys of ``width`` values); ValueError if it is not."""
    models = {}
    for row in content:
        if not isinstance(row, list) or len(row) != width + 3:
            raise ValueError("not a class model")
        *key, icc, group_size, source = row
        if not (
            all(isinstance(x, str | int | None) for x in key)
            and all(
                isinstance(x, int | float) and not isinstance(x, bool) for x in (icc, group_size)
            )
            and isinstance(source, str)
        ):
            raise ValueError("not a class model")
        models[tuple(key)] = ClassModel(icc, group_size, source)
    return models


def model_from_sums(row: dict[str, Any], source: str, min_df: int) -> ClassModel | None:
    """:func:`class_model_from` for one row of ``queries/klassemodell.sql``."""
    parts = stats.components_from_sums(
        row["elever"],
        row["grupper"],
        row["blokker"],
        row["ss_mellom"],
        row["ss_innen"],
        row["sum_n2_per_blokk"],
    )
    if parts is None or parts.groups - parts.blocks < min_df:
        return None
    return ClassModel(parts.icc, row["n2"] / row["elever"], source)


_SUM_COLUMNS: Final = frozenset(
    (
        "alle",
        "kommunenr",
        "trinn",
        "prove",
        "elever",
        "grupper",
        "blokker",
        "ss_mellom",
        "ss_innen",
        "sum_n2_per_blokk",
        "n2",
    )
)


def _sum_rows(content: Any) -> list[dict[str, Any]]:
    """``klassemodell``'s rows as kept beside the database, or ValueError (then made again)."""
    if not isinstance(content, list) or not all(
        isinstance(row, dict) and row.keys() == _SUM_COLUMNS for row in content
    ):
        raise ValueError("not klassemodell's rows")
    return content


def build(store: Store, kommune: str | None, *, settings: Settings | None = None) -> Uncertainty:
    """The class models from the pupil data in ``store`` (all years pooled per kommune), with
    the defaults and the independent-pupils switch of ``settings`` (``[usikkerhet]``)."""
    default_icc = settings.class_icc if settings else DEFAULT_ICC
    default_group_size = settings.group_size if settings else DEFAULT_GROUP_SIZE
    independent = settings.independent_pupils if settings else False
    if independent:
        return Uncertainty(independent=True)
    from tallkit import planlager
    from tallkit.analyses import run_query  # the package imports this module

    # the ANOVA sums per kommune and over all pupil data, summed in SQL (one aggregate pass
    # instead of every class of the country in Python); the rows over all pupil data need every
    # pupil row, so every kommune's sums are kept beside the database for the next command
    def every_kommune() -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = run_query(store, "klassemodell", {"kommune": None}).to_dicts()
        return rows

    own: dict[tuple[str, int, str], ClassModel] = {}
    everyone: dict[tuple[int, str], ClassModel] = {}
    for row in planlager.remembered(store, "klassemodell", (), every_kommune, list, _sum_rows):
        if not row["alle"] and (
            row["kommunenr"] is None or kommune not in (None, row["kommunenr"])
        ):
            continue  # the query's own $kommune filter, on the kept rows
        if row["alle"]:
            found = model_from_sums(row, SOURCE_ALL, 1)
            if found is not None:
                everyone[(row["trinn"], row["prove"])] = found
        else:
            found = model_from_sums(row, SOURCE_OWN, MIN_DF_OWN)
            if found is not None:
                own[(row["kommunenr"], row["trinn"], row["prove"])] = found
    return Uncertainty(
        own=own,
        everyone=everyone,
        default_icc=default_icc,
        default_group_size=default_group_size,
        scope=kommune,
    )
