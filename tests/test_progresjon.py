"""«tallkit progresjon»: CLI equals library, the model's growth effects are recovered, paired
changes and transitions equal a direct computation, series breaks are marked, small groups hide."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest

from conftest import SAMPLE_DATA, run_cli
from tallkit import api
from tallkit.config import Settings

TRUTH = json.loads((SAMPLE_DATA / "sannhet.json").read_text(encoding="utf-8"))
NORDBY_U = "999135684"  # growth 8 -> 9 about +3 above the kommune in the generating model


@pytest.mark.parametrize("part", ["kull", "elever", "verdiskaping", "trend"])
def test_cli_json_equals_the_library(sample: Settings, part: str) -> None:
    args = [
        "--db",
        str(sample.db_path),
        "progresjon",
        "--del",
        part,
        "--kommune",
        "9901",
        "-f",
        "json",
    ]
    result = run_cli(*args)
    assert result.code == 0, result.stderr
    expected = api.progresjon(part, kommune="9901", settings=sample)
    # every value-added row of sample_data is hidden across tables (1-9 pupils unpaired)
    assert expected.height > 0 or part == "verdiskaping"
    assert json.loads(result.stdout) == json.loads(expected.write_json())


def test_value_added_recovers_the_models_growth_effects(sample_unsuppressed: Settings) -> None:
    sample = sample_unsuppressed  # the estimator, below the minimum group: see conftest
    growth = {
        s["orgnr"]: s["vekst_8_til_9"]
        for s in TRUTH["skoler"]
        if s.get("vekst_8_til_9") is not None
    }
    va = api.progresjon("verdiskaping", settings=sample).filter(pl.col("fra_trinn") == 8)
    estimated = va.group_by("enhet_id").agg(pl.col("restledd").mean())
    pairs = [
        (growth[r["enhet_id"]], r["restledd"])
        for r in estimated.iter_rows(named=True)
        if r["enhet_id"] in growth
    ]
    assert len(pairs) >= 6
    truth, estimate = np.array(pairs).T
    assert np.corrcoef(truth, estimate)[0, 1] > 0.7
    nordby = va.filter(pl.col("enhet_id") == NORDBY_U)
    assert (nordby["flagg"] == "over").sum() >= nordby.height // 2
    assert set(va["metode"].unique()) and "skolebidrag" in va["metode"][0]


def test_value_added_from_5th_grade_is_the_centred_change_with_constant_zero(
    sample: Settings,
) -> None:
    # 5. -> 8. trinn is centred on the kommune's own pairs, so the kommune's mean change is 0
    # by construction: «konstant» says so exactly (it printed -7.6e-17 before), and «restledd»
    # is the paired change of «--del elever», as the README says
    va = api.progresjon("verdiskaping", settings=sample).filter(pl.col("fra_trinn") == 5)
    assert va.height > 0
    assert va["konstant"].to_list() == [0.0] * va.height
    paired = api.progresjon("elever", settings=sample).filter(
        (pl.col("fra_trinn") == 5) & (pl.col("gruppe") == "alle")
    )
    both = va.join(paired, on=["til_aar", "prove", "enhet_id"])
    assert both.height > 0
    assert (both["restledd"] - both["endring"]).abs().max() < 1e-12


def test_paired_change_and_transitions_equal_a_direct_computation(
    sample_unsuppressed: Settings,
) -> None:
    sample = sample_unsuppressed  # the estimator, below the minimum group: see conftest
    con = duckdb.connect(str(sample.db_path), read_only=True)
    rows = con.execute(
        "select f.skalapoeng, t.skalapoeng, f.mestringsnivaa, t.mestringsnivaa "
        "from elevresultat f join elevresultat t on t.elev = f.elev and t.prove = f.prove "
        "where f.trinn = 8 and t.trinn = 9 and f.skoleaar = '2024-25' and t.skoleaar = '2025-26' "
        "and f.prove = 'lesing' and t.enhet_id = $s and f.deltatt_status = 'D' "
        "and t.deltatt_status = 'D' and f.skalapoeng is not null and t.skalapoeng is not null",
        {"s": NORDBY_U},
    ).fetchall()
    con.close()
    diff = np.array([r[1] - r[0] for r in rows])
    row = (
        api.progresjon(
            "elever", skole=NORDBY_U, aar="2025-26", prove="lesing", trinn=9, settings=sample
        )
        .filter(pl.col("gruppe") == "alle")
        .row(0, named=True)
    )
    assert row["antall"] == len(rows)
    assert row["endring"] == pytest.approx(diff.mean())
    up = sum(1 for r in rows if r[3] > r[2]) / len(rows)
    down = sum(1 for r in rows if r[3] < r[2]) / len(rows)
    assert (row["andel_opp"], row["andel_ned"]) == (pytest.approx(up), pytest.approx(down))
    assert row["andel_opp"] + row["andel_samme"] + row["andel_ned"] == pytest.approx(1.0)


def test_published_cohort_change_is_end_minus_start(sample: Settings) -> None:
    frame = api.progresjon("kull", kommune="9901", settings=sample)
    same_scale = frame.filter(pl.col("fra_trinn") == 8)
    assert same_scale.height > 0
    assert (
        same_scale["endring"] - (same_scale["til_skalapoeng"] - same_scale["fra_skalapoeng"])
    ).abs().max() == 0
    across = frame.filter(pl.col("fra_trinn") == 5)
    assert across.height > 0 and across["endring"].is_null().all()  # different scales
    assert set(frame["nivaa"]) == {"skole", "kommune"}


def test_trend_marks_the_2022_series_break(settings: Settings, tmp_path: Path) -> None:
    units = "EnhetNivaa\tNasjonaltkode\tFylkekode\tKommunekode\tOrganisasjonsnummer\tNasjonalt\tFylke\tKommune\tEnhetNavn"
    years = ["2020-21", "2021-22", "2022-23", "2023-24"]
    header = [
        f"{y}.Lesing.5. årstrinn.Alle eierformer.Alle kjønn.{m}"
        for y in years
        for m in ("Skalapoeng", "Antall elever deltatt")
    ]
    row = ["4", "I", "99", "9901", "999999999", "Hele landet", "X", "Y", "Testskolen "] + [
        "50",
        "30",
    ] * 4
    path = tmp_path / "trend.csv"
    path.write_bytes(
        ("sep=\t\n" + units + "\t" + "\t".join(header) + "\n" + "\t".join(row) + "\n").encode(
            "utf-16-le"
        )
    )
    api.ingest([path], settings=settings)
    trend = api.progresjon("trend", skole="999999999", settings=settings).sort("skoleaar")
    assert trend["serie"].to_list() == [1, 1, 2, 2]
    marked = trend.filter(pl.col("brudd_for").is_not_null())
    assert marked["skoleaar"].to_list() == ["2022-23"]
    assert "2022" in marked["brudd_for"][0]


def test_no_number_rests_on_fewer_pupils_than_the_minimum(tmp_path: Path) -> None:
    minimum = 30
    settings = Settings(
        db_path=tmp_path / "m.duckdb", key_file=tmp_path / "nokkel", min_group=minimum
    )
    api.ingest([SAMPLE_DATA], settings=settings)
    kull = api.progresjon("kull", settings=settings)
    assert (
        kull.height > 0
        and (kull["fra_antall"] >= minimum).all()
        and (kull["til_antall"] >= minimum).all()
    )
    for part in ("elever", "verdiskaping", "trend"):
        frame = api.progresjon(part, settings=settings)
        shown = frame.filter(pl.col("antall").is_not_null())
        # at 30, cross-table suppression hides every paired and value-added row here
        assert (part != "trend" or shown.height > 0) and (shown["antall"] >= minimum).all()
    hidden = api.progresjon("elever", settings=settings).filter(pl.col("status") == "skjermet")
    assert hidden.height > 0 and hidden["endring"].is_null().all()


@pytest.mark.parametrize(
    "args",
    [
        ["progresjon", "--del", "elever"],
        ["progresjon", "--del", "verdiskaping"],
        ["variasjon", "--del", "grupper"],
        ["variasjon", "--del", "dekomponering"],
        ["fag", "--del", "sammenheng"],
    ],
)
def test_analyses_are_byte_identical_run_to_run(sample: Settings, args: list[str]) -> None:
    first = run_cli("--db", str(sample.db_path), *args, "-f", "csv")
    second = run_cli("--db", str(sample.db_path), *args, "-f", "csv")
    assert first.code == 0 and first.stdout_bytes == second.stdout_bytes
