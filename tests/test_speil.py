"""«tallkit speil»: files per school in Markdown (with SVG charts) and self-contained HTML,
deterministic, escaped, safe file names. (Golden files and the browser test come with issue 4.)"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import polars as pl
import pytest

from conftest import run_cli
from tallkit import api
from tallkit.config import Settings


def test_one_school_in_both_formats_is_byte_identical_run_to_run(
    sample: Settings, tmp_path: Path
) -> None:
    args = [
        "--db",
        str(sample.db_path),
        "speil",
        "--skole",
        "Nordby ungdomsskole",
        "--dato",
        "2026-11-23",
    ]
    first = run_cli(*args, "--ut", str(tmp_path / "a"))
    second = run_cli(*args, "--ut", str(tmp_path / "b"))
    assert first.code == 0 and second.code == 0, first.stderr
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert any(n.endswith(".md") for n in names) and any(n.endswith(".html") for n in names)
    assert any(n.endswith(".svg") for n in names)
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
        if name.endswith(".svg"):
            ET.fromstring((tmp_path / "a" / name).read_text(encoding="utf-8"))  # well-formed
    html = next((tmp_path / "a").glob("*.html")).read_text(encoding="utf-8")
    assert "Nordby ungdomsskole" in html and "<svg" in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html and "<script" not in html


def test_all_schools_write_or_say_why_not(sample: Settings, tmp_path: Path) -> None:
    report = api.speil(alle=True, aar="2025-26", ut=tmp_path, dato="2026-11-23", settings=sample)
    written = {
        p.stem for p in report.written if p.suffix == ".html" and not p.stem.endswith("_indeks")
    }
    assert len(written) + len(report.skipped) == api.skoler(settings=sample).height
    assert all(reason.startswith("ingen tall") for _, reason in report.skipped)
    assert all(name.startswith("2025-26_Fjordvik_") for name in written)
    index = (tmp_path / "2025-26_alle_indeks.html").read_text(encoding="utf-8")
    for stem in written:
        assert f'href="{stem}.html"' in index
    for school, _ in report.skipped:
        assert school in index


def test_names_from_files_are_escaped(settings: Settings, tmp_path: Path) -> None:
    units = "EnhetNivaa\tNasjonaltkode\tFylkekode\tKommunekode\tOrganisasjonsnummer\tNasjonalt\tFylke\tKommune\tEnhetNavn"
    header = "2025-26.Lesing.5. årstrinn.Alle eierformer.Alle kjønn.Skalapoeng\t2025-26.Lesing.5. årstrinn.Alle eierformer.Alle kjønn.Antall elever deltatt"
    rows = [
        "1\tI\t00\t0000\tI\tHele landet\tAlle fylker\tAlle kommuner\tAlle skoler\t50\t56 000",
        "3\tI\t99\t9901\t9901\tHele landet\tX\tFjordvik\tAlle skoler\t49\t300",
        "4\tI\t99\t9901\t999999999\tHele landet\tX\tFjordvik\t<script>alert(1)</script> & «Skole» | x \t52\t30",
    ]
    path = tmp_path / "ondsinnet.csv"
    path.write_bytes(
        ("sep=\t\n" + units + "\t" + header + "\n" + "\n".join(rows) + "\n").encode("utf-16-le")
    )
    api.ingest([path], settings=settings)
    report = api.speil(["999999999"], ut=tmp_path / "ut", dato="2026-11-23", settings=settings)
    html = next(p for p in report.written if p.suffix == ".html")
    text = html.read_text(encoding="utf-8")
    assert "<script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; «Skole»" in text
    for bad in '<>:"/\\|?*':
        assert bad not in html.name
    markdown = next(p for p in report.written if p.suffix == ".md").read_text(encoding="utf-8")
    assert "<script>" not in markdown
    assert "\\<script\\>alert(1)\\</script\\> \\& «Skole» \\| x" in markdown


def test_speil_needs_a_school_or_all(sample: Settings) -> None:
    result = run_cli("--db", str(sample.db_path), "speil")
    assert result.code == 2 and "--alle" in result.stderr


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_one_format_only(sample: Settings, tmp_path: Path, fmt: str) -> None:
    report = api.speil(["Solåsen"], formats=[fmt], ut=tmp_path, dato="2026-11-23", settings=sample)
    suffixes = {p.suffix for p in report.written}
    assert f".{fmt}" in suffixes and ({".md", ".html"} - {f".{fmt}"}).isdisjoint(suffixes)


def test_no_number_in_any_report_rests_on_fewer_pupils_than_the_minimum(tmp_path: Path) -> None:
    """Scan every table of every written report: each row names its pupils, and they are enough."""
    import re

    from conftest import SAMPLE_DATA

    minimum = 30
    settings = Settings(
        db_path=tmp_path / "m.duckdb", key_file=tmp_path / "nokkel", min_group=minimum
    )
    api.ingest([SAMPLE_DATA], settings=settings)
    report = api.speil(
        alle=True, formats=["html"], ut=tmp_path / "ut", dato="2026-11-23", settings=settings
    )
    pages = [p for p in report.written if p.suffix == ".html" and not p.stem.endswith("_indeks")]
    assert pages
    tables = 0
    for page in pages:
        for table in re.findall(r"<table>(.*?)</table>", page.read_text(encoding="utf-8"), re.S):
            headers = re.findall(r"<th>(.*?)</th>", table)
            column = next((i for i, h in enumerate(headers) if h.startswith("Elever")), None)
            assert column is not None, (page.name, headers)
            tables += 1
            for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]:
                cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
                if cells[column] != "–":
                    assert int(cells[column]) >= minimum, (page.name, row)
                    continue
                # a hidden group: only numbers about others (nation, kommune) may remain
                school_numbers = [
                    c
                    for h, c in zip(headers, cells, strict=True)
                    if h not in ("Trinn", "Gruppe", "Landet", "Kommunen", "Skoler")
                    and re.fullmatch(r"[−-]?\d+(,\d+)?", c)
                ]
                assert school_numbers == [], (page.name, row)
    assert tables > len(pages)


def test_mastery_shares_are_not_drawn_for_a_small_group() -> None:
    from tallkit.reports.laeringsspeil import _shares, level_cells

    rows = [
        {"enhet_id": unit, "skoleaar": "2025-26", "trinn": 5, "prove": "lesing", **r}
        for unit, counts in (("s", (2, 4, 3)), ("k", (20, 50, 30)))
        for r in (
            {"mestringsnivaa": level, "antall": n}
            for level, n in zip((1, 2, 3), counts, strict=True)
        )
    ]
    school = level_cells([r for r in rows if r["enhet_id"] == "s"])  # 9 pupils: under the minimum
    kommune = level_cells([r for r in rows if r["enhet_id"] == "k"])
    assert _shares(school, 5, "lesing", "2025-26", 3, 10) is None
    assert _shares(kommune, 5, "lesing", "2025-26", 3, 10) == [0.2, 0.5, 0.3]


def test_the_schools_own_assessment_is_merged_and_escaped(sample: Settings, tmp_path: Path) -> None:
    own = tmp_path / "vurdering.md"
    own.write_text(
        "Vi ser at regning <b>trenger</b> løft.\n\nTiltak: mer praktisk regning.", encoding="utf-8"
    )
    report = api.speil(
        ["Bjørkås"], ut=tmp_path / "ut", vurdering=own, dato="2026-11-23", settings=sample
    )
    html = next(p for p in report.written if p.suffix == ".html").read_text(encoding="utf-8")
    assert "<p>Vi ser at regning &lt;b&gt;trenger&lt;/b&gt; løft.</p>" in html
    assert "<p>Tiltak: mer praktisk regning.</p>" in html
    markdown = next(p for p in report.written if p.suffix == ".md").read_text(encoding="utf-8")
    assert "Tiltak: mer praktisk regning." in markdown


def test_a_kommunes_own_template_overrides_file_by_file(sample: Settings, tmp_path: Path) -> None:
    mine = tmp_path / "maler"
    mine.mkdir()
    (mine / "laeringsspeil.md.j2").write_text(
        "Vår mal for {{ dok.header.skole.navn }}\n", encoding="utf-8"
    )
    report = api.speil(
        ["Bjørkås"], ut=tmp_path / "ut", maler=mine, dato="2026-11-23", settings=sample
    )
    markdown = next(p for p in report.written if p.suffix == ".md").read_text(encoding="utf-8")
    assert markdown == "Vår mal for Bjørkås skole\n"
    html = next(p for p in report.written if p.suffix == ".html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")  # not overridden: tallkit's own


def test_a_template_error_is_an_output_error(sample: Settings, tmp_path: Path) -> None:
    mine = tmp_path / "maler"
    mine.mkdir()
    (mine / "laeringsspeil.md.j2").write_text("{{ speil.finnes_ikke }}\n", encoding="utf-8")
    result = run_cli(
        "--db",
        str(sample.db_path),
        "speil",
        "--skole",
        "Bjørkås",
        "--maler",
        str(mine),
        "--ut",
        str(tmp_path / "ut"),
    )
    assert result.code == 4 and "malfeil" in result.stderr


def test_kommune_standards_are_judged_with_their_uncertainty(
    sample: Settings, tmp_path: Path
) -> None:
    import dataclasses

    published = api.sql(
        "select skalapoeng from nasjonale_prover where enhet_id = '996566048' and skoleaar = '2025-26' "
        "and trinn = 5 and prove = 'lesing' and kjonn = 'alle' and eierform = 'alle'",
        settings=sample,
    )["skalapoeng"][0]
    standards = (
        {"navn": "klart nådd", "prove": "lesing", "trinn": 5, "minst": published - 10},
        {"navn": "klart ikke nådd", "prove": "lesing", "trinn": 5, "minst": published + 10},
        {"navn": "på grensen", "prove": "lesing", "trinn": 5, "minst": published},
        {
            "navn": "nivå 1 høyst 60 %",
            "prove": "lesing",
            "trinn": 5,
            "mestringsnivaa": 1,
            "hoyst": 60,
        },
        {
            "navn": "nivå 1 høyst 0 %",
            "prove": "lesing",
            "trinn": 5,
            "mestringsnivaa": 1,
            "hoyst": 0,
        },
        {"navn": "uten tall", "prove": "engelsk", "trinn": 9, "minst": 50},
    )
    settings = dataclasses.replace(sample, standards=standards)
    report = api.speil(
        ["Solåsen"],
        aar="2025-26",
        formats=["html"],
        ut=tmp_path,
        dato="2026-11-23",
        settings=settings,
    )
    html = next(p for p in report.written if p.suffix == ".html").read_text(encoding="utf-8")
    verdicts = dict(
        re.findall(r"<tr><td>([^<]+)</td>(?:<td[^>]*>[^<]*</td>){2}<td>([^<]+)</td></tr>", html)
    )
    assert verdicts["klart nådd"] == "nådd"
    assert verdicts["klart ikke nådd"] == "ikke nådd"
    assert verdicts["på grensen"].startswith("kan ikke avgjøres")
    assert verdicts["nivå 1 høyst 60 %"] == "nådd"
    assert verdicts["nivå 1 høyst 0 %"] == "ikke nådd" or verdicts["nivå 1 høyst 0 %"].startswith(
        "kan ikke"
    )
    assert verdicts["uten tall"] == "ingen tall"
    # a level standard counts the year's pupils only (it once pooled every year's)
    from tallkit.store import open_store

    with open_store(sample.db_path, read_only=True) as store:
        year_n, every_n = store.query(
            "select count(*) filter (where skoleaar = '2025-26'), count(*) "
            "from lager.elevresultat where enhet_id = '996566048' and trinn = 5 "
            "and prove = 'lesing' and deltatt_status = 'D' and mestringsnivaa is not null"
        ).row(0)
    assert every_n > year_n >= sample.min_group
    counted = dict(re.findall(r"<tr><td>([^<]+)</td><td[^>]*>([^<]*)</td>", html))
    assert counted["nivå 1 høyst 60 %"] == str(year_n), counted


def test_preliminary_years_are_marked(sample: Settings, tmp_path: Path) -> None:
    latest = api.speil(
        ["Solåsen"],
        aar="2026-27",
        formats=["md"],
        ut=tmp_path / "a",
        dato="2026-11-23",
        settings=sample,
    )
    final = api.speil(
        ["Solåsen"],
        aar="2025-26",
        formats=["md"],
        ut=tmp_path / "b",
        dato="2026-11-23",
        settings=sample,
    )
    assert "Foreløpige tall" in next(p for p in latest.written if p.suffix == ".md").read_text(
        encoding="utf-8"
    )
    assert "Foreløpige tall" not in next(p for p in final.written if p.suffix == ".md").read_text(
        encoding="utf-8"
    )


def test_provenance_lists_only_the_files_behind_the_numbers(
    settings: Settings, tmp_path: Path
) -> None:
    from conftest import NP_5_2025, REAL

    extra = [
        REAL / "ssb_np_rescaling_parameters_2014-2021.csv",
        REAL / "udir_rapportside_GSK_NP_Geografisk.json",
    ]
    api.ingest([NP_5_2025, *extra], settings=settings)
    report = api.speil(
        ["975280888"], formats=["md"], ut=tmp_path, dato="2026-11-23", settings=settings
    )
    text = next(p for p in report.written if p.suffix == ".md").read_text(encoding="utf-8")
    # page 1 says only how many files; «Om tallene» lists them
    assert "bygger på 1 fil fra Udir" in text.split("\n## ")[0]
    files = text.split("Filene rapporten bygger på:")[1]
    assert NP_5_2025.name.replace("_", "\\_") in files
    assert all(path.name.replace("_", "\\_") not in text for path in extra)


def test_udir_own_texts_are_quoted_when_a_report_page_was_read(
    settings: Settings, tmp_path: Path
) -> None:
    from conftest import NP_5_2025, REAL

    api.ingest([NP_5_2025, REAL / "udir_rapportside_GSK_NP_Geografisk.json"], settings=settings)
    report = api.speil(
        ["975280888"], formats=["md"], ut=tmp_path, dato="2026-11-23", settings=settings
    )
    about = (
        next(p for p in report.written if p.suffix == ".md")
        .read_text(encoding="utf-8")
        .split("## Om tallene")[1]
    )
    assert "Udir: «Tallet er unntatt offentligheten/skjermet.»" in about
    assert "Brudd i tidsrekke" in about


def test_reflections_follow_the_flags_of_the_analyses(sample: Settings, tmp_path: Path) -> None:
    profile = api.fag("profil", skole="Bjørkås", aar="2025-26", settings=sample)
    flagged = profile.filter(pl.col("flagg").is_in(["over", "under"]))
    assert flagged.height > 0  # the model gives Bjørkås a lesing/regning profile
    report = api.speil(
        ["Bjørkås"], aar="2025-26", formats=["md"], ut=tmp_path, dato="2026-11-23", settings=sample
    )
    notes = next(p for p in report.written if p.suffix == ".md").read_text(encoding="utf-8")
    notes = notes.split("## Til refleksjon")[1].split("## Fra tall til tiltak")[0]
    for row in flagged.iter_rows(named=True):
        word = "sterkere" if row["flagg"] == "over" else "svakere"
        # the same words as the hovedbilde, «tydelig» when three SEs or more from zero
        pattern = rf"På {row['trinn']}\. trinn står {row['prove']} (tydelig )?{word} enn skolens"
        assert re.search(pattern, notes), pattern
