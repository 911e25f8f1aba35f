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
    assert "tallkit/py.typed" in names  # users' type checkers see tallkit's types
    assert any(
        n.endswith(".dist-info/licenses/LICENSE") or n.endswith(".dist-info/LICENSE") for n in names
    )
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


@pytest.mark.slow
def test_readme_quick_start_from_a_built_wheel_in_a_fresh_venv(tmp_path: Path) -> None:
    """The README's quick start, installed the way pipx/uv tool do: a wheel in its own venv."""
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
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    installed = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", str(wheel)],
        check=False,
        capture_output=True,
        text=True,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    tallkit = str(venv / "bin" / "tallkit")
    work = tmp_path / "arbeid"
    work.mkdir()
    env = {**os.environ, "TALLKIT_NOKKELFIL": str(tmp_path / "nokkel"), "COLUMNS": "80"}
    steps = [
        [tallkit, "ingest", str(ROOT / "sample_data")],
        [tallkit, "skoler"],
        [tallkit, "speil", "--skole", "Solåsen", "--ut", "laeringsspeil"],
        [tallkit, "skoler", "--ut", "skoler.xlsx"],
        [tallkit, "--version"],
    ]
    for step in steps:
        done = subprocess.run(step, cwd=work, env=env, capture_output=True, text=True, check=False)
        assert done.returncode == 0, (step, done.stderr)
    assert list((work / "laeringsspeil").glob("*Solåsen*.html"))
    assert zipfile.is_zipfile(work / "skoler.xlsx")
    typed = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import tallkit, importlib.resources as r; print(callable(tallkit.speil), "
            "r.files('tallkit').joinpath('py.typed').is_file())",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert typed.stdout.split() == ["True", "True"]
