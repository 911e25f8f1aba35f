"""The Læringsspeil of one school as a :class:`~tallkit.reports.document.Document`.

Everything is computed set-wise: each analysis runs once for all the schools asked for
(:class:`Inputs`) and is split per school once (:meth:`Inputs.split`), so ``speil --alle``
costs a few queries and one pass, not a few per school. No SQL and no wording here: the rows
come from the analyses, the words from ``templates/tekster.toml`` and ``sporsmal.toml``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

import polars as pl

from tallkit import norsk, skjerming, stats
from tallkit.brudd import breaks_between
from tallkit.charts import FunnelPoint, TrendPoint, funnel_svg, levels_svg, trend_svg
from tallkit.reports import messages
from tallkit.reports.document import (
    Assessment,
    Block,
    Chart,
    Comparison,
    Document,
    Message,
    Section,
    Table,
)
from tallkit.reports.verdicts import LOWER_IS_BETTER, published_decimals, verdict
from tallkit.reports.vurdering import follow_up
from tallkit.reports.words import Words

# mastery-level rows of one unit by (trinn, test, year)
LevelCells = dict[tuple[int, str, str], list[dict[str, Any]]]

TEST_NAME = messages.TEST_NAMES


@dataclass(frozen=True)
class Inputs:
    """The analyses, computed once for every school in the run."""

    schools: pl.DataFrame
    sources: pl.DataFrame  # enhet_id, kilde_id, filnavn, eksportert
    tests: pl.DataFrame
    pooled: pl.DataFrame  # tests with 3 years pooled, for schools Udir suppressed
    trend: pl.DataFrame  # schools and their kommuner
    cohort: pl.DataFrame
    paired: pl.DataFrame
    value_added: pl.DataFrame
    profile: pl.DataFrame
    variation: pl.DataFrame
    indicators: pl.DataFrame
    levels: pl.DataFrame  # pupils per mastery level, schools and kommuner (pupil data)
    # the units' bars (enhet_id, skoleaar, trinn, prove) the suppression plan hides
    levels_hidden: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema=skjerming.HIDDEN_LEVELS_SCHEMA)
    )
    preliminary: frozenset[str] = frozenset()
    udir_texts: tuple[str, ...] = ()
    _split: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)
    _funnels: dict[tuple[Any, ...], list[dict[str, Any]]] = field(default_factory=dict)
    _schools: dict[str, dict[str, Any]] = field(default_factory=dict)
    _level_cells: dict[str | None, LevelCells] = field(default_factory=dict)

    FRAMES = (
        "tests",
        "pooled",
        "trend",
        "cohort",
        "paired",
        "value_added",
        "profile",
        "variation",
        "indicators",
        "levels",
        "levels_hidden",
        "sources",
    )

    def split(self) -> None:
        """Partition every frame by unit once (not filtered again for each school)."""
        for name in self.FRAMES:
            frame: pl.DataFrame = getattr(self, name)
            by_unit: dict[str, list[dict[str, Any]]] = {}
            for row in frame.iter_rows(named=True):
                by_unit.setdefault(row["enhet_id"], []).append(row)
            self._split[name] = by_unit
        self._schools.update((row["orgnr"], row) for row in self.schools.iter_rows(named=True))

    def funnel(self, kommune: str, year: str, trinn: int, test: str) -> list[dict[str, Any]]:
        """The schools of one kommune's funnel (rows of ``variation`` with limits), grouped
        once for the whole run: filtering the frame per school and test cost more than the
        rest of a school's report."""
        if not self._funnels:
            self._funnels[()] = []  # grouped (also when no school has a funnel)
            for row in self.variation.filter(pl.col("trakt_95_lav").is_not_null()).iter_rows(
                named=True
            ):
                key = (row["kommunenr"], row["skoleaar"], row["trinn"], row["prove"])
                self._funnels.setdefault(key, []).append(row)
        return self._funnels.get((kommune, year, trinn, test), [])

    def school(self, orgnr: str) -> dict[str, Any]:
        """The school's row of ``schools`` (KeyError when it is not there)."""
        if not self._split:
            self.split()
        return self._schools[orgnr]

    def level_cells(self, unit: str | None) -> LevelCells:
        """A unit's mastery-level counts by (trinn, test, year), grouped once per unit (a
        kommune's are read by each of its schools' reports)."""
        found = self._level_cells.get(unit)
        if found is None:
            found = self._level_cells[unit] = level_cells(self.rows("levels", unit))
        return found

    def rows(self, name: str, unit: str | None) -> list[dict[str, Any]]:
        if not self._split:
            self.split()
        return [] if unit is None else self._split[name].get(unit, [])


def school_kind(trinn: set[int]) -> str:
    if trinn and min(trinn) >= 8:
        return "ungdomsskole"
    if trinn and max(trinn) >= 8:
        return "1-10"
    return "barneskole"


def build(
    inputs: Inputs,
    orgnr: str,
    year: str,
    *,
    min_group: int,
    words: Words,
    assessment: Assessment | None = None,
    previous: Assessment | None = None,
    standards: tuple[dict[str, Any], ...] = (),
) -> Document:
    school = inputs.school(orgnr)
    kommunenr = school["kommunenr"]
    tests = [r for r in inputs.rows("tests", orgnr) if r["skoleaar"] == year]
    trend = [r for r in inputs.rows("trend", orgnr) if r["skoleaar"] <= year]
    kommune_trend = [r for r in inputs.rows("trend", kommunenr) if r["skoleaar"] <= year]
    all_indicators = [r for r in inputs.rows("indicators", orgnr) if r["skoleaar"] <= year]
    newest = newest_indicators(all_indicators, year)
    np_rows = [r for r in newest if r["kilde"] == "nasjonale_prover" and r["skoleaar"] == year]
    # Udir published rows for the year but none with a number: suppressed (a school without
    # national tests at all, e.g. only 1.–4. trinn, is not «skjermet»)
    suppressed = not tests and bool(np_rows)
    kind = school_kind({r["trinn"] for r in np_rows + trend + tests if r["trinn"] <= 10})
    profile = [r for r in inputs.rows("profile", orgnr) if r["skoleaar"] == year]
    cohort = [r for r in inputs.rows("cohort", orgnr) if r["til_aar"] == year]
    paired = [r for r in inputs.rows("paired", orgnr) if r["til_aar"] == year]
    value_added = [r for r in inputs.rows("value_added", orgnr) if r["til_aar"] == year]
    variation = [r for r in inputs.rows("variation", orgnr) if r["skoleaar"] == year]
    levels = inputs.rows("levels", orgnr)

    candidates: list[Message] = []
    if suppressed:
        candidates.append(messages.suppressed(year, words))
    candidates += messages.level(tests, year, words)
    candidates += messages.development(trend, year, words)
    candidates += messages.progression(value_added, cohort, words)
    candidates += messages.profile(profile, words)
    survey = [r for r in newest if r["kilde"] != "nasjonale_prover"]
    candidates += messages.environment(survey, words)
    candidates += messages.school_points(survey, words)
    chosen = messages.choose(candidates, kind)
    intro = []
    if suppressed:
        intro.append(words.text("hovedbilde", "intro_skjermet", aar=year))
    if kind == "ungdomsskole":
        intro.append(words.text("hovedbilde", "intro_ungdomsskole"))
    if not suppressed and not [m for m in chosen if m.retning != "ingen_sikker_forskjell"]:
        intro.append(words.text("hovedbilde", "intro_ingenting", aar=year))

    comparisons = school_comparisons(inputs, orgnr, year, words)
    progression = _progression(cohort, paired, value_added, words, min_group)
    national = _national_tests(
        trend,
        kommune_trend,
        _level_blocks(inputs, orgnr, kommunenr, year, levels, min_group),
        _hidden_level_notes(
            inputs.rows("levels_hidden", orgnr),
            inputs.rows("levels_hidden", kommunenr),
            levels,
            year,
            min_group,
        ),
    )
    sections = [
        _summary(comparisons, words, tests, standards, levels, year, min_group),
        *([progression, national] if kind == "ungdomsskole" else [national, progression]),
    ]
    if suppressed:
        sections.insert(1, _pooled(inputs.rows("pooled", orgnr), year, words))
    sections += [
        _profile(profile, words),
        _variation(variation, inputs, words),
        _survey_and_points(survey, all_indicators, words),
    ]
    follow = follow_up(previous, all_indicators) if previous is not None else []
    sources = _sources(inputs.rows, orgnr, kommunenr)
    return Document(
        kind="laeringsspeil",
        title=f"Læringsspeil {year}: {school['navn']}",
        skoleaar=year,
        header={
            "skole": {
                "orgnr": orgnr,
                "navn": school["navn"],
                "kommune": school["kommune"] or kommunenr or "",
                "kommunenr": kommunenr,
                "skoletype": kind,
            }
        },
        hovedbilde=chosen,
        hovedbilde_intro=intro,
        sections=sections,
        comparisons=comparisons,
        reflections=_reflections(candidates, kind, suppressed, words),
        assessment=assessment,
        previous=previous,
        previous_follow_up=follow,
        about=_about(min_group, trend)
        + [f"Udir: «{text}»" for text in inputs.udir_texts]
        + [words.text("hovedbilde", "regel")],
        sources=sources,
        min_group=min_group,
        suppressed=suppressed,
        preliminary=orgnr in inputs.preliminary,
    )


def school_comparisons(inputs: Inputs, orgnr: str, year: str, words: Words) -> list[Comparison]:
    """The school's verdicts (JSON ``sammenligninger``): one function for its Læringsspeil and
    for the kommune report's grid, so the two cannot disagree."""
    tests = [r for r in inputs.rows("tests", orgnr) if r["skoleaar"] == year]
    indicators = [r for r in inputs.rows("indicators", orgnr) if r["skoleaar"] <= year]
    return _comparisons(newest_indicators(indicators, year), tests, year, words)


def newest_indicators(rows: list[dict[str, Any]], year: str) -> list[dict[str, Any]]:
    """Each indicator from its newest year up to ``year`` (NP: ``year`` itself)."""
    best: dict[tuple[Any, ...], dict[str, Any]] = {}
    for r in rows:
        if r["kilde"] == "nasjonale_prover" and r["skoleaar"] != year:
            continue
        key = (r["kilde"], r["indikator_kode"], r["trinn"])
        if key not in best or r["skoleaar"] > best[key]["skoleaar"]:
            best[key] = r
    order = {"nasjonale_prover": 0, "elevundersokelsen": 1, "grunnskolepoeng": 2}
    return [best[k] for k in sorted(best, key=lambda k: (order.get(k[0], 3), k[2], k[1]))]


def _comparisons(
    newest: list[dict[str, Any]], tests: list[dict[str, Any]], year: str, words: Words
) -> list[Comparison]:
    by_test = {(t["trinn"], t["prove"]): t for t in tests}
    out = []
    for r in newest:
        test = (
            by_test.get((r["trinn"], r["indikator_kode"]))
            if r["kilde"] == "nasjonale_prover"
            else None
        )
        shown = r["verdi"] is not None and r["status"] == "ok"
        if test is not None:
            against_k, against_l = test["flagg_kommune"], test["flagg_landet"]
        else:
            against_k, against_l = None, r.get("flagg_landet")
        out.append(
            Comparison(
                kilde=r["kilde"],
                maal=r["indikator_kode"],
                indikator=TEST_NAME.get(r["indikator"], r["indikator"]),
                trinn=r["trinn"],
                skoleaar=r["skoleaar"],
                skolen=r["verdi"] if shown else None,
                kommunen=r["kommune"],
                landet=r["landet"],
                antall=r["antall"] if shown else None,
                mot_kommunen=verdict(against_k, words) if shown else None,
                mot_landet=verdict(against_l, words) if shown else None,
            )
        )
    return out


def _sources(rows: Any, orgnr: str, kommunenr: str | None) -> list[dict[str, Any]]:
    """The files behind the school's numbers and those it is compared with (kommune, nation)."""
    found: dict[Any, dict[str, Any]] = {}
    for unit in (orgnr, kommunenr, "I"):
        for r in rows("sources", unit):
            stamp = r["eksportert"]
            found.setdefault(
                r["kilde_id"],
                {
                    "filnavn": r["filnavn"],
                    "eksportert": stamp.strftime("%Y-%m-%d %H:%M") if stamp else None,
                },
            )
    return [found[k] for k in sorted(found)]


INDICATOR_LABEL = {
    "nasjonale_prover": "Nasjonale prøver",
    "elevundersokelsen": "Elevundersøkelsen",
    "grunnskolepoeng": "Grunnskolepoeng",
}


# Elevundersøkelsen in the summary: these always, the rest when they differ from the nation
KEY_SURVEY_INDICES = frozenset({"EUIndeks_1379", "EUIndeks_1398"})  # trivsel, mobbing


def _summary(
    comparisons: list[Comparison],
    words: Words,
    tests: list[dict[str, Any]],
    standards: tuple[dict[str, Any], ...],
    levels: list[dict[str, Any]],
    year: str,
    min_group: int,
) -> Section:
    section = Section(
        "Sammendrag",
        intro="Skolens tall mot kommunen og landet, hvert fra sitt nyeste år. «over» og «under» "
        "betyr at forskjellen er større enn usikkerheten (95 %); ellers står det «ikke sikker "
        "forskjell». Elevundersøkelsen og grunnskolepoeng sammenlignes bare med landet; her "
        "står trivsel, mobbing og indeksene som skiller seg ut (alle under Læringsmiljø).",
        empty="Ingen tall for skolen.",
        anchor="sammendrag",
    )
    rows = [
        {
            "kilde": INDICATOR_LABEL[c.kilde],
            "maal": c.indikator,
            "trinn": c.trinn,
            "skoleaar": c.skoleaar,
            "antall": c.antall,
            "skolen": c.skolen,
            "kommunen": c.kommunen,
            "landet": c.landet,
            "mot_kommunen": c.mot_kommunen or "–",
            "mot_landet": c.mot_landet or "–",
            "_desimaler": published_decimals(c.kilde),
        }
        for c in comparisons
        if c.kilde != "elevundersokelsen"
        or c.maal in KEY_SURVEY_INDICES
        or c.mot_landet not in (None, verdict(stats.NOT_SURE, words))
    ]
    block = Block("")
    if rows:
        block.tables.append(
            Table(
                [
                    ("kilde", "Kilde"),
                    ("maal", "Mål"),
                    ("trinn", "Trinn"),
                    ("skoleaar", "År"),
                    ("antall", "Elever"),
                    ("skolen", "Skolen"),
                    ("kommunen", "Kommunen"),
                    ("landet", "Landet"),
                    ("mot_kommunen", "Mot kommunen"),
                    ("mot_landet", "Mot landet"),
                ],
                rows,
                note="Skjermet: Udir viser ikke tall for grupper under 10 elever (–).",
            )
        )
    # the year's pupils only, as ``tests``: pooled over the years, a standard's share of a
    # level overstated its n (too narrow an interval) and could reveal a year the
    # suppression plan hides, by subtraction from the years it shows
    this_year = [r for r in levels if r["skoleaar"] == year]
    judged = [_standard(s, tests, this_year, min_group) for s in standards]
    if judged:
        block.tables.append(
            Table(
                [
                    ("navn", "Kommunens mål"),
                    ("antall", "Elever"),
                    ("verdi", "Skolen"),
                    ("vurdering", "Vurdering"),
                ],
                judged,
                title="Kommunens egne mål",
            )
        )
    if block.tables:
        section.blocks.append(block)
    return section


def _standard(
    standard: dict[str, Any],
    tests: list[dict[str, Any]],
    levels: list[dict[str, Any]],
    min_group: int,
) -> dict[str, Any]:
    """A kommune standard: met / not met / cannot tell given the interval.

    On skalapoeng (``minst``/``hoyst`` points), or with ``mestringsnivaa`` on the share of
    pupils at that level (``minst``/``hoyst`` in percent, Wilson interval, pupil data).
    ``tests`` and ``levels`` are the school's rows of the one year judged.
    """
    name = str(standard.get("navn", "mål"))
    test, trinn = standard.get("prove"), standard.get("trinn")
    at_least = "minst" in standard
    limit = float(standard.get("minst", standard.get("hoyst", 0)))
    if "mestringsnivaa" in standard:
        counts = [r for r in levels if r["prove"] == test and r["trinn"] == trinn]
        n = sum(r["antall"] for r in counts)
        if n < min_group:
            return {
                "navn": name,
                "antall": None,
                "verdi": None,
                "vurdering": "ingen tall (krever elevdata)",
            }
        hits = sum(r["antall"] for r in counts if r["mestringsnivaa"] == standard["mestringsnivaa"])
        low, high = (100 * v for v in stats.wilson_interval(hits, n))
        value, shown_n = 100 * hits / n, n
    else:
        match = [t for t in tests if t["prove"] == test and t["trinn"] == trinn]
        if not match:
            return {"navn": name, "antall": None, "verdi": None, "vurdering": "ingen tall"}
        row = match[0]
        value, shown_n = row["skalapoeng"], row["antall"]
        low, high = value - stats.Z95 * row["se"], value + stats.Z95 * row["se"]
    if (at_least and low >= limit) or (not at_least and high <= limit):
        verdict_text = "nådd"
    elif (at_least and high < limit) or (not at_least and low > limit):
        verdict_text = "ikke nådd"
    else:
        verdict_text = "kan ikke avgjøres (innenfor usikkerheten)"
    return {"navn": name, "antall": shown_n, "verdi": value, "vurdering": verdict_text}


def _level_blocks(
    inputs: Inputs,
    orgnr: str,
    kommunenr: str | None,
    year: str,
    levels: list[dict[str, Any]],
    min_group: int,
) -> dict[int, list[Chart]]:
    """Per trinn: the mastery distribution beside the kommune's, and over the years."""
    from tallkit.charts import levels_over_years_svg

    kommune = inputs.level_cells(kommunenr)
    own_cells = level_cells(levels)
    out: dict[int, list[Chart]] = {}
    for trinn in sorted({r["trinn"] for r in levels}):
        top = 3 if trinn == 5 else 5
        tests = sorted({r["prove"] for r in levels if r["trinn"] == trinn})
        bars = []
        drawn: list[dict[str, Any]] = []
        for test in tests:
            own = _shares(own_cells, trinn, test, year, top, min_group)
            if own is None:
                continue  # no bar for the kommune alone: the chart is about the school
            name = TEST_NAME.get(test, test)
            bars.append((f"{name}, skolen", own))
            drawn.append(_bar(orgnr, year, trinn, test, own))
            found = _shares(kommune, trinn, test, year, top, min_group)
            if found is not None:
                bars.append((f"{name}, kommunen", found))
                drawn.append(_bar(kommunenr, year, trinn, test, found))
        charts = out.setdefault(trinn, [])
        title = f"Mestringsnivå {trinn}. trinn {year}"
        svg = levels_svg(title, bars, levels=top) if bars else None
        if svg:
            charts.append(Chart(f"mestring_{trinn}", title, svg, drawn))
        history = [
            (test, y, found)
            for test in tests
            for y in sorted(
                {r["skoleaar"] for r in levels if (r["trinn"], r["prove"]) == (trinn, test)}
            )
            if y <= year and (found := _shares(own_cells, trinn, test, y, top, min_group))
        ]
        if len(history) > len(tests):
            title = f"Mestringsnivå {trinn}. trinn over år (skolen)"
            svg = levels_over_years_svg(
                title,
                [(y, f) for _, y, f in history],
                top,
                groups=[TEST_NAME.get(t, t) for t, _, _ in history],
            )
            if svg:
                data = [_bar(orgnr, y, trinn, t, f) for t, y, f in history]
                charts.append(Chart(f"mestring_aar_{trinn}", title, svg, data))
    return out


def _bar(unit: str | None, year: str, trinn: int, test: str, shares: list[float]) -> dict[str, Any]:
    return {"enhet_id": unit, "skoleaar": year, "trinn": trinn, "prove": test, "andeler": shares}


def level_cells(rows: list[dict[str, Any]]) -> LevelCells:
    """Mastery-level rows grouped by (trinn, test, year)."""
    cells: LevelCells = {}
    for r in rows:
        cells.setdefault((r["trinn"], r["prove"], r["skoleaar"]), []).append(r)
    return cells


def _shares(
    cells: LevelCells, trinn: int, test: str, when: str, top: int, min_group: int
) -> list[float] | None:
    """Shares per mastery level; None for a group under the minimum (not shown)."""
    counts = cells.get((trinn, test, when), [])
    total = sum(r["antall"] for r in counts)
    if total < min_group:
        return None
    by_level = {r["mestringsnivaa"]: r["antall"] for r in counts}
    return [by_level.get(level, 0) / total for level in range(1, top + 1)]


def _national_tests(
    trend: list[dict[str, Any]],
    kommune_trend: list[dict[str, Any]],
    level_charts: dict[int, list[Chart]],
    level_notes: dict[int, list[str]],
) -> Section:
    from tallkit.charts import shared_range, trend_values

    section = Section(
        "Nasjonale prøver over år",
        intro="Skolens resultat per år med 95 % usikkerhet, kommunen og landet som linjer. Samme "
        "skala for alle prøvene på et trinn. Et brudd i tidsserien (nye prøver fra 2022) er "
        "merket; tall på hver side av et brudd kan ikke sammenlignes direkte.",
        empty="Ingen resultater på nasjonale prøver for skolen.",
        anchor="nasjonale-prover",
    )
    kommune = {(r["trinn"], r["prove"], r["skoleaar"]): r["skalapoeng"] for r in kommune_trend}
    kommune_n = {(r["trinn"], r["prove"], r["skoleaar"]): r["antall"] for r in kommune_trend}
    for trinn in sorted({r["trinn"] for r in trend} | set(level_charts) | set(level_notes)):
        rows_of_trinn = [r for r in trend if r["trinn"] == trinn]
        every_point = [
            TrendPoint(
                r["skoleaar"],
                r["skalapoeng"],
                r["lav"],
                r["hoy"],
                r["landet"],
                r["serie"],
                kommune=kommune.get((trinn, r["prove"], r["skoleaar"])),
            )
            for r in rows_of_trinn
        ]
        y_range = shared_range(trend_values(every_point)) if every_point else None
        block = Block(f"{trinn}. trinn")
        for test in sorted({r["prove"] for r in rows_of_trinn}):
            rows = sorted(
                (r for r in rows_of_trinn if r["prove"] == test), key=lambda r: r["skoleaar"]
            )
            points = [
                TrendPoint(
                    r["skoleaar"],
                    r["skalapoeng"],
                    r["lav"],
                    r["hoy"],
                    r["landet"],
                    r["serie"],
                    kommune=kommune.get((trinn, test, r["skoleaar"])),
                )
                for r in rows
            ]
            title = f"{trinn}. trinn {TEST_NAME.get(test, test)}"
            svg = trend_svg(title, points, y_range=y_range, require_school=False)
            if svg is not None:
                block.charts.append(Chart(f"trend_{trinn}_{test}", title, svg))
        years = sorted({r["skoleaar"] for r in rows_of_trinn})
        body = []
        for test in sorted({r["prove"] for r in rows_of_trinn}):
            own = [r for r in rows_of_trinn if r["prove"] == test]
            shown_n = [r["antall"] for r in own if r["skalapoeng"] is not None]
            entry: dict[str, Any] = {
                "prove": TEST_NAME.get(test, test),
                "hva": "skolen",
                "elever": min(shown_n) if shown_n else None,
            }
            kommune_entry: dict[str, Any] = {
                "prove": "",
                "hva": "kommunen",
                "elever": min(
                    (
                        kommune_n[(trinn, test, r["skoleaar"])]
                        for r in own
                        if kommune_n.get((trinn, test, r["skoleaar"]))
                    ),
                    default=None,
                ),
            }
            for r in own:
                entry[r["skoleaar"]] = (
                    f"{norsk.number(r['skalapoeng'])} ({_interval(r['lav'], r['hoy'], COMPUTED)})"
                    if r["skalapoeng"] is not None
                    else "skjermet"
                )
                kommune_entry[r["skoleaar"]] = kommune.get((trinn, test, r["skoleaar"]))
            body += [entry, kommune_entry]
        crossed = sorted({r["brudd_for"] for r in rows_of_trinn if r["brudd_for"]})
        block.tables.append(
            Table(
                [
                    ("prove", "Prøve"),
                    ("hva", ""),
                    ("elever", "Elever (færrest)"),
                    *[(y, y) for y in years],
                ],
                [dict.fromkeys(years) | e for e in body],
                note="Skolens snitt med 95 % usikkerhet i parentes."
                + (f" Brudd i tidsserien: {' '.join(crossed)}" if crossed else ""),
            )
        )
        block.charts.extend(level_charts.get(trinn, []))
        block.text.extend(level_notes.get(trinn, []))
        section.blocks.append(block)
    return section


def _hidden_level_notes(
    own_hidden: list[dict[str, Any]],
    kommune_hidden: list[dict[str, Any]],
    own_levels: list[dict[str, Any]],
    year: str,
    min_group: int,
) -> dict[int, list[str]]:
    """Per trinn, a line saying which of the year's mastery distributions the suppression
    plan hides (the school's, and the kommune's beside a school bar that is drawn), so the
    reader is not left wondering where a chart or a bar went."""
    drawn: dict[tuple[int, str], int] = {}
    for r in own_levels:
        if r["skoleaar"] == year:
            key = (r["trinn"], r["prove"])
            drawn[key] = drawn.get(key, 0) + r["antall"]
    own = {(r["trinn"], r["prove"]) for r in own_hidden if r["skoleaar"] == year}
    kommune = {
        (r["trinn"], r["prove"])
        for r in kommune_hidden
        if r["skoleaar"] == year and drawn.get((r["trinn"], r["prove"]), 0) >= min_group
    }
    notes: dict[int, list[str]] = {}
    for whose, hidden, example in (
        ("Skolens", own, "en elev som er talt ved to skoler samme år"),
        ("Kommunens", kommune, "en skole for liten til å vises"),
    ):
        for trinn in sorted({t for t, _ in hidden}):
            names = norsk.listing([TEST_NAME.get(p, p) for t, p in sorted(hidden) if t == trinn])
            notes.setdefault(trinn, []).append(
                f"{whose} fordeling på mestringsnivå i {names} for {year} er skjult: sammen med "
                f"andre tall fra elevdata om mestringsnivå (som {example}) ville den vist "
                f"resultatene til færre enn {min_group} elever."
            )
    return notes


def _interval(low: float | None, high: float | None, decimals: int | None = None) -> str | None:
    return norsk.interval(low, high, decimals)


# Means computed from pupil data (changes, value added) and intervals are written with one
# decimal in every cell (+6,0 beside +6,7); published scale points stay whole.
COMPUTED: Final = 1


def _pooled(rows: list[dict[str, Any]], year: str, words: Words) -> Section:
    section = Section(
        "Flere år slått sammen",
        intro=f"Udir har skjermet skolens tall for {year}. Her er opptil tre år slått sammen "
        "(vektet med antall elever) der det til sammen gir nok elever. Et slått-sammen tall "
        "sier noe om skolen over flere kull, ikke om årets elever.",
        empty="Udir har skjermet skolens tall i alle de siste tre årene, så heller ikke flere år "
        "sammen kan vises.",
        anchor="slatt-sammen",
    )
    rows = [r for r in rows if r["skoleaar"].endswith(year)]
    if rows:
        section.blocks.append(
            Block(
                "",
                tables=[
                    Table(
                        [
                            ("skoleaar", "Skoleår"),
                            ("trinn", "Trinn"),
                            ("prove", "Prøve"),
                            ("antall", "Elever"),
                            ("skalapoeng", "Skolen"),
                            ("kommune", "Kommunen"),
                            ("landet", "Landet"),
                            ("mot_landet", "Mot landet"),
                        ],
                        [
                            {
                                **r,
                                "prove": TEST_NAME.get(r["prove"], r["prove"]),
                                "mot_landet": verdict(r["flagg_landet"], words) or "–",
                            }
                            for r in rows
                        ],
                    )
                ],
            )
        )
    return section


def _progression(
    cohort: list[dict[str, Any]],
    paired: list[dict[str, Any]],
    value_added: list[dict[str, Any]],
    words: Words,
    min_group: int,
) -> Section:
    section = Section(
        "Progresjon: de samme elevene over tid",
        intro="Endring er hvor mye resultatet har endret seg (samme skala bare fra 8. til 9. "
        "trinn). Endring mot landet er om elevene har tatt inn på eller falt bak landet. "
        "Verdiskaping er hvor mye skolens elever endret seg sammenlignet med kommunens elever.",
        empty="Ingen kull med tall i begge ender.",
        anchor="progresjon",
    )
    for (fra, til), title in (((8, 9), "8. til 9. trinn"), ((5, 8), "5. til 8. trinn")):
        block = Block(title)
        mine = [r for r in cohort if (r["fra_trinn"], r["til_trinn"]) == (fra, til)]
        if mine:
            columns = [
                ("fra_aar", "Fra"),
                ("til_aar", "Til"),
                ("prove", "Prøve"),
                ("elever", "Elever"),
            ]
            if fra == 8:
                columns.append(("endring", "Endring (poeng)"))
            columns += [("endring_mot_landet", "Endring mot landet"), ("flagg", "Mot landet")]
            block.tables.append(
                Table(
                    columns,
                    [
                        {
                            **r,
                            "prove": TEST_NAME.get(r["prove"], r["prove"]),
                            "elever": min(r["fra_antall"], r["til_antall"]),
                            "endring": norsk.signed(r["endring"])
                            if r["endring"] is not None
                            else None,
                            "endring_mot_landet": norsk.signed(r["endring_mot_landet"]),
                            "flagg": verdict(r["flagg"], words) or "–",
                        }
                        for r in mine
                    ],
                    title="Publiserte resultater for kullet",
                    note=""
                    if fra == 8
                    else "5. og 8. trinn har ulike skalaer: bare plassen mot landet sammenlignes.",
                )
            )
        pairs = [r for r in paired if (r["fra_trinn"], r["til_trinn"]) == (fra, til)]
        hidden = [r for r in pairs if r["status"] != "ok"]
        pairs = [r for r in pairs if r["status"] == "ok"]
        added = [r for r in value_added if (r["fra_trinn"], r["til_trinn"]) == (fra, til)]
        if fra == 5:
            # 5 -> 8 is measured as the change in position against the kommune's pairs, so
            # against the kommune it *is* the value added (same pupils, the same number): one
            # table, the value added's, whose interval counts the school inside the kommune
            pairs = [r for r in pairs if r["prove"] not in {a["prove"] for a in added}]
        if hidden:  # suppression across tables (skjerming.py): say so instead of empty rows
            block.text.append(
                f"{len(hidden)} parvise tall er skjult fordi noen få elever (færre enn "
                f"{min_group}) bare er med i ett av årene, eller gruppen er for liten; sammen "
                "med årets snitt ville de vist resultatene til de få."
            )
        if pairs:
            block.tables.append(
                Table(
                    [
                        ("prove", "Prøve"),
                        ("gruppe", "Gruppe"),
                        ("antall", "Elever"),
                        ("endring", "Endring"),
                        ("intervall", "95 % usikkerhet"),
                        ("andel_opp", "Opp ett nivå eller mer"),
                        ("andel_ned", "Ned"),
                    ],
                    [
                        {
                            **r,
                            "prove": TEST_NAME.get(r["prove"], r["prove"]),
                            "endring": norsk.signed(r["endring"], COMPUTED)
                            if r["endring"] is not None
                            else None,
                            "intervall": _interval(r["endring_lav"], r["endring_hoy"], COMPUTED),
                            "andel_opp": norsk.percent(r["andel_opp"])
                            if r["andel_opp"] is not None
                            else None,
                            "andel_ned": norsk.percent(r["andel_ned"])
                            if r["andel_ned"] is not None
                            else None,
                        }
                        for r in pairs
                    ],
                    title="De samme elevene (elevdata)"
                    + (
                        ": endring i plass mot kommunen, for elevene som gikk her på 5. trinn"
                        if fra == 5
                        else ""
                    ),
                )
            )
        if added:
            block.tables.append(
                Table(
                    [
                        ("prove", "Prøve"),
                        ("antall", "Elever"),
                        ("restledd", "Mer enn kommunens elever"),
                        ("intervall", "95 % usikkerhet"),
                        ("krympet", "Krympet anslag"),
                        ("flagg", "Mot kommunen"),
                    ],
                    [
                        {
                            **r,
                            "prove": TEST_NAME.get(r["prove"], r["prove"]),
                            "restledd": norsk.signed(r["restledd"], COMPUTED),
                            "intervall": _interval(r["restledd_lav"], r["restledd_hoy"], COMPUTED),
                            "krympet": norsk.signed(r["krympet"], COMPUTED),
                            "flagg": verdict(r["flagg"], words) or "–",
                        }
                        for r in added
                    ],
                    title="Verdiskaping (elevdata)"
                    + (", for elevene som gikk her på 5. trinn" if fra == 5 else ""),
                    note="Verdiskaping: hvor mye skolens elever endret seg, minus hvor mye "
                    "kommunens elever endret seg. Ikke SSBs skolebidrag, som også tar hensyn "
                    "til familiebakgrunn."
                    + (
                        " Fra 5. til 8. trinn er tallet elevenes endring i plass mot kommunen."
                        if fra == 5
                        else ""
                    ),
                )
            )
        if block.tables or block.text:
            section.blocks.append(block)
    return section


def _profile(profile: list[dict[str, Any]], words: Words) -> Section:
    section = Section(
        "Fagprofil",
        intro="Hvor mye hver prøve ligger over eller under landet, sammenlignet med skolens "
        "andre prøver samme år og trinn: hvilket fag skiller seg ut?",
        empty="For få prøver til en fagprofil.",
        anchor="fagprofil",
    )
    if profile:
        section.blocks.append(
            Block(
                "",
                tables=[
                    Table(
                        [
                            ("trinn", "Trinn"),
                            ("prove", "Prøve"),
                            ("antall", "Elever"),
                            ("mot_landet", "Mot landet (poeng)"),
                            ("profil", "Mot skolens andre prøver"),
                            ("flagg", "Skiller seg ut"),
                        ],
                        [
                            {
                                **r,
                                "prove": TEST_NAME.get(r["prove"], r["prove"]),
                                "mot_landet": norsk.signed(r["mot_landet"]),
                                "profil": norsk.signed(r["profil"], COMPUTED),
                                "flagg": verdict(r["flagg"], words) or "–",
                            }
                            for r in profile
                        ],
                    )
                ],
            )
        )
    return section


def _variation(variation: list[dict[str, Any]], inputs: Inputs, words: Words) -> Section:
    section = Section(
        "Skolen blant kommunens skoler",
        intro="Hver prikk er en skole i kommunen (uten navn); skolen er den store prikken, "
        "farget etter samme vurdering som i sammendraget. Trakten viser hvor langt fra "
        "kommunesnittet en skole av samme størrelse kan ligge av tilfeldigheter og vanlig "
        "variasjon mellom skoler. En rangering er et intervall: forskjellene mellom skolene er "
        "ofte mindre enn usikkerheten.",
        empty="Ingen sammenligning med andre skoler dette året.",
        anchor="kommunens-skoler",
    )
    block = Block("")
    table_rows = []
    for row in variation:
        cell = inputs.funnel(row["kommunenr"], row["skoleaar"], row["trinn"], row["prove"])
        title = f"{row['trinn']}. trinn {TEST_NAME.get(row['prove'], row['prove'])}"
        if row["referanse"] is not None and len(cell) > 1:
            points = [
                FunnelPoint(
                    r["antall"],
                    r["skalapoeng"],
                    r["trakt_95_lav"],
                    r["trakt_95_hoy"],
                    r["trakt_998_lav"],
                    r["trakt_998_hoy"],
                    r["enhet_id"] == row["enhet_id"],
                    verdict=row["flagg"] if r["enhet_id"] == row["enhet_id"] else None,
                )
                for r in cell
            ]
            svg = funnel_svg(
                f"Trakt: {title}",
                row["referanse"],
                points,
                verdict_label=f"{verdict(row['flagg'], words)} kommunen"
                if row["flagg"] in (stats.OVER, stats.UNDER)
                else verdict(row["flagg"], words),
            )
            if svg is not None:
                block.charts.append(Chart(f"trakt_{row['trinn']}_{row['prove']}", title, svg))
        table_rows.append(
            {
                **row,
                "prove": title,
                "mot_kommunen": verdict(row["flagg"], words) or "–",
                "rang": f"{row['rang_fra']}–{row['rang_til']} av {row['antall_skoler']}",
            }
        )
    if table_rows:
        block.tables.append(
            Table(
                [
                    ("prove", "Prøve"),
                    ("antall", "Elever"),
                    ("skalapoeng", "Skolen"),
                    ("referanse", "Kommunen"),
                    ("mot_kommunen", "Mot kommunen"),
                    ("rang", "Rangintervall"),
                ],
                table_rows,
            )
        )
        section.blocks.append(block)
    return section


def _survey_and_points(
    newest: list[dict[str, Any]], everything: list[dict[str, Any]], words: Words
) -> Section:
    section = Section(
        "Læringsmiljø og grunnskolepoeng",
        intro="Elevundersøkelsens indekser går fra 1 til 5, høyere er bedre; mobbing er andel "
        "elever, lavere er bedre. Hvert tall er fra sitt nyeste år. Grunnskolepoeng har ingen "
        "spredning i Udirs eksport, så det lages ikke noe intervall.",
        empty="Ingen tall fra Elevundersøkelsen eller grunnskolepoeng for skolen.",
        anchor="laeringsmiljo",
    )
    if newest:
        block = Block("")
        block.tables.append(
            Table(
                [
                    ("indikator", "Indikator"),
                    ("trinn", "Trinn"),
                    ("skoleaar", "År"),
                    ("antall", "Elever (svar)"),
                    ("verdi", "Skolen"),
                    ("kommune", "Kommunen"),
                    ("landet", "Landet"),
                    ("mot_landet", "Mot landet"),
                ],
                [
                    {
                        **r,
                        "indikator": r["indikator"]
                        + (" (lavere er bedre)" if r["indikator_kode"] in LOWER_IS_BETTER else ""),
                        "mot_landet": verdict(r["flagg_landet"], words) or "–",
                    }
                    for r in newest
                ],
                decimals=1,
            )
        )
        history = _indicator_history([r for r in everything if r["kilde"] != "nasjonale_prover"])
        if history is not None:
            block.tables.append(history)
        section.blocks.append(block)
    return section


def _indicator_history(rows: list[dict[str, Any]]) -> Table | None:
    """The school's value per indicator and year. Suppressed years stay empty; «Elever
    (færrest)» is the smallest group any shown number rests on."""
    years = sorted({r["skoleaar"] for r in rows})
    if len(years) < 2:
        return None
    table: dict[tuple[Any, ...], dict[str, Any]] = {}
    for r in sorted(
        rows, key=lambda r: (r["kilde"], r["indikator_kode"], r["trinn"], r["skoleaar"])
    ):
        key = (r["kilde"], r["indikator_kode"], r["trinn"])
        entry = table.setdefault(
            key, {"indikator": r["indikator"], "trinn": r["trinn"], "elever": None}
        )
        if r["verdi"] is not None:
            entry[r["skoleaar"]] = r["verdi"]
            entry["elever"] = min(r["antall"], entry["elever"] or r["antall"])
    columns = [("indikator", "Indikator"), ("trinn", "Trinn"), ("elever", "Elever (færrest)")]
    columns += [(y, y) for y in years]
    body = [dict.fromkeys(years) | entry for entry in table.values()]
    crossed = [
        b.text
        for domain in ("eu", "gsp")
        for b in breaks_between(domain, years[0], years[-1])
        if b.domain == domain
    ]
    note = f"Brudd i tidsserien: {' '.join(crossed)}" if crossed else ""
    return Table(columns, body, title="Utvikling over år", note=note, decimals=1)


def _reflections(
    candidates: list[Message], kind: str, suppressed: bool, words: Words
) -> list[dict[str, Any]]:
    """One point per theme: what stands out (strengths and challenges together), and questions
    for the staff fitted to the school type (``templates/sporsmal.toml``)."""
    themes: dict[str, list[Message]] = {}
    for m in candidates:
        if m.retning != "ingen_sikker_forskjell" or m.type in ("skjermet", "grunnskolepoeng"):
            themes.setdefault(m.type, []).append(m)
    order = [t for t in messages.THEME_ORDER if t in themes]
    out = []
    for theme in order:
        found = sorted(themes[theme], key=lambda m: (m.retning != "bedre", -m.styrke, m.tekst))
        out.append(
            {
                "tema": words.text("refleksjon", theme),
                "type": theme,
                "observasjoner": [m.tekst for m in found],
                "sporsmal": words.questions_for(theme, kind),
            }
        )
    if not out or all(r["type"] == "skjermet" for r in out):
        out.append(
            {
                "tema": words.text("refleksjon", "helhet"),
                "type": "helhet",
                "observasjoner": [words.text("refleksjon", "ingen_funn")],
                "sporsmal": words.questions_for("helhet", kind),
            }
        )
    return out


def _about(min_group: int, trend: list[dict[str, Any]]) -> list[str]:
    years = sorted({r["skoleaar"] for r in trend})
    crossed = breaks_between("np", years[0], years[-1]) if years else []
    breaks = [b.text for b in crossed if b.domain == "np"]
    return [
        f"Tall for grupper med færre enn {min_group} elever vises ikke, og heller ikke tall som "
        "gjør det mulig å regne dem ut. Udirs egne skjermede tall (*) er tomme.",
        "Skalaen på nasjonale prøver har snitt 50 og standardavvik 10 i landet det året skalaen "
        "ble satt (for 5. trinn 2014, for 8. og 9. trinn 2022): 10 poeng er mye, 1–2 poeng er "
        "sjelden mer enn tilfeldig variasjon for én skole.",
        "Intervallene (95 %) spør om skolens varige nivå, ikke bare om årets elever. De bygger "
        "på Udirs «Usikkerhet» (ellers elevdata eller elevspredningen og antall elever) og tar "
        "i tillegg med at elever i samme klasse deler klassens dagsform og lærer det året, og "
        "at Udir runder snittene til hele poeng. Derfor er de litt bredere enn Udirs egne. "
        "«Over» og «under» betyr at forskjellen er større enn usikkerheten; ellers står det "
        "«ikke sikker forskjell». «Tydelig» betyr minst tre ganger usikkerheten.",
        "Skolen sammenlignes med resten av kommunen: skolen er selv med i kommunesnittet, og "
        "usikkerheten regnes slik at også en skole som er nesten hele kommunen får et ærlig "
        "intervall.",
        "Ord: trakt = hvor langt fra snittet en skole av samme størrelse kan ligge uten at det "
        "er uvanlig; krympet anslag = skolens tall trukket litt mot kommunesnittet, mer jo "
        "færre elever (et bedre gjett på skolens varige nivå); verdiskaping = hvor mye skolens "
        "elever endret seg mot kommunens elever (ikke SSBs skolebidrag).",
        *breaks,
        "Tallene sier noe om elevgruppen et bestemt år. De er et utgangspunkt for samtale, ikke "
        "en dom over skolen.",
    ]
