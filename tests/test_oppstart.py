"""Lean start-up: a command imports what it needs and nothing more (issue 12).

No timings here (they belong in bench/status.py); what a command loads is checked instead, in a
fresh interpreter, because the start-up cost is the modules it imports.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

import tallkit
from tallkit.config import Settings
from tallkit.errors import DatabaseError
from tallkit.store import arrow_frame, open_store

# Modules only ingest (the parsers), the reports (templates, charts) or a terminal table
# (rich) need; pyarrow and numpy came in through DuckDB's ``.pl()``.
NOT_FOR_READING = (
    "pyarrow",
    "numpy",
    "jinja2",
    "rich",
    "tallkit.formats",
    "tallkit.ingestion",
    "tallkit.reports",
    "tallkit.render",
    "tallkit.analyses",
)

_PROBE = """\
import json, sys
from tallkit.cli import main
code = main(sys.argv[1:])
loaded = [m for m in {modules!r} if m in sys.modules]
print(json.dumps({{"code": code, "loaded": loaded}}), file=sys.stderr)
"""


def loaded_by(*args: str, cwd: Path) -> list[str]:
    """Run ``tallkit ARGS`` in a fresh interpreter; the unneeded modules it imported."""
    probe = _PROBE.format(modules=NOT_FOR_READING)
    # the tallkit under test, also when it is not the installed one
    source = str(Path(tallkit.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([source, os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-c", probe, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        check=False,
    )
    result = json.loads(done.stderr.strip().splitlines()[-1])
    assert result["code"] == 0, done.stderr
    return list(result["loaded"])


@pytest.mark.parametrize(
    "args",
    [
        ("status", "--format", "json"),
        ("status", "--del", "kilder", "--format", "csv"),
        ("skoler", "--format", "csv"),
    ],
)
def test_reading_commands_import_no_parser_report_or_arrow(
    sample: Settings, tmp_path: Path, args: tuple[str, ...]
) -> None:
    out = tmp_path / "ut"
    assert loaded_by("--db", str(sample.db_path), *args, "--ut", str(out), cwd=tmp_path) == []
    assert out.stat().st_size > 0


def test_help_imports_no_data_stack(tmp_path: Path) -> None:
    assert loaded_by("--help", cwd=tmp_path) == []


def test_arrow_frame_equals_duckdbs_own_polars_frame() -> None:
    con = duckdb.connect()
    query = (
        "select 1.5::decimal(18, 3) as d, 2::hugeint as h, date '2024-01-01' as dt, "
        "timestamp '2024-01-01 10:00' as ts, [1, 2] as l, {'a': 1} as s, null as n, "
        "'x'::enum('x', 'y') as e, 'æøå' as t, r as i "
        "from range(5000) t(r)"
    )
    assert_frame_equal(arrow_frame(con.sql(query)), con.sql(query).pl())
    empty = "select 'a' as s, 1 as i where false"
    assert_frame_equal(arrow_frame(con.sql(empty)), con.sql(empty).pl())


def test_an_error_while_rows_stream_is_duckdbs_own(tmp_path: Path) -> None:
    # polars reports a failure inside the Arrow stream as its own ComputeError; the store
    # must still raise what it raises for any failing query (exit code 3, one line)
    db = tmp_path / "f.duckdb"
    with open_store(db, create=True):
        pass
    late_failure = (
        "select case when range > 200000 then error('feil sent i strømmen') else range end "
        "from range(300000)"
    )
    with open_store(db, read_only=True) as store, pytest.raises(DatabaseError) as raised:
        store.query(late_failure)
    assert "Invalid Input-feil i DuckDB" in str(raised.value)
    con = duckdb.connect()  # kept open: DuckDB 1.2 closes a dropped connection's relations
    # what polars alone raises: its own ComputeError (newer polars) or DuckDB's error (1.20)
    with pytest.raises((pl.exceptions.ComputeError, duckdb.Error)):
        pl.DataFrame(con.sql(late_failure))
    con.close()
