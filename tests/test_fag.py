"""«tallkit fag» on the fictional kommune: CLI equals library, the generating model's subject
profile is found, pupil-level links equal a direct computation, and small groups stay hidden."""

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

PROFILED = "997094069"  # Bjørkås skole: lesing +3.5, regning −5 in the generating model


@pytest.mark.parametrize("part", ["prover", "profil", "sammenheng", "indikatorer"])
def test_cli_json_equals_the_library(sample: Settings, part: str) -> None:
    result = run_cli(
        "--db", str(sample.db_path), "fag", "--del", part, "--skole", "Bjørkås", "-f", "json"
    )
    assert result.code == 0, result.stderr
    expected = api.fag(part, skole="Bjørkås", settings=sample)
    assert expected.height > 0
    assert json.loads(result.stdout) == json.loads(expected.write_json())


def test_the_models_subject_profile_is_found(sample: Settings) -> None:
    profile = api.fag("profil", skole=PROFILED, settings=sample)
    lesing = profile.filter(pl.col("prove") == "lesing")
    regning = profile.filter(pl.col("prove") == "regning")
    assert lesing["profil"].mean() > 2 and regning["profil"].mean() < -3  # type: ignore[operator]
    assert (regning["flagg"] == "under").sum() >= regning.height // 2
    assert (regning["flagg"] == "over").sum() == 0 and (lesing["flagg"] == "under").sum() == 0


def test_profile_is_each_tests_distance_minus_the_others(sample: Settings) -> None:
    by_test = api.fag("prover", skole=PROFILED, aar="2025-26", trinn=5, settings=sample)
    profile = api.fag("profil", skole=PROFILED, aar="2025-26", trinn=5, settings=sample)
    distance = dict(zip(by_test["prove"], by_test["mot_landet"], strict=True))
    for row in profile.iter_rows(named=True):
        others = [v for k, v in distance.items() if k != row["prove"]]
        assert row["profil"] == pytest.approx(distance[row["prove"]] - sum(others) / len(others))


def test_pupil_links_equal_a_direct_computation(sample_unsuppressed: Settings) -> None:
    sample = sample_unsuppressed  # the estimator, below the minimum group: see conftest
    con = duckdb.connect(str(sample.db_path), read_only=True)
    pairs = con.execute(
        "select a.skalapoeng, b.skalapoeng, a.mestringsnivaa, b.mestringsnivaa "
        "from elevresultat a join elevresultat b on a.elev = b.elev and a.skoleaar = b.skoleaar "
        "and a.trinn = b.trinn and a.enhet_id = b.enhet_id "
        "where a.enhet_id = $s and a.skoleaar = '2025-26' and a.trinn = 5 and a.prove = 'lesing' "
        "and b.prove = 'regning' and a.deltatt_status = 'D' and b.deltatt_status = 'D' "
        "and a.skalapoeng is not null and b.skalapoeng is not null",
        {"s": PROFILED},
    ).fetchall()
    con.close()
    x, y = np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])
    row = (
        api.fag("sammenheng", skole=PROFILED, aar="2025-26", trinn=5, settings=sample)
        .filter((pl.col("prove_a") == "lesing") & (pl.col("prove_b") == "regning"))
        .row(0, named=True)
    )
    assert row["antall"] == len(pairs)
    assert row["korrelasjon"] == pytest.approx(np.corrcoef(x, y)[0, 1])
    assert row["lav_bare_b"] == sum(1 for p in pairs if p[3] == 1 and p[2] != 1)
    assert row["lav_begge"] == sum(1 for p in pairs if p[2] == 1 and p[3] == 1)
    assert row["korrelasjon_lav"] < row["korrelasjon"] < row["korrelasjon_hoy"]


def test_indicators_say_when_nothing_supports_an_interval(sample: Settings) -> None:
    frame = api.fag("indikatorer", skole="Fjordvik ungdomsskole", aar="2025-26", settings=sample)
    gsp = frame.filter(pl.col("kilde") == "grunnskolepoeng").row(0, named=True)
    assert gsp["verdi"] is not None and gsp["se"] is None and gsp["flagg_landet"] is None
    assert gsp["usikkerhet_kilde"].startswith("ingen")
    bullying = frame.filter(pl.col("indikator_kode") == "EUIndeks_1398")
    assert set(bullying["retning"]) == {"lavere er bedre"}
    assert set(frame["kilde"]) == {"nasjonale_prover", "elevundersokelsen", "grunnskolepoeng"}


def test_no_number_rests_on_fewer_pupils_than_the_minimum(tmp_path: Path) -> None:
    minimum = 30
    settings = Settings(
        db_path=tmp_path / "m.duckdb", key_file=tmp_path / "nokkel", min_group=minimum
    )
    api.ingest([SAMPLE_DATA], settings=settings)
    for part in ("prover", "profil", "sammenheng"):
        frame = api.fag(part, settings=settings)
        assert frame.height > 0 and (frame["antall"] >= minimum).all(), part
    indicators = api.fag("indikatorer", settings=settings)
    shown = indicators.filter(pl.col("verdi").is_not_null())
    assert (shown["antall"] >= minimum).all()
    assert (
        indicators.filter(pl.col("verdi").is_null())["status"].is_in(["skjermet", "mangler"]).all()
    )
