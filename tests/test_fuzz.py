"""A seeded mutator over every input format in tests/fixtures/real/ and sample_data/: whatever a
file holds, ingest gives no traceback, no message over two lines, no change to the database when
it refuses the file, and no stored value outside its range or fødselsnummer in the file.

Deterministic (fixed seeds) and sized for CI: FUZZ_CASES (default 8) mutants per input file.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
from pathlib import Path

import duckdb
import pytest

from conftest import NP_U_2025, REAL, SAMPLE_DATA, db_fingerprint, run_cli
from test_ingest import make_fnr

CASES = int(os.environ.get("FUZZ_CASES", "8"))
INPUTS = sorted(
    p
    for folder in (REAL, SAMPLE_DATA)
    for p in folder.iterdir()
    if p.suffix in (".csv", ".json") and p.is_file()
)
FNR = make_fnr(777)
TOKENS = (
    "99999999999",
    "4294967296",
    "-5",
    "-0",
    "NaN",
    "inf",
    "1e308",
    "٤٢",
    "٩٧٤٥٥٨٠٦٨",
    FNR,
    f"{FNR[:6]} {FNR[6:]}",
    f"{FNR[:6]}-{FNR[6:]}",
    "\x1b[31mrød\x1b[0m",
    "a\r\nb",
    '"',
    "*",
    "47*",
    "",
    ".",
    "x" * 3000,
    "![x](http://evil.example/x.png)",
    "<script>alert(1)</script>",
    "12,5",
    "0",
    "101",
    "6",
)
# Independent of tallkit's own tables: what may be stored at all.
RANGES = {
    ("np", "skalapoeng"): (0, 100),
    ("np", "usikkerhet"): (0, 50),
    ("np", "antall"): (0, 1_000_000),
    ("gsp", "poeng"): (0, 60),
    ("gsp", "antall"): (0, 1_000_000),
    ("eu", "verdi"): (0, 100),
    ("eu", "antall"): (0, 1_000_000),
}
ID_FORMATS = {"land": r"I", "fylke": r"\d{2}", "kommune": r"\d{4}", "skole": r"\d{9}"}
OUTPUT_LINE = re.compile(
    r"^(tallkit: feil: .*|(innlest|uendret|kontrollert|hoppet over|feil)\s+.*|"
    r" {12}merk: .*|\d+ fil(er)? .*|hoppet over \d+ fil(er)? .*|Databasen er .*)$"
)


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xff\xfe"):
        return data[2:].decode("utf-16-le", errors="replace"), "utf-16-bom"
    if len(data) > 4 and data[1::2][:50].count(0) > 20:
        return data.decode("utf-16-le", errors="replace"), "utf-16-le"
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-bom"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _encode(text: str, how: str) -> bytes:
    if how == "utf-16-bom":
        return b"\xff\xfe" + text.encode("utf-16-le", errors="replace")
    if how == "utf-16-le":
        return text.encode("utf-16-le", errors="replace")
    if how == "utf-8-bom":
        return b"\xef\xbb\xbf" + text.encode("utf-8", errors="replace")
    return text.encode(how, errors="replace")


def _shrink(path: Path) -> bytes:
    """Big inputs cut to a size a CI run can afford (header and the first rows)."""
    data = path.read_bytes()
    if path.suffix == ".json":
        try:
            parsed = json.loads(data.decode("utf-8-sig"))
        except ValueError:
            return data
        if isinstance(parsed, list) and len(parsed) > 60:
            return json.dumps(parsed[:60], ensure_ascii=False).encode("utf-8")
        return data
    text, how = _decode(data)
    lines = text.split("\n")
    return _encode("\n".join(lines[:120]), how) if len(lines) > 120 else data


def _mutate_json(data: bytes, rng: random.Random) -> bytes | None:
    try:
        parsed = json.loads(data.decode("utf-8-sig"))
    except ValueError:
        return None
    scalars: list[tuple[object, object]] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(value, dict | list):
                    walk(value)
                else:
                    scalars.append((node, key))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                if isinstance(value, dict | list):
                    walk(value)
                else:
                    scalars.append((node, index))

    walk(parsed)
    if not scalars:
        return None
    for _ in range(rng.randint(1, 3)):
        container, key = rng.choice(scalars)
        token: object = rng.choice(TOKENS)
        if rng.random() < 0.3:
            token = rng.choice([10**12, -1, 3_000_000, 1.5, None, True, [], {}])
        container[key] = token  # type: ignore[index]
    return json.dumps(parsed, ensure_ascii=False).encode("utf-8")


def _mutate(data: bytes, rng: random.Random, is_json: bool) -> bytes:
    kind = rng.randrange(8)
    if is_json and kind < 4:
        mutated = _mutate_json(data, rng)
        if mutated is not None:
            return mutated
    if kind == 6:  # raw bytes: truncate, or flip a few
        if rng.random() < 0.5:
            return data[: rng.randrange(len(data) + 1)]
        raw = bytearray(data)
        for _ in range(rng.randint(1, 5)):
            raw[rng.randrange(len(raw))] = rng.randrange(256)
        return bytes(raw)
    text, how = _decode(data)
    lines = text.split("\n")
    body = range(1, max(len(lines) - 1, 2))
    target = rng.choice(body) if len(lines) > 2 else 0
    delimiter = next((d for d in ("\t", ";", "|", ",") if d in lines[min(1, len(lines) - 1)]), ",")
    if kind == 7 and len(lines) > 3:  # delete, duplicate or swap lines
        choice = rng.randrange(3)
        if choice == 0:
            del lines[target]
        elif choice == 1:
            lines.insert(target, lines[target])
        else:
            other = rng.choice(body)
            lines[target], lines[other] = lines[other], lines[target]
    else:  # replace fields with hostile tokens (header included now and then)
        if rng.random() < 0.1:
            target = 1 if lines and lines[0].lower().startswith("sep=") else 0
        for _ in range(rng.randint(1, 3)):
            fields = lines[target].split(delimiter)
            fields[rng.randrange(len(fields))] = rng.choice(TOKENS)
            lines[target] = delimiter.join(fields)
    return _encode("\n".join(lines), how)


@pytest.fixture(scope="module")
def base_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fuzzbase")
    db = folder / "base.duckdb"
    os.environ["TALLKIT_NOKKELFIL"] = str(folder / "nokkel")
    result = run_cli("--db", str(db), "ingest", str(NP_U_2025))
    assert result.code == 0, result.stderr
    return db


def _check_stored(db: Path) -> None:
    con = duckdb.connect(str(db), read_only=True)
    try:
        for (domain, measure), (low, high) in RANGES.items():
            bad = con.execute(
                "select count(*) from lager.maal where domene = $d and maal = $m "
                "and verdi is not null and (verdi < $lo or verdi > $hi or isnan(verdi))",
                {"d": domain, "m": measure, "lo": low, "hi": high},
            ).fetchall()[0][0]
            assert bad == 0, (domain, measure)
        for level, pattern in ID_FORMATS.items():
            ids = con.execute(
                "select enhet_id from lager.enhet where nivaa = $n", {"n": level}
            ).fetchall()
            for (unit,) in ids:
                assert unit.startswith("navn:") or re.fullmatch(pattern, unit), (level, unit)
        pupils = con.execute(
            "select count(*) from lager.elevresultat where skalapoeng not between 0 and 150 "
            "or mestringsnivaa not between 1 and 5 or not regexp_full_match(enhet_id, '[0-9]{9}')"
        ).fetchall()[0][0]
        assert pupils == 0
    finally:
        con.close()


@pytest.mark.parametrize("source", INPUTS, ids=lambda p: p.name[:40])
def test_mutated_inputs_never_break_the_store(
    source: Path, base_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TALLKIT_NOKKELFIL", os.environ["TALLKIT_NOKKELFIL"])
    original = _shrink(source)
    seed = sum(source.name.encode())
    for case in range(CASES):
        rng = random.Random(seed * 1000 + case)
        mutant = tmp_path / f"{case}_{source.name}"
        mutant.write_bytes(_mutate(original, rng, source.suffix == ".json"))
        db = tmp_path / f"{case}.duckdb"
        shutil.copyfile(base_db, db)
        before = db_fingerprint(db)
        result = run_cli("--db", str(db), "ingest", str(mutant))
        where = f"{source.name} case {case}"
        assert "Traceback" not in result.stderr, where
        assert "uventet feil" not in result.stderr, (where, result.stderr)
        assert result.code in (0, 1), (where, result.code, result.stderr)
        for line in result.stderr.splitlines():
            assert OUTPUT_LINE.match(line), (where, line)
        assert "\x1b" not in result.stderr
        if result.code != 0:
            assert db_fingerprint(db) == before, where
        _check_stored(db)
        stored = b"".join(p.read_bytes() for p in tmp_path.glob(f"{case}.duckdb*"))
        for spelling in (FNR, f"{FNR[:6]} {FNR[6:]}", f"{FNR[:6]}-{FNR[6:]}"):
            assert spelling.encode() not in stored, where
            assert spelling.encode("utf-16-le") not in stored, where
            assert spelling not in result.stderr, where
        for path in tmp_path.glob(f"{case}.duckdb*"):
            path.unlink()
