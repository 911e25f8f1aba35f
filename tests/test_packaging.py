"""queries/ and templates/ sit at the repository root but must be found from an installed wheel."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT


@pytest.mark.slow
def test_wheel_carries_queries_and_templates_and_finds_them(tmp_path: Path) -> None:
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=False,
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    wheel = next(tmp_path.glob("tallkit-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "tallkit/_ressurser/queries/skoler.sql" in names
    assert "tallkit/_ressurser/queries/intern/skjema.sql" in names
    assert "tallkit/_ressurser/templates/README.md" in names
    target = tmp_path / "installert"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    probe = "import tallkit.resources as r; print(r.resource_dir('queries')); print(r.__file__)"
    env = {**os.environ, "PYTHONPATH": str(target)}
    out = subprocess.run(
        [sys.executable, "-c", probe],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    queries_dir, module = out.stdout.splitlines()
    assert Path(module).is_relative_to(target)
    assert Path(queries_dir) == target / "tallkit" / "_ressurser" / "queries"
