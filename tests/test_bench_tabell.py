"""``make bench``'s table (bench/tabell.py) on made-up measurements: no timing, only the shape."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

BENCH = Path(__file__).resolve().parent.parent / "bench"


def load_tabell() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_tabell", BENCH / "tabell.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


tabell = load_tabell()

ROWS: list[dict[str, Any]] = [
    {"linje": 7, "rad": "tallkit status mot minimalt skript, CPU", "maalt": 0.62,
     "grunnlinje": 0.5, "forhold": 1.24, "maal": 1.2, "enhet": "s", "merknad": None},
    {"linje": 1, "rad": "speil --skole: landet mot kommunen, minne", "maalt": 1300.0,
     "grunnlinje": 500.0, "forhold": 2.6, "maal": 1.3, "enhet": "MiB",
     "merknad": "samme rapport (9 filer)"},
    # bench/ingest.py's reference rows (DuckDB's own growth, start-up): no line number
    {"rad": "innlesing 9 mill. rader mot read_csv, tid", "maalt": 120.5, "grunnlinje": 80.0,
     "forhold": 1.51, "maal": 1.5, "enhet": "s"},
    {"linje": 8, "rad": "speil --alle, hele landet (3\u00a0011 rapporter)", "maalt": 52.0,
     "grunnlinje": None, "forhold": None, "maal": 60.0, "enhet": "s", "merknad": None},
]  # fmt: skip


def test_verdict_compares_the_ratio_or_else_the_figure_with_the_target() -> None:
    assert [tabell.met(r) for r in ROWS] == [False, False, False, True]
    assert tabell.met({"rad": "x", "maalt": 1.0, "forhold": 1.1, "maal": 1.2}) is True
    assert tabell.met({"rad": "x", "maalt": None, "forhold": None, "maal": 1.2}) is None
    assert tabell.met({"rad": "x", "maalt": 2.0, "forhold": 2.0, "maal": None}) is None
    assert tabell.met({"rad": "x", "forhold": 1.4, "maal": "≤ 1,5×"}) is True


def test_table_fits_80_columns_and_keeps_issue_order_with_unmeasured_lines() -> None:
    text = tabell.render(ROWS, {2: "skole.py feilet (kode 1)", 6: "hoppet over (--uten)"}, "t")
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    firsts = [line[:2] for line in lines if line[:1].isdigit()]
    assert firsts == ["1.", "2.", "6.", "7.", "8."]
    order = [text.index(s) for s in ("1. speil", "2. speil", "innlesing 9", "6. 12", "7. tallkit")]
    assert order == sorted(order)
    assert "ikke målt: skole.py feilet (kode 1)" in text
    assert "samme rapport (9 filer)" in text
    status = next(line for line in lines if line.startswith("7."))
    assert "0,62 s" in status and "1,24×" in status and "≤ 1,2×" in status
    assert status.rstrip().endswith("NEI")
    national = next(line for line in lines if line.startswith("8."))
    assert "≤ 60,0 s" in national and national.rstrip().endswith("ja")
    memory = next(line for line in lines if line.startswith("1."))
    assert "1\u00a0300 MiB" in memory


def test_json_report_holds_every_row_with_its_verdict_and_the_unmeasured_lines() -> None:
    data = json.loads(tabell.report(ROWS, {3: "ikke i --rask"}, {"rask": True}))
    assert data["rader"][0]["rad"].startswith("speil --skole")
    assert [r["naadd"] for r in data["rader"]] == [False, False, False, True]
    assert data["ikke_maalt"] == [{"linje": 3, "rad": tabell.LINES[3], "grunn": "ikke i --rask"}]
    assert data["rask"] is True


def test_rows_file_that_is_missing_or_malformed_gives_no_rows(tmp_path: Path) -> None:
    assert tabell.read_rows(tmp_path / "finnes-ikke.json") == []
    (tmp_path / "feil.json").write_text("{ikke json")
    assert tabell.read_rows(tmp_path / "feil.json") == []
    (tmp_path / "ok.json").write_text(json.dumps([ROWS[0], {"uten": "rad"}, 3]))
    assert tabell.read_rows(tmp_path / "ok.json") == [ROWS[0]]
