"""The CLI speaks Norwegian: help, usage, errors, suggestions and what to do next."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import NP_5_2025, SAMPLE_DATA, run_cli
from tallkit import __version__
from tallkit.config import Settings

COMMANDS = ["ingest", "status", "skoler", "sql", "progresjon", "fag", "variasjon", "speil"]
# Click's and Typer's own English words: none may reach a user.
ENGLISH = re.compile(
    r"Usage|Options|Arguments|Commands|Show this|message and exit|default:|required|"
    r"env var|\bOPTIONS\b|\bCOMMAND\b|\bARGS\b|<\w+(\[\w+\])?>|\bTEXT\b|\bINTEGER\b|\bPATH\b|"
    r"completion for|\bInstall\b|Show completion"
)


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_of_every_command_has_no_english_from_click(command: str | None) -> None:
    args = ["--help"] if command is None else [command, "--help"]
    result = run_cli(*args)
    assert result.code == 0, result.stderr
    assert result.stdout.startswith("Bruk: tallkit")
    assert "Valg:" in result.stdout
    assert "Vis denne hjelpen og avslutt." in result.stdout
    found = [m.group(0) for m in ENGLISH.finditer(result.stdout)]
    assert not found, found


def test_defaults_and_required_arguments_are_said_in_norwegian() -> None:
    speil = run_cli("speil", "--help").stdout
    assert re.search(r"\[standard:\s+laeringsspeil\]", speil)
    ingest = run_cli("ingest", "--help").stdout
    assert "[påkrevd]" in ingest and "Argumenter:" in ingest


def test_version_and_shell_completion() -> None:
    result = run_cli("--version")
    assert (result.code, result.stdout, result.stderr) == (0, f"tallkit {__version__}\n", "")
    top = run_cli("--help").stdout
    assert "--install-completion" in top and "tab-fullføring" in top


def test_bare_tallkit_shows_norwegian_help_on_stderr() -> None:
    result = run_cli()
    assert result.code == 2
    assert result.stderr.startswith("Bruk: tallkit") and result.stdout == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["fag", "--trinn", "x"], "ugyldig verdi for --trinn: må være et heltall."),
        (["fag", "--aar"], "valget «--aar» trenger en verdi."),
        (["skoler", "ekstra"], "uventet ekstra argument «ekstra»."),
    ],
)
def test_click_usage_errors_are_one_norwegian_line(args: list[str], message: str) -> None:
    result = run_cli(*args)
    assert result.code == 2
    assert result.stderr == f"tallkit: feil: {message} Se «tallkit --help».\n"


@pytest.mark.parametrize(
    ("wrong", "right"),
    [
        ("Solaasen", "«Solåsen skole» (996566048)"),
        ("Solasen", "«Solåsen skole» (996566048)"),
        ("Bjorkaas skole", "«Bjørkås skole» (997094069)"),
        ("Fjellstolen", "«Fjellstølen skole» (997200691)"),
        ("Bjørkås skule", "«Bjørkås skole» (997094069)"),
    ],
)
def test_misspelled_school_suggests_the_right_one(sample: Settings, wrong: str, right: str) -> None:
    result = run_cli("--db", str(sample.db_path), "fag", "--skole", wrong)
    assert result.code == 2
    assert result.stdout == ""
    assert f"fant ingen skole som heter «{wrong}». Mente du {right}?" in result.stderr
    assert result.stderr.count("\n") == 1


def test_unknown_school_without_anything_close_gets_no_guess(sample: Settings) -> None:
    result = run_cli("--db", str(sample.db_path), "fag", "--skole", "Hogwarts")
    assert result.code == 2 and "Mente du" not in result.stderr


@pytest.mark.parametrize("year", ["2019-20", "2026", "2021-2022"])
@pytest.mark.parametrize("command", ["fag", "variasjon", "progresjon", "speil --alle"])
def test_unknown_year_is_a_usage_error_listing_the_years(
    sample: Settings, year: str, command: str
) -> None:
    result = run_cli("--db", str(sample.db_path), *command.split(), "--aar", year)
    assert result.code == 2, result.stderr
    assert "ukjent skoleår" in result.stderr
    assert "Databasen har: 2022-23, 2023-24, 2024-25, 2025-26, 2026-27." in result.stderr
    assert result.stdout == ""


def test_long_year_form_is_accepted(sample: Settings) -> None:
    short = run_cli("--db", str(sample.db_path), "fag", "--aar", "2025-26", "-f", "csv")
    long = run_cli("--db", str(sample.db_path), "fag", "--aar", "2025-2026", "-f", "csv")
    assert short.code == long.code == 0
    assert short.stdout == long.stdout and short.stdout.count("\n") > 1


@pytest.mark.parametrize("command", ["skoler", "fag", "variasjon", "speil --alle"])
def test_unknown_kommune_is_a_usage_error_listing_the_kommuner(
    sample: Settings, command: str
) -> None:
    result = run_cli("--db", str(sample.db_path), *command.split(), "--kommune", "0301")
    assert result.code == 2, result.stderr
    assert "ukjent kommune «0301» (--kommune). Databasen har: 9901 Fjordvik." in result.stderr


def test_kommune_by_name(sample: Settings) -> None:
    by_name = run_cli("--db", str(sample.db_path), "skoler", "--kommune", "fjordvik", "-f", "csv")
    by_number = run_cli("--db", str(sample.db_path), "skoler", "--kommune", "9901", "-f", "csv")
    assert by_name.code == 0 and by_name.stdout == by_number.stdout


def test_sql_errors_are_one_norwegian_line_and_detail_under_debug(sample: Settings) -> None:
    result = run_cli("--db", str(sample.db_path), "sql", "select * from elever")
    assert result.code == 3
    assert result.stderr.count("\n") == 1
    assert "finner ingen tabell eller visning «elever»" in result.stderr
    assert "Catalog Error" not in result.stderr
    syntax = run_cli("--db", str(sample.db_path), "sql", "selct 1")
    assert "syntaksfeil ved «selct»" in syntax.stderr and syntax.code == 3
    column = run_cli("--db", str(sample.db_path), "sql", "select nope from enhet")
    assert "ukjent kolonne «nope»" in column.stderr
    debug = run_cli("--db", str(sample.db_path), "--debug", "sql", "select * from elever")
    assert "Catalog Error" in debug.stderr and debug.code == 3


def test_folder_scan_skips_every_non_export_with_one_line(
    settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "nedlastinger"
    folder.mkdir()
    (folder / NP_5_2025.name).write_bytes(NP_5_2025.read_bytes())
    (folder / "notat.txt").write_text("Husk å laste ned 2024-25 også\n", encoding="utf-8")
    (folder / "tom.csv").write_text("", encoding="utf-8")
    (folder / "rapport.pdf").write_bytes(b"%PDF-1.4")
    (folder / "eksport.xlsx").write_bytes(b"PK\x03\x04")
    result = run_cli("--db", str(settings.db_path), "ingest", str(folder))
    assert result.code == 0, result.stderr
    assert "feil" not in result.stderr
    lines = result.stderr.splitlines()
    skipped = [line for line in lines if line.startswith("hoppet over")]
    assert skipped == [
        "hoppet over 4 filer som ikke er eksporter: eksport.xlsx, notat.txt, rapport.pdf, tom.csv."
    ]
    again = run_cli("--db", str(settings.db_path), "ingest", str(folder / NP_5_2025.name))
    assert "1 fil behandlet: 1 uendret." in again.stderr.splitlines()  # not «1 filer»
    assert lines[-1].startswith(f"Databasen er {settings.db_path}. Neste steg: «tallkit skoler»")
    named = run_cli("--db", str(settings.db_path), "ingest", str(folder / "notat.txt"))
    assert named.code == 1 and "notat.txt" in named.stderr


def test_speil_says_what_it_wrote_and_what_to_do_next(sample: Settings, tmp_path: Path) -> None:
    out = tmp_path / "speil"
    result = run_cli(
        "--db",
        str(sample.db_path),
        "speil",
        "--skole",
        "Solåsen",
        "--ut",
        str(out),
        "--dato",
        "2026-01-15",
    )
    assert result.code == 0, result.stderr
    html = next(out.glob("*.html"))
    # Markdown, HTML and the JSON twin (the SVG files beside the Markdown are not counted)
    assert result.stderr.splitlines()[-1] == (
        f"3 filer skrevet til {out} (2026-27). Neste steg: åpne {html} i en nettleser, "
        "eller send HTML-filen til skolen."
    )
    assert result.stdout == ""
    one = run_cli(
        "--db", str(sample.db_path), "rapport", "--kommune", "9901", "--format", "html",
        "--ut", str(out / "rapport"),
    )  # fmt: skip
    assert one.code == 0, one.stderr
    assert one.stderr.splitlines()[-1].startswith("1 fil skrevet til ")  # not «1 filer»


def test_sql_list_is_in_norwegian(sample: Settings) -> None:
    import json

    result = run_cli("--db", str(sample.db_path), "sql", "--liste", "-f", "json")
    rows = json.loads(result.stdout)
    assert {r["navn"] for r in rows} >= {"skoler", "np_skole", "hull"}
    for row in rows:
        assert not re.search(r"\b(the|and|with|per view|Schools)\b", row["beskrivelse"]), row
        assert "->" not in row["beskrivelse"]
    assert SAMPLE_DATA.exists()


def test_status_hull_points_at_an_export_without_usikkerhet(
    settings: Settings, tmp_path: Path
) -> None:
    from tests_support import utf16_lines, write_utf16

    lines = utf16_lines(NP_5_2025)
    sep, header = lines[0], lines[1].split("\t")
    keep = [i for i, name in enumerate(header) if not name.endswith(".Usikkerhet")]
    assert len(keep) < len(header)
    rows = ["\t".join(row.split("\t")[i] for i in keep) for row in lines[1:]]
    stripped = write_utf16(tmp_path / "uten_usikkerhet.csv", [sep, *rows])
    assert run_cli("--db", str(settings.db_path), "ingest", str(stripped)).code == 0
    result = run_cli("--db", str(settings.db_path), "status", "--del", "hull", "-f", "json")
    import json

    rows_out = json.loads(result.stdout)
    gaps = [r["detalj"] for r in rows_out if r["type"] == "mangler usikkerhet"]
    assert gaps == [
        "nasjonale prøver 2025-26: ingen «Usikkerhet» i eksporten. Last ned på nytt med målet "
        "«Usikkerhet» krysset av (README: «Få tak i dataene»)"
    ]
    kinds = {r["detalj"].split(":")[0] for r in rows_out if r["type"] == "mangler eksport"}
    assert kinds == {"ingen grunnskolepoeng", "ingen Elevundersøkelsen", "ingen elevresultater"}


def test_an_interval_with_a_negative_end_is_written_with_til_not_a_dash() -> None:
    from tallkit import norsk

    minus = norsk.MINUS
    assert norsk.interval(47.0, 59.0) == "47–59"
    assert norsk.interval(50.2, 57.8) == "50,2–57,8"
    assert norsk.interval(-11.6, -0.9) == f"{minus}11,6 til {minus}0,9"
    assert norsk.interval(-2.5, 3.0) == f"{minus}2,5 til 3"
    assert norsk.interval(-0.04, 4.9) == "0–4,9"  # the sign as written, not as stored
    assert norsk.interval(None, 3.0) is None and norsk.interval(1.0, None) is None


def test_fixed_decimals_write_a_whole_index_as_udir_does() -> None:
    from tallkit import norsk

    minus, nbsp = norsk.MINUS, norsk.NBSP
    assert norsk.number(4.0) == "4"  # scale points: whole numbers stay whole
    assert norsk.number(4.0, 1, fixed=True) == "4,0"
    assert norsk.number(0.0, 1, fixed=True) == "0,0"
    assert norsk.number(4.25, 1, fixed=True) == "4,2"  # as Python rounds the binary value
    assert norsk.number(-0.04, 1, fixed=True) == "0,0"  # no «−0,0»
    assert norsk.number(-3.0, 1, fixed=True) == f"{minus}3,0"
    assert norsk.number(1234.5, 1, fixed=True) == f"1{nbsp}234,5"
    assert norsk.number(21, 1, fixed=True) == "21"  # a count stays a count
    assert norsk.number(None, 1, fixed=True) == "–"
    # computed means (pupil-data changes, value added): every cell with one decimal
    assert norsk.signed(6.0, 1) == "+6,0" and norsk.signed(6.0) == "+6"
    assert norsk.signed(0.04, 1) == "0,0" and norsk.signed(-2.0, 1) == f"{minus}2,0"
    assert norsk.interval(-0.5, 5.0, 1) == f"{minus}0,5 til 5,0"
    assert norsk.interval(-0.04, 4.9, 1) == "0,0–4,9"
    assert norsk.interval(-11.0, -2.8, 1) == f"{minus}11,0 til {minus}2,8"


def test_survey_indices_in_the_laeringsspeil_have_one_decimal(
    sample: Settings, tmp_path: Path
) -> None:
    # «4» beside «4,2» in a column of indices reads as a different kind of number
    from tallkit import api

    out = tmp_path / "speil"
    api.speil(["Solåsen"], ut=out, settings=sample, formats=("md",))
    text = next(out.glob("*.md")).read_text(encoding="utf-8")
    history = text.split("Utvikling over år", 1)[1].split("\n\n", 2)[1]
    rows = [line for line in history.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) > 3
    for line in rows[1:]:  # below the header: every year's cell a number with one decimal, or «–»
        cells = [c.strip() for c in line.strip("|").split("|")][3:]
        assert all(re.fullmatch(r"−?\d+,\d|–", c) for c in cells), line
