"""Golden files: the Læringsspeil of a barneskole, an ungdomsskole and a 1–10 school in every
format (Markdown with its charts, HTML, JSON), for the default year (the newest, preliminary
national tests; Elevundersøkelsen and grunnskolepoeng from their own newest year); and the
kommune report of the sample kommune (Fjordvik, 9901) in every format (also the xlsx appendix).

A difference fails with the command that regenerates them; read the diff before committing:
    make snapshots        (TALLKIT_OPPDATER_GULL=1 .venv/bin/python -m pytest tests/test_golden.py)
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tallkit import api
from tallkit.config import Settings

GOLDEN = Path(__file__).resolve().parent / "golden"
SCHOOLS = ["Solåsen skole", "Nordby ungdomsskole", "Tjønnås skole"]
UPDATE = os.environ.get("TALLKIT_OPPDATER_GULL") == "1"


@pytest.mark.parametrize("school", SCHOOLS)
def test_report_matches_its_golden_files(sample: Settings, tmp_path: Path, school: str) -> None:
    report = api.speil([school], ut=tmp_path, dato="2026-11-23", settings=sample)
    assert report.written
    for path in report.written:
        golden = GOLDEN / path.name
        if UPDATE:
            GOLDEN.mkdir(exist_ok=True)
            golden.write_bytes(path.read_bytes())
            continue
        assert golden.exists(), f"{golden.name} mangler. Lag den med: make snapshots"
        assert path.read_bytes() == golden.read_bytes(), (
            f"{path.name} er endret. Les forskjellen, og oppdater med: make snapshots"
        )


def _kommune_report(sample: Settings, folder: Path) -> list[Path]:
    return api.rapport(
        "9901",
        formats=["md", "html", "json", "xlsx"],
        ut=folder,
        dato="2026-11-23",
        settings=sample,
    ).written


def test_kommune_report_matches_its_golden_files(sample: Settings, tmp_path: Path) -> None:
    written = _kommune_report(sample, tmp_path)
    assert {p.suffix for p in written} == {".md", ".html", ".json", ".xlsx", ".svg"}
    for path in written:
        golden = GOLDEN / path.name
        if UPDATE:
            GOLDEN.mkdir(exist_ok=True)
            golden.write_bytes(path.read_bytes())
            continue
        assert golden.exists(), f"{golden.name} mangler. Lag den med: make snapshots"
        assert path.read_bytes() == golden.read_bytes(), (
            f"{path.name} er endret. Les forskjellen, og oppdater med: make snapshots"
        )


def test_no_golden_file_is_left_over(sample: Settings, tmp_path: Path) -> None:
    """A file the reports no longer write must not linger in tests/golden."""
    written = {
        path.name
        for school in SCHOOLS
        for path in api.speil([school], ut=tmp_path, dato="2026-11-23", settings=sample).written
    }
    written |= {path.name for path in _kommune_report(sample, tmp_path / "kommune")}
    assert sorted(p.name for p in GOLDEN.iterdir()) == sorted(written)
