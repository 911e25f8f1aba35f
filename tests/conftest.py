"""Shared fixtures: real Udir exports, a fresh database per test, and an in-process CLI runner."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from hypothesis import settings as hypothesis_settings

from tallkit.config import Settings

ROOT = Path(__file__).resolve().parent.parent
REAL = Path(__file__).resolve().parent / "fixtures" / "real"
SAMPLE_DATA = ROOT / "sample_data"

NP_5_2025 = REAL / "statistikkbanken_export_NP_5trinn_2025-26_Agder_excerpt.csv"
NP_U_2025 = REAL / "statistikkbanken_export_NP_ungdomstrinn_2025-26_Agder_excerpt.csv"
NP_5_2023_PIPE = REAL / "statistikkbanken_export_NP_5trinn_2023-24_pipe_variant_Agder_excerpt.csv"
SKOLEPORTEN = REAL / "skoleporten_nedlasting_np_stavanger_excerpt.csv"

hypothesis_settings.register_profile("ci", max_examples=60, deadline=None)
hypothesis_settings.register_profile("dev", max_examples=200, deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test may see the developer's database, config or pseudonym key."""
    monkeypatch.delenv("TALLKIT_DB", raising=False)
    monkeypatch.delenv("TALLKIT_MINSTE_GRUPPE", raising=False)
    monkeypatch.delenv("TALLKIT_MELLOMLAGER", raising=False)
    monkeypatch.setenv("TALLKIT_NOKKELFIL", str(tmp_path / "nokkel"))
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The fictional kommune in sample_data/, ingested once for every analysis test."""
    from tallkit import api

    folder = tmp_path_factory.mktemp("eksempeldata")
    settings = Settings(db_path=folder / "s.duckdb", key_file=folder / "nokkel")
    report = api.ingest([SAMPLE_DATA], settings=settings)
    assert report.exit_code == 0, [f.error for f in report.files]
    return settings


@pytest.fixture(scope="session")
def real_np(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Four years of Udir's real national-test exports for Agder, as downloaded."""
    from tallkit import api

    folder = tmp_path_factory.mktemp("ekte_np")
    settings = Settings(db_path=folder / "ekte.duckdb", key_file=folder / "nokkel")
    report = api.ingest(sorted(REAL.glob("statistikkbanken_export_NP_*.csv")), settings=settings)
    assert report.exit_code == 0, [f.error for f in report.files]
    return settings


@pytest.fixture(scope="session")
def sample_unsuppressed(sample: Settings) -> Settings:
    """The same database with a minimum group of 1: nothing is hidden, so estimator tests can
    compare every number with a direct computation. Cross-table suppression
    (tallkit/skjerming.py) hides most paired changes and all value added in sample_data at
    the real minimum, because 1-9 pupils at every school sit only one of the two years."""
    return dataclasses.replace(sample, min_group=1)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "test.duckdb"


@pytest.fixture
def settings(db: Path, tmp_path: Path) -> Settings:
    return Settings(db_path=db, key_file=tmp_path / "nokkel")


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str
    stdout_bytes: bytes


def run_cli(*args: str) -> Result:
    """Run the CLI in-process, capturing stdout (bytes and text) and stderr."""
    from tallkit.cli import main

    out_bytes = io.BytesIO()
    out = io.TextIOWrapper(out_bytes, encoding="utf-8", write_through=True)
    err = io.StringIO()
    old_out, old_err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        code = main(list(args))
    finally:
        sys.stdout, sys.stderr = old_out, old_err
    out.flush()
    data = out_bytes.getvalue()
    return Result(code, data.decode("utf-8", errors="replace"), err.getvalue(), data)


def db_fingerprint(path: Path) -> str:
    """A digest of every row of every table: "the database is unchanged" means this is equal."""
    if not path.exists():
        return "absent"
    con = duckdb.connect(str(path), read_only=True)
    try:
        digest = hashlib.sha256()
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_type = 'BASE TABLE' order by all"
        ).fetchall()
        for schema, table in tables:
            rows = con.execute(f'select * from "{schema}"."{table}" order by all').fetchall()
            digest.update(f"{schema}.{table}:{rows!r}".encode())
        return digest.hexdigest()
    finally:
        con.close()


def raw_query(path: Path, query: str) -> list[tuple[object, ...]]:
    """Read the database file directly, as an analyst with DuckDB would (tallkit sql cannot see
    pupil rows or the internal schema)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(query).fetchall()
    finally:
        con.close()
