"""The school owner's kommune report (issue 11): the same verdicts as each school's Læringsspeil,
Udir's own kommune numbers, every school named (or none, in the anonymous version), comparison
kommuner from tallkit.toml, the xlsx appendix, the CLI, and the dialogue pack of ``speil
--alle --kommune``. The golden files are in test_golden.py; the browser test in test_browser.py.
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import REAL, run_cli
from tallkit import api
from tallkit.config import Settings, load_settings
from tallkit.errors import UsageError
from tallkit.reports import messages
from tallkit.reports.document import Message
from test_real_samples import _HEADER, _TEST, _expected, _independent_exporter_cells

DATE = "2026-11-24"


def _json(report: api.RapportReport) -> dict[str, Any]:
    path = next(p for p in report.written if p.suffix == ".json")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    folder = tmp_path_factory.mktemp("ekte")
    settings = Settings(db_path=folder / "real.duckdb", key_file=folder / "nokkel")
    report = api.ingest([REAL], settings=settings)
    assert report.exit_code == 0
    yield settings


def test_json_twin_contract(sample: Settings, tmp_path: Path) -> None:
    data = _json(api.rapport("9901", formats=["json"], ut=tmp_path, dato=DATE, settings=sample))
    assert data["rapport"] == "kommunerapport"
    assert data["kommune"] == {"kommunenr": "9901", "navn": "Fjordvik"}
    assert data["skoleaar"] == "2026-27"
    row_keys = {"kilde", "maal", "trinn", "skoleaar", "kommunen", "landet", "antall", "mot_landet"}
    assert data["nokkeltall"] and all(row_keys <= set(r) for r in data["nokkeltall"])
    assert {r["kilde"] for r in data["nokkeltall"]} == {
        "nasjonale_prover",
        "elevundersokelsen",
        "grunnskolepoeng",
    }
    assert data["skoler"] and all(
        {"orgnr", "navn", "sammenligninger"} <= set(s) for s in data["skoler"]
    )


def test_grid_verdicts_equal_each_schools_own_laeringsspeil(
    sample: Settings, tmp_path: Path
) -> None:
    """The owner and the school read the same numbers and words for the same comparison."""
    owner = _json(
        api.rapport("9901", formats=["json"], ut=tmp_path / "k", dato=DATE, settings=sample)
    )
    speil = api.speil(
        alle=True, kommune="9901", formats=["json"], ut=tmp_path / "s", dato=DATE, settings=sample
    )
    own = {}
    for path in speil.written:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("rapport") == "laeringsspeil":
            own[data["skole"]["orgnr"]] = data["sammenligninger"]
    assert {s["orgnr"] for s in owner["skoler"]} == set(own)
    judged = 0
    for school in owner["skoler"]:
        assert school["sammenligninger"] == own[school["orgnr"]], school["navn"]
        judged += sum(c["mot_kommunen"] is not None for c in school["sammenligninger"])
    assert judged > 20  # the grid is not empty


def test_grid_cells_print_the_schools_verdict(sample: Settings, tmp_path: Path) -> None:
    report = api.rapport("9901", formats=["md", "json"], ut=tmp_path, dato=DATE, settings=sample)
    text = next(p for p in report.written if p.suffix == ".md").read_text(encoding="utf-8")
    for school in _json(report)["skoler"]:
        for c in school["sammenligninger"]:
            if c["kilde"] == "nasjonale_prover" and c["mot_kommunen"] in ("over", "under"):
                assert f"{c['skolen']:.0f} ({c['mot_kommunen']})" in text


def test_dialogue_pack_links_every_school(sample: Settings, tmp_path: Path) -> None:
    report = api.speil(alle=True, kommune="9901", ut=tmp_path, dato=DATE, settings=sample)
    page = tmp_path / "2026-27_Fjordvik_9901_kommunerapport.html"
    assert page in report.written
    html = page.read_text(encoding="utf-8")
    schools = [p for p in report.written if p.suffix == ".html" and p != page]
    assert schools
    for school in schools:
        assert f'href="{school.name}"' in html
    assert not list(tmp_path.glob("*_indeks.html"))  # the kommune report replaces the index


def test_anonymous_version_names_no_school(sample: Settings, tmp_path: Path) -> None:
    report = api.rapport(
        "Fjordvik", anonym=True, formats=["md", "html", "json"], ut=tmp_path, settings=sample
    )
    names = api.skoler("9901", settings=sample)["navn"].to_list()
    text = "".join(p.read_text(encoding="utf-8") for p in report.written if p.suffix != ".svg")
    for name in names:
        assert name not in text, name
    data = _json(report)
    assert data["anonym"] is True
    assert all(s["orgnr"] is None and s["navn"].startswith("Skole ") for s in data["skoler"])


def test_anonymous_from_tallkit_toml(sample: Settings, tmp_path: Path) -> None:
    config = tmp_path / "tallkit.toml"
    config.write_text("[rapport]\nanonym = true\n", encoding="utf-8")
    settings = dataclasses.replace(load_settings(config=config), db_path=sample.db_path)
    data = _json(api.rapport("9901", formats=["json"], ut=tmp_path, settings=settings))
    assert data["anonym"] is True


def test_comparison_kommuner_and_their_missing_years(sample: Settings, tmp_path: Path) -> None:
    config = tmp_path / "tallkit.toml"
    config.write_text('[sammenligning]\ngruppe = "ASSS"\nkommuner = ["9901"]\n', encoding="utf-8")
    settings = dataclasses.replace(load_settings(config=config), db_path=sample.db_path)
    assert settings.comparison[:2] == ("0301", "4601") and len(settings.comparison) == 13
    report = api.rapport("9901", formats=["md", "json"], ut=tmp_path, dato=DATE, settings=settings)
    data = _json(report)
    # the kommune is not compared with itself; the twelve ASSS kommuner are listed, named
    # from SSB's list when the database does not have them
    assert [c["kommunenr"] for c in data["sammenligningskommuner"]] == [
        "0301", "4601", "5001", "1103", "3201", "4204", "3301", "3107", "1108", "5501",
        "3203", "3205",
    ]  # fmt: skip
    assert data["sammenligningskommuner"][1]["navn"] == "Bergen"
    text = next(p for p in report.written if p.suffix == ".md").read_text(encoding="utf-8")
    # the sample database has none of them: the report says which years are missing
    assert "(0301): ingen tall i databasen for 2025-26, 2026-27." in text


def test_bad_comparison_setting_is_a_usage_error(tmp_path: Path) -> None:
    config = tmp_path / "tallkit.toml"
    config.write_text('[sammenligning]\nkommuner = ["Storbyene"]\n', encoding="utf-8")
    with pytest.raises(UsageError, match="Storbyene"):
        load_settings(config=config)
    config.write_text('[sammenligning]\nkomuner = ["0301"]\n', encoding="utf-8")
    with pytest.raises(UsageError, match="komuner"):
        load_settings(config=config)


def test_administrations_text_is_kept_and_escaped(sample: Settings, tmp_path: Path) -> None:
    own = tmp_path / "vurdering.md"
    own.write_text(
        "Vi ser en nedgang i regning.\n\n- Mer lesing\n- <script>alert(1)</script>\n",
        encoding="utf-8",
    )
    report = api.rapport(
        "9901", vurdering=own, formats=["md", "html"], ut=tmp_path / "ut", settings=sample
    )
    html = next(p for p in report.written if p.suffix == ".html").read_text(encoding="utf-8")
    assert "<p>Vi ser en nedgang i regning.</p>" in html
    assert "<li>Mer lesing</li>" in html and "<script>" not in html
    md = next(p for p in report.written if p.suffix == ".md").read_text(encoding="utf-8")
    assert "- Mer lesing" in md and "<script>" not in md


def test_xlsx_appendix_has_every_table(sample: Settings, tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    report = api.rapport("9901", formats=["xlsx"], ut=tmp_path, dato=DATE, settings=sample)
    path = next(p for p in report.written if p.suffix == ".xlsx")
    book = openpyxl.load_workbook(io.BytesIO(path.read_bytes()))
    assert len(book.sheetnames) >= 12
    first = book[book.sheetnames[0]]
    assert [c.value for c in first[1]][:3] == ["Kilde", "Mål", "Trinn"]
    assert isinstance(first.cell(row=2, column=6).value, int | float)  # Kommunen: a number
    # no number as text: «−3,0», «50,2 (48,1–52,3)», «1,9 (4 %)» were strings an analyst could
    # not sort or compute with (584 cells in the sample kommune's appendix)
    as_text = re.compile(r"[+−-]?\d[\d\u00a0]*(,\d+)?(\s|$|–| til |\s*\(|\s*%)")
    text_numbers = [
        (sheet.title, value)
        for sheet in book.worksheets
        for row in sheet.iter_rows(min_row=2, values_only=True)
        for value in row
        if isinstance(value, str) and as_text.match(value)
    ]
    assert not text_numbers, text_numbers[:5]
    added = next(book[n] for n in book.sheetnames if "verdiskaping" in n.lower() and "(2)" in n)
    headers = [c.value for c in added[1]]
    assert {"Mer enn kommunens elever", "95 % usikkerhet fra", "95 % usikkerhet til"} <= set(
        headers
    )
    low, high = headers.index("95 % usikkerhet fra"), headers.index("95 % usikkerhet til")
    value = headers.index("Mer enn kommunens elever")
    for row in added.iter_rows(min_row=2, values_only=True):
        assert row[low] <= row[value] <= row[high]
    # the rank interval «1–12 av 12» keeps all three numbers
    funnel = next(book[n] for n in book.sheetnames if n.startswith("Skolene i trakten"))
    ranks = [c.value for c in funnel[1]]
    assert {"Rangintervall fra", "Rangintervall til", "Rangintervall av"} <= set(ranks)
    row = next(funnel.iter_rows(min_row=2, values_only=True))
    assert row[ranks.index("Rangintervall til")] <= row[ranks.index("Rangintervall av")]
    # shown with 1-3 decimals as the report writes them («−3,0»), the full value kept
    cell = added.cell(row=2, column=value + 1)
    assert cell.number_format == "0.0##" and cell.value != round(cell.value, 3)
    again = api.rapport("9901", formats=["xlsx"], ut=tmp_path / "2", dato=DATE, settings=sample)
    assert again.written[0].read_bytes() == path.read_bytes()
    assert zipfile.is_zipfile(path)


def test_cli_rapport(sample: Settings, tmp_path: Path) -> None:
    result = run_cli(
        "--db", str(sample.db_path), "rapport", "--kommune", "fjordvik", "--ut", str(tmp_path),
        "--format", "json", "--dato", DATE,
    )  # fmt: skip
    assert result.code == 0, result.stderr
    assert (tmp_path / "2026-27_Fjordvik_9901_kommunerapport.json").is_file()
    unknown = run_cli("--db", str(sample.db_path), "rapport", "--kommune", "Atlantis")
    assert unknown.code == 2 and "Atlantis" in unknown.stderr


def test_kommune_series_does_not_break_at_the_county_split(sample: Settings) -> None:
    trend = api.progresjon("trend", kommune="9901", settings=sample)
    kommune = trend.filter(trend["enhet_id"] == "9901")
    assert kommune.height and set(kommune["serie"].to_list()) == {1}


# ------------------------------------------------------------------------------------------
# Real Agder exports: Arendal (4203)
# ------------------------------------------------------------------------------------------


def test_real_kommune_report_names_every_school_with_data(real: Settings, tmp_path: Path) -> None:
    report = api.rapport("Arendal", formats=["md", "json"], ut=tmp_path, settings=real)
    data = _json(report)
    text = next(p for p in report.written if p.suffix == ".md").read_text(encoding="utf-8")
    with_data = api.sql(
        "select distinct e.enhet_id, e.navn from nasjonale_prover as n join enhet as e "
        "using (enhet_id) where e.kommunenr = '4203' and e.nivaa = 'skole' "
        "and n.skoleaar = '2025-26' and n.status = 'ok'",
        settings=real,
    )
    assert with_data.height >= 10
    listed = {s["orgnr"] for s in data["skoler"]}
    for row in with_data.iter_rows(named=True):
        assert row["enhet_id"] in listed, row["navn"]
        assert row["navn"] in text, row["navn"]


def test_real_kommune_numbers_equal_udirs_kommune_rows(real: Settings, tmp_path: Path) -> None:
    """Every kommune-level number (key figures, development) is Udir's row in the file."""
    report = api.rapport("4203", formats=["json", "md"], ut=tmp_path, settings=real)
    data = _json(report)
    published: dict[tuple[str, int, str, str], float | None] = {}
    for path in sorted(REAL.glob("statistikkbanken_export_NP_*.csv")):
        for cell in _independent_exporter_cells(path):
            match = _HEADER.match(cell["kolonne"])
            assert match is not None
            year, test, trinn, measure = match.groups()
            if cell["enhet_id"] in ("4203", "I"):
                value, _ = _expected(cell["raw"])
                key = (cell["enhet_id"], int(trinn), _TEST[test], year)
                published[(*key[:3], f"{year}|{measure}")] = value
    np_rows = [r for r in data["nokkeltall"] if r["kilde"] == "nasjonale_prover"]
    assert len(np_rows) == 6
    for r in np_rows:
        key = (r["trinn"], r["maal"], r["skoleaar"])
        assert r["kommunen"] == published[("4203", *key[:2], f"{key[2]}|Skalapoeng")], r
        assert r["landet"] == published[("I", *key[:2], f"{key[2]}|Skalapoeng")], r
        assert r["antall"] == published[("4203", *key[:2], f"{key[2]}|Antall elever deltatt")]
    # Elevundersøkelsen: Udir's report page for Arendal, 10. trinn (read by hand)
    page = json.loads((REAL / "udir_rapport_EUG_mobbing_arendal_10trinn.json").read_text("utf-8"))
    index = next(r for r in page["rows"] if r["kode"] == "EUIndeks_1398")
    mobbing = next(r for r in data["nokkeltall"] if r["maal"] == "EUIndeks_1398")
    assert mobbing["kommunen"] == float(index["data"][0].replace(",", "."))
    # the development table: every year's kommune value is the file's
    text = next(p for p in report.written if p.suffix == ".md").read_text(encoding="utf-8")
    development = text.split("## Utvikling", 1)[1].split("## Skolene", 1)[0]
    checked = 0
    for (unit, trinn, test, tag), value in published.items():
        year, measure = tag.split("|")
        if unit != "4203" or measure != "Skalapoeng" or value is None:
            continue
        cells = _markdown_table(development.split(f"### {trinn}. trinn", 1)[1])
        assert cells[test][year].startswith(f"{value:.0f} ("), (trinn, test, year)
        checked += 1
    assert checked >= 20


def _markdown_table(text: str) -> dict[str, dict[str, str]]:
    """The first Markdown table in ``text``: first column -> header -> cell."""
    lines: list[str] = []
    for line in text.splitlines():
        if line.startswith("|"):
            lines.append(line)
        elif lines:
            break
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    out = {}
    for line in lines[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        out[cells[0]] = dict(zip(header, cells, strict=True))
    return out


# ------------------------------------------------------------------------------------------
# The hovedbilde's balance between themes (messages.choose_balanced)
# ------------------------------------------------------------------------------------------


def _message(theme: str, z: float) -> Message:
    source = "elevundersokelsen" if theme == "laeringsmiljo" else "nasjonale_prover"
    return Message(f"{theme} {z}", theme, source, 10, None, "svakere", "2025-26", z)


def test_the_survey_cannot_fill_page_one_of_the_kommune_report() -> None:
    survey = [_message("laeringsmiljo", z) for z in (15.0, 14.0, 13.0, 12.0, 11.0, 10.0)]
    tests = [_message("niva", 2.5), _message("niva", 2.1), _message("utvikling", 3.0)]
    # the Læringsspeil's rule, by |z| alone: six survey messages and no test
    assert {m.type for m in messages.choose(survey + tests, "barneskole")} == {"laeringsmiljo"}
    chosen = messages.choose_balanced(survey + tests)
    assert [(m.type, m.styrke) for m in chosen] == [
        ("laeringsmiljo", 15.0),  # each theme's strongest, strongest theme first
        ("utvikling", 3.0),
        ("niva", 2.5),
        ("laeringsmiljo", 14.0),  # then each theme's second
        ("niva", 2.1),
    ]


def test_one_theme_alone_still_gives_three_messages_and_never_more_than_six() -> None:
    survey = [_message("laeringsmiljo", z) for z in (5.0, 4.0, 3.0, 2.5)]
    assert [m.styrke for m in messages.choose_balanced(survey)] == [5.0, 4.0, 3.0]
    assert messages.choose_balanced([]) == []
    many = [
        _message(theme, z) for theme in ("niva", "utvikling", "laeringsmiljo") for z in (4, 3, 2)
    ]
    chosen = messages.choose_balanced(many)
    assert len(chosen) == 6 and all(
        sum(m.type == theme for m in chosen) == 2
        for theme in ("niva", "utvikling", "laeringsmiljo")
    )


def test_the_kommune_reports_rule_is_printed_in_om_tallene(
    sample: Settings, tmp_path: Path
) -> None:
    report = api.rapport("9901", formats=["md", "json"], ut=tmp_path, dato=DATE, settings=sample)
    text = next(p for p in report.written if p.suffix == ".md").read_text(encoding="utf-8")
    about = text.split("## Om tallene", 1)[1]
    assert "temaene" in about and "Høyst to fra samme tema" in about
    themes = [m["type"] for m in _json(report)["hovedbilde"]]
    assert themes.count("laeringsmiljo") <= 2 and "niva" in themes
