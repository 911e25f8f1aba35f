"""The Læringsspeil as data: which sections, which rows, which observations. No I/O, no
templates; :mod:`tallkit.render` turns this into Markdown and HTML.

Everything is computed set-wise: each analysis runs once for all the schools asked for, and the
result is split per school, so ``speil --alle`` costs a few queries, not a few per school.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from tallkit import stats
from tallkit.brudd import breaks_between
from tallkit.charts import FunnelPoint, TrendPoint, funnel_svg, levels_svg, trend_svg

FLAG_TEXT = {"over": "over", "under": "under", "ikke_sikker": "ikke sikker forskjell"}
TEST_NAME = {"engelsk": "engelsk", "lesing": "lesing", "regning": "regning"}


@dataclass
class Table:
    columns: list[tuple[str, str]]  # (key, Norwegian header)
    rows: list[dict[str, Any]]
    title: str = ""


@dataclass
class Chart:
    name: str  # file-name stem for the Markdown's image file
    title: str
    svg: str


@dataclass
class Section:
    title: str
    intro: str = ""
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    empty: str = ""  # shown instead of tables when there is no data


@dataclass
class Mirror:
    """One school's Læringsspeil for one school year."""

    orgnr: str
    navn: str
    kommune: str
    skoleaar: str
    sources: list[dict[str, Any]]
    sections: list[Section]
    reflections: list[str]
    assessment: str | None
    about: list[str]
    min_group: int
    preliminary: bool = False  # Udir marks this year's numbers «Foreløpige tall»


@dataclass(frozen=True)
class Inputs:
    """The analyses, computed once for every school in the run."""

    schools: pl.DataFrame
    sources: pl.DataFrame  # enhet_id, kilde_id, filnavn, eksportert
    tests: pl.DataFrame
    trend: pl.DataFrame
    cohort: pl.DataFrame
    paired: pl.DataFrame  # pupil pairs per school and group (pupil data)
    value_added: pl.DataFrame
    profile: pl.DataFrame
    variation: pl.DataFrame
    indicators: pl.DataFrame
    levels: pl.DataFrame  # pupils per mastery level, schools and kommuner (pupil data)
    preliminary: frozenset[str] = frozenset()  # units whose numbers this year are preliminary
    udir_texts: tuple[str, ...] = ()  # Udir's own words on suppression and breaks, when ingested


def _rows(frame: pl.DataFrame, orgnr: str) -> list[dict[str, Any]]:
    return frame.filter(pl.col("enhet_id") == orgnr).to_dicts()


def build(
    inputs: Inputs,
    orgnr: str,
    year: str,
    *,
    min_group: int,
    assessment: str | None = None,
    standards: tuple[dict[str, Any], ...] = (),
) -> Mirror:
    school = inputs.schools.filter(pl.col("orgnr") == orgnr).row(0, named=True)
    tests = _rows(inputs.tests, orgnr)
    trend = [r for r in _rows(inputs.trend, orgnr) if r["skoleaar"] <= year]  # up to this report
    indicators = [r for r in _rows(inputs.indicators, orgnr) if r["skoleaar"] <= year]
    levels = [r for r in _rows(inputs.levels, orgnr) if r["skoleaar"] == year]
    this_year = [r for r in indicators if r["skoleaar"] == year]
    sections = [
        _summary(tests, standards, levels, min_group),
        _national_tests(
            trend, tests, _level_chart(inputs.levels, orgnr, school["kommunenr"], year, min_group)
        ),
        _progression(
            _rows(inputs.cohort, orgnr),
            _rows(inputs.paired, orgnr),
            _rows(inputs.value_added, orgnr),
        ),
        _profile(_rows(inputs.profile, orgnr)),
        _variation(_rows(inputs.variation, orgnr), inputs.variation),
        _survey_and_points(indicators, year),
    ]
    return Mirror(
        orgnr=orgnr,
        navn=school["navn"],
        kommune=school["kommune"] or school["kommunenr"] or "",
        skoleaar=year,
        sources=_sources(inputs.sources, orgnr, school["kommunenr"]),
        sections=sections,
        reflections=_reflections(
            tests,
            _rows(inputs.profile, orgnr),
            _rows(inputs.cohort, orgnr),
            this_year,
            _rows(inputs.value_added, orgnr),
        ),
        assessment=assessment,
        about=_about(min_group, trend) + [f"Udir: «{text}»" for text in inputs.udir_texts],
        min_group=min_group,
        preliminary=orgnr in inputs.preliminary,
    )


def _sources(sources: pl.DataFrame, orgnr: str, kommunenr: str | None) -> list[dict[str, Any]]:
    """The files behind the school's numbers and those it is compared with (kommune, nation)."""
    units = [u for u in (orgnr, kommunenr, "I") if u is not None]
    used = sources.filter(pl.col("enhet_id").is_in(units))
    return (
        used.unique(subset="kilde_id").sort("kilde_id").select("filnavn", "eksportert").to_dicts()
    )


def _summary(
    tests: list[dict[str, Any]],
    standards: tuple[dict[str, Any], ...],
    levels: list[dict[str, Any]],
    min_group: int,
) -> Section:
    section = Section(
        "Sammendrag",
        intro="Skolens resultater på nasjonale prøver mot kommunen og landet. «over» og «under» "
        "betyr at forskjellen er større enn usikkerheten (95 %).",
        empty="Ingen publiserte resultater på nasjonale prøver for skolen dette året.",
    )
    if tests:
        section.tables.append(
            Table(
                [
                    ("trinn", "Trinn"),
                    ("prove", "Prøve"),
                    ("antall", "Elever"),
                    ("skalapoeng", "Skolen"),
                    ("kommune", "Kommunen"),
                    ("landet", "Landet"),
                    ("flagg_kommune", "Mot kommunen"),
                    ("flagg_landet", "Mot landet"),
                ],
                [
                    {
                        **t,
                        "flagg_kommune": FLAG_TEXT.get(t["flagg_kommune"] or "", "–"),
                        "flagg_landet": FLAG_TEXT.get(t["flagg_landet"] or "", "–"),
                    }
                    for t in tests
                ],
            )
        )
    judged = [_standard(s, tests, levels, min_group) for s in standards]
    if judged:
        section.tables.append(
            Table(
                [
                    ("navn", "Kommunens mål"),
                    ("antall", "Elever"),
                    ("verdi", "Skolen"),
                    ("vurdering", "Vurdering"),
                ],
                judged,
            )
        )
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
        verdict = "nådd"
    elif (at_least and high < limit) or (not at_least and low > limit):
        verdict = "ikke nådd"
    else:
        verdict = "kan ikke avgjøres (innenfor usikkerheten)"
    return {"navn": name, "antall": shown_n, "verdi": value, "vurdering": verdict}


def _level_chart(
    levels: pl.DataFrame, orgnr: str, kommunenr: str | None, year: str, min_group: int
) -> Chart | None:
    """The school's mastery distribution beside its kommune's, per trinn and test."""
    bars = []
    rows = levels.filter(pl.col("skoleaar") == year)
    own = rows.filter(pl.col("enhet_id") == orgnr).select("trinn", "prove").unique()
    for trinn, test in sorted(own.iter_rows()):
        for unit, label in ((orgnr, "skolen"), (kommunenr, "kommunen")):
            counts = rows.filter(
                (pl.col("enhet_id") == unit)
                & (pl.col("trinn") == trinn)
                & (pl.col("prove") == test)
            )
            total = int(counts["antall"].sum())
            if total < min_group:
                continue  # shares of a small group are not shown
            top = 3 if trinn == 5 else 5
            by_level = dict(zip(counts["mestringsnivaa"], counts["antall"], strict=True))
            shares = [by_level.get(level, 0) / total for level in range(1, top + 1)]
            bars.append((f"{trinn}. {TEST_NAME.get(str(test), str(test))}, {label}", shares))
    svg = levels_svg("Mestringsnivå", bars)
    return Chart("mestringsnivaa", "Mestringsnivå (elevdata)", svg) if svg else None


def _national_tests(
    trend: list[dict[str, Any]], tests: list[dict[str, Any]], levels: Chart | None
) -> Section:
    section = Section(
        "Nasjonale prøver",
        intro="Resultat per år med 95 % intervall. Et brudd i tidsserien er merket.",
        empty="Ingen resultater på nasjonale prøver for skolen.",
    )
    keys = sorted({(r["trinn"], r["prove"]) for r in trend})
    for trinn, test in keys:
        rows = sorted(
            (r for r in trend if (r["trinn"], r["prove"]) == (trinn, test)),
            key=lambda r: r["skoleaar"],
        )
        points = [
            TrendPoint(r["skoleaar"], r["skalapoeng"], r["lav"], r["hoy"], r["landet"], r["serie"])
            for r in rows
        ]
        title = f"{trinn}. trinn {TEST_NAME.get(test, test)}"
        svg = trend_svg(title, points)
        if svg is not None:
            section.charts.append(Chart(f"trend_{trinn}_{test}", title, svg))
        section.tables.append(
            Table(
                [
                    ("skoleaar", "Skoleår"),
                    ("antall", "Elever"),
                    ("skalapoeng", "Skolen"),
                    ("lav", "Nedre"),
                    ("hoy", "Øvre"),
                    ("landet", "Landet"),
                    ("brudd_for", "Brudd"),
                ],
                rows,
                title=title,
            )
        )
    if levels is not None:
        section.charts.append(levels)
    return section


def _progression(
    cohort: list[dict[str, Any]], paired: list[dict[str, Any]], value_added: list[dict[str, Any]]
) -> Section:
    section = Section(
        "Progresjon",
        intro="Det samme kullet to ganger: 8. trinn året før mot 9. trinn (samme skala), og 5. "
        "trinn mot 8. trinn tre år senere (bare posisjonen mot landet kan sammenlignes).",
        empty="Ingen kull med tall i begge ender.",
    )
    if cohort:
        section.tables.append(
            Table(
                [
                    ("fra_aar", "Fra"),
                    ("til_aar", "Til"),
                    ("fra_trinn", "Fra trinn"),
                    ("til_trinn", "Til trinn"),
                    ("prove", "Prøve"),
                    ("elever", "Elever"),
                    ("endring", "Endring"),
                    ("endring_mot_landet", "Endring mot landet"),
                    ("flagg", "Vurdering"),
                ],
                [
                    {
                        **r,
                        "elever": min(r["fra_antall"], r["til_antall"]),
                        "flagg": FLAG_TEXT.get(r["flagg"] or "", "–"),
                    }
                    for r in cohort
                ],
                title="Publiserte resultater",
            )
        )
    hidden = [r for r in paired if r.get("status") == "skjermet"]
    paired = [r for r in paired if r.get("status") != "skjermet"]
    if hidden:  # suppression across tables (skjerming.py): say so instead of empty rows
        section.intro += (
            f" {len(hidden)} parvise tall er skjult fordi 1–9 elever bare er med i ett av "
            "årene, eller gruppen er for liten; sammen med årets snitt ville de vist resultatene "
            "til de få."
        )
    if paired:
        section.tables.append(
            Table(
                [
                    ("overgang", "Overgang"),
                    ("prove", "Prøve"),
                    ("gruppe", "Gruppe"),
                    ("antall", "Elever"),
                    ("endring", "Endring"),
                    ("endring_lav", "Nedre"),
                    ("endring_hoy", "Øvre"),
                    ("andel_opp", "Andel opp et nivå"),
                    ("andel_ned", "Andel ned"),
                ],
                [
                    {
                        **r,
                        "overgang": f"{r['fra_trinn']}.→{r['til_trinn']}.",
                        "andel_opp": _percent(r["andel_opp"]),
                        "andel_ned": _percent(r["andel_ned"]),
                    }
                    for r in paired
                ],
                title="De samme elevene (elevdata). 5.→8.: endring i posisjon mot kommunen, "
                "for elevene som gikk her på 5. trinn",
            )
        )
    if value_added:
        section.tables.append(
            Table(
                [
                    ("overgang", "Overgang"),
                    ("prove", "Prøve"),
                    ("antall", "Elever"),
                    ("restledd", "Over/under forventet"),
                    ("restledd_lav", "Nedre"),
                    ("restledd_hoy", "Øvre"),
                    ("krympet", "Krympet anslag"),
                    ("flagg", "Vurdering"),
                ],
                [
                    {
                        **r,
                        "overgang": f"{r['fra_trinn']}.→{r['til_trinn']}.",
                        "flagg": FLAG_TEXT.get(r["flagg"] or "", "–"),
                    }
                    for r in value_added
                ],
                title="Verdiskaping (elevdata): elevenes resultat mot det kommunens sammenheng "
                "mellom tidligere og senere resultat venter. Ikke SSBs skolebidrag, som også tar "
                "hensyn til familiebakgrunn",
            )
        )
    return section


def _percent(share: float | None) -> str | None:
    return None if share is None else f"{round(100 * share)} %"


def _profile(profile: list[dict[str, Any]]) -> Section:
    section = Section(
        "Fagprofil",
        intro="Hvor mye hver prøve ligger over eller under landet, sammenlignet med skolens "
        "andre prøver samme år og trinn.",
        empty="For få prøver til en fagprofil.",
    )
    if profile:
        section.tables.append(
            Table(
                [
                    ("trinn", "Trinn"),
                    ("prove", "Prøve"),
                    ("antall", "Elever"),
                    ("mot_landet", "Mot landet"),
                    ("profil", "Mot skolens andre prøver"),
                    ("flagg", "Skiller seg ut"),
                ],
                [{**r, "flagg": FLAG_TEXT.get(r["flagg"] or "", "–")} for r in profile],
            )
        )
    return section


def _funnels(own: list[dict[str, Any]], everyone: pl.DataFrame) -> list[Chart]:
    charts = []
    for row in own:
        cell = everyone.filter(
            (pl.col("kommunenr") == row["kommunenr"])
            & (pl.col("skoleaar") == row["skoleaar"])
            & (pl.col("trinn") == row["trinn"])
            & (pl.col("prove") == row["prove"])
        )
        points = [
            FunnelPoint(
                r["antall"],
                r["skalapoeng"],
                r["trakt_95_lav"],
                r["trakt_95_hoy"],
                r["trakt_998_lav"],
                r["trakt_998_hoy"],
                r["enhet_id"] == row["enhet_id"],
            )
            for r in cell.iter_rows(named=True)
        ]
        title = f"Trakt: {row['trinn']}. trinn {TEST_NAME.get(row['prove'], row['prove'])}"
        svg = funnel_svg(title, row["referanse"], points)
        if svg is not None:
            charts.append(Chart(f"trakt_{row['trinn']}_{row['prove']}", title, svg))
    return charts


def _variation(variation: list[dict[str, Any]], everyone: pl.DataFrame) -> Section:
    section = Section(
        "Skolen i kommunens variasjon",
        intro="Skolens plass blant kommunens skoler. Andre skoler vises ikke med navn. En "
        "rangering er et intervall: forskjellene mellom skolene er ofte mindre enn usikkerheten.",
        empty="Ingen sammenligning med andre skoler dette året.",
    )
    if variation:
        section.tables.append(
            Table(
                [
                    ("trinn", "Trinn"),
                    ("prove", "Prøve"),
                    ("antall", "Elever"),
                    ("skalapoeng", "Skolen"),
                    ("referanse", "Kommunen"),
                    ("posisjon_95", "I trakten (95 %)"),
                    ("rang", "Rangintervall"),
                    ("antall_skoler", "Skoler"),
                ],
                [{**r, "rang": f"{r['rang_fra']}–{r['rang_til']}"} for r in variation],
            )
        )
        section.charts.extend(_funnels(variation, everyone))
    return section


def _survey_and_points(indicators: list[dict[str, Any]], year: str) -> Section:
    section = Section(
        "Elevundersøkelsen og grunnskolepoeng",
        intro="Indeksene går fra 1 til 5, høyere er bedre; mobbing er andel elever, lavere er "
        "bedre. Grunnskolepoeng har ingen spredning i eksporten, så det lages ikke intervall.",
        empty="Ingen tall fra Elevundersøkelsen eller grunnskolepoeng for skolen dette året.",
    )
    rows = [r for r in indicators if r["kilde"] != "nasjonale_prover" and r["skoleaar"] == year]
    if rows:
        section.tables.append(
            Table(
                [
                    ("indikator", "Indikator"),
                    ("trinn", "Trinn"),
                    ("antall", "Elever (svar)"),
                    ("verdi", "Skolen"),
                    ("kommune", "Kommunen"),
                    ("landet", "Landet"),
                    ("flagg_landet", "Mot landet"),
                ],
                [{**r, "flagg_landet": FLAG_TEXT.get(r["flagg_landet"] or "", "–")} for r in rows],
            )
        )
        history = _indicator_history([r for r in indicators if r["kilde"] != "nasjonale_prover"])
        if history is not None:
            section.tables.append(history)
    return section


def _indicator_history(rows: list[dict[str, Any]]) -> Table | None:
    """The school's value per indicator and year: a trend without the chart. Suppressed years
    stay empty; «Elever (færrest)» is the smallest group any shown number rests on."""
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
    title = "Utvikling over år" + (f" (brudd i tidsserien: {' '.join(crossed)})" if crossed else "")
    return Table(columns, body, title=title)


def _reflections(
    tests: list[dict[str, Any]],
    profile: list[dict[str, Any]],
    cohort: list[dict[str, Any]],
    indicators: list[dict[str, Any]],
    value_added: list[dict[str, Any]],
) -> list[str]:
    """Neutral observations from what stands out beyond the uncertainty, and questions."""
    # for bullying, «over» the nation is the worse side: flag by better/worse instead
    survey = [
        {
            **i,
            "_bedre": "over"
            if (i["flagg_landet"] == "over") != (i["retning"] == "lavere er bedre")
            else "under",
        }
        for i in indicators
        if i["kilde"] == "elevundersokelsen" and i["flagg_landet"] in ("over", "under")
    ]
    notes = [
        *_flagged(
            tests,
            "flagg_landet",
            ("over", "under"),
            "I {prove} på {trinn}. trinn ligger skolen {word} landet, også når usikkerheten "
            "er tatt med. Hva i undervisningen og elevgruppen kan forklare det?",
        ),
        *_flagged(
            profile,
            "flagg",
            ("sterkere", "svakere"),
            "På {trinn}. trinn står {prove} {word} enn skolens andre prøver. Ser lærerne "
            "det samme i klasserommet?",
        ),
        *_flagged(
            cohort,
            "flagg",
            ("bedret", "svekket"),
            "Kullet fra {fra_trinn}. trinn ({fra_aar}) til {til_trinn}. trinn ({til_aar}) "
            "har {word} sin posisjon mot landet i {prove}. Hva har skjedd med dette kullet?",
        ),
        *_flagged(
            value_added,
            "flagg",
            ("bedre", "svakere"),
            "Fra {fra_trinn}. til {til_trinn}. trinn i {prove} gjorde elevene det {word} "
            "enn kommunens elever med samme utgangspunkt. Hva gjør skolen som kan forklare "
            "det?",
        ),
        *_flagged(
            [i for i in survey if i["flagg_landet"] in ("over", "under")],
            "_bedre",
            ("bedre", "svakere"),
            "Elevundersøkelsen: «{indikator}» på {trinn}. trinn er {word} enn i landet. Hva "
            "sier elevene selv om dette?",
        ),
    ]
    if not notes:
        notes.append(
            "Ingen resultater skiller seg ut fra landet utover usikkerheten i år. Hva ønsker "
            "skolen å se nærmere på likevel?"
        )
    return notes


def _flagged(
    rows: list[dict[str, Any]], key: str, words: tuple[str, str], template: str
) -> list[str]:
    """One sentence per row flagged «over» or «under» in ``key``; ``{word}`` is words[0|1]."""
    return [
        template.format(**row, word=words[0] if row[key] == "over" else words[1])
        for row in rows
        if row[key] in ("over", "under")
    ]


def _about(min_group: int, trend: list[dict[str, Any]]) -> list[str]:
    years = sorted({r["skoleaar"] for r in trend})
    crossed = breaks_between("np", years[0], years[-1]) if years else []
    breaks = [b.text for b in crossed if b.domain == "np"]
    return [
        f"Tall for grupper med færre enn {min_group} elever vises ikke, og heller ikke tall som "
        "gjør det mulig å regne dem ut. Udirs egne skjermede tall (*) er tomme.",
        "Intervallene (95 %) spør om skolens varige nivå, ikke bare om årets elever. De bygger "
        "på Udirs «Usikkerhet» (ellers elevdata eller elevspredningen og antall elever) og tar "
        "i tillegg med at elever i samme klasse deler klassens dagsform og lærer det året, og "
        "at Udir runder snittene til hele poeng. Derfor er de litt bredere enn Udirs egne. "
        "«Over» og «under» betyr at forskjellen er større enn usikkerheten; ellers står det "
        "«ikke sikker forskjell».",
        "Skolen sammenlignes med resten av kommunen: skolen er selv med i kommunesnittet, og "
        "usikkerheten regnes slik at også en skole som er nesten hele kommunen får et ærlig "
        "intervall.",
        *breaks,
        "Tallene sier noe om elevgruppen et bestemt år. De er et utgangspunkt for samtale, ikke "
        "en dom over skolen.",
    ]
