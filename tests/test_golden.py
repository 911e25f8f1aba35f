"""Golden files: the Læringsspeil of one barneskole and one ungdomsskole, in both formats.

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
SCHOOLS = ["Solåsen skole", "Nordby ungdomsskole"]
UPDATE = os.environ.get("TALLKIT_OPPDATER_GULL") == "1"


@pytest.mark.parametrize("school", SCHOOLS)
def test_report_matches_its_golden_files(sample: Settings, tmp_path: Path, school: str) -> None:
    report = api.speil([school], aar="2025-26", ut=tmp_path, dato="2026-11-23", settings=sample)
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
