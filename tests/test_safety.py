"""Safe by construction (issue 9): fødselsnummer never in clear, a contained «tallkit sql»,
plausible values only, bounded resources, one verdict per file, file modes, one-line messages,
safe report names, inert Markdown, one snapshot per «speil» run."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import stat
import subprocess
import sys
import tracemalloc
from pathlib import Path

import duckdb
import pytest

from conftest import NP_5_2025, NP_U_2025, REAL, Result, db_fingerprint, raw_query, run_cli
from tallkit import api
from tallkit.config import Settings
from test_ingest import make_fnr, pupil_file
from tests_support import utf16_lines, write_utf16

FNR = make_fnr(4242)
VARIANTS = (FNR, f"{FNR[:6]} {FNR[6:]}", f"{FNR[:6]}-{FNR[6:]}")
PLAIN_HEADER = "elev;orgnr;skoleaar;prove;deltatt;skalapoeng;mestringsnivaa;gruppe;avgiverskole"


def _errors(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("tallkit: feil:")]


def _one_norwegian_line(result: Result, *codes: int) -> str:
    assert result.code in codes, (result.code, result.stderr)
    assert "Traceback" not in result.stderr
    errors = _errors(result)
    assert len(errors) == 1, result.stderr
    return errors[0]


def _all_bytes(db: Path) -> bytes:
    """The database file and its side files, checkpointed: what a thief of the folder gets."""
    if db.exists():
        con = duckdb.connect(str(db))
        con.execute("checkpoint")
        con.close()
    return b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*") if p.is_file())


def _no_fnr_in(*texts: str | bytes) -> None:
    for text in texts:
        data = text if isinstance(text, bytes) else text.encode()
        for variant in VARIANTS:
            assert variant.encode() not in data
            assert variant.encode("utf-16-le") not in data


def _plain_rows(n: int = 12, **override: str) -> list[str]:
    rows = [PLAIN_HEADER]
    for i in range(n):
        values = {
            "elev": f"E{i}",
            "orgnr": "999000001",
            "skoleaar": "2025-26",
            "prove": "NPLES08",
            "deltatt": "D",
            "skalapoeng": str(40 + i),
            "mestringsnivaa": str(1 + i % 5),
            "gruppe": "8A",
            "avgiverskole": "999000009",
        }
        if i == 5:
            values.update(override)
        rows.append(";".join(values.values()))
    return rows


# -- 1. fødselsnummer -----------------------------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize(
    "column",
    ["orgnr", "gruppe", "avgiverskole", "skoleaar", "prove", "deltatt", "skalapoeng"],
)
def test_fodselsnummer_outside_the_id_column_refuses_the_file_without_echo(
    settings: Settings, tmp_path: Path, column: str, variant: str
) -> None:
    api.ingest([NP_5_2025], settings=settings)
    before = db_fingerprint(settings.db_path)
    path = tmp_path / "elever.csv"
    path.write_text("\n".join(_plain_rows(**{column: variant})) + "\n", encoding="utf-8")
    result = run_cli("--db", str(settings.db_path), "ingest", str(path))
    line = _one_norwegian_line(result, 1)
    assert "linje 7" in line
    assert db_fingerprint(settings.db_path) == before
    _no_fnr_in(result.stdout, result.stderr, _all_bytes(settings.db_path))


@pytest.mark.parametrize("variant", VARIANTS)
def test_fodselsnummer_as_pupil_id_is_pseudonymised_in_any_spacing(
    settings: Settings, tmp_path: Path, variant: str
) -> None:
    path = tmp_path / "elever.csv"
    path.write_text("\n".join(_plain_rows(elev=variant)) + "\n", encoding="utf-8")
    result = run_cli("--db", str(settings.db_path), "ingest", str(path))
    assert result.code == 0, result.stderr
    key = bytes.fromhex(settings.key_file.read_text().strip())
    stored = {r[0] for r in raw_query(settings.db_path, "select elev from elevresultat")}
    # one pupil however the number is spaced: the digits only are hashed
    assert hmac.new(key, FNR.encode(), hashlib.sha256).hexdigest()[:20] in stored
    outputs = [
        run_cli("--db", str(settings.db_path), "sql", "select * from kilde"),
        run_cli("--db", str(settings.db_path), "status", "--format", "csv"),
        run_cli("--db", str(settings.db_path), "variasjon", "--del", "grupper", "--format", "csv"),
    ]
    _no_fnr_in(result.stderr, _all_bytes(settings.db_path), *[o.stdout + o.stderr for o in outputs])


def test_unused_column_with_fodselsnummer_is_never_stored(
    settings: Settings, tmp_path: Path
) -> None:
    rows = _plain_rows()
    rows = [rows[0] + ";merknad"] + [r + f";{VARIANTS[1]}" for r in rows[1:]]
    path = tmp_path / "elever.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = run_cli("--db", str(settings.db_path), "ingest", str(path))
    assert result.code == 0, result.stderr
    assert "ADVARSEL" in result.stderr and "merknad" in result.stderr
    _no_fnr_in(result.stderr, _all_bytes(settings.db_path))


@pytest.mark.parametrize("variant", VARIANTS)
def test_fodselsnummer_in_a_file_name_is_masked(
    settings: Settings, tmp_path: Path, variant: str
) -> None:
    folder = tmp_path / f"mappe {variant}"
    folder.mkdir()
    path = pupil_file(folder / f"elever_{variant}.csv", ["A1", "A2"])
    result = run_cli("--db", str(settings.db_path), "ingest", str(path))
    assert result.code == 0, result.stderr
    names = raw_query(settings.db_path, "select filnavn, sti from lager.kilde")
    assert names[0][0] == "elever_xxxxxxxxxxx.csv"
    listed = run_cli("--db", str(settings.db_path), "status", "--del", "kilder", "--format", "csv")
    _no_fnr_in(result.stderr, _all_bytes(settings.db_path), listed.stdout)


def test_fodselsnummer_in_an_aggregate_export_is_refused(
    settings: Settings, tmp_path: Path
) -> None:
    lines = utf16_lines(NP_5_2025)
    fields = lines[8].split("\t")
    fields[8] = f"Skole {VARIANTS[2]}"
    lines[8] = "\t".join(fields)
    bad = write_utf16(tmp_path / "np.csv", lines)
    result = run_cli("--db", str(settings.db_path), "ingest", str(bad))
    assert "fødselsnummer" in _one_norwegian_line(result, 1)
    _no_fnr_in(result.stderr, _all_bytes(settings.db_path))


# -- 2. a contained «tallkit sql» -----------------------------------------------------------


@pytest.fixture
def with_pupils(settings: Settings, tmp_path: Path) -> Settings:
    api.ingest([NP_5_2025, NP_U_2025], settings=settings)
    api.ingest(
        [pupil_file(tmp_path / "elever.csv", [f"P{n}" for n in range(25)])], settings=settings
    )
    return settings


def _probes(tmp_path: Path, key: Path) -> list[tuple[str, ...]]:
    outside = tmp_path / "utenfor.sql"
    outside.write_text("select * from lager.meta", encoding="utf-8")
    return [
        ("sql", f"copy (select * from enhet) to '{tmp_path / 'ut.csv'}'"),
        ("sql", f"copy enhet to '{tmp_path / 'ut2.csv'}'"),
        ("sql", f"export database '{tmp_path / 'dump'}'"),
        ("sql", "select * from read_text('/etc/passwd')"),
        ("sql", "select * from read_csv('/etc/passwd')"),
        ("sql", f"select * from read_text('{key}')"),
        ("sql", f"select * from read_blob('{key}')"),
        ("sql", "select * from glob('/*')"),
        ("sql", f"attach '{tmp_path / 'annen.duckdb'}' as annen"),
        ("sql", "set enable_external_access = true"),
        ("sql", "pragma database_list"),
        ("sql", "select 1; select 2"),
        ("sql", "install httpfs from 'http://127.0.0.1:9/'"),
        ("sql", "load httpfs"),
        ("sql", "select * from lager.meta"),
        ("sql", "select * from lager.elevresultat"),
        ("sql", "select * from elevresultat"),
        ("sql", "select * from query('select * from lager.kilde')"),
        ("sql", "--navn", "../../utenfor"),
        ("sql", "--navn", str(outside)),
        ("sql", "--navn", "intern/skjema"),
    ]


def test_every_sql_escape_is_refused_with_one_norwegian_line(
    with_pupils: Settings, tmp_path: Path
) -> None:
    db = with_pupils.db_path
    before = db_fingerprint(db)
    for probe in _probes(tmp_path, with_pupils.key_file):
        result = run_cli("--db", str(db), *probe)
        line = _one_norwegian_line(result, 2, 3)
        assert any(w in line for w in ("tallkit sql", "spørring", "ukjent")), (probe, line)
        assert result.stdout == "", probe
    assert db_fingerprint(db) == before
    assert not (tmp_path / "ut.csv").exists() and not (tmp_path / "ut2.csv").exists()
    assert not (tmp_path / "dump").exists() and not (tmp_path / "annen.duckdb").exists()


def test_sql_reveals_no_secret(with_pupils: Settings) -> None:
    # DuckDB 2 refuses duckdb_secrets() (it would touch the file system); 1.2 answers from the
    # in-memory sandbox, which holds none: either way nothing is revealed
    result = run_cli(
        "--db", str(with_pupils.db_path), "sql", "select * from duckdb_secrets()",
        "--format", "json",
    )  # fmt: skip
    if result.code == 0:
        assert json.loads(result.stdout) == []
    else:
        assert result.code in (2, 3) and result.stderr.count("\n") == 1, result.stderr


def test_sql_still_reads_the_public_views(with_pupils: Settings) -> None:
    result = run_cli(
        "--db", str(with_pupils.db_path), "sql",
        "select count(*) as n from nasjonale_prover where status = 'ok'", "--format", "csv",
    )  # fmt: skip
    assert result.code == 0, result.stderr
    assert int(result.stdout.splitlines()[1]) > 100


def test_sql_hides_groups_under_the_minimum_and_never_pupil_rows(
    with_pupils: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = with_pupils.db_path
    small = raw_query(
        db,
        "select count(*) from nasjonale_prover where antall between 10 and 29 and skalapoeng is not null",
    )[0][0]
    assert small > 0  # the raw file has them, so the checks below can fail
    monkeypatch.setenv("TALLKIT_MINSTE_GRUPPE", "30")
    shown = run_cli(
        "--db", str(db), "sql",
        "select count(*) as n from nasjonale_prover where antall < 30 or (skalapoeng is not null and antall is null and status = 'skjermet')",
        "--format", "csv",
    )  # fmt: skip
    assert shown.code == 0, shown.stderr
    assert shown.stdout.splitlines()[1] == "0"
    named = run_cli(
        "--db",
        str(db),
        "sql",
        "--navn",
        "np_skole",
        "--param",
        "skole=974558068",
        "--format",
        "csv",
    )
    assert named.code == 0, named.stderr
    pupils = run_cli("--db", str(db), "sql", "select * from elevresultat_skole", "--format", "csv")
    assert pupils.code == 0, pupils.stderr
    header, *rows = pupils.stdout.splitlines()
    assert "elev" not in header.split(",")
    assert rows and all(r.split(",")[5] in ("", "25") for r in rows)  # antall: 25 or hidden


# -- 3. plausibility -------------------------------------------------------------------------


def _np_cell(tmp_path: Path, column_suffix: str, value: str, *, line: int = 8) -> Path:
    lines = utf16_lines(NP_5_2025)
    header = lines[1].split("\t")
    column = next(i for i, h in enumerate(header) if h.endswith(column_suffix))
    fields = lines[line].split("\t")
    fields[column] = value
    lines[line] = "\t".join(fields)
    return write_utf16(tmp_path / f"np_{abs(hash((column_suffix, value)))}.csv", lines)


@pytest.mark.parametrize(
    ("suffix", "value"),
    [
        ("Antall elever deltatt", "99999999999"),
        ("Antall elever deltatt", "4294967296"),
        ("Antall elever deltatt", "-5"),
        ("Antall elever deltatt", "12,5"),
        ("Skalapoeng", "99999999999"),
        ("Skalapoeng", "-0"),
        ("Usikkerhet", "4294967296"),
    ],
)
def test_implausible_numbers_are_refused_and_change_nothing(
    settings: Settings, tmp_path: Path, suffix: str, value: str
) -> None:
    api.ingest([NP_U_2025], settings=settings)
    before = db_fingerprint(settings.db_path)
    bad = _np_cell(tmp_path, suffix, value)
    result = run_cli("--db", str(settings.db_path), "ingest", str(bad))
    line = _one_norwegian_line(result, 1)
    assert "linje 9" in line and "ikke mulig" in line
    assert db_fingerprint(settings.db_path) == before
    speil = run_cli("--db", str(settings.db_path), "fag", "--del", "indikatorer", "--format", "csv")
    assert speil.code == 0, speil.stderr


@pytest.mark.parametrize("orgnr", ["NaN", "٩٧٤٥٥٨٠٦٨", "97455806", "9745580688"])
def test_malformed_unit_keys_are_refused(settings: Settings, tmp_path: Path, orgnr: str) -> None:
    lines = utf16_lines(NP_5_2025)
    row = next(i for i, line in enumerate(lines) if line.startswith("4\t"))
    fields = lines[row].split("\t")
    fields[4] = orgnr
    lines[row] = "\t".join(fields)
    bad = write_utf16(tmp_path / "np.csv", lines)
    result = run_cli("--db", str(settings.db_path), "ingest", str(bad))
    assert "Organisasjonsnummer" in _one_norwegian_line(result, 1)
    assert (
        not settings.db_path.exists()
        or raw_query(settings.db_path, "select count(*) from enhet")[0][0] == 0
    )


def test_implausible_pupil_values_are_refused(settings: Settings, tmp_path: Path) -> None:
    for override in (
        {"skalapoeng": "99999999999"},
        {"skalapoeng": "-0"},
        {"prove": "NPLES05", "mestringsnivaa": "4"},
        {"orgnr": "NaN"},
        {"gruppe": "x" * 41},
    ):
        path = tmp_path / "elever.csv"
        path.write_text("\n".join(_plain_rows(**override)) + "\n", encoding="utf-8")
        result = run_cli("--db", str(settings.db_path), "ingest", str(path))
        assert "linje 7" in _one_norwegian_line(result, 1), override
    assert (
        not settings.db_path.exists()
        or raw_query(settings.db_path, "select count(*) from elevresultat")[0][0] == 0
    )


def test_suppressed_n_with_empty_score_is_suppressed_not_missing(
    settings: Settings, tmp_path: Path
) -> None:
    lines = utf16_lines(NP_5_2025)
    header = lines[1].split("\t")
    row = next(i for i, line in enumerate(lines) if line.startswith("4\t"))
    fields = lines[row].split("\t")
    prefix = "2025-26.Lesing.5. årstrinn.Alle eierformer.Alle kjønn."
    for i, name in enumerate(header):
        if name.startswith(prefix):
            fields[i] = "*" if name.endswith("Antall elever deltatt") else ""
    lines[row] = "\t".join(fields)
    api.ingest([write_utf16(tmp_path / "np.csv", lines)], settings=settings)
    status = raw_query(
        settings.db_path,
        f"select status from nasjonale_prover where enhet_id = '{fields[4]}' and prove = 'lesing' "
        "and kjonn = 'alle' and eierform = 'alle' and skoleaar = '2025-26'",
    )
    assert status == [("skjermet",)]


# -- 4. bounded resources --------------------------------------------------------------------


@pytest.mark.parametrize("count", [3_000_000, 30_000_000])
def test_a_small_json_bomb_is_refused_with_bounded_memory(
    settings: Settings, tmp_path: Path, count: int
) -> None:
    bomb = tmp_path / "rapport.json"
    bomb.write_text(
        '{"metadata": {"rowHierarchy": ["geografi"], "columns": [[{"name": "2025-26", '
        f'"columnCount": {count}}}]]}}, "rows": [{{"id": "1", "kode": "I", "navn": "Norge", '
        '"data": ["50"]}]}',
        encoding="utf-8",
    )
    assert bomb.stat().st_size < 900
    tracemalloc.start()
    try:
        result = run_cli("--db", str(settings.db_path), "ingest", str(bomb))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "kolonner" in _one_norwegian_line(result, 1)
    assert peak < 50 * 1024 * 1024


def test_a_huge_pupil_field_is_one_files_error(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "elever.csv"
    path.write_text("\n".join(_plain_rows(gruppe="x" * 200_000)) + "\n", encoding="utf-8")
    good = tmp_path / "np.csv"
    good.write_bytes(NP_5_2025.read_bytes())
    result = run_cli("--db", str(settings.db_path), "ingest", str(path), str(good))
    assert str(path) in _one_norwegian_line(result, 1)
    assert "innlest" in result.stderr


# -- 5. one verdict per file -----------------------------------------------------------------


def test_a_bad_file_in_the_middle_does_not_stop_the_run(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tallkit.formats import rapport

    def broken(*_args: object) -> None:
        raise RuntimeError("unsupported operand\nline two")

    monkeypatch.setattr(rapport, "parse_table", broken)
    bad = REAL / "udir_rapport_NP_ungdomstrinn_grade8_NPLES_anchor13.json"
    result = run_cli(
        "--db", str(settings.db_path), "ingest", str(NP_5_2025), str(bad), str(NP_U_2025)
    )
    line = _one_norwegian_line(result, 1)
    assert (
        str(bad) in line
        and "uventet feil" in line
        and "line two" not in result.stderr.split(line)[0]
    )
    assert result.stderr.count("innlest") >= 2
    assert "3 filer behandlet: 1 feil, 2 innlest." in result.stderr
    assert raw_query(settings.db_path, "select count(*) from kilde")[0][0] == 2


@pytest.mark.parametrize(
    ("error", "code", "words"),
    [
        (duckdb.IOException("Could not write file: No space left on device"), 3, "disken er full"),
        (
            duckdb.IOException(
                "Corrupt database file: computed checksum 1 does not match stored checksum 2 "
                "in block at location 4096"
            ),
            3,
            "ødelagt",
        ),
        (duckdb.InterruptException("INTERRUPT Error: Interrupted!"), 130, "avbrutt"),
        # what DuckDB raises when a real SIGINT lands mid-query (seen on the 2.25M-row file)
        (RuntimeError("Query interrupted"), 130, "avbrutt"),
    ],
)
def test_disk_full_corruption_and_ctrl_c_in_a_pupil_ingest(
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    error: Exception,
    code: int,
    words: str,
) -> None:
    from tallkit import store

    api.ingest([NP_5_2025], settings=settings)
    before = db_fingerprint(settings.db_path)
    original = store.Store._run_internal

    def failing(self: store.Store, name: str, params: object = None) -> object:
        if name == "elev_last":
            raise error
        return original(self, name, params)  # type: ignore[arg-type]

    monkeypatch.setattr(store.Store, "_run_internal", failing)
    path = pupil_file(tmp_path / "elever.csv", ["A1", "A2"])
    result = run_cli("--db", str(settings.db_path), "ingest", str(path))
    line = _one_norwegian_line(result, code)
    assert words in line and "låst" not in line
    assert db_fingerprint(settings.db_path) == before


# -- 6. file modes ---------------------------------------------------------------------------


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_wal_is_owner_only(settings: Settings) -> None:
    from tallkit.store import open_store

    api.ingest([NP_5_2025], settings=settings)
    old = os.umask(0o022)
    try:
        with open_store(settings.db_path) as store:
            store._run("insert into lager.meta values ('prøve', 'x')")
            wal = Path(str(settings.db_path) + ".wal")
            assert wal.exists()
            assert stat.S_IMODE(wal.stat().st_mode) == 0o600
    finally:
        os.umask(old)
    assert stat.S_IMODE(settings.db_path.stat().st_mode) == 0o600


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
@pytest.mark.parametrize("mode", [0o644, 0o666, 0o640])
def test_a_key_others_can_read_is_refused(settings: Settings, tmp_path: Path, mode: int) -> None:
    settings.key_file.write_text("ab" * 32 + "\n")
    settings.key_file.chmod(mode)
    result = run_cli(
        "--db", str(settings.db_path), "ingest", str(pupil_file(tmp_path / "e.csv", ["A"]))
    )
    line = _one_norwegian_line(result, 2)
    assert "chmod 600" in line and f"{mode:04o}" in line


def test_a_key_path_that_is_a_folder(settings: Settings, tmp_path: Path) -> None:
    settings.key_file.mkdir()
    result = run_cli(
        "--db", str(settings.db_path), "ingest", str(pupil_file(tmp_path / "e.csv", ["A"]))
    )
    assert "mappe" in _one_norwegian_line(result, 2)


def test_a_missing_key_after_pupils_were_ingested_is_an_error_not_a_new_key(
    settings: Settings, tmp_path: Path
) -> None:
    api.ingest([pupil_file(tmp_path / "a.csv", ["A1", "A2"])], settings=settings)
    settings.key_file.unlink()
    before = db_fingerprint(settings.db_path)
    result = run_cli(
        "--db", str(settings.db_path), "ingest", str(pupil_file(tmp_path / "b.csv", ["B1"]))
    )
    line = _one_norwegian_line(result, 2)
    assert "sikkerhetskopien" in line and "fingeravtrykk" in line
    assert not settings.key_file.exists()
    assert db_fingerprint(settings.db_path) == before


def test_long_keys_give_standard_hmac(settings: Settings, tmp_path: Path) -> None:
    key = bytes(range(100))
    settings.key_file.write_text(key.hex() + "\n")
    settings.key_file.chmod(0o600)
    api.ingest([pupil_file(tmp_path / "a.csv", ["A1"])], settings=settings)
    stored = raw_query(settings.db_path, "select distinct elev from elevresultat")
    assert stored == [(hmac.new(key, b"A1", hashlib.sha256).hexdigest()[:20],)]


def test_a_database_from_the_old_long_key_hmac_refuses_new_pupils(
    settings: Settings, tmp_path: Path
) -> None:
    key = bytes(range(100))
    settings.key_file.write_text(key.hex() + "\n")
    settings.key_file.chmod(0o600)
    api.ingest([pupil_file(tmp_path / "a.csv", ["A1"])], settings=settings)
    con = duckdb.connect(str(settings.db_path))
    con.execute("delete from lager.meta where nokkel = 'hmac'")  # as made before the fix
    con.close()
    before = db_fingerprint(settings.db_path)
    report = api.ingest([pupil_file(tmp_path / "b.csv", ["B1"])], settings=settings)
    assert report.exit_code == 2
    assert "64 byte" in (report.files[0].error or "")
    assert db_fingerprint(settings.db_path) == before


# -- 7. messages -----------------------------------------------------------------------------


def test_messages_are_one_line_without_control_characters(
    settings: Settings, tmp_path: Path
) -> None:
    lines = utf16_lines(NP_5_2025)
    fields = lines[5].split("\t")
    fields[12] = "\x1b[31mrødt\x1b[0m\nlinje to\n" + "x" * 5000
    lines[5] = "\t".join(fields)
    bad = write_utf16(tmp_path / "ansi\x1b[2J.csv", lines)
    result = run_cli("--db", str(settings.db_path), "ingest", str(bad))
    line = _one_norwegian_line(result, 1)
    assert "\x1b" not in result.stderr and "linje to" not in result.stderr.replace(line, "")
    assert len(line) < 600


def test_a_swapped_column_pupil_file_never_prints_the_pupil_id(
    settings: Settings, tmp_path: Path
) -> None:
    rows = [PLAIN_HEADER] + [
        f"999000001;E{n};2025-26;NPLES08;D;40;2;8A;" for n in range(12)
    ]  # elev and orgnr swapped
    path = tmp_path / "byttet.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = run_cli("--db", str(settings.db_path), "ingest", str(path))
    line = _one_norwegian_line(result, 1)
    assert "orgnr" in line and "E0" not in line


# -- 8. long names ---------------------------------------------------------------------------


def test_a_127_character_school_name_through_speil_alle(settings: Settings, tmp_path: Path) -> None:
    lines = utf16_lines(NP_5_2025)
    rows = [i for i, line in enumerate(lines) if line.startswith("4\t")]
    long_name = ("Kjempelang æøå skole med et navn som aldri tar slutt " * 4)[:127]
    orgnrs = []
    for i in rows:
        fields = lines[i].split("\t")
        fields[8] = long_name + fields[4][-3:]
        orgnrs.append(fields[4])
        lines[i] = "\t".join(fields)
    api.ingest([write_utf16(tmp_path / "np.csv", lines)], settings=settings)
    out = tmp_path / "speil"
    result = run_cli(
        "--db", str(settings.db_path), "speil", "--alle", "--ut", str(out), "--dato", "2026-11-23"
    )
    assert result.code == 0, result.stderr
    written = list(out.iterdir())
    assert all(len(p.name.encode()) <= 255 for p in written)
    assert any(p.name.endswith("_indeks.html") for p in written)
    reports = [p for p in written if p.suffix == ".html" and "indeks" not in p.name]
    skipped = result.stderr.count("hoppet over")
    assert reports and len(reports) + skipped == len(orgnrs)
    assert all(any(p.stem.endswith("_" + o) for o in orgnrs) for p in reports)
    assert len({p.stem for p in reports}) == len(reports)
    # many schools: each gets its own file, not «the» file
    assert result.stderr.rstrip().endswith("eller send hver skole sin HTML-fil.")


# -- 9. inert Markdown, HTML and SVG ---------------------------------------------------------

HOSTILE = (
    "![x](http://evil.example/x.png) <script>alert(1)</script> [lenke](javascript:alert(1)) # Tatt"
)


def test_hostile_text_in_every_report_input_is_inert(settings: Settings, tmp_path: Path) -> None:
    lines = utf16_lines(NP_5_2025)
    row = next(i for i, line in enumerate(lines) if line.startswith("4\t"))
    fields = lines[row].split("\t")
    fields[8] = HOSTILE
    orgnr = fields[4]
    lines[row] = "\t".join(fields)
    page = (REAL / "udir_rapportside_GSK_NP_Geografisk.json").read_text(encoding="utf-8")
    hostile_page = tmp_path / "side.json"
    hostile_page.write_text(
        page.replace("skjerm", HOSTILE.replace('"', "'") + " skjerm", 1), encoding="utf-8"
    )
    api.ingest(
        [write_utf16(tmp_path / "np [x](javascript:a) <b>.csv", lines), hostile_page],
        settings=settings,
    )
    assessment = tmp_path / "vurdering.md"
    assessment.write_text(
        f"Vi ser framgang.\n\n- tiltak én {HOSTILE}\n- tiltak to\n\n# Overskrift\n<img src=x onerror=alert(1)>\n",
        encoding="utf-8",
    )
    out = tmp_path / "speil"
    one = api.speil([orgnr], ut=out, vurdering=assessment, dato="2026-11-23", settings=settings)
    every = api.speil(alle=True, ut=tmp_path / "alle", dato="2026-11-23", settings=settings)
    written = one.written + [p for p in every.written if "indeks" in p.name]
    md = "".join(p.read_text(encoding="utf-8") for p in written if p.suffix == ".md")
    html = "".join(p.read_text(encoding="utf-8") for p in written if p.suffix == ".html")
    svg = "".join(p.read_text(encoding="utf-8") for p in written if p.suffix == ".svg")
    assert "Tatt" in md and "Tatt" in html  # the text is there, only inert
    for text in (html, svg):
        assert "<script>alert" not in text and "<img src=x" not in text
    # in Markdown a «<» is either an entity or backslash-escaped: never the start of a tag
    assert not re.search(r"(?<!\\)<(script|img)", md)
    # no link, image or heading survives: every «[», «]», «!» and «#» from a file is escaped,
    # and the only links left are tallkit's own, to its files beside the report
    assert not re.search(r"(?<!\\)\]\((?!<?[\w.\-]+>?\))", md)
    assert not re.search(r"(?<!\\)\[lenke", md)
    assert not re.search(r"^\s*#+ (Overskrift|Tatt)", md, flags=re.MULTILINE)
    assert "- tiltak én" in md and "- tiltak to" in md  # the school's own list stays a list
    assert 'href="javascript:' not in html and 'src="http://evil' not in html


# -- 10. one snapshot per speil run ----------------------------------------------------------

_CLI = "import sys; from tallkit.cli import main; sys.exit(main(sys.argv[1:]))"


def test_speil_reads_one_state_while_an_ingest_tries_to_commit(
    sample: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tallkit import store
    from tallkit.analyses import fag

    db = tmp_path / "kopi.duckdb"
    db.write_bytes(sample.db_path.read_bytes())
    settings = Settings(db_path=db, key_file=sample.key_file)
    before = db_fingerprint(db)
    opened: list[Path] = []
    real_open = store.open_store
    real_by_test = fag.by_test
    attempts: list[subprocess.CompletedProcess[str]] = []

    def counting_open(path: Path, **kwargs: bool) -> object:
        opened.append(path)
        return real_open(path, **kwargs)

    def by_test_with_an_ingest_in_between(*args: object, **kwargs: object) -> object:
        attempts.append(
            subprocess.run(
                [sys.executable, "-c", _CLI, "--db", str(db), "ingest", str(NP_U_2025)],
                capture_output=True,
                text=True,
                env={**os.environ, "TALLKIT_NOKKELFIL": str(sample.key_file)},
                check=False,
            )
        )
        return real_by_test(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("tallkit.api.open_store", counting_open)
    monkeypatch.setattr(fag, "by_test", by_test_with_an_ingest_in_between)
    report = api.speil(["Solåsen"], ut=tmp_path / "ut", dato="2026-11-23", settings=settings)
    assert len(opened) == 1
    assert attempts and attempts[0].returncode == 3, attempts[0].stderr
    assert "låst" in attempts[0].stderr
    assert report.written and db_fingerprint(db) == before
