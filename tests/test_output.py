"""Output an analyst's tools read: xlsx, CSV for a Norwegian spreadsheet, tables at 80 columns."""

from __future__ import annotations

import io
import re
import sys
import zipfile
from pathlib import Path

import polars as pl
import pytest

from conftest import run_cli
from tallkit import api, display
from tallkit.config import Settings
from tallkit.xlsx import column_letter, workbook_bytes


def test_xlsx_has_numbers_as_numbers_and_ids_as_text(sample: Settings, tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    out = tmp_path / "variasjon.xlsx"
    result = run_cli("--db", str(sample.db_path), "variasjon", "--aar", "2025-26", "--ut", str(out))
    assert result.code == 0, result.stderr
    assert result.stdout == ""
    expected = api.variasjon(aar="2025-26", settings=sample)
    sheet = openpyxl.load_workbook(out).worksheets[0]
    header = [c.value for c in sheet[1]]
    assert header == expected.columns
    first = [c.value for c in sheet[2]]
    row = dict(zip(header, first, strict=True))
    want = expected.row(0, named=True)
    assert row["kommunenr"] == "9901" and isinstance(row["kommunenr"], str)
    assert isinstance(row["enhet_id"], str) and len(row["enhet_id"]) == 9
    assert isinstance(row["antall"], int) and row["antall"] == want["antall"]
    assert isinstance(row["se"], float) and row["se"] == want["se"]  # full precision
    assert sheet.max_row == expected.height + 1
    # data output shows every digit (General); only a report's appendix rounds what it shows
    assert sheet.cell(row=2, column=header.index("se") + 1).number_format == "General"


def test_xlsx_keeps_leading_zeros_and_writes_one_sheet_per_status_part(
    sample: Settings, tmp_path: Path
) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    frame = pl.DataFrame({"kommunenr": ["0301", None], "poeng": [52.25, None], "ok": [True, False]})
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes([("a/b:c", frame)])))
    sheet = book.worksheets[0]
    assert sheet.title == "a_b_c"
    assert [c.value for c in sheet[2]] == ["0301", 52.25, True]
    assert [c.value for c in sheet[3]] == [None, None, False]
    out = tmp_path / "status.xlsx"
    result = run_cli("--db", str(sample.db_path), "status", "--ut", str(out))
    assert result.code == 0, result.stderr
    assert openpyxl.load_workbook(out).sheetnames == ["kilder", "dekning", "hull"]


def test_xlsx_is_byte_identical_for_the_same_data_and_date() -> None:
    from datetime import date

    frame = pl.DataFrame({"navn": ["Bjørkås skole <&>"], "antall": [12]})
    first = workbook_bytes([("skoler", frame)], created=date(2026, 1, 15))
    assert first == workbook_bytes([("skoler", frame)], created=date(2026, 1, 15))
    assert first != workbook_bytes([("skoler", frame)], created=date(2026, 1, 16))
    stamps = {info.date_time for info in zipfile.ZipFile(io.BytesIO(first)).infolist()}
    assert stamps == {(1980, 1, 1, 0, 0, 0)}


def test_column_letters() -> None:
    assert [column_letter(i) for i in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]


def test_norwegian_spreadsheet_csv_has_semicolons_decimal_comma_and_bom(
    sample: Settings, tmp_path: Path
) -> None:
    out = tmp_path / "fag.csv"
    result = run_cli("--db", str(sample.db_path), "fag", "--format", "csv-excel", "--ut", str(out))
    assert result.code == 0, result.stderr
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    text = data[3:].decode("utf-8")
    lines = text.split("\r\n")
    expected = api.fag(settings=sample)
    assert lines[0] == ";".join(expected.columns)
    import csv

    parsed = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    first = dict(zip(expected.columns, parsed[1], strict=True))
    want = expected.row(0, named=True)
    assert first["se"] == repr(want["se"]).replace(".", ",")
    assert "." not in first["skalapoeng"] and "," in first["skalapoeng"]
    back = pl.read_csv(io.StringIO(text.replace(",", ".")), separator=";", schema=expected.schema)
    assert back.equals(expected)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--ut", "x.xlsx", "--format", "csv"], "passer ikke formatet «csv»"),
        (["--ut", "x.csv", "--format", "xlsx"], "passer ikke formatet «xlsx»"),
        (["--ut", "x.txt"], "kjenner ikke formatet"),
        (["--ut", "utdata"], "uten filendelse"),
        (["--ut", "x.csv", "--format", "tabell"], "for skjermen"),
        (["--format", "excel"], "ukjent format"),
    ],
)
def test_out_file_suffix_must_match_the_format(
    sample: Settings, tmp_path: Path, args: list[str], message: str
) -> None:
    fixed = [str(tmp_path / a) if a.startswith(("x.", "utdata")) else a for a in args]
    result = run_cli("--db", str(sample.db_path), "skoler", *fixed)
    assert result.code == 2, result.stderr
    assert message in result.stderr
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == []


def test_xlsx_suffix_alone_writes_a_workbook(sample: Settings, tmp_path: Path) -> None:
    out = tmp_path / "skoler.xlsx"
    result = run_cli("--db", str(sample.db_path), "skoler", "--ut", str(out))
    assert result.code == 0, result.stderr
    assert zipfile.is_zipfile(out)
    assert "xl/worksheets/sheet1.xml" in zipfile.ZipFile(out).namelist()


# -- tables in a terminal ----------------------------------------------------------------------

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class _Terminal(io.TextIOWrapper):
    def isatty(self) -> bool:
        return True


def _run_in_terminal(monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str, str]:
    from tallkit.cli import main

    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("TERM", "xterm-256color")
    raw = io.BytesIO()
    out = _Terminal(raw, encoding="utf-8", write_through=True)
    err = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    code = main(list(args))
    monkeypatch.undo()
    return code, _ANSI.sub("", raw.getvalue().decode("utf-8")), err.getvalue()


TABLE_COMMANDS = [
    (["skoler"], "skoler", lambda s: api.skoler(settings=s)),
    *[
        (["status", "--del", p], f"status.{p}", lambda s, p=p: api.status(p, settings=s)[p])
        for p in ("kilder", "dekning", "hull")
    ],
    *[
        ([m, "--del", p], f"{m}.{p}", lambda s, m=m, p=p: getattr(api, m)(p, settings=s))
        for m, parts in (
            ("fag", ("prover", "profil", "sammenheng", "indikatorer")),
            ("variasjon", ("skoler", "spredning", "grupper", "dekomponering")),
            ("progresjon", ("kull", "elever", "verdiskaping", "trend")),
        )
        for p in parts
    ],
    (["sql", "--liste"], None, lambda s: api.query_list(settings=s)),
    (
        ["sql", "select * from nasjonale_prover order by all limit 40"],
        None,
        lambda s: api.sql("select * from nasjonale_prover order by all limit 40", settings=s),
    ),
]


@pytest.mark.parametrize(
    ("args", "view", "library"), TABLE_COMMANDS, ids=[" ".join(c[0])[:40] for c in TABLE_COMMANDS]
)
def test_every_table_fits_80_columns_without_splitting_words(
    sample: Settings,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    view: str | None,
    library: object,
) -> None:
    code, out, err = _run_in_terminal(monkeypatch, "--db", str(sample.db_path), *args)
    assert code == 0, err
    assert err == ""
    lines = out.splitlines()
    assert lines, "no output"
    too_wide = [line for line in lines if len(line) > 80]
    assert not too_wide, too_wide[:3]
    frame = library(sample)  # type: ignore[operator]
    cells = display.shown(frame, view)
    printed = set(re.split(r"\s+", out))
    words = {
        w
        for text in [*cells.headers, *(c for r in cells.rows for c in r)]
        for w in re.split(r"\s+", text)
        if w
    }
    assert words, "nothing to show"
    assert words <= printed, sorted(words - printed)[:5]
    assert "_" not in " ".join(cells.headers) or view is None


def test_terminal_shows_rounded_norwegian_numbers_and_all_columns_on_request(
    sample: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, out, _ = _run_in_terminal(monkeypatch, "--db", str(sample.db_path), "variasjon")
    assert {"Mot", "kommunen", "Rang"} <= set(out.split()) and "forskjell_lav" not in out
    assert not re.search(r"\d\.\d", out)  # decimal comma
    assert not re.search(r",\d{3,}", out)  # rounded
    _, full, _ = _run_in_terminal(
        monkeypatch, "--db", str(sample.db_path), "variasjon", "--alle-kolonner"
    )
    assert {"Standardfeil", "krympet_lav"} <= set(full.split())


def test_piped_output_keeps_every_column_and_full_precision(sample: Settings) -> None:
    result = run_cli("--db", str(sample.db_path), "variasjon")
    expected = api.variasjon(settings=sample)
    back = pl.read_csv(io.StringIO(result.stdout), schema=expected.schema)
    assert back.equals(expected)


def test_terminal_widths_keep_cells_whole_before_headers() -> None:
    # 80 columns, as the Læringsspeil's analyst reads «variasjon --skole»: the school names fit
    # on one line when only the header «Mot kommunen» wraps (one line once, not one per row)
    shown = display.Shown(
        ["Skoleår", "Trinn", "Prøve", "Skole", "Elever", "Poeng", "Mot kommunen", "Rang"],
        [["2022-23", "5", "engelsk", "Solåsen skole", "21", "55,0", "6,0 ↑", "1–12"]] * 15,
        [False, True, False, False, True, True, True, True],
    )
    widths = display.fit_widths(shown, 79)
    assert widths[3] >= len("Solåsen skole")
    assert sum(widths) + display.GAP * (len(widths) - 1) <= 79
    # the room came from the header: «Mot kommunen» wraps to «Mot / kommunen» instead
    assert display.min_widths(shown)[6] <= widths[6] < len("Mot kommunen")
