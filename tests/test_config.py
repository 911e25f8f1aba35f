"""tallkit.toml checks itself, is found like other tools find theirs, and says where each
setting came from."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import run_cli
from tallkit.config import find_config, load_settings


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (
            "[personvern]\nminste_grupe = 5\n",
            "ukjent nøkkel «minste_grupe» i [personvern]. Mente du «minste_gruppe»?",
        ),
        (
            '[kommunen]\nnummer = "9901"\n',
            "ukjent nøkkel «kommunen» på øverste nivå. Mente du «kommune»?",
        ),
        (
            '[[standard]]\nprove = "lesing"\ntrinn = 5\nminst = 50\nprovee = 1\n',
            "ukjent nøkkel «provee» i [standard]. Mente du «prove»?",
        ),
        (
            'databas = "x.duckdb"\n',
            "ukjent nøkkel «databas» på øverste nivå. Gyldige nøkler her: db, kommune,",
        ),
        ("db = 5\n", "«db» skal være tekst, ikke tallet 5."),
        (
            '[personvern]\nminste_gruppe = "tolv"\n',
            "«personvern.minste_gruppe» skal være heltall, ikke teksten «tolv».",
        ),
        ('kommune = "9901"\n', "«kommune» skal være en tabell"),
        ('[[standard]]\ntrinn = "5"\n', "«standard.trinn» skal være heltall"),
    ],
)
def test_unknown_keys_and_wrong_types_fail_with_a_suggestion(
    tmp_path: Path, toml: str, message: str
) -> None:
    config = _write(tmp_path / "tallkit.toml", toml)
    result = run_cli("skoler")
    assert result.code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"tallkit: feil: {config}: ")
    assert message in result.stderr
    assert result.stderr.count("\n") == 1


def test_config_is_found_in_a_parent_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _write(tmp_path / "prosjekt" / "tallkit.toml", 'db = "data/k.duckdb"\n')
    deep = tmp_path / "prosjekt" / "rapporter" / "2026"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    assert find_config() == config.resolve()
    assert load_settings().db_path == config.resolve().parent / "data" / "k.duckdb"


def test_environment_variable_names_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path / "tallkit.toml", 'db = "her.duckdb"\n')
    other = _write(tmp_path / "annet" / "min.toml", 'db = "der.duckdb"\n')
    monkeypatch.setenv("TALLKIT_KONFIG", str(other))
    assert load_settings().db_path == other.parent / "der.duckdb"
    explicit = _write(tmp_path / "eksplisitt.toml", 'db = "eksplisitt.duckdb"\n')
    assert load_settings(config=explicit).db_path == tmp_path / "eksplisitt.duckdb"


def test_konfig_shows_effective_settings_and_their_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(
        tmp_path / "tallkit.toml", '[kommune]\nnummer = "9901"\n[personvern]\nminste_gruppe = 12\n'
    )
    monkeypatch.setenv("TALLKIT_DB", str(tmp_path / "miljo.duckdb"))
    result = run_cli("konfig", "--format", "json")
    assert result.code == 0, result.stderr
    rows = {r["innstilling"]: (r["verdi"], r["kilde"]) for r in json.loads(result.stdout)}
    assert rows["kommune.nummer"] == ("9901", "tallkit.toml")
    assert rows["personvern.minste_gruppe"] == ("12", "tallkit.toml")
    assert rows["db"] == (str(tmp_path / "miljo.duckdb"), "TALLKIT_DB")
    assert rows["rapport.maler"] == ("", "innebygd standard")
    # values as tallkit.toml writes them: a Python «False» would not even parse there
    assert rows["rapport.anonym"] == ("false", "innebygd standard")
    assert rows["usikkerhet.uavhengige_elever"][0] == "false"
    assert rows["konfigurasjonsfil"][1] == "funnet i arbeidsmappen eller en foreldremappe"
    with_db = run_cli("--db", "x.duckdb", "konfig", "--format", "json")
    assert {r["innstilling"]: r["kilde"] for r in json.loads(with_db.stdout)}["db"] == "--db"
