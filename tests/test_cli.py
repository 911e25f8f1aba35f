"""The CLI's promises: data on stdout, talk on stderr, formats equal the library, docs complete."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest

from conftest import NP_5_2025, NP_U_2025, ROOT, SAMPLE_DATA, db_fingerprint, raw_query, run_cli
from tallkit import api
from tallkit.config import Settings
from tallkit.store import PUBLIC_VIEWS


@pytest.fixture
def filled(settings: Settings) -> Settings:
    api.ingest([NP_5_2025, NP_U_2025], settings=settings)
    return settings


@pytest.mark.parametrize(
    ("args", "library"),
    [
        (["skoler"], lambda s: api.skoler(settings=s)),
        (["status", "--del", "dekning"], lambda s: api.status("dekning", settings=s)["dekning"]),
        (
            ["sql", "--navn", "np_skole", "--skole", "Asdal"],
            lambda s: api.named_query("np_skole", {"skole": "975280888"}, settings=s),
        ),
        (
            ["sql", "select * from enhet order by enhet_id"],
            lambda s: api.sql("select * from enhet order by enhet_id", settings=s),
        ),
    ],
)
def test_json_output_equals_the_library_call(
    filled: Settings, args: list[str], library: object
) -> None:
    result = run_cli("--db", str(filled.db_path), *args, "--format", "json")
    assert result.code == 0, result.stderr
    expected = json.loads(library(filled).write_json())  # type: ignore[operator]
    assert json.loads(result.stdout) == expected
    assert expected  # the comparison is about real rows


def test_csv_is_the_default_when_piped_and_stdout_holds_only_data(filled: Settings) -> None:
    result = run_cli("--db", str(filled.db_path), "skoler")
    assert result.code == 0
    frame = pl.read_csv(io.StringIO(result.stdout))
    assert frame.columns[:3] == ["orgnr", "navn", "kommunenr"]
    assert frame.height == api.skoler(settings=filled).height
    assert result.stderr == ""


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet", "md"])
def test_every_file_format_round_trips(filled: Settings, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"skoler.{fmt}"
    result = run_cli("--db", str(filled.db_path), "skoler", "--format", fmt, "--ut", str(out))
    assert result.code == 0, result.stderr
    expected = api.skoler(settings=filled)
    if fmt == "csv":
        back = pl.read_csv(out, schema=expected.schema)
    elif fmt == "jsonl":
        back = pl.read_ndjson(out, schema=expected.schema)
    elif fmt == "parquet":
        back = pl.read_parquet(out)
    else:
        lines = out.read_text(encoding="utf-8").splitlines()
        assert lines[0].startswith("| orgnr | navn |")
        assert len(lines) == expected.height + 2
        return
    assert back.equals(expected)


def test_markdown_cells_escape_pipes_and_newlines() -> None:
    from tallkit.output import markdown_table

    table = markdown_table(pl.DataFrame({"navn": ["A|B\nC"]}))
    assert table.splitlines()[2] == "| A\\|B C |"


def test_sql_is_read_only(filled: Settings) -> None:
    before = db_fingerprint(filled.db_path)
    result = run_cli("--db", str(filled.db_path), "sql", "delete from lager.maal")
    assert result.code == 2, result.stderr  # only SELECT: a usage error
    assert "bare lese (SELECT)" in result.stderr
    assert db_fingerprint(filled.db_path) == before


def test_sql_parameters_and_missing_ones(filled: Settings) -> None:
    ok = run_cli(
        "--db",
        str(filled.db_path),
        "sql",
        "select navn from enhet where enhet_id = $id",
        "--param",
        "id=4203",
        "-f",
        "json",
    )
    assert json.loads(ok.stdout) == [{"navn": "Arendal"}]
    missing = run_cli(
        "--db", str(filled.db_path), "sql", "select * from enhet where enhet_id = $id"
    )
    assert missing.code == 2 and "«id»" in missing.stderr


def test_ambiguous_school_lists_candidates(filled: Settings) -> None:
    result = run_cli(
        "--db", str(filled.db_path), "sql", "--navn", "np_skole", "--skole", "  birke "
    )
    assert result.code == 2
    assert re.search(r"passer på \d+ skoler", result.stderr)
    assert "Birkenlund skole (975283003)" in result.stderr
    exact = run_cli(
        "--db",
        str(filled.db_path),
        "sql",
        "--navn",
        "np_skole",
        "--skole",
        "ASDAL SKOLE",
        "-f",
        "json",
    )
    assert exact.code == 0 and json.loads(exact.stdout)
    unknown = run_cli(
        "--db", str(filled.db_path), "sql", "--navn", "np_skole", "--skole", "Hogwarts"
    )
    assert unknown.code == 2 and "fant ingen skole" in unknown.stderr


def test_unknown_option_and_command_are_usage_errors() -> None:
    assert run_cli("skoler", "--farge").code == 2
    result = run_cli("tryll")
    assert result.code == 2 and "ukjent kommando" in result.stderr


def test_status_json_holds_all_parts(filled: Settings) -> None:
    result = run_cli("--db", str(filled.db_path), "status", "--format", "json")
    assert set(json.loads(result.stdout)) == {"kilder", "dekning", "hull"}


def test_status_in_a_pipe_writes_every_part_as_markdown(filled: Settings) -> None:
    # `tallkit status | less`: CSV holds one table, so the pipe's default gives way to Markdown
    result = run_cli("--db", str(filled.db_path), "status")
    assert result.code == 0, result.stderr
    headings = re.findall(r"^## (\w+)$", result.stdout, re.M)
    assert headings == ["kilder", "dekning", "hull"]
    assert "| kilde\\_id | filnavn |" in result.stdout
    # asked for CSV by name: one table only, and the line says how to get the rest
    asked = run_cli("--db", str(filled.db_path), "status", "--format", "csv")
    assert asked.code == 2 and "--del" in asked.stderr and asked.stdout == ""


def test_every_command_and_view_is_in_the_readme() -> None:
    from typer.main import get_command

    from tallkit.cli import app

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = sorted(get_command(app).commands)  # type: ignore[attr-defined]
    assert commands == [
        "fag",
        "ingest",
        "konfig",
        "progresjon",
        "rapport",
        "skoler",
        "speil",
        "sql",
        "status",
        "variasjon",
    ]
    for name in commands:
        assert re.search(rf"tallkit {name}\b", readme), name
    for view in PUBLIC_VIEWS:
        assert f"`{view}`" in readme, view
    for code in ("0", "1", "2", "3", "4", "130"):
        assert re.search(rf"^\|\s*{code}\s*\|", readme, re.M), code


def test_import_tallkit_does_not_import_the_cli_stack() -> None:
    code = "import sys, tallkit; print(sorted(m for m in ('typer', 'rich', 'duckdb', 'polars') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_help_is_norwegian_and_fast_to_import() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from tallkit.cli import main; sys.exit(main(['--help']))",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert (
        "Les eksportfiler inn i databasen" in result.stdout
        or "Fra tall til tiltak" in result.stdout
    )
    probe = (
        "import sys; import tallkit.cli; print('duckdb' in sys.modules, 'polars' in sys.modules)"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "False False"


def test_sample_data_ingests_in_one_command_and_twice_is_identical(settings: Settings) -> None:
    first = run_cli("--db", str(settings.db_path), "ingest", str(SAMPLE_DATA))
    assert first.code == 0, first.stderr
    before = db_fingerprint(settings.db_path)
    second = run_cli("--db", str(settings.db_path), "ingest", str(SAMPLE_DATA))
    assert second.code == 0
    assert "uendret" in second.stderr
    assert db_fingerprint(settings.db_path) == before
    views = {
        v: raw_query(settings.db_path, f"select count(*) from {v}")[0][0] for v in PUBLIC_VIEWS
    }
    assert all(n > 0 for n in views.values()), views


def test_sample_data_generator_is_deterministic(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(SAMPLE_DATA / "generate.py"), "--ut", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    generated = sorted(p.name for p in tmp_path.iterdir() if p.is_file())
    assert generated
    for name in generated:
        assert (tmp_path / name).read_bytes() == (SAMPLE_DATA / name).read_bytes(), name


def test_library_functions_are_not_shadowed_by_submodules() -> None:
    code = (
        "import tallkit, tallkit.api, tallkit.ingestion; "
        "print(all(callable(getattr(tallkit, n)) for n in tallkit.__all__ if n != '__version__'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


def test_a_database_from_an_older_tallkit_says_how_to_update_its_views(
    settings: Settings, tmp_path: Path
) -> None:
    api.ingest([NP_5_2025], settings=settings)
    con = duckdb.connect(str(settings.db_path))
    con.execute("drop view elevresultat_skole")  # as a database made before the view existed
    con.close()
    result = run_cli("--db", str(settings.db_path), "skoler")
    assert result.code == 3 and result.stderr.count("\n") == 1
    assert "eldre tallkit" in result.stderr and "tallkit ingest" in result.stderr
    api.ingest([NP_5_2025], settings=settings)  # the same file again: views recreated
    assert run_cli("--db", str(settings.db_path), "skoler").code == 0


def test_a_name_that_fits_many_schools_says_how_many(sample: Settings) -> None:
    # «skole» fits 19 schools of the sample kommune: ten are named, and the rest counted
    result = run_cli("--db", str(sample.db_path), "speil", "--skole", "skole")
    assert result.code == 2
    line = result.stderr.strip()
    assert "passer på 19 skoler" in line and "(og 9 til)" in line, line
