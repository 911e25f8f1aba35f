"""The suppression plan kept beside the database (tallkit.planlager): read back exactly, used
only for the state of the database it was made from, and never needed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tallkit import analyses, api, planlager, skjerming
from tallkit.config import Settings
from tallkit.store import open_store

SAMPLE_DATA = Path(__file__).resolve().parent.parent / "sample_data"


@pytest.fixture
def copy(sample: Settings, tmp_path: Path) -> Settings:
    """The sample database in a folder of its own (with no plan beside it yet)."""
    db = tmp_path / "kopi" / "s.duckdb"
    db.parent.mkdir()
    shutil.copy(sample.db_path, db)
    return Settings(db_path=db, key_file=sample.key_file)


def _folder(settings: Settings) -> Path:
    return settings.db_path.with_name(settings.db_path.name + planlager.SUFFIX)


def _plan(settings: Settings, minimum: int = 10, kommune: str | None = None) -> skjerming.Plan:
    with open_store(settings.db_path, read_only=True) as store:
        return analyses.suppression_plan(store, minimum, kommune)


def _refuse_to_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object) -> skjerming.Plan:
        raise AssertionError("the plan was made again")

    monkeypatch.setattr(skjerming, "plan", refuse)


def test_the_second_command_reads_the_plan_the_first_one_made(
    copy: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = _plan(copy)
    own = _plan(copy, kommune="9901")
    assert made.hidden, "the sample kommune has small groups: something must be hidden"
    assert sorted(p.name for p in next(_folder(copy).iterdir()).iterdir()) == sorted(
        ["grupper.json", "plan-min10-alle.json", planlager._name(10, ("9901",))]
    )
    _refuse_to_plan(monkeypatch)
    # read back key for key: the same tuples with the same types (ints stay ints, None None)
    assert _plan(copy) == made
    assert _plan(copy, kommune="9901") == own
    for key in made.hidden:
        assert skjerming.Plan(made.hidden).shows(key) is False


def test_a_report_from_a_stored_plan_is_the_report_from_a_plan_made_now(
    copy: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = api.progresjon("elever", settings=copy)
    _refuse_to_plan(monkeypatch)
    again = api.progresjon("elever", settings=copy)
    assert again.equals(first)
    assert first.height > 0


def test_another_minimum_is_another_plan(copy: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    ten = _plan(copy, 10)
    five = _plan(copy, 5)
    assert five != ten and len(five.hidden) < len(ten.hidden)
    _refuse_to_plan(monkeypatch)
    assert _plan(copy, 5) == five


def test_an_ingest_makes_the_stored_plan_stale_and_it_is_removed(
    copy: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _plan(copy)
    (before,) = _folder(copy).iterdir()
    # any ingested file changes the state: here real Udir exports with units of their own
    real = Path(__file__).resolve().parent / "fixtures" / "real"
    extra = sorted(real.glob("statistikkbanken_export_NP_*.csv"))[:1]
    assert api.ingest(extra, settings=copy).exit_code == 0
    calls: list[int] = []
    original = skjerming.plan

    def counted(sets: skjerming.Sets, minimum: int) -> skjerming.Plan:
        calls.append(minimum)
        return original(sets, minimum)

    monkeypatch.setattr(skjerming, "plan", counted)
    _plan(copy)
    assert calls == [10]
    (after,) = _folder(copy).iterdir()
    assert after.name != before.name


def test_a_folder_that_cannot_be_written_or_read_only_means_the_plan_is_made(
    copy: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = _plan(copy)
    shutil.rmtree(_folder(copy))
    _folder(copy).write_text("ikke en mappe", encoding="utf-8")  # mkdir fails
    assert _plan(copy) == made
    _folder(copy).unlink()
    _plan(copy)
    (stamp,) = _folder(copy).iterdir()
    (stamp / "plan-min10-alle.json").write_text('{"minimum": 10, "skjult": [1', "utf-8")
    (stamp / "grupper.json").write_text('[["9901"], 7]', "utf-8")
    assert _plan(copy) == made  # unreadable files are misses, made again and rewritten
    _refuse_to_plan(monkeypatch)
    assert _plan(copy) == made


def test_turned_off_nothing_is_written(copy: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TALLKIT_MELLOMLAGER", "0")
    _plan(copy)
    assert not _folder(copy).exists()


def test_the_files_hold_no_pupil(copy: Settings) -> None:
    _plan(copy)
    with open_store(copy.db_path, read_only=True) as store:
        pupils = {
            str(r[0]) for r in store.con.execute("select elev from lager.elevresultat").fetchall()
        }
    text = "".join(p.read_text("utf-8") for p in next(_folder(copy).iterdir()).iterdir())
    assert pupils and not any(pupil in text for pupil in pupils)


def test_a_state_that_cannot_be_told_means_nothing_is_read_or_written(
    copy: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = _plan(copy)
    shutil.rmtree(_folder(copy))
    # as on a database from before a column the stamp reads
    monkeypatch.setattr(planlager, "_STAMP_SQL", "select no_such_column from lager.kilde")
    assert _plan(copy) == made
    assert not _folder(copy).exists()
