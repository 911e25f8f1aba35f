"""Ingest behaviour: idempotence, replacement, dry runs, pupil data, pseudonymisation, crashes."""

from __future__ import annotations

import hashlib
import hmac
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from conftest import NP_5_2025, NP_U_2025, db_fingerprint, raw_query, run_cli
from tallkit import api, formats, store
from tallkit.config import Settings
from tallkit.ingestion import CHECKED, FAILED, INGESTED, UNCHANGED
from tallkit.personvern import PseudonymKey

_W1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_W2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def make_fnr(seed: int) -> str:
    """A synthetic fødselsnummer with valid control digits (independent of tallkit's checker)."""
    while True:
        base = f"{(seed % 28) + 1:02d}{(seed % 12) + 1:02d}{10 + seed % 8:02d}{seed % 1000:03d}"
        digits = [int(c) for c in base]
        k1 = 11 - sum(w * d for w, d in zip(_W1, digits, strict=True)) % 11
        k1 = 0 if k1 == 11 else k1
        k2 = 11 - sum(w * d for w, d in zip(_W2, [*digits, k1], strict=True)) % 11
        k2 = 0 if k2 == 11 else k2
        if k1 < 10 and k2 < 10:
            return f"{base}{k1}{k2}"
        seed += 7919


def pupil_file(
    path: Path, ids: list[str], *, encoding: str = "utf-8", extra_fnr: bool = False
) -> Path:
    header = "elev;orgnr;skoleår;prøve;deltatt;skalapoeng;mestringsnivå;gruppe;avgiverskole"
    if extra_fnr:
        header += ";fødselsnummer"
    lines = [header]
    for number, pupil in enumerate(ids):
        for code, score in (("NPLES08", 40 + number % 20), ("NPREG08", 45 + number % 15)):
            row = f"{pupil};999000001;2025-26;{code};D;{score};{1 + number % 5};8A;999000009"
            if extra_fnr:
                row += f";{make_fnr(number + 500)}"
            lines.append(row)
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


# -- idempotence and replacement -------------------------------------------------------------


def test_same_file_twice_changes_nothing(settings: Settings) -> None:
    first = api.ingest([NP_5_2025], settings=settings)
    assert [f.status for f in first.files] == [INGESTED]
    before = db_fingerprint(settings.db_path)
    second = api.ingest([NP_5_2025], settings=settings)
    assert [f.status for f in second.files] == [UNCHANGED]
    assert db_fingerprint(settings.db_path) == before


def test_newer_export_replaces_the_same_keys_and_kilde_keeps_both(
    settings: Settings, tmp_path: Path
) -> None:
    api.ingest([NP_5_2025], settings=settings)
    text = NP_5_2025.read_bytes().decode("utf-16-le")
    # Asdal skole's lesing result changes from 51 to 53 in a re-export
    changed = text.replace("Asdal skole \t52\t3,0\t36\t51\t", "Asdal skole \t52\t3,0\t36\t53\t")
    assert changed != text
    newer = tmp_path / "2025-26_20260301-0900_Nasjonale_proever_5._trinn.csv"
    newer.write_bytes(changed.encode("utf-16-le"))
    report = api.ingest([newer], settings=settings)
    assert report.files[0].status == INGESTED
    assert report.files[0].replaced == report.files[0].rows  # same keys, all replaced
    frame = api.sql(
        "select skalapoeng, kilde_id from nasjonale_prover where enhet_id = '975280888' "
        "and prove = 'lesing' and skoleaar = '2025-26'",
        settings=settings,
    )
    assert frame.rows() == [(53.0, 2)]
    assert api.sql("select count(*) as n from kilde", settings=settings)["n"][0] == 2


def test_files_in_one_run_are_taken_oldest_export_first(settings: Settings, tmp_path: Path) -> None:
    text = NP_5_2025.read_bytes().decode("utf-16-le")
    old = tmp_path / "b" / "2025-26_20260101-0800_Nasjonale_proever_5._trinn.csv"
    new = tmp_path / "a" / "2025-26_20260301-0800_Nasjonale_proever_5._trinn.csv"
    old.parent.mkdir()
    new.parent.mkdir()
    old.write_bytes(
        text.replace("Asdal skole \t52\t3,0\t36\t51\t", "Asdal skole \t52\t3,0\t36\t40\t").encode(
            "utf-16-le"
        )
    )
    new.write_bytes(text.encode("utf-16-le"))
    api.ingest([tmp_path], settings=settings)
    frame = api.sql(
        "select skalapoeng from nasjonale_prover where enhet_id = '975280888' and prove = 'lesing'",
        settings=settings,
    )
    assert frame.rows() == [(51.0,)]


def test_dry_run_writes_nothing(settings: Settings) -> None:
    report = api.ingest([NP_5_2025], settings=settings, dry_run=True)
    assert [f.status for f in report.files] == [CHECKED]
    assert report.files[0].rows > 0
    assert not settings.db_path.exists()
    api.ingest([NP_U_2025], settings=settings)
    before = db_fingerprint(settings.db_path)
    result = run_cli("--db", str(settings.db_path), "ingest", "--tørrkjøring", str(NP_5_2025))
    assert result.code == 0
    assert "tørrkjøring" in result.stderr
    assert db_fingerprint(settings.db_path) == before


def test_database_file_is_readable_by_owner_only(settings: Settings) -> None:
    api.ingest([NP_5_2025], settings=settings)
    assert oct(settings.db_path.stat().st_mode & 0o777) == "0o600"


# -- pupil data and privacy ------------------------------------------------------------------


def _key(settings: Settings) -> bytes:
    return bytes.fromhex(settings.key_file.read_text().strip())


def test_pupil_ids_become_keyed_pseudonyms(settings: Settings, tmp_path: Path) -> None:
    ids = [f"E{n:05d}" for n in range(30)]
    path = pupil_file(tmp_path / "elever.csv", ids)
    report = api.ingest([path], settings=settings)
    assert report.files[0].status == INGESTED, report.files[0].error
    stored = {r[0] for r in raw_query(settings.db_path, "select distinct elev from elevresultat")}
    key = _key(settings)
    expected = {hmac.new(key, i.encode(), hashlib.sha256).hexdigest()[:20] for i in ids}
    assert stored == expected
    assert settings.key_file.stat().st_mode & 0o777 == 0o600


def test_fodselsnummer_never_reaches_the_database_file(settings: Settings, tmp_path: Path) -> None:
    ids = [make_fnr(n) for n in range(40)]
    path = pupil_file(tmp_path / "elever_fnr.csv", ids, extra_fnr=True, encoding="latin-1")
    result = run_cli("--db", str(settings.db_path), "ingest", str(path))
    assert result.code == 0, result.stderr
    assert "fødselsnummer" in result.stderr and "ADVARSEL" in result.stderr
    con = duckdb.connect(str(settings.db_path))
    con.execute("checkpoint")
    con.close()
    raw = b"".join(p.read_bytes() for p in settings.db_path.parent.glob("test.duckdb*"))
    extra = [make_fnr(n + 500) for n in range(40)]
    for secret in ids + extra:
        assert secret.encode() not in raw
        assert secret.encode("utf-16-le") not in raw


def test_pupil_file_rows_levels_and_trinn(settings: Settings, tmp_path: Path) -> None:
    path = pupil_file(tmp_path / "elever.csv", [f"P{n}" for n in range(12)])
    api.ingest([path], settings=settings)
    rows = raw_query(
        settings.db_path,
        "select prove, trinn, skoleaar, count(*) as n, min(mestringsnivaa) as lo, max(mestringsnivaa) as hi "
        "from elevresultat group by all order by prove",
    )
    assert rows == [("lesing", 8, "2025-26", 12, 1, 5), ("regning", 8, "2025-26", 12, 1, 5)]


def test_a_different_key_is_refused(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    api.ingest([pupil_file(tmp_path / "a.csv", ["A1", "A2"])], settings=settings)
    other_key = tmp_path / "annen_nokkel"
    other_key.write_text("ab" * 32 + "\n")
    other_key.chmod(0o600)
    other = Settings(db_path=settings.db_path, key_file=other_key)
    before = db_fingerprint(settings.db_path)
    report = api.ingest([pupil_file(tmp_path / "b.csv", ["B1"])], settings=other)
    assert report.exit_code == 2
    assert "annen pseudonymnøkkel" in (report.files[0].error or "")
    assert db_fingerprint(settings.db_path) == before


# -- crash consistency -----------------------------------------------------------------------


def test_crash_in_the_middle_of_an_ingest_leaves_the_old_state(
    settings: Settings, tmp_path: Path
) -> None:
    api.ingest([NP_5_2025], settings=settings)
    before = db_fingerprint(settings.db_path)
    env = {
        **os.environ,
        "TALLKIT_TEST_KRASJ": "etter_skriving",
        "TALLKIT_NOKKELFIL": str(settings.key_file),
    }
    code = "import sys; from tallkit.cli import main; sys.exit(main())"
    proc = subprocess.run(
        [sys.executable, "-c", code, "--db", str(settings.db_path), "ingest", str(NP_U_2025)],
        env=env,
        capture_output=True,
        check=False,
    )
    assert proc.returncode == 70  # the process died before committing
    assert db_fingerprint(settings.db_path) == before
    # and the file goes in cleanly afterwards
    assert api.ingest([NP_U_2025], settings=settings).files[0].status == INGESTED


def test_progress_is_reported_per_file_and_inside_a_pupil_load(
    settings: Settings, tmp_path: Path
) -> None:
    path = pupil_file(tmp_path / "elever.csv", [f"P{n}" for n in range(50)])
    calls: list[tuple[str, int, int, float]] = []
    api.ingest(
        [NP_5_2025, path],
        settings=settings,
        progress=lambda p, i, n, share: calls.append((p.name, i, n, share)),
    )
    assert calls[0][1:] == (0, 2, 0.0)
    pupil_calls = [c for c in calls if c[0] == "elever.csv"]
    shares = [c[3] for c in pupil_calls]
    assert shares == sorted(shares)
    assert shares[0] == 0.0 and shares[-1] == pytest.approx(0.95)


def test_plain_layout_without_optional_columns(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "kort.csv"
    rows = ["Elev,Orgnr,Skoleår,Prøve,Deltatt,Skalapoeng,Mestringsnivå"]
    rows += [f'K{n},999000001,2024-2025,NPREG05,D,"5{n % 10},0",2' for n in range(12)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    report = api.ingest([path], settings=settings)
    assert report.files[0].status == INGESTED, report.files[0].error
    rows = raw_query(
        settings.db_path,
        "select skoleaar, trinn, prove, count(*) as n, count(gruppe) as grupper, avg(skalapoeng) as snitt "
        "from elevresultat group by all",
    )
    expected_mean = sum(50 + n % 10 for n in range(12)) / 12
    assert rows == [("2024-25", 5, "regning", 12, 0, pytest.approx(expected_mean))]


# -- pupil loads: duplicates and memory ------------------------------------------------------


def test_a_pupil_with_two_results_for_one_test_refuses_the_file(
    settings: Settings, tmp_path: Path
) -> None:
    api.ingest([NP_5_2025], settings=settings)
    before = db_fingerprint(settings.db_path)
    path = pupil_file(tmp_path / "elever.csv", ["A1", "A2", "A3", "A1", "A3"])
    report = api.ingest([path], settings=settings).files[0]
    assert report.status == FAILED
    # A1 and A3 twice, each in lesing and regning: four (pupil, test, year) keys
    assert report.error is not None
    assert "4 elever har mer enn ett resultat på samme prøve og skoleår" in report.error
    assert db_fingerprint(settings.db_path) == before


def test_a_pupil_load_without_memory_is_one_files_error_and_changes_nothing(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    api.ingest([NP_5_2025], settings=settings)
    before = db_fingerprint(settings.db_path)
    path = pupil_file(tmp_path / "elever.csv", [make_fnr(n) for n in range(200)])
    with monkeypatch.context() as patch:
        patch.setattr(store.Store, "_pupil_memory_limit", lambda self: 1)  # far too little
        report = api.ingest([path], settings=settings).files[0]
    assert report.status == FAILED
    assert report.error == f"{path}: kan ikke lese filen (for lite minne)."
    assert db_fingerprint(settings.db_path) == before
    assert api.ingest([path], settings=settings).files[0].status == INGESTED


def test_raw_pupil_ids_are_read_with_spilling_to_disk_off(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The distinct raw ids (here fødselsnummer) are the one thing DuckDB holds in clear; its
    # temp files would put them on disk, so that step may not spill (everything after it is
    # keyed by a salted digest or pseudonymised).
    seen: dict[str, object] = {}
    original = store.Store._run_internal

    def spy(self: store.Store, name: str, params: dict[str, object] | None = None) -> object:
        if name == "elev_pseudonymer":
            setting = "select current_setting('max_temp_directory_size')"
            seen["spill"] = self.con.execute(setting).fetchall()[0][0]
            assert params is not None
            seen["salt"] = params["salt"]
        return original(self, name, params)  # type: ignore[arg-type]

    monkeypatch.setattr(store.Store, "_run_internal", spy)
    path = pupil_file(tmp_path / "elever.csv", [make_fnr(n) for n in range(20)])
    assert api.ingest([path], settings=settings).files[0].status == INGESTED
    assert seen["spill"] == "0 bytes"
    # a fresh salt per load, and it is kept nowhere
    assert str(seen["salt"]).encode() not in settings.db_path.read_bytes()


def test_a_pupil_load_leaves_duckdbs_memory_settings_as_it_found_them(tmp_path: Path) -> None:
    path = pupil_file(tmp_path / "elever.csv", ["A1", "A2"])
    settings_sql = (
        "select current_setting('memory_limit'), current_setting('max_temp_directory_size')"
    )
    with store.open_store(tmp_path / "db.duckdb", create=True) as opened:
        before = opened.con.execute(settings_sql).fetchall()
        opened.write(
            formats.read(path, "auto"),
            path=path,
            sha256="0" * 64,
            ingested_at=datetime(2026, 1, 1),
            key=PseudonymKey(b"k" * 32),
        )
        assert opened.con.execute(settings_sql).fetchall() == before
