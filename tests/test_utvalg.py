"""A run for one school (or one kommune's rows) reads only its school and kommune in SQL
(issue 12): its rows must be the whole run's rows for that school, number for number, for
every part the Læringsspeil reads. Checked on the sample kommune (at the real minimum and
with nothing hidden), on Udir's real Agder exports (published numbers only, many kommuner)
and on a small simulated nation with pupil data in several kommuner (class models from the
kommune's own classes or, for small kommuner, from all pupil data)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import simulering
from tallkit import api
from tallkit.analyses import Filters, variasjon
from tallkit.config import Settings
from tallkit.store import open_store

# every (command, part) the Læringsspeil reads
SPEIL_PARTS: list[tuple[Callable[..., pl.DataFrame], str]] = [
    (api.progresjon, "kull"),
    (api.progresjon, "elever"),
    (api.progresjon, "verdiskaping"),
    (api.progresjon, "trend"),
    (api.fag, "prover"),
    (api.fag, "profil"),
    (api.fag, "indikatorer"),
    (api.variasjon, "skoler"),
]


@pytest.fixture(scope="module")
def real(real_np: Settings) -> Settings:
    return real_np


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    small = simulering.Parametre(byer=1, mellom=2, smaa=3, enskole=1, years=(2023, 2024))
    nation = simulering.simuler(small)
    folder = tmp_path_factory.mktemp("sim")
    files = folder / "filer"
    nation.write_np(files)
    nation.write_pupils(files)
    settings = Settings(db_path=folder / "sim.duckdb", key_file=folder / "nokkel")
    report = api.ingest([files], settings=settings)
    assert report.exit_code == 0, [f.error for f in report.files]
    return settings


def _schools(settings: Settings, count: int) -> list[str]:
    """Schools spread over the kommuner: the first of each kommune, then the rest."""
    with open_store(settings.db_path, read_only=True) as store:
        found = store.query(
            "select enhet_id, kommunenr from enhet where nivaa = 'skole' "
            "and enhet_id in (select enhet_id from nasjonale_prover) order by kommunenr, enhet_id"
        )
    firsts = found.unique("kommunenr", keep="first", maintain_order=True)["enhet_id"].to_list()
    rest = [s for s in found["enhet_id"].to_list() if s not in firsts]
    return [*firsts, *rest][:count]


def _same_rows_alone_and_in_the_whole_run(settings: Settings, schools: list[str]) -> None:
    for command, part in SPEIL_PARTS:
        whole = command(part, settings=settings)
        assert "enhet_id" in whole.columns
        for school in schools:
            alone = command(part, skole=school, settings=settings)
            expected = whole.filter(pl.col("enhet_id") == school)
            try:
                assert_frame_equal(alone, expected, check_exact=True)
            except AssertionError as exc:
                raise AssertionError(f"{part}, skole {school}: {exc}") from None


@pytest.mark.parametrize("minimum", [10, 1])
def test_one_school_s_rows_are_the_whole_run_s_rows_on_the_sample_kommune(
    sample: Settings, minimum: int
) -> None:
    settings = dataclasses.replace(sample, min_group=minimum)
    _same_rows_alone_and_in_the_whole_run(settings, _schools(settings, 3))


def test_one_school_s_rows_are_the_whole_run_s_rows_on_the_real_exports(real: Settings) -> None:
    _same_rows_alone_and_in_the_whole_run(real, _schools(real, 3))


def test_one_school_s_rows_are_the_whole_run_s_rows_with_pupils_in_many_kommuner(
    simulated: Settings,
) -> None:
    # every kommune: large ones have class models of their own, small ones fall back to the
    # model over all pupil data, which a one-school run must then read as the whole run does
    _same_rows_alone_and_in_the_whole_run(simulated, _schools(simulated, 6))


def test_the_funnel_for_one_kommune_keeps_the_reference_of_every_school(
    simulated: Settings,
) -> None:
    with open_store(simulated.db_path, read_only=True) as store:
        kommuner = store.query("select distinct kommunenr from enhet where nivaa = 'skole'")
        whole = variasjon.between_schools(store, Filters(), simulated.min_group)
        for kommune in sorted(kommuner["kommunenr"].to_list()):
            rows = variasjon.between_schools(
                store, Filters(rows_kommune=kommune), simulated.min_group
            )
            expected = whole.filter(pl.col("kommunenr") == kommune)
            assert_frame_equal(rows, expected, check_exact=True)
            assert rows.height > 0


def test_the_pair_query_for_one_school_keeps_its_kommuner_whole(simulated: Settings) -> None:
    from tallkit.analyses import run_query

    with open_store(simulated.db_path, read_only=True) as store:
        everyone = run_query(
            store,
            "progresjon_klasser",
            {"aar": None, "prove": None, "kommune": None, "skole": None},
        )
        for school in _schools(simulated, 8):
            scoped = run_query(
                store,
                "progresjon_klasser",
                {"aar": None, "prove": None, "kommune": None, "skole": school},
            )
            kommuner = scoped["kommunenr"].unique().to_list()  # a list: polars 1.20 too
            assert_frame_equal(
                scoped, everyone.filter(pl.col("kommunenr").is_in(kommuner)), check_exact=True
            )


def test_simulated_nation_has_pupils_in_several_kommuner(simulated: Settings) -> None:
    elever = api.progresjon("elever", settings=dataclasses.replace(simulated, min_group=1))
    assert elever.height > 0
    with open_store(simulated.db_path, read_only=True) as store:
        found = store.query(
            "select count(distinct e.kommunenr) as n from elevresultat join enhet as e "
            "using (enhet_id)"
        )
    assert found["n"][0] >= 3


def test_the_school_list_for_chosen_schools_is_their_rows_of_the_whole_list(
    sample: Settings,
) -> None:
    # «$skoler» is optional («-- valgfrie:»): the scripts that call the query without it work
    whole = api.named_query("skoler", {"kommune": None}, settings=sample)
    chosen = whole["orgnr"].to_list()[1:3]
    only = api.named_query("skoler", {"kommune": None, "skoler": chosen}, settings=sample)
    assert len(chosen) == 2 and whole.height > 2
    assert_frame_equal(only, whole.filter(pl.col("orgnr").is_in(chosen)), check_exact=True)
