"""The school owner's kommune report as a :class:`~tallkit.reports.document.Document`.

Built from the same :class:`~tallkit.reports.laeringsspeil.Inputs` as the schools' Læringsspeil
(each analysis once for the run, split per unit) and from :class:`KommuneInputs`: Udir's own
kommune rows (``fag.kommune_indicators``) and the variation between schools over the years. The
grid of schools asks :func:`~tallkit.reports.laeringsspeil.school_comparisons`, the very
function each school's Læringsspeil uses, so the owner and the school read the same verdicts.

Which numbers are Udir's and which tallkit's: the kommune's and the nation's values are Udir's
published rows; intervals, verdicts, funnels, shrunken estimates, rank intervals, variation
and value added are computed here (the report's «Om tallene» says so).
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field, replace
from functools import cached_property
from typing import Any, Final

import polars as pl

from tallkit import norsk, sammenligning, stats
from tallkit.analyses.referanser import References, area_note
from tallkit.brudd import breaks_between
from tallkit.charts import (
    FunnelPoint,
    TrendPoint,
    funnel_svg,
    shared_range,
    trend_svg,
    trend_values,
)
from tallkit.formats.cells import MISSING
from tallkit.reports import messages
from tallkit.reports.document import Assessment, Block, Chart, Document, Message, Section, Table
from tallkit.reports.laeringsspeil import (
    COMPUTED,
    INDICATOR_LABEL,
    TEST_NAME,
    Inputs,
    _indicator_history,
    _interval,
    _standard,
    newest_indicators,
    school_comparisons,
)
from tallkit.reports.verdicts import LOWER_IS_BETTER, published_decimals, verdict
from tallkit.reports.words import Words

# Elevundersøkelsen in the key figures: these always, the others when they differ from the nation
MAIN_SURVEY: Final = frozenset(
    {"EUIndeks_1379", "EUIndeks_1398", "EUIndeks_1380", "EUIndeks_1384", "EUIndeks_1385"}
)
# the grid's survey columns (the Læringsspeil's «always» indices)
GRID_SURVEY: Final = ("EUIndeks_1379", "EUIndeks_1398")
TREND_YEARS: Final = 5


@dataclass(frozen=True)
class KommuneInputs:
    """What only the kommune report needs, for every kommune of the run."""

    schools: Inputs
    kommuner: pl.DataFrame  # fag.kommune_indicators: own, comparison and former numbers
    spread: pl.DataFrame  # variasjon.spread, every year
    decomposition: pl.DataFrame  # variasjon.decomposition, every year (pupil data)
    names: dict[str, str]  # kommunenr -> name
    _by_unit: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)

    def rows(self, name: str, unit: str) -> list[dict[str, Any]]:
        if name not in self._by_unit:
            frame: pl.DataFrame = getattr(self, name)
            key = "enhet_id" if name == "kommuner" else "kommunenr"
            split: dict[str, list[dict[str, Any]]] = {}
            for row in frame.iter_rows(named=True):
                split.setdefault(row[key], []).append(row)
            self._by_unit[name] = split
        return self._by_unit[name].get(unit, [])

    @cached_property
    def references(self) -> References:
        """Udir's rows for every kommune of the run, indexed once (``rapport --alle`` indexed
        all of them again for each kommune's key figures: 55 s of 92 nationally)."""
        return References(self.kommuner, self.names)


def school_labels(schools: list[dict[str, Any]], anonymous: bool) -> dict[str, str]:
    """Each school's name, or for the public version «Skole A», «Skole B» … in an order that
    is fixed but not alphabetical (so the letters do not give the names away)."""
    if not anonymous:
        return {s["orgnr"]: s["navn"] for s in schools}
    order = sorted(schools, key=lambda s: hashlib.sha256(s["orgnr"].encode()).hexdigest())
    return {s["orgnr"]: f"Skole {_letters(i)}" for i, s in enumerate(order)}


def _letters(index: int) -> str:
    out = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        out = chr(ord("A") + rest) + out
    return out


def build(
    inputs: KommuneInputs,
    kommunenr: str,
    year: str,
    *,
    min_group: int,
    words: Words,
    comparison: tuple[str, ...] = (),
    anonymous: bool = False,
    assessment: Assessment | None = None,
    standards: tuple[dict[str, Any], ...] = (),
    active: frozenset[str] | None = None,
    links: dict[str, list[str]] | None = None,
) -> Document:
    base = inputs.schools
    name = inputs.names.get(kommunenr, kommunenr)
    schools = [
        s
        for s in base.schools.filter(pl.col("kommunenr") == kommunenr)
        .sort("navn", "orgnr")
        .iter_rows(named=True)
        if active is None or s["orgnr"] in active
    ]
    labels = school_labels(schools, anonymous)
    own_rows = [r for r in inputs.rows("kommuner", kommunenr) if r["skoleaar"] <= year]
    newest = newest_indicators(own_rows, year)
    key_rows = [
        r
        for r in newest
        if r["kilde"] != "elevundersokelsen"
        or r["indikator_kode"] in MAIN_SURVEY
        or r["flagg_landet"] in (stats.OVER, stats.UNDER)
    ]
    others = [c for c in comparison if c != kommunenr]
    figures, figure_json = _key_figures(inputs, key_rows, others, words)
    trend = [r for r in base.rows("trend", kommunenr) if r["skoleaar"] <= year]
    development = _development(trend, own_rows, year, words)
    grid, school_json = _schools(base, schools, labels, year, words, anonymous, links)
    owner_words = _owner_words(words)
    candidates = messages.level(_as_tests(own_rows, year), year, owner_words)
    candidates += messages.development(trend, year, words)
    # page 1: the main indices only (all of them are in Nøkkeltall and Til skoleeier)
    candidates += messages.environment(
        [r for r in key_rows if r["indikator_kode"] in MAIN_SURVEY], words
    )
    # the themes take turns: the survey's many answers must not crowd out the tests
    chosen = messages.choose_balanced(candidates)
    intro = [words.text("skoleeier", "intro", navn=name, aar=year, skoler=len(schools))]
    if not [m for m in chosen if m.retning != "ingen_sikker_forskjell"]:
        intro.append(words.text("skoleeier", "intro_ingenting", aar=year))
    sections = [
        figures,
        development,
        grid,
        _funnels(base, kommunenr, year, labels, words),
        _progression(base, schools, labels, year, words),
        _standards(base, schools, year, standards, min_group),
        _variation(inputs.rows("spread", kommunenr), inputs.rows("decomposition", kommunenr)),
    ]
    sources = _sources(base, [kommunenr, "I", *(s["orgnr"] for s in schools), *others])
    return Document(
        kind="kommunerapport",
        title=f"Kommunerapport {year}: {name}",
        skoleaar=year,
        header={"kommune": {"kommunenr": kommunenr, "navn": name}},
        hovedbilde=chosen,
        hovedbilde_intro=intro,
        sections=sections,
        comparisons=[],
        reflections=_owner_reflections(candidates, base, schools, year, words),
        assessment=assessment,
        previous=None,
        previous_follow_up=[],
        about=_about(min_group, trend, anonymous, words),
        sources=sources,
        min_group=min_group,
        preliminary=kommunenr in base.preliminary,
        extra={
            "anonym": anonymous,
            "sammenligningskommuner": [
                {"kommunenr": c, "navn": inputs.names.get(c) or sammenligning.name(c)}
                for c in others
            ],
            "nokkeltall": figure_json,
            "skoler": school_json,
        },
        links=[] if anonymous or links is None else _link_rows(schools, links),
    )


def _owner_words(words: Words) -> Words:
    """The Læringsspeil's level rule, in the owner's words («kommunen» for «skolen»)."""
    texts = dict(words.texts)
    texts["hovedbilde"] = {**texts["hovedbilde"], "niva": str(texts["skoleeier"]["niva_mal"])}
    return replace(words, texts=texts)


def _as_tests(rows: list[dict[str, Any]], year: str) -> list[dict[str, Any]]:
    """The kommune's national tests (Udir's rows) in the shape :func:`messages.level` reads:
    against the nation only (a kommune is not compared with itself)."""
    return [
        {
            "trinn": r["trinn"],
            "prove": r["indikator_kode"],
            "flagg_landet": r["flagg_landet"],
            "mot_landet": r["mot_landet"],
            "mot_landet_lav": r["mot_landet_lav"],
            "mot_landet_hoy": r["mot_landet_hoy"],
            "flagg_kommune": None,
            "mot_kommune": None,
            "mot_kommune_lav": None,
            "mot_kommune_hoy": None,
        }
        for r in rows
        if r["kilde"] == "nasjonale_prover" and r["skoleaar"] == year and r["verdi"] is not None
    ]


def _indicator_name(r: dict[str, Any]) -> str:
    name = str(TEST_NAME.get(r["indikator"], r["indikator"]))
    return name + (" (lavere er bedre)" if r["indikator_kode"] in LOWER_IS_BETTER else "")


def _key_figures(
    inputs: KommuneInputs, rows: list[dict[str, Any]], others: list[str], words: Words
) -> tuple[Section, list[dict[str, Any]]]:
    section = Section(
        "Nøkkeltall",
        intro="Kommunens tall mot landet, hvert fra sitt nyeste år: Udirs egne tall for kommunen "
        "og landet. «over» og «under» betyr at forskjellen er større enn usikkerheten (95 %); "
        "ellers står det «ikke sikker forskjell». Grunnskolepoeng har ingen spredning i Udirs "
        "eksport, så der gis ingen vurdering.",
        empty="Udir har ingen tall for kommunen i databasen.",
        anchor="nokkeltall",
    )
    table_rows, out = [], []
    comparison_rows = []
    missing: dict[str, list[tuple[str, str]]] = {}  # kommune -> (measure, year) not found
    found_any: set[str] = set()
    former: dict[str, set[str]] = {}
    references = inputs.references
    for r in rows:
        shown = r["verdi"] is not None
        row = {
            "kilde": INDICATOR_LABEL[r["kilde"]],
            "maal": _indicator_name(r),
            "trinn": r["trinn"],
            "skoleaar": r["skoleaar"],
            "antall": r["antall"],
            "kommunen": r["verdi"],
            "landet": r["landet"],
            "mot_landet": (verdict(r["flagg_landet"], words) or "–") if shown else "skjermet",
            "_desimaler": published_decimals(r["kilde"]),
        }
        table_rows.append(row)
        versus = []
        comparison_row: dict[str, Any] = {
            "maal": f"{_indicator_name(r)}, {r['trinn']}. trinn",
            "kommunen": r["verdi"],
            "_desimaler": published_decimals(r["kilde"]),
        }
        over: list[str] = []
        under: list[str] = []
        judged = False
        for c in others:
            found = references.find(c, r["kilde"], r["indikator_kode"], r["trinn"], r["skoleaar"])
            if found.status == MISSING and found.row is None:
                measure = f"{_indicator_name(r)}, {r['trinn']}. trinn"
                missing.setdefault(c, []).append((measure, r["skoleaar"]))
            else:
                found_any.add(c)
            if found.kilde_kommunenr not in (None, c):
                former.setdefault(c, set()).add(str(found.kilde_kommunenr))
            against = None
            # the kommune minus the comparison kommune: the reference's difference reversed
            difference = references.difference(found, r) if shown else None
            if difference is not None:
                judged = True
                flag = {stats.OVER: stats.UNDER, stats.UNDER: stats.OVER}.get(
                    difference[3], difference[3]
                )
                against = verdict(flag, words)
                if flag == stats.OVER:
                    over.append(references.name(c))
                elif flag == stats.UNDER:
                    under.append(references.name(c))
            comparison_row[c] = found.value
            versus.append(
                {
                    "kommunenr": c,
                    "navn": references.name(c),
                    "verdi": found.value,
                    "kommunenr_i_kilden": found.kilde_kommunenr,
                    "kommunen_mot_denne": against,
                }
            )
        parts = []
        if over:
            parts.append(f"{words.text('dom', 'over')} {', '.join(over)}")
        if under:
            parts.append(f"{words.text('dom', 'under')} {', '.join(under)}")
        # «ikke sikker» only where some comparison kommune could be compared at all
        comparison_row["mot"] = "; ".join(parts) or (
            verdict(stats.NOT_SURE, words) if judged else "–"
        )
        comparison_rows.append(comparison_row)
        out.append(
            {
                "kilde": r["kilde"],
                "maal": r["indikator_kode"],
                "indikator": _indicator_name(r),
                "trinn": r["trinn"],
                "skoleaar": r["skoleaar"],
                "kommunen": r["verdi"],
                "landet": r["landet"],
                "antall": r["antall"],
                "mot_landet": verdict(r["flagg_landet"], words) if shown else None,
                "sammenligning": versus,
            }
        )
    if not table_rows:
        return section, out
    block = Block("")
    block.tables.append(
        Table(
            [
                ("kilde", "Kilde"),
                ("maal", "Mål"),
                ("trinn", "Trinn"),
                ("skoleaar", "År"),
                ("antall", "Elever"),
                ("kommunen", "Kommunen"),
                ("landet", "Landet"),
                ("mot_landet", "Mot landet"),
            ],
            table_rows,
            note="Udirs tall for kommunen og landet. Skjermet: Udir viser ikke tall for grupper "
            "under 10 elever.",
        )
    )
    if others:
        notes = []
        for c in others:
            label = f"{references.name(c)} ({c})"
            if c in former:
                notes.append(
                    f"{label}: noen år er hentet under tidligere nummer {', '.join(sorted(former[c]))}."
                )
            if c in missing:
                change = sammenligning.history(c).area_change
                before = sorted(
                    {y for _, y in missing[c] if change is not None and y <= change.last_year}
                )
                after = [(m, y) for m, y in missing[c] if y not in before]
                if after and c in found_any:
                    # some numbers are there: name the ones that are not
                    listed = "; ".join(f"{m} ({y})" for m, y in after)
                    notes.append(f"{label}: ingen tall i databasen for {listed}.")
                elif after:
                    years = ", ".join(sorted({y for _, y in after}))
                    notes.append(f"{label}: ingen tall i databasen for {years}.")
                if before and change is not None:
                    notes.append(
                        f"{label}: ingen sammenlignbare tall for {', '.join(before)} (kommunen "
                        f"ble {area_note(change)}; tallene fra før gjelder andre grenser)."
                    )
        block.tables.append(
            Table(
                [("maal", "Mål"), ("kommunen", "Kommunen")]
                + [(c, references.name(c)) for c in others]
                + [("mot", "Kommunen mot dem")],
                comparison_rows,
                title="Mot sammenligningskommunene",
                note=" ".join(notes),
            )
        )
    else:
        block.text.append(
            "Ingen sammenligningskommuner er valgt. Sett [sammenligning] kommuner = [...] eller "
            'gruppe = "ASSS" i tallkit.toml.'
        )
    section.blocks.append(block)
    return section, out


def _development(
    trend: list[dict[str, Any]], own_rows: list[dict[str, Any]], year: str, words: Words
) -> Section:
    section = Section(
        "Utvikling",
        intro="Kommunens resultat på nasjonale prøver per år (Udirs tall) med 95 % usikkerhet, "
        "landet som stiplet linje. Tall på hver side av et brudd i tidsserien kan ikke "
        "sammenlignes direkte.",
        empty="Ingen resultater over flere år for kommunen.",
        anchor="utvikling",
    )
    years = sorted({r["skoleaar"] for r in trend})[-TREND_YEARS:]
    rows = [r for r in trend if r["skoleaar"] in years]
    said = messages.development(trend, year, words)
    for trinn in sorted({r["trinn"] for r in rows}):
        of_trinn = [r for r in rows if r["trinn"] == trinn]
        every = [
            TrendPoint(r["skoleaar"], r["skalapoeng"], r["lav"], r["hoy"], r["landet"], r["serie"])
            for r in of_trinn
        ]
        y_range = shared_range(trend_values(every)) if every else None
        block = Block(f"{trinn}. trinn")
        body = []
        for test in sorted({r["prove"] for r in of_trinn}):
            series = sorted(
                (r for r in of_trinn if r["prove"] == test), key=lambda r: r["skoleaar"]
            )
            points = [
                TrendPoint(
                    r["skoleaar"], r["skalapoeng"], r["lav"], r["hoy"], r["landet"], r["serie"]
                )
                for r in series
            ]
            title = f"{trinn}. trinn {TEST_NAME.get(test, test)}"
            svg = trend_svg(title, points, y_range=y_range, unit_label="Kommunen")
            if svg is not None:
                block.charts.append(Chart(f"trend_{trinn}_{test}", title, svg))
            entry: dict[str, Any] = {"prove": TEST_NAME.get(test, test)}
            for r in series:
                entry[r["skoleaar"]] = (
                    f"{norsk.number(r['skalapoeng'])} ({_interval(r['lav'], r['hoy'], COMPUTED)})"
                    if r["skalapoeng"] is not None
                    else "skjermet"
                )
                if r["skalapoeng"] is not None:
                    entry.setdefault("_tall", {})[r["skoleaar"]] = _with_interval(
                        r["skalapoeng"], r["lav"], r["hoy"]
                    )
            found = [m for m in said if (m.trinn, m.maal) == (trinn, test)]
            entry["utvikling"] = (
                words.text("dom", found[0].retning)
                if found
                else words.text("skoleeier", "ingen_utvikling")
            )
            block.text.extend(m.tekst for m in found)
            body.append(entry)
        crossed = sorted({r["brudd_for"] for r in of_trinn if r["brudd_for"]})
        shown_years = sorted({r["skoleaar"] for r in of_trinn})
        block.tables.append(
            Table(
                [("prove", "Prøve"), *[(y, y) for y in shown_years], ("utvikling", "Utvikling")],
                [dict.fromkeys(shown_years) | e for e in body],
                note="Kommunens snitt med 95 % usikkerhet i parentes. Utviklingen er testet "
                "over de siste 3–5 årene i samme serie."
                + (f" Brudd i tidsserien: {' '.join(crossed)}" if crossed else ""),
            )
        )
        section.blocks.append(block)
    history = _indicator_history(
        [r for r in own_rows if r["kilde"] != "nasjonale_prover" and _main(r)]
    )
    if history is not None:
        section.blocks.append(Block("Elevundersøkelsen og grunnskolepoeng", tables=[history]))
    return section


def _main(r: dict[str, Any]) -> bool:
    return r["kilde"] != "elevundersokelsen" or r["indikator_kode"] in MAIN_SURVEY


def _grid_key(kilde: str, maal: str, trinn: int | None) -> str:
    return f"{kilde}|{maal}|{trinn}"


def _schools(
    inputs: Inputs,
    schools: list[dict[str, Any]],
    labels: dict[str, str],
    year: str,
    words: Words,
    anonymous: bool,
    links: dict[str, list[str]] | None,
) -> tuple[Section, list[dict[str, Any]]]:
    section = Section(
        "Skolene",
        intro="Hver skoles tall og vurdering, de samme som i skolens eget læringsspeil. Nasjonale "
        "prøver er vurdert mot kommunen, Elevundersøkelsen og grunnskolepoeng mot landet. "
        "(over)/(under): forskjellen er større enn usikkerheten; uten merknad: ikke sikker "
        "forskjell. Tomt: ingen tall, eller skjermet.",
        empty="Ingen skoler med tall i kommunen dette året.",
        anchor="skolene",
    )
    columns: dict[str, str] = {}
    rows, out = [], []
    over_word, under_word = verdict(stats.OVER, words), verdict(stats.UNDER, words)
    for s in sorted(schools, key=lambda s: labels[s["orgnr"]]):
        comparisons = school_comparisons(inputs, s["orgnr"], year, words)
        row: dict[str, Any] = {"skole": labels[s["orgnr"]]}
        for c in comparisons:
            in_grid = c.kilde != "elevundersokelsen" or c.maal in GRID_SURVEY
            if not in_grid or (c.kilde == "nasjonale_prover" and c.skoleaar != year):
                continue
            key = _grid_key(c.kilde, c.maal, c.trinn)
            if c.kilde == "nasjonale_prover":
                columns[key] = f"{c.trinn}. {c.indikator}"
                said = c.mot_kommunen
            else:
                short = {"EUIndeks_1379": "Trivsel", "EUIndeks_1398": "Mobbing"}.get(c.maal)
                columns[key] = f"{short} {c.trinn}." if short else "Grunnskolepoeng"
                said = c.mot_landet
            if c.skolen is None:
                row[key] = None
                continue
            mark = f" ({said})" if said in (over_word, under_word) else ""
            row[key] = f"{norsk.written(c.skolen, published_decimals(c.kilde))}{mark}"
            row.setdefault("_tall", {})[key] = {"": c.skolen} | (
                {"vurdering": said} if mark else {}
            )
        rows.append(row)
        out.append(
            {
                "orgnr": None if anonymous else s["orgnr"],
                "navn": labels[s["orgnr"]],
                "laeringsspeil": [] if anonymous or links is None else links.get(s["orgnr"], []),
                "sammenligninger": [asdict(c) for c in comparisons],
            }
        )
    if rows:
        order = sorted(columns, key=_column_order)
        block = Block("")
        for title, keys, note in (
            (
                f"Nasjonale prøver {year}, mot kommunen",
                [k for k in order if k.startswith("nasjonale_prover")],
                "Trinn står foran prøven (5. lesing = 5. trinn lesing).",
            ),
            (
                "Grunnskolepoeng og Elevundersøkelsen (trivsel, mobbing), mot landet",
                [k for k in order if not k.startswith("nasjonale_prover")],
                "Hvert tall fra sitt nyeste år. Mobbing er andel elever: lavere er bedre.",
            ),
        ):
            shown = [r for r in rows if any(r.get(k) is not None for k in keys)]
            if keys and shown:
                block.tables.append(
                    Table(
                        [("skole", "Skole"), *[(k, columns[k]) for k in keys]],
                        [dict.fromkeys(keys) | r for r in shown],
                        title=title,
                        note=note,
                    )
                )
        hidden = [r["skole"] for r in rows if all(v is None for k, v in r.items() if k != "skole")]
        if hidden:
            block.text.append(
                words.text("skoleeier", "skoler_uten_tall", skoler=", ".join(hidden), aar=year)
            )
        section.blocks.append(block)
    return section, out


def _column_order(key: str) -> tuple[int, int, str]:
    kilde, maal, trinn = key.split("|")
    rank = {"nasjonale_prover": 0, "grunnskolepoeng": 1, "elevundersokelsen": 2}[kilde]
    return rank, int(trinn) if trinn != "None" else 0, maal


def _funnels(
    inputs: Inputs, kommunenr: str, year: str, labels: dict[str, str], words: Words
) -> Section:
    section = Section(
        "Skolene i trakten",
        intro="Hver skole er et merke med nummer (se tabellen ved siden av), farget etter "
        "vurderingen mot kommunen. Trakten viser hvor langt fra kommunesnittet en skole av samme "
        "størrelse kan ligge av tilfeldigheter og vanlig variasjon mellom skoler. Krympet anslag "
        "trekker små skoler mot kommunesnittet; en rangering er et intervall, aldri en plass.",
        empty="Ingen sammenligning mellom skolene dette året.",
        anchor="trakt",
    )
    cells = [
        r
        for r in inputs.variation.filter(
            (pl.col("kommunenr") == kommunenr) & (pl.col("skoleaar") == year)
        )
        .sort("trinn", "prove", "enhet_id")
        .iter_rows(named=True)
    ]
    for trinn, test in sorted({(r["trinn"], r["prove"]) for r in cells}):
        cell = [r for r in cells if (r["trinn"], r["prove"]) == (trinn, test)]
        cell.sort(key=lambda r: labels.get(r["enhet_id"], r["navn"] or r["enhet_id"]))
        numbers = {r["enhet_id"]: str(i) for i, r in enumerate(cell, start=1)}
        title = f"{trinn}. trinn {TEST_NAME.get(test, test)}"
        block = Block(title)
        drawable = [r for r in cell if r["trakt_95_lav"] is not None]
        reference = cell[0]["referanse"]
        if len(drawable) > 1 and reference is not None:
            svg = funnel_svg(
                f"Trakt: {title}",
                reference,
                [
                    FunnelPoint(
                        r["antall"],
                        r["skalapoeng"],
                        r["trakt_95_lav"],
                        r["trakt_95_hoy"],
                        r["trakt_998_lav"],
                        r["trakt_998_hoy"],
                        False,
                        verdict=r["flagg"],
                        label=numbers[r["enhet_id"]],
                    )
                    for r in drawable
                ],
            )
            if svg is not None:
                block.charts.append(
                    Chart(
                        f"trakt_{trinn}_{test}",
                        title,
                        svg,
                        [{"nr": numbers[r["enhet_id"]], "antall": r["antall"]} for r in drawable],
                    )
                )
        block.tables.append(
            Table(
                [
                    ("nr", "Nr"),
                    ("skole", "Skole"),
                    ("antall", "Elever"),
                    ("skalapoeng", "Skolen"),
                    ("krympet", "Krympet anslag (95 %)"),
                    ("rang", "Rangintervall"),
                    ("mot_kommunen", "Mot kommunen"),
                ],
                [
                    {
                        # a number, so the xlsx appendix sorts 1, 2, 10 (not 1, 10, 2)
                        "nr": int(numbers[r["enhet_id"]]),
                        "skole": labels.get(r["enhet_id"], r["navn"]),
                        "antall": r["antall"],
                        "skalapoeng": r["skalapoeng"],
                        "krympet": f"{norsk.number(r['krympet'], COMPUTED, fixed=True)} "
                        f"({_interval(r['krympet_lav'], r['krympet_hoy'], COMPUTED)})"
                        if r["krympet"] is not None
                        else None,
                        "rang": f"{r['rang_fra']}–{r['rang_til']} av {r['antall_skoler']}"
                        if r["rang_fra"] is not None
                        else None,
                        "_tall": {
                            "krympet": _with_interval(
                                r["krympet"], r["krympet_lav"], r["krympet_hoy"]
                            ),
                            # «1–12 av 12»: the count of schools too, not only the ends
                            "rang": {
                                "fra": r["rang_fra"],
                                "til": r["rang_til"],
                                "av": r["antall_skoler"],
                            },
                        },
                        "mot_kommunen": verdict(r["flagg"], words) or "–",
                    }
                    for r in cell
                ],
                note=f"Kommunesnittet: {norsk.number(reference)}; kilde: "
                f"{cell[0]['referanse_kilde']}."
                if reference is not None
                else "",
            )
        )
        section.blocks.append(block)
    return section


def _progression(
    inputs: Inputs,
    schools: list[dict[str, Any]],
    labels: dict[str, str],
    year: str,
    words: Words,
) -> Section:
    section = Section(
        "Progresjon og verdiskaping per skole",
        intro="Endring mot landet: om kullet har tatt inn på eller falt bak landet fra det ene "
        "trinnet til det andre (Udirs publiserte tall). Verdiskaping (elevdata): hvor mye "
        "skolens elever endret seg, minus hvor mye kommunens elever endret seg; ikke SSBs "
        "skolebidrag, som også tar hensyn til familiebakgrunn.",
        empty="Ingen kull med tall i begge ender dette året.",
        anchor="progresjon",
    )
    cohort, added = [], []
    for s in sorted(schools, key=lambda s: labels[s["orgnr"]]):
        for r in inputs.rows("cohort", s["orgnr"]):
            if r["til_aar"] != year:
                continue
            cohort.append(
                {
                    "skole": labels[s["orgnr"]],
                    "trinn": f"{r['fra_trinn']}.→{r['til_trinn']}.",
                    "prove": TEST_NAME.get(r["prove"], r["prove"]),
                    "elever": min(r["fra_antall"], r["til_antall"]),
                    "endring_mot_landet": norsk.signed(r["endring_mot_landet"]),
                    "intervall": _interval(
                        r["endring_mot_landet_lav"], r["endring_mot_landet_hoy"]
                    ),
                    "flagg": verdict(r["flagg"], words) or "–",
                    "_tall": {
                        "endring_mot_landet": r["endring_mot_landet"],
                        "intervall": _with_interval(
                            None, r["endring_mot_landet_lav"], r["endring_mot_landet_hoy"]
                        ),
                    },
                }
            )
        for r in inputs.rows("value_added", s["orgnr"]):
            if r["til_aar"] != year:
                continue
            added.append(
                {
                    "skole": labels[s["orgnr"]],
                    "trinn": f"{r['fra_trinn']}.→{r['til_trinn']}.",
                    "prove": TEST_NAME.get(r["prove"], r["prove"]),
                    "antall": r["antall"],
                    "restledd": norsk.signed(r["restledd"], COMPUTED),
                    "intervall": _interval(r["restledd_lav"], r["restledd_hoy"], COMPUTED),
                    "krympet": norsk.signed(r["krympet"], COMPUTED),
                    "flagg": verdict(r["flagg"], words) or "–",
                    "_tall": {
                        "restledd": r["restledd"],
                        "intervall": _with_interval(None, r["restledd_lav"], r["restledd_hoy"]),
                        "krympet": r["krympet"],
                    },
                }
            )
    block = Block("")
    if cohort:
        block.tables.append(
            Table(
                [
                    ("skole", "Skole"),
                    ("trinn", "Trinn"),
                    ("prove", "Prøve"),
                    ("elever", "Elever"),
                    ("endring_mot_landet", "Endring mot landet"),
                    ("intervall", "95 % usikkerhet"),
                    ("flagg", "Mot landet"),
                ],
                cohort,
                title="Kullene (publiserte tall)",
            )
        )
    if added:
        block.tables.append(
            Table(
                [
                    ("skole", "Skole"),
                    ("trinn", "Trinn"),
                    ("prove", "Prøve"),
                    ("antall", "Elever"),
                    ("restledd", "Mer enn kommunens elever"),
                    ("intervall", "95 % usikkerhet"),
                    ("krympet", "Krympet anslag"),
                    ("flagg", "Mot kommunen"),
                ],
                added,
                title="Verdiskaping (elevdata)",
                note="5.→8.: elevene som gikk på skolen på 5. trinn, fulgt til 8. trinn der de "
                "gikk da. 8.→9.: elevene på skolen på 9. trinn.",
            )
        )
    if block.tables:
        section.blocks.append(block)
    return section


def _standards(
    inputs: Inputs,
    schools: list[dict[str, Any]],
    year: str,
    standards: tuple[dict[str, Any], ...],
    min_group: int,
) -> Section:
    section = Section(
        "Kommunens egne mål",
        intro="Hvor mange skoler som når hvert av kommunens mål ([[standard]] i tallkit.toml), "
        "vurdert med usikkerheten: «nådd» bare når hele intervallet er på riktig side.",
        empty="Kommunen har ikke satt egne mål ([[standard]] i tallkit.toml).",
        anchor="standarder",
    )
    rows = []
    for standard in standards:
        counts = {"nådd": 0, "ikke nådd": 0, "uavklart": 0, "ingen tall": 0}
        for s in schools:
            tests = [r for r in inputs.rows("tests", s["orgnr"]) if r["skoleaar"] == year]
            levels = [r for r in inputs.rows("levels", s["orgnr"]) if r["skoleaar"] == year]
            said = _standard(standard, tests, levels, min_group)["vurdering"]
            if said == "nådd":
                counts["nådd"] += 1
            elif said == "ikke nådd":
                counts["ikke nådd"] += 1
            elif said.startswith("kan ikke"):
                counts["uavklart"] += 1
            else:
                counts["ingen tall"] += 1
        rows.append({"navn": str(standard.get("navn", "mål")), **counts})
    if rows:
        section.blocks.append(
            Block(
                "",
                tables=[
                    Table(
                        [
                            ("navn", "Kommunens mål"),
                            ("nådd", "Nådd"),
                            ("ikke nådd", "Ikke nådd"),
                            ("uavklart", "Kan ikke avgjøres"),
                            ("ingen tall", "Ingen tall"),
                        ],
                        rows,
                        note="Antall skoler. Samme vurdering som i hver skoles læringsspeil.",
                    )
                ],
            )
        )
    return section


def _variation(spread: list[dict[str, Any]], parts: list[dict[str, Any]]) -> Section:
    section = Section(
        "Variasjon",
        intro="Hvor mye av forskjellene i resultater som ligger mellom skolene, og (med "
        "elevdata) mellom klassene, år for år. En liten andel mellom skolene betyr at "
        "forskjellene mellom elevene er mye større enn mellom skolene.",
        empty="For få skoler med tall til å beregne variasjonen.",
        anchor="variasjon",
    )
    block = Block("")
    if spread:
        block.tables.append(
            _by_year(
                spread,
                lambda r: (
                    f"{norsk.number(r['sd_mellom_skoler'])} ({_percent(r['andel_mellom_skoler'])})"
                ),
                lambda r: {"": r["sd_mellom_skoler"], "andel": r["andel_mellom_skoler"]},
                title="Mellom skolene (publiserte skolesnitt)",
                note="Standardavvik mellom skolenes varige nivå i poeng, og andelen av all "
                f"variasjon som ligger mellom skolene i parentes. Metode: {spread[0]['metode']}.",
            )
        )
    if parts:
        block.tables.append(
            _by_year(
                parts,
                lambda r: (
                    f"{_percent(r['andel_mellom_skoler'])} / "
                    f"{_percent(r['andel_mellom_grupper'])} / {_percent(r['andel_innen_grupper'])}"
                ),
                lambda r: {
                    "mellom skoler": r["andel_mellom_skoler"],
                    "mellom klasser": r["andel_mellom_grupper"],
                    "innen klassene": r["andel_innen_grupper"],
                },
                title="Mellom skoler / mellom klasser / innen klassene (elevdata)",
                note=f"Andel av variasjonen blant elevene. Metode: {parts[0]['metode']}.",
            )
        )
    if block.tables:
        section.blocks.append(block)
    return section


def _by_year(
    rows: list[dict[str, Any]], cell: Any, numbers: Any, *, title: str, note: str
) -> Table:
    """Trinn × prøve down, school years across: the change over the years at a glance.
    ``cell`` writes a row's text, ``numbers`` gives its numbers for the xlsx appendix."""
    years = sorted({r["skoleaar"] for r in rows})
    body: dict[tuple[int, str], dict[str, Any]] = {}
    for r in sorted(rows, key=lambda r: (r["trinn"], r["prove"], r["skoleaar"])):
        entry = body.setdefault(
            (r["trinn"], r["prove"]),
            {"prove": f"{r['trinn']}. trinn {TEST_NAME.get(r['prove'], r['prove'])}"},
        )
        entry[r["skoleaar"]] = cell(r)
        entry.setdefault("_tall", {})[r["skoleaar"]] = numbers(r)
    return Table(
        [("prove", "Prøve"), *[(y, y) for y in years]],
        [dict.fromkeys(years) | e for e in body.values()],
        title=title,
        note=note,
    )


def _with_interval(
    value: float | None, low: float | None, high: float | None
) -> dict[str, float | None]:
    """A cell's numbers for the xlsx appendix: the value (if any) and its interval's ends."""
    return ({} if value is None else {"": value}) | {"fra": low, "til": high}


def _percent(value: float | None) -> str | None:
    return None if value is None else norsk.percent(value)


def _owner_reflections(
    candidates: list[Message],
    inputs: Inputs,
    schools: list[dict[str, Any]],
    year: str,
    words: Words,
) -> list[dict[str, Any]]:
    """Til skoleeier: what stands out for the kommune, how the schools differ, and questions
    for the administration and the politicians (``[skoleeier]`` in ``sporsmal.toml``)."""
    out = []
    themes: dict[str, list[Message]] = {}
    for m in candidates:
        if m.retning != "ingen_sikker_forskjell":
            themes.setdefault(m.type, []).append(m)
    for theme in [t for t in ("niva", "utvikling", "laeringsmiljo") if t in themes]:
        found = sorted(themes[theme], key=lambda m: (m.retning != "bedre", -m.styrke, m.tekst))
        out.append(
            {
                "tema": words.text("skoleeier", f"tema_{theme}"),
                "type": theme,
                "observasjoner": [m.tekst for m in found],
                "sporsmal": words.questions_for("skoleeier", theme),
            }
        )
    spread = []
    for trinn, test in sorted(
        {
            (r["trinn"], r["prove"])
            for s in schools
            for r in inputs.rows("tests", s["orgnr"])
            if r["skoleaar"] == year
        }
    ):
        rows = [
            r
            for s in schools
            for r in inputs.rows("tests", s["orgnr"])
            if (r["skoleaar"], r["trinn"], r["prove"]) == (year, trinn, test)
        ]
        over = sum(r["flagg_kommune"] == stats.OVER for r in rows)
        under = sum(r["flagg_kommune"] == stats.UNDER for r in rows)
        if over or under:
            spread.append(
                words.text(
                    "skoleeier",
                    "skoler_forskjell",
                    over=over,
                    under=under,
                    av=len(rows),
                    trinn=trinn,
                    prove=TEST_NAME.get(test, test),
                    aar=year,
                )
            )
    out.append(
        {
            "tema": words.text("skoleeier", "tema_skolene"),
            "type": "skolene",
            "observasjoner": spread or [words.text("skoleeier", "skoler_like", aar=year)],
            "sporsmal": words.questions_for("skoleeier", "skolene"),
        }
    )
    out.append(
        {
            "tema": words.text("skoleeier", "tema_helhet"),
            "type": "helhet",
            "observasjoner": [],
            "sporsmal": words.questions_for("skoleeier", "helhet"),
        }
    )
    return out


def _sources(inputs: Inputs, units: list[str]) -> list[dict[str, Any]]:
    found: dict[Any, dict[str, Any]] = {}
    for unit in units:
        for r in inputs.rows("sources", unit):
            stamp = r["eksportert"]
            found.setdefault(
                r["kilde_id"],
                {
                    "filnavn": r["filnavn"],
                    "eksportert": stamp.strftime("%Y-%m-%d %H:%M") if stamp else None,
                },
            )
    return [found[k] for k in sorted(found)]


def _link_rows(schools: list[dict[str, Any]], links: dict[str, list[str]]) -> list[dict[str, Any]]:
    return [
        {"navn": s["navn"], "orgnr": s["orgnr"], "filer": links[s["orgnr"]]}
        for s in schools
        if links.get(s["orgnr"])
    ]


def _about(min_group: int, trend: list[dict[str, Any]], anonymous: bool, words: Words) -> list[str]:
    years = sorted({r["skoleaar"] for r in trend})
    crossed = breaks_between("np", years[0], years[-1]) if years else []
    lines = [
        words.text("skoleeier", "om_udir"),
        words.text("skoleeier", "om_beregnet"),
        f"Tall for grupper med færre enn {min_group} elever vises ikke, og heller ikke tall som "
        "gjør det mulig å regne dem ut. Udirs egne skjermede tall er tomme.",
        "Skalaen på nasjonale prøver har snitt 50 og standardavvik 10 i landet det året skalaen "
        "ble satt: 10 poeng er mye, 1–2 poeng er sjelden mer enn tilfeldig variasjon.",
        "Intervallene (95 %) bygger på Udirs «Usikkerhet» og tar i tillegg med at elever i samme "
        "klasse deler klassens år, og at Udir runder snittene til hele poeng. En skole "
        "sammenlignes med resten av kommunen (skolen er selv med i kommunesnittet).",
        *[b.text for b in crossed],
    ]
    lines.append(words.text("skoleeier", "regel"))
    if anonymous:
        lines.append(words.text("skoleeier", "om_anonym"))
    lines.append(
        "Tallene sier noe om elevgruppene et bestemt år. De er et utgangspunkt for samtale, "
        "ikke en dom over skolene."
    )
    return lines
