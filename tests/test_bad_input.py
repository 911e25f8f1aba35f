"""Bad input: one Norwegian line on stderr naming file (line, column), the documented exit code,
the database exactly as it was, and never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import NP_5_2025, NP_U_2025, Result, db_fingerprint, run_cli
from tallkit import api
from tallkit.config import Settings
from tests_support import utf16_lines, write_utf16


def _assert_refused(result: Result, code: int, *fragments: str) -> None:
    assert result.code == code, (result.code, result.stderr)
    errors = [line for line in result.stderr.splitlines() if line.startswith("tallkit: feil:")]
    assert len(errors) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in errors[0], (fragment, errors[0])


@pytest.fixture
def existing(settings: Settings) -> tuple[Path, str]:
    """A database that already holds one export: every refusal must leave it as it was."""
    api.ingest([NP_U_2025], settings=settings)
    return settings.db_path, db_fingerprint(settings.db_path)


def _ingest(db: Path, *paths: Path | str) -> Result:
    return run_cli("--db", str(db), "ingest", *[str(p) for p in paths])


def test_wrong_encoding(existing: tuple[Path, str], tmp_path: Path) -> None:
    db, before = existing
    bad = tmp_path / "feil_tegnsett.json"
    bad.write_bytes(b'[{"Skoleaarnavn": "2025-26", "EnhetNavn": "Skole \xff\xfe"}]')
    _assert_refused(_ingest(db, bad), 1, str(bad), "UTF-8")
    assert db_fingerprint(db) == before


def test_truncated_utf16_file(existing: tuple[Path, str], tmp_path: Path) -> None:
    db, before = existing
    data = NP_5_2025.read_bytes()
    cut = tmp_path / "avkortet.csv"
    cut.write_bytes(data[: len(data) // 2 + 1])  # an odd byte count: cut mid-character
    _assert_refused(_ingest(db, cut), 1, str(cut), "avkortet")
    assert db_fingerprint(db) == before


def test_truncated_mid_row(existing: tuple[Path, str], tmp_path: Path) -> None:
    db, before = existing
    lines = utf16_lines(NP_5_2025)
    last = lines[40].split("\t")
    cut = write_utf16(tmp_path / "midt_i_rad.csv", [*lines[:40], "\t".join(last[:12])])
    _assert_refused(_ingest(db, cut), 1, str(cut), "linje 41", "avkortet")
    assert db_fingerprint(db) == before


def test_row_with_too_few_fields(existing: tuple[Path, str], tmp_path: Path) -> None:
    db, before = existing
    lines = utf16_lines(NP_5_2025)
    lines[10] = "\t".join(lines[10].split("\t")[:-3])
    bad = write_utf16(tmp_path / "for_faa_felt.csv", lines)
    _assert_refused(_ingest(db, bad), 1, str(bad), "linje 11", "15 felt", "18")
    assert db_fingerprint(db) == before


def test_header_with_unknown_parts(existing: tuple[Path, str], tmp_path: Path) -> None:
    db, before = existing
    lines = utf16_lines(NP_5_2025)
    lines[1] = lines[1].replace("2025-26.Lesing.5. årstrinn", "2025-26.Lessing.5. årstrinn", 1)
    bad = write_utf16(tmp_path / "ukjent_overskrift.csv", lines)
    _assert_refused(_ingest(db, bad), 1, str(bad), "linje 1", "Lessing")
    assert db_fingerprint(db) == before


def test_non_number_where_a_number_belongs(existing: tuple[Path, str], tmp_path: Path) -> None:
    db, before = existing
    lines = utf16_lines(NP_5_2025)
    fields = lines[5].split("\t")
    fields[12] = "førtisju"
    lines[5] = "\t".join(fields)
    bad = write_utf16(tmp_path / "ikke_tall.csv", lines)
    header = lines[1].split("\t")[12]
    _assert_refused(_ingest(db, bad), 1, str(bad), "linje 6", header, "førtisju")
    assert db_fingerprint(db) == before


def test_empty_file(existing: tuple[Path, str], tmp_path: Path) -> None:
    db, before = existing
    empty = tmp_path / "tom.csv"
    empty.write_bytes(b"")
    _assert_refused(_ingest(db, empty), 1, str(empty), "tom")
    assert db_fingerprint(db) == before


def test_directory_with_no_exports(existing: tuple[Path, str], tmp_path: Path) -> None:
    db, before = existing
    folder = tmp_path / "tom_mappe"
    folder.mkdir()
    (folder / "notat.pdf").write_bytes(b"%PDF-1.4")
    _assert_refused(_ingest(db, folder), 1, str(folder), "ingen eksportfiler")
    (folder / "handleliste.csv").write_text("vare;antall\nmelk;2\n", encoding="utf-8")
    _assert_refused(_ingest(db, folder), 1, "ingen filer som tallkit kjenner")
    assert db_fingerprint(db) == before


def _pupil_file(path: Path, line: int, replacement: str) -> Path:
    """Twenty valid plain-layout rows, with file line ``line`` replaced."""
    rows = ["elev;orgnr;skoleaar;prove;deltatt;skalapoeng;mestringsnivaa;gruppe;avgiverskole"]
    rows += [f"E{n};999000001;2025-26;NPLES08;D;{40 + n};2;8A;" for n in range(20)]
    rows[line - 1] = replacement
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_non_number_in_pupil_file_names_line_and_column(
    existing: tuple[Path, str], tmp_path: Path
) -> None:
    db, before = existing
    bad = _pupil_file(tmp_path / "elever.csv", 16, "E14;999000001;2025-26;NPLES08;D;fire;2;8A;")
    result = _ingest(db, bad)
    _assert_refused(
        result, 1, str(bad), "linje 16", "skalapoeng", "ventet et tall fra 0 til 150", "1 rad har"
    )
    # the value itself is never shown: in a pupil file it may be a pupil id (swapped columns)
    assert "fire" not in result.stderr
    assert db_fingerprint(db) == before


def test_pupil_file_with_too_few_fields(existing: tuple[Path, str], tmp_path: Path) -> None:
    db, before = existing
    bad = _pupil_file(tmp_path / "elever_kort.csv", 8, "E6;999000001;2025-26")
    _assert_refused(_ingest(db, bad), 1, str(bad), "linje 8", "antall felt")
    assert db_fingerprint(db) == before


def test_good_files_go_in_while_a_bad_one_is_refused(settings: Settings, tmp_path: Path) -> None:
    empty = tmp_path / "tom.csv"
    empty.write_bytes(b"")
    result = _ingest(settings.db_path, NP_5_2025, empty)
    assert result.code == 1
    assert "innlest" in result.stderr and "1 feil" in result.stderr
    assert api.sql("select count(*) as n from kilde", settings=settings)["n"][0] == 1


def test_locked_database(existing: tuple[Path, str]) -> None:
    db, before = existing
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('klar', flush=True); sys.stdin.read()",
            str(db),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "klar"
        _assert_refused(_ingest(db, NP_5_2025), 3, str(db), "låst")
    finally:
        holder.communicate("")
    assert db_fingerprint(db) == before


def test_corrupt_database(tmp_path: Path) -> None:
    db = tmp_path / "ødelagt.duckdb"
    db.write_bytes(b"dette er ingen database" * 100)
    _assert_refused(_ingest(db, NP_5_2025), 3, str(db))


def test_missing_path_is_a_usage_error(settings: Settings, tmp_path: Path) -> None:
    _assert_refused(_ingest(settings.db_path, tmp_path / "finnes_ikke.csv"), 2, "finnes ikke")


def test_failed_query_is_a_database_error_and_debug_adds_the_traceback(
    existing: tuple[Path, str],
) -> None:
    db, _ = existing
    plain = run_cli("--db", str(db), "sql", "select * from finnes_ikke")
    _assert_refused(plain, 3, "finnes_ikke")
    debug = run_cli("--debug", "--db", str(db), "sql", "select * from finnes_ikke")
    assert debug.code == 3
    assert "Traceback" in debug.stderr


def test_pupil_row_without_id_is_refused_not_dropped(
    existing: tuple[Path, str], tmp_path: Path
) -> None:
    db, before = existing
    bad = _pupil_file(tmp_path / "uten_id.csv", 10, ";999000001;2025-26;NPLES08;D;44;2;8A;")
    _assert_refused(_ingest(db, bad), 1, str(bad), "linje 10", "«elev»", "mangler")
    assert db_fingerprint(db) == before
