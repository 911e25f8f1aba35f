"""Analyses over the store: each builds one of ``queries/*.sql`` and shapes the result with
:mod:`tallkit.stats`. They return polars frames whose columns are documented in the README."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import polars as pl

from tallkit import planlager, skjerming, stats
from tallkit.analyses.mot_kommune_og_land import compare_frame
from tallkit.analyses.usikkerhet import NATIONAL_SD, ClassModel, Uncertainty, Variance
from tallkit.analyses.usikkerhet import build as build_uncertainty
from tallkit.brudd import breaks_between
from tallkit.config import Settings
from tallkit.errors import UsageError
from tallkit.prosesser import interrupts_held
from tallkit.resources import find_query
from tallkit.store import Store

__all__ = ["NATIONAL_SD", "ClassModel", "Filters", "Uncertainty", "Variance", "build_uncertainty"]


@dataclass(frozen=True)
class Filters:
    """The CLI's --aar/--trinn/--prove/--kommune/--skole; None means all."""

    aar: str | None = None
    trinn: int | None = None
    prove: str | None = None
    kommune: str | None = None
    skole: str | None = None
    pool_years: int = 1  # --slaa-sammen: pool 2-3 years per school (small schools)
    # only this kommune's rows, while references taken over the whole selection (the funnel's
    # τ²) stay as they are: the Læringsspeil's funnel for one school (None: every row)
    rows_kommune: str | None = None
    independent_pupils: bool = False  # --uavhengige-elever: Udir's own intervals
    # --sammenligning: comparison kommuner (current numbers) added as reference rows beside
    # the nation, from Udir's kommune rows (analyses/referanser.py)
    comparison: tuple[str, ...] = ()
    # built once per run and shared by every analysis of it (see :func:`uncertainty`)
    uncertainty_model: Uncertainty | None = None
    # without a model: the settings ([usikkerhet]) to build it with, when a part needs it
    uncertainty_settings: Settings | None = None

    def params(self, *names: str) -> dict[str, Any]:
        return {name: getattr(self, name) for name in names}


def uncertainty(store: Store, filters: Filters) -> Uncertainty:
    """The class models for this run: the one the caller built, else from the store (once per
    open store: only the parts that need the models pay for them)."""
    if filters.uncertainty_model is not None:
        return filters.uncertainty_model
    settings = filters.uncertainty_settings

    def make() -> Uncertainty:
        built = build_uncertainty(store, filters.kommune, settings=settings)
        return replace(built, independent=True) if filters.independent_pupils else built

    key = ("uncertainty", filters.kommune, filters.independent_pupils, id(settings))
    result: Uncertainty = memo(store, key, make)
    return result


def uncertainty_defaults(filters: Filters) -> Uncertainty:
    """The run's independent-pupils switch and default class share without the models from the
    pupil data (for parts that estimate their own, such as the paired change)."""
    if filters.uncertainty_model is not None:
        return filters.uncertainty_model
    settings = filters.uncertainty_settings
    if settings is None:
        return Uncertainty(independent=filters.independent_pupils)
    return Uncertainty(
        independent=filters.independent_pupils or settings.independent_pupils,
        default_icc=settings.class_icc,
        default_group_size=settings.group_size,
    )


Analysis = Callable[[Store, Filters, int], pl.DataFrame]  # (store, filters, minimum group size)


def frame_of(rows: list[dict[str, Any]], schema: dict[str, Any]) -> pl.DataFrame:
    """Rows to a frame with a fixed schema, also when there are no rows (stable columns)."""
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)


def in_schema(frame: pl.DataFrame, schema: dict[str, Any]) -> pl.DataFrame:
    """A frame's columns in ``schema``'s order and types (a column it lacks as nulls), as
    :func:`frame_of` gives rows: a part's columns are the same however it computed them."""
    return frame.select(
        pl.col(name).cast(dtype) if name in frame.columns else pl.lit(None, dtype=dtype).alias(name)
        for name, dtype in schema.items()
    )


def run_query(store: Store, name: str, params: dict[str, Any]) -> pl.DataFrame:
    return store.query(find_query(name).read_text(encoding="utf-8"), params)


def group_rows(
    rows: list[dict[str, Any]], keys: Iterable[str]
) -> dict[tuple[Any, ...], list[dict[str, Any]]]:
    found: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    names = tuple(keys)
    for row in rows:
        found.setdefault(tuple(row[k] for k in names), []).append(row)
    return found


_RUN_CACHE: weakref.WeakKeyDictionary[Store, dict[Any, Any]] = weakref.WeakKeyDictionary()


def suppression_plan(store: Store, min_group: int, kommune: str | None = None) -> skjerming.Plan:
    """The suppression plan for every pupil-data number (``tallkit.skjerming``), made per group
    of kommuner that share pupils from all of that group's pupil data, whatever the filters:
    each group's plan depends only on its own pupils, so every part decides the same way.
    ``kommune`` limits the work to the group holding it (one school's report should not pay
    for the country); None makes every group's plan. Cached per open store."""
    cache = _RUN_CACHE.setdefault(store, {})
    if kommune is None and isinstance(cache.get((min_group, None)), _PlanElsewhere):
        found_elsewhere: skjerming.Plan = cache[(min_group, None)].result()
        cache[(min_group, None)] = found_elsewhere
        planlager.save_plan(store, min_group, None, found_elsewhere)
        return found_elsewhere
    groups = _groups(store)
    if kommune is not None and kommune not in groups:
        # a kommune without pupil results: no number of it comes from pupil data
        return skjerming.Plan()
    # the groups share no pupils, so one plan over all of them (one query, one pass) hides
    # exactly what a plan per group would
    group = groups[kommune] if kommune is not None else None
    key = (min_group, group)
    if key not in cache:
        # made once per state of the database: kept beside it (tallkit.planlager)
        stored = planlager.load_plan(store, min_group, group)
        if stored is None:
            results = run_query(
                store, "skjerming", {"kommuner": None if group is None else list(group)}
            )
            stored = skjerming.plan(skjerming.candidates(results), min_group)
            planlager.save_plan(store, min_group, group, stored)
        cache[key] = stored
    found: skjerming.Plan = cache[key]
    return found


# Below this many pupil results the whole plan takes about as long as starting a process.
PLAN_ELSEWHERE_MIN_RESULTS = 300_000


def start_suppression_plan(store: Store, min_group: int, processes: int = 2) -> bool:
    """Start the whole plan (:func:`suppression_plan` with no kommune) in ``processes`` other
    processes, each for a share of the groups of kommuner (they share no pupils, so the plans
    of the shares together hide exactly what one plan over all of them hides), while this one
    computes the analyses that do not need it; the first call that needs it waits for it.
    Worth it for a national run only, where the plan takes longer than all the other analyses
    of the Læringsspeil together. Returns whether processes were started."""
    cache = _RUN_CACHE.setdefault(store, {})
    if (min_group, None) in cache or not store.path.is_file():
        return False
    stored = planlager.load_plan(store, min_group, None)
    if stored is not None:  # made by an earlier command on the same data
        cache[(min_group, None)] = stored
        return False
    sizes = run_query(store, "skjerming_omfang", {})
    if sizes["antall"].sum() < PLAN_ELSEWHERE_MIN_RESULTS:
        return False
    groups = _groups(store)
    totals: dict[tuple[str, ...], int] = {}
    for kommunenr, count in sizes.iter_rows():
        group = groups[kommunenr]
        totals[group] = totals.get(group, 0) + count
    # the largest groups first, each to the share with the fewest results so far
    shares: list[list[str]] = [[] for _ in range(max(processes, 1))]
    loads = [0] * len(shares)
    for group, count in sorted(totals.items(), key=lambda item: (-item[1], item[0])):
        emptiest = loads.index(min(loads))
        shares[emptiest].extend(group)
        loads[emptiest] += count
    cache[(min_group, None)] = _PlanElsewhere(
        [_PlanProcess(store.path, min_group, sorted(share)) for share in shares if share]
    )
    return True


def _groups(store: Store) -> dict[str, tuple[str, ...]]:
    cache = _RUN_CACHE.setdefault(store, {})
    if "groups" not in cache:
        groups = planlager.load_groups(store)
        if groups is None:
            groups = _kommune_groups(run_query(store, "skjerming_kommuner", {}))
            planlager.save_groups(store, groups)
        cache["groups"] = groups
    found: dict[str, tuple[str, ...]] = cache["groups"]
    return found


class _PlanElsewhere:
    """The plan being made by other processes, one share of the kommuner each."""

    def __init__(self, processes: list[_PlanProcess]) -> None:
        self._processes = processes

    def result(self) -> skjerming.Plan:
        hidden: set[skjerming.Key] = set()
        error: BaseException | None = None
        try:
            outcomes = [process.result() for process in self._processes]
        except BaseException:  # Ctrl-C while waiting: the others are not waited for
            for process in self._processes:
                process.stop()
            raise
        for outcome in outcomes:  # every one was waited for, also after an error
            if isinstance(outcome, BaseException):
                error = outcome
            else:
                hidden |= outcome.hidden
        if error is not None:
            raise error
        return skjerming.Plan(frozenset(hidden))


class _PlanProcess:
    """One share's plan, made by a spawned process reading the same database (read-only;
    DuckDB lets several processes read one file). Spawned, not forked: the plan uses polars,
    whose thread pool a forked process would not have. A daemon: it ends with this one."""

    def __init__(self, path: Any, min_group: int, kommuner: list[str]) -> None:
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_plan_in_process, args=(send, str(path), min_group, kommuner), daemon=True
        )
        with interrupts_held(spawning=True):  # Ctrl-C is the parent's; it ends this one
            self._process.start()
        send.close()

    def result(self) -> skjerming.Plan | BaseException:
        try:
            outcome: skjerming.Plan | BaseException = self._receive.recv()
        except EOFError:
            self._process.join()
            outcome = RuntimeError(f"skjermingsplanen stoppet (kode {self._process.exitcode})")
        except BaseException:
            self.stop()
            raise
        self._process.join()
        self._receive.close()
        return outcome

    def stop(self) -> None:
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()
        self._receive.close()


def _plan_in_process(send: Any, path: str, min_group: int, kommuner: list[str]) -> None:
    from pathlib import Path

    from tallkit.store import open_store

    try:
        with open_store(Path(path), read_only=True) as store:
            results = run_query(store, "skjerming", {"kommuner": kommuner})
            outcome: Any = skjerming.plan(skjerming.candidates(results), min_group)
    except KeyboardInterrupt:
        # DuckDB puts Python's Ctrl-C handler back after a query, so the ignored Ctrl-C can
        # come through here: the parent answers it and ends this process
        return
    except Exception as exc:  # handed to the parent, which raises it
        outcome = exc
    send.send(outcome)
    send.close()


def own_kommune_params(store: Store, filters: Filters, *names: str) -> dict[str, Any]:
    """``filters.params(*names)``, with the school's own kommune as ``kommune`` when one school
    is asked for without one: the same rows, and the query can name the school, its kommune and
    the nation as parameters, which DuckDB filters on before the views' pivots (a list from a
    subquery or a join is applied after every unit of the country is pivoted)."""
    params = filters.params(*names)
    if filters.skole is not None and filters.kommune is None:
        params["kommune"] = scope_kommune(store, filters)
    return params


def scope_kommune(store: Store, filters: Filters) -> str | None:
    """The one kommune a filtered run is about (for :func:`suppression_plan`), else None."""
    if filters.kommune is not None:
        return filters.kommune
    if filters.skole is not None:
        found = store.query(
            "select kommunenr from enhet where enhet_id = $skole", {"skole": filters.skole}
        )
        return str(found["kommunenr"][0]) if found.height and found["kommunenr"][0] else None
    return None


def _kommune_groups(links: pl.DataFrame) -> dict[str, tuple[str, ...]]:
    """kommunenr -> the sorted group of kommuner joined to it by shared pupils (union–find)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for kommuner in links["kommuner"].to_list():
        first = find(kommuner[0])
        for other in kommuner[1:]:
            parent[find(other)] = first
    members: dict[str, list[str]] = {}
    for k in parent:
        members.setdefault(find(k), []).append(k)
    return {k: tuple(sorted(group)) for group in members.values() for k in group}


@dataclass(frozen=True)
class Difference:
    """A unit's mean minus a reference, with its SE, 95 % interval and verdict."""

    value: float
    se: float
    reference: float
    # degrees of freedom of the pupil SD behind se (None: known, use z). A school's SD is
    # estimated from its own few pupils; t(n − 1) keeps small schools' intervals honest.
    df: int | None = None

    @cached_property
    def quantile(self) -> float:
        return stats.Z95 if self.df is None or self.df < 1 else stats.t_quantile(0.975, self.df)

    @property
    def low(self) -> float:
        return self.value - self.quantile * self.se

    @property
    def high(self) -> float:
        return self.value + self.quantile * self.se

    @property
    def flag(self) -> str:
        return stats.flag(self.value, self.se, self.quantile)


def memo(store: Store, key: tuple[Any, ...], make: Callable[[], Any]) -> Any:
    """One result per open store and key: a run that asks several analyses for the same
    whole-country comparison (the Læringsspeil: tests, profile, funnel) computes it once."""
    cache = _RUN_CACHE.setdefault(store, {})
    if key not in cache:
        cache[key] = make()
    return cache[key]


def compared_schools(store: Store, filters: Filters, min_group: int) -> pl.DataFrame:
    """:func:`mot_kommune_og_land.compare_frame` over :func:`school_rows` (``skole`` is not part of
    the selection: a school is compared with every school of its kommune)."""
    unc = uncertainty(store, filters)

    def make() -> pl.DataFrame:
        return compare_frame(school_rows(store, filters, min_group), unc)

    key = ("compared", *filters.params("aar", "trinn", "prove", "kommune", "pool_years").values())
    result: pl.DataFrame = memo(store, (*key, min_group, id(unc)), make)
    return result


def compared_in_scope(store: Store, filters: Filters, min_group: int) -> pl.DataFrame:
    """:func:`compared_schools` for the kommune a run is about: with ``filters.skole`` (and no
    --kommune) only the school's kommune is read. Every comparison is made within one kommune,
    so its rows are those of the whole run; the whole run is reused when it is already made."""
    kommune = filters.rows_kommune
    if filters.skole is not None and filters.kommune is None:
        kommune = scope_kommune(store, filters)
    if kommune is None or filters.kommune is not None:
        return compared_schools(store, filters, min_group)
    unc = uncertainty(store, filters)
    key = ("compared", *filters.params("aar", "trinn", "prove", "kommune", "pool_years").values())
    whole: pl.DataFrame | None = _RUN_CACHE.setdefault(store, {}).get((*key, min_group, id(unc)))
    if whole is not None:
        return whole.filter(pl.col("kommunenr") == kommune)
    return compared_schools(store, replace(filters, kommune=kommune), min_group)


def school_rows(store: Store, filters: Filters, min_group: int) -> pl.DataFrame:
    """Published school results (with kommune, nation and pupil data), one row per school,
    year, trinn and test; with ``filters.pool_years`` > 1, years pooled per school."""
    years_filter = None if filters.pool_years > 1 else filters.aar
    params = filters.params("trinn", "prove", "kommune") | {"aar": years_filter}
    frame = with_rounding(run_query(store, "skoleresultater", params))
    if filters.pool_years > 1:
        frame = pool_years(frame, filters.pool_years, filters.aar)
    else:
        frame = frame.with_columns(aar_slatt_sammen=pl.lit(1, dtype=pl.Int32))
    # No number from fewer pupils than the minimum, even where Udir published one.
    return frame.filter(pl.col("antall") >= min_group)


def rounding_of(column: str) -> pl.Expr:
    """1/12 where a published mean is in whole points (Udir rounds them), else 0: the
    column-wise :func:`stats.rounding_variance`."""
    value = pl.col(column)
    whole = value.is_not_null() & value.is_finite() & (value == value.round(0))
    return pl.when(whole).then(pl.lit(stats.ROUNDING_VARIANCE)).otherwise(pl.lit(0.0))


def with_rounding(frame: pl.DataFrame) -> pl.DataFrame:
    """The rounding variance of the school's, the kommune's and the nation's published mean."""
    return frame.with_columns(
        avrunding=rounding_of("skalapoeng"),
        kommune_avrunding=rounding_of("kommune_snitt"),
        land_avrunding=rounding_of("land_snitt"),
    )


def _previous_years(end: str, count: int) -> list[str]:
    start = int(end[:4])
    return [f"{y}-{(y + 1) % 100:02d}" for y in range(start - count + 1, start + 1)]


def pool_years(frame: pl.DataFrame, count: int, end: str | None) -> pl.DataFrame:
    """Pool ``count`` school years ending in ``end`` (or in each year) per school, weighted by n.

    For small schools (PRODUCT.md §4.4): the mean is n-weighted, its uncertainty combines the
    years' (independent cohorts), and the row says how many years it pools (``aar_slatt_sammen``)
    and which (``skoleaar`` becomes e.g. ``2023-24–2025-26``). Never across a series break.
    """
    if not 2 <= count <= 3:
        raise UsageError("--slaa-sammen tar 2 eller 3 år.")
    ends = [end] if end is not None else sorted(set(frame["skoleaar"]))
    pieces = []
    for last in ends:
        window = _previous_years(last, count)
        # a school keeps its number through unit reforms; only a break in the tests counts
        window = [
            y for y in window if not any(b.domain == "np" for b in breaks_between("np", y, last))
        ]
        rows = frame.filter(pl.col("skoleaar").is_in(window))
        if rows.is_empty():
            continue
        pieces.append(_pool_window(rows, window[0], last))
    if not pieces:
        return frame.head(0).with_columns(aar_slatt_sammen=pl.lit(1, dtype=pl.Int32))
    return pl.concat(pieces)


def _weighted(value: str, n: str) -> pl.Expr:
    """The n-weighted mean of a column over the pooled years; null (unknown) where no year has
    it, not 0/0 = NaN: a NaN group size read as a number made a pooled school without pupil
    data one of independent pupils (design effect 1)."""
    weight = pl.col(n).filter(pl.col(value).is_not_null()).sum()
    return pl.when(weight > 0).then((pl.col(value) * pl.col(n)).sum() / weight)


def _pooled_sd(sd: str, n: str) -> pl.Expr:
    """The years' pupil SDs pooled (n − 1 weights); null where no year has pupil data."""
    weight = (pl.col(n) - 1).filter(pl.col(sd).is_not_null()).sum()
    pooled = ((pl.col(n) - 1) * pl.col(sd) ** 2).sum() / weight
    return pl.when(weight > 0).then(pooled.sqrt())


def _combined_half_width(half: str, n: str) -> pl.Expr:
    # Var(Σ w_y x_y) = Σ w_y² se_y², w_y = n_y / N; null if any year lacks Udir's uncertainty.
    se = pl.col(half) / stats.Z95
    combined = ((pl.col(n) / pl.col(n).sum()) ** 2 * se**2).sum().sqrt() * stats.Z95
    return pl.when(pl.col(half).is_null().any()).then(None).otherwise(combined)


def _pool_window(rows: pl.DataFrame, first: str, last: str) -> pl.DataFrame:
    keys = ["trinn", "prove", "kommunenr", "enhet_id", "navn"]
    label = last if first == last else f"{first}–{last}"
    return (
        rows.group_by(keys, maintain_order=True)
        .agg(
            skalapoeng=_weighted("skalapoeng", "antall"),
            usikkerhet=_combined_half_width("usikkerhet", "antall"),
            kommune_snitt=_weighted("kommune_snitt", "kommune_antall"),
            kommune_usikkerhet=_combined_half_width("kommune_usikkerhet", "kommune_antall"),
            land_snitt=pl.col("land_snitt").mean(),
            land_usikkerhet=(pl.col("land_usikkerhet") ** 2).mean().sqrt(),
            land_antall=pl.col("land_antall").sum(),
            # a weighted mean of rounded means: Σ w² / 12
            avrunding=(
                (pl.col("antall") / pl.col("antall").sum()) ** 2 * pl.col("avrunding")
            ).sum(),
            kommune_avrunding=(
                (pl.col("kommune_antall") / pl.col("kommune_antall").sum()) ** 2
                * pl.col("kommune_avrunding")
            ).sum(),
            land_avrunding=pl.col("land_avrunding").sum() / pl.len() ** 2,
            elev_gruppestorrelse=_weighted("elev_gruppestorrelse", "elev_antall"),
            elev_snitt=_weighted("elev_snitt", "elev_antall"),
            elev_sd=_pooled_sd("elev_sd", "elev_antall"),
            antall=pl.col("antall").sum(),
            kommune_antall=pl.col("kommune_antall").sum(),
            elev_antall=pl.col("elev_antall").sum(),
            aar_slatt_sammen=pl.col("skoleaar").n_unique().cast(pl.Int32),
        )
        .with_columns(skoleaar=pl.lit(label))
        .select(*rows.columns, "aar_slatt_sammen")
        .sort("trinn", "prove", "kommunenr", "enhet_id")
    )
