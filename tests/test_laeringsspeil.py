"""The Læringsspeil as a rektor and another tool read it: every school a report, each indicator
from its newest year, one verdict per comparison everywhere, the hovedbilde on the real
exports, and the school's own part per school (issue «Læringsspeil 2»)."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest

from conftest import run_cli
from tallkit import api
from tallkit.config import Settings
from tallkit.reports.document import DIRECTIONS, MESSAGE_TYPES, SOURCES


def _json_reports(written: list[Path]) -> dict[str, dict[str, Any]]:
    return {
        (data := json.loads(p.read_text(encoding="utf-8")))["skole"]["orgnr"]: data
        for p in written
        if p.suffix == ".json"
    }


@pytest.fixture(scope="module")
def everyone(sample: Settings, tmp_path_factory: pytest.TempPathFactory) -> api.SpeilReport:
    """The sample kommune's default run: every school, every format."""
    out = tmp_path_factory.mktemp("alle")
    return api.speil(alle=True, ut=out, dato="2026-11-24", settings=sample)


@pytest.fixture(scope="module")
def real(real_np: Settings) -> Settings:
    return real_np


def test_every_school_of_the_kommune_gets_a_report(
    sample: Settings, everyone: api.SpeilReport
) -> None:
    schools = api.named_query("skoler", {"kommune": None}, settings=sample)
    reports = _json_reports(everyone.written)
    assert set(reports) == set(schools["orgnr"])
    assert everyone.skipped == []
    # a school whose national tests Udir suppressed still has one, and says so
    suppressed = [r for r in reports.values() if r["skjermet"]]
    assert suppressed
    for report in suppressed:
        assert report["hovedbilde"][0]["type"] == "skjermet"
        assert all(
            c["skolen"] is None
            for c in report["sammenligninger"]
            if c["kilde"] == "nasjonale_prover"
        )


def test_default_report_shows_survey_and_school_points_wherever_the_school_has_them(
    sample: Settings, everyone: api.SpeilReport
) -> None:
    con = duckdb.connect(str(sample.db_path), read_only=True)
    having = {
        (kilde, unit)
        for kilde, unit in con.execute(
            "select 'elevundersokelsen', enhet_id from elevundersokelsen where status = 'ok' "
            "union select 'grunnskolepoeng', enhet_id from grunnskolepoeng where status = 'ok'"
        ).fetchall()
    }
    con.close()
    reports = _json_reports(everyone.written)
    assert {year for r in reports.values() for year in [r["skoleaar"]]} == {"2026-27"}
    checked = 0
    for orgnr, report in reports.items():
        shown = {c["kilde"] for c in report["sammenligninger"] if c["skolen"] is not None}
        for kilde in ("elevundersokelsen", "grunnskolepoeng"):
            if (kilde, orgnr) in having:
                assert kilde in shown, (report["skole"]["navn"], kilde)
                checked += 1
        # each indicator from its own newest year, national tests from the report's
        for c in report["sammenligninger"]:
            if c["kilde"] == "nasjonale_prover":
                assert c["skoleaar"] == "2026-27"
            else:
                assert c["skoleaar"] <= "2026-27"
    assert checked >= 15


def test_one_verdict_per_comparison_and_the_html_prints_the_json_s(
    everyone: api.SpeilReport,
) -> None:
    reports = _json_reports(everyone.written)
    pages = {p.stem: p for p in everyone.written if p.suffix == ".html"}
    for orgnr, report in reports.items():
        seen: dict[tuple[Any, ...], tuple[Any, Any]] = {}
        for c in report["sammenligninger"]:
            key = (c["kilde"], c["maal"], c["trinn"], c["skoleaar"])
            verdicts = (c["mot_kommunen"], c["mot_landet"])
            assert seen.setdefault(key, verdicts) == verdicts, (orgnr, key)
        page = next(p for stem, p in pages.items() if stem.endswith(orgnr))
        html = page.read_text(encoding="utf-8")
        summary = html.split('id="sammendrag"')[1].split("</section>")[0]
        rows = [
            [
                unescape(re.sub(r"<[^>]+>", "", cell))
                for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)
            ]
            for row in re.findall(r"<tr>(.*?)</tr>", summary, re.S)
        ]
        printed = {(r[1], int(r[2]), r[3]): (r[8], r[9]) for r in rows if len(r) == 10}
        for c in report["sammenligninger"]:
            key = (c["indikator"], c["trinn"], c["skoleaar"])
            if key in printed:
                assert printed[key] == (c["mot_kommunen"] or "–", c["mot_landet"] or "–"), key
        assert printed, orgnr
        # the funnel's table uses the same words as the summary for the same test
        funnel = html.split('id="kommunens-skoler"')[1].split("</section>")[0]
        for row in re.findall(r"<tr>(.*?)</tr>", funnel, re.S):
            cells = [unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
            if len(cells) == 6:
                trinn, test = cells[0].split(". trinn ")
                match = [
                    c
                    for c in report["sammenligninger"]
                    if c["kilde"] == "nasjonale_prover"
                    and c["trinn"] == int(trinn)
                    and c["maal"] == test
                ]
                assert match and cells[4] == (match[0]["mot_kommunen"] or "–"), (orgnr, cells)


def test_hovedbilde_speaks_the_contract_vocabulary_and_agrees_with_the_verdicts(
    everyone: api.SpeilReport,
) -> None:
    for report in _json_reports(everyone.written).values():
        assert len(report["hovedbilde"]) <= 6
        if not report["hovedbilde"]:  # nothing stands out: page 1 says so in words
            assert any("skiller seg sikkert" in t for t in report["hovedbilde_innledning"])
        for m in report["hovedbilde"]:
            assert m["type"] in MESSAGE_TYPES and m["kilde"] in SOURCES
            assert m["retning"] in DIRECTIONS
            if m["type"] == "niva" and m["maal"] is not None:
                against = "mot_landet" if "landet" in m["tekst"] else "mot_kommunen"
                word = "over" if m["retning"] == "bedre" else "under"
                assert any(
                    c["maal"] == m["maal"] and c["trinn"] == m["trinn"] and c[against] == word
                    for c in report["sammenligninger"]
                ), m


def test_a_suppressed_real_school_gets_a_report_that_shows_no_school_number(
    real: Settings, tmp_path: Path
) -> None:
    # Flosta skole (Arendal): every national-test cell of 2025-26 is «*» in Udir's export
    result = run_cli(
        "--db", str(real.db_path), "speil", "--skole", "975283194", "--ut", str(tmp_path),
        "--dato", "2026-11-24",
    )  # fmt: skip
    assert result.code == 0, result.stderr
    report = json.loads(next(tmp_path.glob("*.json")).read_text(encoding="utf-8"))
    assert report["skjermet"] is True
    assert report["sammenligninger"] and all(
        c["skolen"] is None and c["antall"] is None for c in report["sammenligninger"]
    )
    markdown = next(tmp_path.glob("*.md")).read_text(encoding="utf-8")
    assert "skjermet" in markdown.split("## Sammendrag")[0]
    # the kommune and the nation as context, never a number of the school's own
    assert any(c["kommunen"] is not None for c in report["sammenligninger"])


def test_a_clear_multi_year_fall_in_the_real_exports_is_a_development_message(
    real: Settings, tmp_path: Path
) -> None:
    # Udir's published 5. trinn lesing for this school: 58, 50, 50, 42 (2022-23 … 2025-26)
    report = api.speil(["986078479"], formats=["json"], ut=tmp_path, settings=real)
    data = json.loads(report.written[0].read_text(encoding="utf-8"))
    development = [m for m in data["hovedbilde"] if m["type"] == "utvikling"]
    assert any(
        m["maal"] == "lesing" and m["trinn"] == 5 and m["retning"] == "svakere" for m in development
    ), data["hovedbilde"]
    assert any("fra 58 til 42" in m["tekst"] for m in development)


def test_assessments_from_a_folder_go_only_to_their_own_school(
    sample: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "vurderinger"
    folder.mkdir()
    (folder / "2026-27_Solåsen_skole_996566048.toml").write_text(
        '[vurdering]\nhva_vi_ser = """Solåsen ser\n\n- punkt en\n- punkt to"""\n'
        '[[tiltak]]\nhva = "Lesekurs for 4. trinn"\nindikatorer = ["lesing 5"]\n'
        'vite = "Kartlegging i mars"\n',
        encoding="utf-8",
    )
    (folder / "Nordby ungdomsskole.md").write_text("Nordby skriver <b>fritt</b>.", encoding="utf-8")
    report = api.speil(alle=True, vurdering=folder, ut=tmp_path / "ut", settings=sample)
    for page in (p for p in report.written if p.suffix == ".html"):
        text = page.read_text(encoding="utf-8")
        assert ("Solåsen ser" in text) == ("996566048" in page.name), page.name
        assert ("Lesekurs for 4. trinn" in text) == ("996566048" in page.name)
        assert ("Nordby skriver" in text) == ("999135684" in page.name), page.name
        if "996566048" in page.name:
            assert "<li>punkt en</li>" in text  # lists stay lists
        if "999135684" in page.name:
            assert "&lt;b&gt;fritt&lt;/b&gt;" in text and "<b>fritt" not in text


def test_assessment_template_round_trips_and_last_years_tiltak_come_back(
    sample: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "maler"
    made = api.speil(["Solåsen"], vurderingsmal=True, ut=folder, settings=sample)
    (template,) = made.written
    assert template.name == "2026-27_Solåsen_skole_996566048.toml"
    text = template.read_text(encoding="utf-8")
    # Solåsen is a barneskole: its own tests as the example, not «lesing 8»
    assert 'indikatorer = ["lesing 5", "regning 5"]' in text
    filled = text.replace('hva_vi_ser = """\n"""', 'hva_vi_ser = """Vi ser mye."""', 1)
    filled = filled.replace('hva = """\n"""', 'hva = """Mer lesing"""', 1)
    # last year's file, in the same folder, named as the template names it
    (folder / "2025-26_Solåsen_skole_996566048.toml").write_text(filled, encoding="utf-8")
    template.write_text(filled, encoding="utf-8")
    report = api.speil(["Solåsen"], formats=["json", "html"], vurdering=folder, ut=tmp_path / "ut",
                       dato="2026-11-24", settings=sample)  # fmt: skip
    data = json.loads(next(p for p in report.written if p.suffix == ".json").read_text("utf-8"))
    assert data["vurdering"]["ser"] == "Vi ser mye."
    assert data["vurdering"]["tiltak"][0]["hva"] == "Mer lesing"
    html = next(p for p in report.written if p.suffix == ".html").read_text(encoding="utf-8")
    assert "Fjorårets tiltak og utviklingen siden" in html and "Mer lesing" in html
    # a second --vurderingsmal never overwrites a rektor's file
    again = api.speil(["Solåsen"], vurderingsmal=True, ut=folder, settings=sample)
    assert again.written == [] and again.skipped


def test_one_file_for_many_schools_and_an_unknown_year_are_usage_errors(
    sample: Settings, tmp_path: Path
) -> None:
    own = tmp_path / "v.md"
    own.write_text("tekst", encoding="utf-8")
    result = run_cli("--db", str(sample.db_path), "speil", "--alle", "--vurdering", str(own))
    assert result.code == 2 and "mappe" in result.stderr and result.stderr.count("\n") == 1
    result = run_cli("--db", str(sample.db_path), "speil", "--alle", "--aar", "2019-20")
    assert result.code == 2 and "2025-26" in result.stderr and "2019-20" in result.stderr
    result = run_cli("--db", str(sample.db_path), "speil", "--alle", "--kommune", "0301")
    assert result.code == 2 and "9901" in result.stderr


def test_a_mastery_distribution_the_plan_hides_is_named_not_silently_missing(
    sample: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the suppression plan hides a school's bar of a year although it has enough pupils
    (with other level counts from pupil data it would single out a few), the report says so
    in words and draws the bar nowhere.

    Since the plan cuts scale points and mastery levels into pieces of their own, the sample
    data's plan hides no such bar (a bar now gives way only to another count of levels, such
    as a pupil counted at two schools the same year): the plan here hides one more, a real
    bar with enough pupils, to see what the reader gets."""
    from tallkit import analyses, skjerming

    orgnr, year, trinn, test = "996566048", "2026-27", 5, "lesing"
    assert _levelled_pupils(sample, "enhet_id", orgnr, year, trinn, test) >= sample.min_group
    planned = analyses.suppression_plan

    def hiding_one_more(store: Any, min_group: int, kommune: str | None = None) -> Any:
        found = planned(store, min_group, kommune)
        assert found.shows(("mestring", orgnr, year, trinn, test))  # the sample's own plan
        return skjerming.Plan(found.hidden | {("mestring", orgnr, year, trinn, test)})

    monkeypatch.setattr(analyses, "suppression_plan", hiding_one_more)
    report = api.speil([orgnr], ut=tmp_path, dato="2026-11-24", settings=sample)
    md = next(p for p in report.written if p.suffix == ".md")
    lines = md.read_text(encoding="utf-8").splitlines()
    pattern = re.compile(r"Skolens fordeling på mestringsnivå i (.+?) for (\d{4}-\d{2}) er skjult")
    named = [(line, found) for line in lines if (found := pattern.match(line))]
    assert len(named) == 1, named
    line, found = named[0]
    assert found[1] == "lesing" and found[2] == year
    assert f"færre enn {sample.min_group} elever" in line
    heading = max(i for i, x in enumerate(lines[: lines.index(line)]) if x.startswith("### "))
    assert lines[heading] == f"### {trinn}. trinn"
    drawn = " ".join(
        p.read_text(encoding="utf-8")
        for p in report.written
        if p.suffix == ".svg" and "_mestring_" in p.name
    )
    assert drawn, "no mastery chart at all: the check below would prove nothing"
    # neither the year's chart («lesing, skolen») nor the column over the years
    assert f"lesing {year}, nivå" not in drawn and ">lesing, skolen<" not in drawn
    # the other tests of that year are drawn as before, in both charts
    assert f"regning {year}, nivå" in drawn and ">regning, skolen<" in drawn


def test_a_hidden_kommune_bar_beside_a_drawn_school_bar_is_named(
    sample: Settings, everyone: api.SpeilReport
) -> None:
    """Where a school's bar is drawn without the kommune's beside it (the plan hides the
    kommune's: with the schools' own bars it would show a school too small to be shown), the
    report says so under that trinn; every such gap is named, and nothing named is drawn."""

    note = re.compile(r"Kommunens fordeling på mestringsnivå i (.+?) for (\d{4}-\d{2}) er skjult")
    gaps = 0
    for md in (p for p in everyone.written if p.suffix == ".md"):
        sections: dict[int, list[str]] = {}
        section = None
        for line in md.read_text(encoding="utf-8").splitlines():
            if line.startswith("## "):
                section = None
            if line.startswith("### ") and line.endswith(". trinn"):
                section = int(line[4:].split(".")[0])
            if section is not None:
                sections.setdefault(section, []).append(line)
        for trinn, lines in sections.items():
            chart = md.with_name(f"{md.stem}_mestring_{trinn}.svg")
            if not chart.exists():
                continue
            svg = chart.read_text(encoding="utf-8")
            school = set(re.findall(r">(\w+), skolen<", svg))
            kommune = set(re.findall(r">(\w+), kommunen<", svg))
            named: set[str] = set()
            for line in lines:
                if found := note.match(line):
                    named |= set(re.split(r", | og ", found[1]))
                    year = found[2]
            assert not named & kommune, (md.name, trinn)
            assert school - kommune == named, (md.name, trinn, school, kommune, named)
            if named:
                gaps += len(named)
                kommunenr = api.named_query("skoler", {"kommune": None}, settings=sample).row(
                    by_predicate=pl.col("orgnr") == md.stem.rsplit("_", 1)[1], named=True
                )["kommunenr"]
                for test in named:
                    pupils = _levelled_pupils(sample, "kommunenr", kommunenr, year, trinn, test)
                    assert pupils >= sample.min_group
    assert gaps, "no hidden kommune bar in the sample: the test proves nothing"


def _levelled_pupils(
    sample: Settings, unit_column: str, unit: str, year: str, trinn: int, test: str
) -> int:
    """Participating pupils with a mastery level in the database, for a school (``enhet_id``)
    or a kommune (``kommunenr``): what a bar the report says it hides would have counted."""
    from tallkit.store import open_store

    with open_store(sample.db_path, read_only=True) as store:
        found: int = store.query(
            "select count(*) from lager.elevresultat as r join lager.enhet as e using (enhet_id) "
            f"where e.{unit_column} = $u and r.skoleaar = $y and r.trinn = $t and r.prove = $p "
            "and r.deltatt_status = 'D' and r.mestringsnivaa is not null",
            {"u": unit, "y": year, "t": trinn, "p": test},
        ).item()
    return found


def test_five_to_eight_shows_the_value_added_once_not_twice(everyone: api.SpeilReport) -> None:
    """From 5. to 8. trinn the pupils' change is centred on the kommune's pairs, so it equals
    the value added to the last bit: a test is in the value-added table or the paired table of
    a Læringsspeil, never in both (two intervals for one number)."""
    both_tables = 0
    for md in (p for p in everyone.written if p.suffix == ".md"):
        text = md.read_text(encoding="utf-8")
        if "### 5. til 8. trinn" not in text:
            continue
        block = re.split(r"\n##+ ", text.split("### 5. til 8. trinn", 1)[1])[0]
        tables: dict[str, set[str]] = {}
        title = ""
        for line in block.splitlines():
            if line.startswith("**"):
                title = line
            elif line.startswith("| ") and not line.startswith("| Prøve"):
                tables.setdefault(title, set()).add(line.split(" | ")[0].removeprefix("| "))
        paired = next((v for k, v in tables.items() if "De samme elevene" in k), set())
        added = next((v for k, v in tables.items() if "Verdiskaping" in k), set())
        assert not paired & added, (md.name, paired, added)
        both_tables += bool(added)
    assert both_tables, "no 5 -> 8 value added in the sample: the test proves nothing"


def test_last_years_tiltak_show_an_index_as_the_tables_do() -> None:
    # «4 → 4,2» for Trivsel read as two kinds of number; the tables write 4,0
    from tallkit import render
    from tallkit.reports.document import Assessment
    from tallkit.reports.vurdering import follow_up

    rows = [
        {"kilde": k, "indikator": name, "indikator_kode": code, "trinn": t, "skoleaar": y,
         "verdi": v}
        for k, name, code, t, y, v in [
            ("elevundersokelsen", "Trivsel", "EUIndeks_1379", 7, "2024-25", 4.0),
            ("elevundersokelsen", "Trivsel", "EUIndeks_1379", 7, "2025-26", 4.2),
            ("nasjonale_prover", "lesing", "lesing", 5, "2025-26", 52.0),
        ]
    ]  # fmt: skip
    measures = [{"hva": "Klassemøter", "indikatorer": ["Trivsel 7", "lesing 5"], "vite": ""}]
    trivsel, lesing = follow_up(Assessment(tiltak=measures), rows)
    assert [render.number(v, trivsel["desimaler"]) for _, v in trivsel["utvikling"]] == [
        "4,0",
        "4,2",
    ]
    assert [render.number(v, lesing["desimaler"]) for _, v in lesing["utvikling"]] == ["52"]


def test_one_assessment_template_is_said_in_the_singular(sample: Settings, tmp_path: Path) -> None:
    result = run_cli(
        "--db", str(sample.db_path), "speil", "--skole", "Solåsen", "--vurderingsmal",
        "--ut", str(tmp_path),
    )  # fmt: skip
    assert result.code == 0, result.stderr
    assert result.stderr.splitlines()[-1].startswith(f"1 vurderingsmal skrevet til {tmp_path} ")
