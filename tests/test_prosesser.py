"""A national run uses more than one process: the suppression plan is made in a spawned
process beside the other analyses, and forked workers render and write the reports while the
parent builds the next ones. Neither may change a byte of what is written."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest

from tallkit import analyses, api, render
from tallkit.config import Settings
from tallkit.store import open_store

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="workers are forked on Linux only")


@pytest.fixture(autouse=True)
def _plans_made_every_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests compare plans made in different processes: none may be read from the plan
    an earlier run kept beside the database (tallkit.planlager, tested in test_planlager)."""
    monkeypatch.setenv("TALLKIT_MELLOMLAGER", "0")


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_reports_written_by_worker_processes_are_the_reports_written_here(
    sample: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    alone = api.speil(
        alle=True,
        ut=tmp_path / "alene",
        dato="2026-11-24",
        settings=dataclasses.replace(sample, processes=1),
    )
    monkeypatch.setattr(render, "MIN_REPORTS_PER_WORKER", 1)
    reports = [p for p in alone.written if p.suffix == ".html"]
    assert render.workers_for(len(reports), ("md", "html", "json"), 3) == 2
    shared = api.speil(
        alle=True,
        ut=tmp_path / "delt",
        dato="2026-11-24",
        settings=dataclasses.replace(sample, processes=3),
    )
    assert [p.name for p in shared.written] == [p.name for p in alone.written]
    assert _files(tmp_path / "delt") == _files(tmp_path / "alene")
    assert len(_files(tmp_path / "alene")) > 20


def test_no_worker_processes_for_xlsx_a_few_reports_or_when_turned_off() -> None:
    assert render.workers_for(10_000, ("md", "xlsx"), None) == 0  # polars in a forked process
    assert render.workers_for(render.MIN_REPORTS_PER_WORKER - 1, ("md",), 8) == 0
    assert render.workers_for(10_000, ("md", "html"), 1) == 0  # TALLKIT_PROSESSER=1
    assert render.workers_for(10_000, ("md", "html"), 4) == 3


def test_a_write_error_in_a_worker_is_the_one_line_error_of_a_write_here(
    sample: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tallkit.errors import OutputError

    blocked = tmp_path / "fil"
    blocked.write_text("ikke en mappe", encoding="utf-8")
    monkeypatch.setattr(render, "MIN_REPORTS_PER_WORKER", 1)
    with pytest.raises(OutputError, match="kan ikke skrive"):
        api.speil(
            alle=True,
            ut=blocked,
            dato="2026-11-24",
            settings=dataclasses.replace(sample, processes=2),
        )


def test_the_plan_made_in_another_process_is_the_plan_made_here(
    sample: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_store(sample.db_path, read_only=True) as store:
        here = analyses.suppression_plan(store, sample.min_group)
    monkeypatch.setattr(analyses, "PLAN_ELSEWHERE_MIN_RESULTS", 1)
    with open_store(sample.db_path, read_only=True) as store:
        assert analyses.start_suppression_plan(store, sample.min_group)
        elsewhere = analyses.suppression_plan(store, sample.min_group)
        assert analyses.suppression_plan(store, sample.min_group) is elsewhere  # kept
    assert here.hidden  # sample_data hides something at the real minimum
    assert elsewhere == here


@pytest.fixture(scope="module")
def nation(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A small simulated nation: pupils in several kommuner, some moving between them."""
    import simulering

    small = simulering.Parametre(byer=1, mellom=2, smaa=3, enskole=1, years=(2023, 2024))
    folder = tmp_path_factory.mktemp("nasjon")
    simulated = simulering.simuler(small)
    simulated.write_np(folder / "filer")
    simulated.write_pupils(folder / "filer")
    settings = Settings(db_path=folder / "nasjon.duckdb", key_file=folder / "nokkel")
    assert api.ingest([folder / "filer"], settings=settings).exit_code == 0
    return settings


@pytest.mark.parametrize("minimum", [10, 25])
def test_plans_shared_out_between_processes_hide_what_one_plan_hides(
    nation: Settings, monkeypatch: pytest.MonkeyPatch, minimum: int
) -> None:
    with open_store(nation.db_path, read_only=True) as store:
        here = analyses.suppression_plan(store, minimum)
    monkeypatch.setattr(analyses, "PLAN_ELSEWHERE_MIN_RESULTS", 1)
    with open_store(nation.db_path, read_only=True) as store:
        assert analyses.start_suppression_plan(store, minimum, processes=2)
        pending = analyses._RUN_CACHE[store][(minimum, None)]
        assert len(pending._processes) == 2  # the kommune groups shared out
        elsewhere = analyses.suppression_plan(store, minimum)
    assert here.hidden
    assert elsewhere == here


def test_a_small_database_makes_its_plan_here(sample: Settings) -> None:
    with open_store(sample.db_path, read_only=True) as store:
        assert not analyses.start_suppression_plan(store, sample.min_group)


def test_tallkit_prosesser_is_read_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    from tallkit.config import load_settings
    from tallkit.errors import UsageError

    monkeypatch.setenv("TALLKIT_PROSESSER", "1")
    assert load_settings().processes == 1
    monkeypatch.setenv("TALLKIT_PROSESSER", "to")
    with pytest.raises(UsageError, match="TALLKIT_PROSESSER"):
        load_settings()
