"""No shown number, in any output together, lets a reader add and subtract their way to the
sum or mean of fewer pupils than the minimum group (issue 7, item 9; PRODUCT.md §6).

The audit (``tests/avsloring.py``) models every number tallkit shows from pupil data — every
``--del`` of ``variasjon``, ``progresjon`` and ``fag``, and the Læringsspeil for every school
and year — as a linear functional over the pupils' values and searches the row space for a
combination that singles out fewer than ``minste_gruppe`` pupils. Print the counts with
``.venv/bin/python -m pytest tests/test_avsloring.py -s``.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

import avsloring
from tallkit import api
from tallkit.config import Settings


@pytest.fixture(scope="session")
def small(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A small kommune built for the purpose: movers between classes and schools, a school
    under the minimum, a class of 6, a 1-10 school."""
    folder = tmp_path_factory.mktemp("smavik")
    settings = Settings(db_path=folder / "s.duckdb", key_file=folder / "nokkel")
    report = api.ingest(avsloring.write_small_kommune(folder / "filer"), settings=settings)
    assert report.exit_code == 0, [f.error for f in report.files]
    return settings


def _audit(settings: Settings, tmp_path: Path) -> avsloring.Audit:
    shown = avsloring.collect(settings, tmp_path / "speil")
    result = avsloring.audit(list(shown.out.values()), settings.min_group)
    print(f"\n{settings.db_path.parent.name}: {result.summary()}")
    return result


def _explain(result: avsloring.Audit) -> str:
    lines = [result.summary()]
    for leak in result.leaks[:10]:
        lines.append(f"  {leak.family}: {leak.pupils} elev(er) fra {'; '.join(leak.rows[:6])}")
    return "\n".join(lines)


@pytest.mark.parametrize("which", ["sample", "small"])
def test_no_combination_of_shown_numbers_singles_out_a_small_group(
    which: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    settings: Settings = request.getfixturevalue(which)
    result = _audit(settings, tmp_path)
    assert result.functionals, "the audit found nothing to check"
    if result.leaks:
        pytest.fail(_explain(result), pytrace=False)


def _shown(frame: pl.DataFrame, value: str) -> pl.DataFrame:
    return frame.filter(pl.col(value).is_not_null()).sort(pl.all())


PARTS = [
    ("variasjon", "grupper", "snitt", "skoleaar", "enhet_id"),
    ("progresjon", "elever", "endring", "til_aar", "enhet_id"),
    ("progresjon", "verdiskaping", "restledd", "til_aar", "enhet_id"),
    ("fag", "sammenheng", "lav_bare_a", "skoleaar", "enhet_id"),
]


@pytest.mark.parametrize(("module", "part", "value", "year", "unit"), PARTS)
def test_a_part_decides_the_same_whatever_it_is_asked_for(
    small: Settings, module: str, part: str, value: str, year: str, unit: str
) -> None:
    """A reader may run every part with every filter: what one run shows, a filtered run
    shows the same way (and hides the same way)."""
    run = getattr(api, module)
    everything = _shown(run(part, settings=small), value)
    for aar in sorted(set(everything[year])):
        for skole in sorted(set(everything.filter(pl.col(year) == aar)[unit])):
            filtered = _shown(run(part, aar=aar, skole=skole, settings=small), value)
            expected = everything.filter((pl.col(year) == aar) & (pl.col(unit) == skole))
            assert filtered.equals(expected.select(filtered.columns)), (aar, skole)


@pytest.mark.parametrize("which", ["sample", "small"])
@pytest.mark.parametrize("minimum", [5, 10, 15, 25])
def test_the_fast_plan_hides_exactly_what_the_plain_plan_hides(
    which: str, minimum: int, request: pytest.FixtureRequest
) -> None:
    """The plan keeps its pieces up to date per hide on integer ids (seconds on a national
    database); the plan as first written (tests/skjerming_referanse.py: tuple records, every
    piece re-counted after every hide, every cell re-checked) is the oracle. The sets
    themselves are built a second, independent way there too."""
    import skjerming_referanse as reference
    from tallkit import skjerming
    from tallkit.analyses import run_query
    from tallkit.store import open_store

    settings: Settings = request.getfixturevalue(which)
    with open_store(settings.db_path, read_only=True) as store:
        results = run_query(store, "skjerming", {"kommuner": None})
    sets = skjerming.candidates(results)
    plain = reference.candidates(results)
    assert {(c.key, c.kind, c.members, c.depends) for c in reference.from_sets(sets)} == {
        (c.key, c.kind, c.members, tuple(sorted(c.depends, key=reference._order))) for c in plain
    }
    fast = skjerming.plan(sets, minimum)
    assert fast.hidden, "nothing hidden: the comparison would prove nothing"
    assert fast.hidden == reference.plan(plain, minimum).hidden
