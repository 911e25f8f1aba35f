"""The suppression plan kept beside the database (tallkit.planlager): read back exactly, used
only for the state of the database it was made from, and never needed."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import polars as pl
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
        ["grupper.json", planlager._name(10, None), planlager._name(10, ("9901",))]
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
    stored = stamp / planlager._name(10, None)
    whole = stored.read_bytes()
    stored.write_text('{"minimum": 10, "deler": [1', "utf-8")
    (stamp / "grupper.json").write_text('[["9901"], 7]', "utf-8")
    assert _plan(copy) == made  # unreadable files are misses, made again and rewritten
    assert stored.read_bytes() == whole  # the same plan is the same file
    stored.write_bytes(whole[: len(whole) - 100])  # cut short: a miss, not a smaller plan
    assert _plan(copy) == made
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
    stored = b"".join(p.read_bytes() for p in next(_folder(copy).iterdir()).iterdir())
    assert pupils and not any(pupil.encode() in stored for pupil in pupils)


def test_a_state_that_cannot_be_told_means_nothing_is_read_or_written(
    copy: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = _plan(copy)
    shutil.rmtree(_folder(copy))
    # as on a database from before a column the stamp reads
    monkeypatch.setattr(planlager, "_STAMP_SQL", "select no_such_column from lager.kilde")
    assert _plan(copy) == made
    assert not _folder(copy).exists()


# The references: the few numbers a school's report takes from the whole database
# ---------------------------------------------------------------------------------------------


def _speil(settings: Settings, out: Path) -> dict[str, bytes]:
    api.speil(["Solåsen"], ut=out, dato="2026-01-15", settings=settings)
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def _refuse_whole_database(monkeypatch: pytest.MonkeyPatch) -> None:
    from tallkit.analyses import progresjon, variasjon

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("a whole-database reference was made again")

    monkeypatch.setattr(variasjon, "_overdispersion", refuse)
    own_classes = progresjon._classes

    def only_own_classes(*args: Any, scoped: bool = True) -> pl.DataFrame:
        if not scoped:  # every kommune's classes: the whole country's pupil pairs
            refuse()
        return own_classes(*args)

    monkeypatch.setattr(progresjon, "_classes", only_own_classes)
    original = analyses.run_query

    def no_class_sums(store: object, name: str, params: dict[str, object]) -> object:
        if name == "klassemodell":
            refuse()
        return original(store, name, params)  # type: ignore[arg-type]

    monkeypatch.setattr(analyses, "run_query", no_class_sums)


def test_a_schools_report_from_kept_references_is_the_report_made_without_them(
    copy: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TALLKIT_MELLOMLAGER", "0")
    without = _speil(copy, tmp_path / "uten")
    monkeypatch.setenv("TALLKIT_MELLOMLAGER", "1")
    first = _speil(copy, tmp_path / "forste")
    kept = sorted(p.name.split("-")[0] for p in next(_folder(copy).iterdir()).iterdir())
    assert {"klassemodell", "tau2"} <= set(kept)
    _refuse_whole_database(monkeypatch)
    second = _speil(copy, tmp_path / "andre")
    assert len(without) >= 2 and first == without and second == without


def test_the_gain_models_read_back_are_the_models_made(
    copy: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tallkit.analyses import Filters, progresjon
    from tallkit.analyses.usikkerhet import Uncertainty

    filters = Filters(aar="2025-26")
    unc = Uncertainty()
    with open_store(copy.db_path, read_only=True) as store:
        made = progresjon._every_gain_model(store, filters, unc)

    def refuse(*_: object) -> None:
        raise AssertionError("the gain models were made again")

    monkeypatch.setattr(progresjon, "_make_gain_models", refuse)
    with open_store(copy.db_path, read_only=True) as store:
        read = progresjon._every_gain_model(store, filters, unc)
    assert made and read == made
    # same types too (an int group size stays an int): the same bytes downstream
    assert [type(m.group_size) for m in read.values()] == [
        type(m.group_size) for m in made.values()
    ]


def test_other_uncertainty_settings_are_other_references(
    copy: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tallkit.analyses import Filters, variasjon
    from tallkit.analyses.usikkerhet import Uncertainty

    calls: list[object] = []
    original = variasjon._overdispersion

    def counted(compared: pl.DataFrame) -> dict[tuple[str, int, str], float]:
        calls.append(compared)
        return original(compared)

    monkeypatch.setattr(variasjon, "_overdispersion", counted)
    with open_store(copy.db_path, read_only=True) as store:
        built = analyses.build_uncertainty(store, None)
    for icc in (0.05, 0.2, 0.05):
        unc = Uncertainty(own=built.own, everyone=built.everyone, default_icc=icc)
        with open_store(copy.db_path, read_only=True) as store:
            filters = Filters(aar="2025-26", uncertainty_model=unc)
            variasjon._every_schools_overdispersion(store, filters, 10)
    assert len(calls) == 2  # the third is the first's, read back


def test_a_reference_file_that_does_not_read_is_made_again(copy: Settings, tmp_path: Path) -> None:
    first = _speil(copy, tmp_path / "forste")
    for path in next(_folder(copy).iterdir()).iterdir():
        if path.name.startswith(("klassemodell", "tau2")):
            path.write_text('{"nokkel": "()", "innhold": [["x"]]}', "utf-8")
    assert _speil(copy, tmp_path / "andre") == first


def test_the_folder_is_the_owners_alone(copy: Settings) -> None:
    _folder(copy).mkdir(mode=0o755)  # as an earlier version left it
    _folder(copy).chmod(0o755)
    _plan(copy)
    for folder in (_folder(copy), *_folder(copy).iterdir()):
        assert folder.stat().st_mode & 0o077 == 0, folder
    for path in next(_folder(copy).iterdir()).iterdir():
        assert path.stat().st_mode & 0o077 == 0, path


# Compiled templates, kept between commands (tallkit.render)
# ---------------------------------------------------------------------------------------------


def test_a_kept_template_renders_as_a_fresh_one_and_a_broken_one_is_compiled_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import jinja2

    from tallkit import render

    kept = render._KeptTemplates(str(tmp_path))
    monkeypatch.setattr(render, "_compiled_templates", lambda: kept)
    context = {"x": "Bjørkås & <skole>"}
    template = "{{ x }} {% for i in range(3) %}{{ i }}{% endfor %}"
    fresh = jinja2.Environment(autoescape=True).from_string(template).render(context)

    def rendered() -> str:
        env = render.environment()
        env.autoescape = True
        env.loader = jinja2.DictLoader({"t.html.j2": template})
        return env.get_template("t.html.j2").render(context)

    assert rendered() == fresh
    (cached,) = tmp_path.iterdir()
    assert rendered() == fresh  # read back
    cached.write_bytes(cached.read_bytes()[:20])  # cut off mid-file
    assert rendered() == fresh
    cached.write_bytes(b"not jinja at all")
    assert rendered() == fresh


def test_turned_off_no_template_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    from tallkit import render

    monkeypatch.setenv("TALLKIT_MELLOMLAGER", "0")
    assert render.environment().bytecode_cache is None
    monkeypatch.setenv("TALLKIT_MELLOMLAGER", "1")
    assert render.environment().bytecode_cache is not None
