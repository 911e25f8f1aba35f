"""Lint and types gate CI too: the README's one test command runs them through pytest."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from conftest import ROOT


@pytest.mark.skipif(
    shutil.which("ruff") is None and not (ROOT / ".venv/bin/ruff").exists(),
    reason="ruff ikke installert",
)
def test_ruff_finds_nothing() -> None:
    for args in (["check"], ["format", "--check"]):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *args, "src", "tests", "bench", "sample_data"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_finds_nothing() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_python_function_runs_on_polars_threads() -> None:
    """polars runs a Python function handed to it (map_batches, map_elements, ...) on its own
    threads, which must take Python's lock: a known road to a process that hangs for good, and
    the one such function in tallkit when a CI run hung. Column-wise code stays in polars'
    own expressions (``analyses.kolonner``), Python works on lists taken out of polars."""
    import re

    call = re.compile(r"\.(map_batches|map_elements|map_groups|map_rows|map_columns|apply)\(")
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "src").rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if call.search(line)
    ]
    assert found == []
