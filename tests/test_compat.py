"""A tallkit database opens in older DuckDB clients (README: «Databasen»).

DuckDB 2.x writes a storage format no 1.x client reads unless told otherwise; the drivers behind
DBeaver and Power BI lag behind the newest release. This builds a database from sample_data with
the installed DuckDB and queries every public view with DuckDB 1.1.3 in its own venv.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import NP_5_2025, ROOT, SAMPLE_DATA, run_cli
from tallkit.store import PUBLIC_VIEWS, STORAGE_VERSION

OLD_DUCKDB = "1.1.3"  # the oldest 1.x the README names
OLD_VENV = ROOT / ".venv-gammel"

_PROBE = """
import json, sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
out = {"versjon": duckdb.__version__}
for view in sys.argv[2:]:
    rows = con.sql("select * from " + view).fetchall()
    out[view] = len(rows)
print(json.dumps(out))
"""


def _old_python() -> Path:
    python = OLD_VENV / "bin" / "python"
    probe = [str(python), "-c", "import duckdb; print(duckdb.__version__)"]
    if python.exists():
        have = subprocess.run(probe, capture_output=True, text=True, check=False)
        if have.stdout.strip() == OLD_DUCKDB:
            return python
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(OLD_VENV)], check=True)
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", f"duckdb=={OLD_DUCKDB}"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return python


@pytest.mark.slow
def test_duckdb_1_1_opens_a_fresh_database_and_every_public_view(tmp_path: Path) -> None:
    db = tmp_path / "tallkit.duckdb"
    made = run_cli("--db", str(db), "ingest", str(SAMPLE_DATA))
    assert made.code == 0, made.stderr
    old = _old_python()
    result = subprocess.run(
        [str(old), "-c", _PROBE, str(db), *PUBLIC_VIEWS],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    counts = json.loads(result.stdout)
    assert counts.pop("versjon") == OLD_DUCKDB
    assert set(counts) == set(PUBLIC_VIEWS)
    assert all(n > 0 for n in counts.values()), counts


def test_new_databases_are_written_in_the_1_x_storage_format(tmp_path: Path) -> None:
    db = tmp_path / "tallkit.duckdb"
    made = run_cli("--db", str(db), "ingest", str(NP_5_2025))
    assert made.code == 0, made.stderr
    header = db.read_bytes()[:20]
    # DuckDB's main header: 8 bytes checksum, b"DUCK", then the storage version number. 64 is
    # what DuckDB 1.0 to 1.1 write and read; DuckDB 2.0's own format says 999 there.
    assert header[8:12] == b"DUCK"
    assert int.from_bytes(header[12:20], "little") == 64
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert STORAGE_VERSION in readme and OLD_DUCKDB in readme
