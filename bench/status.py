"""Benchmark: ``tallkit status`` against the smallest script that does the same reads.

What is measured (issue 12, line 7)
-----------------------------------
* **tallkit** -- ``tallkit --db DB status --format json`` on a small database (the Fjordvik
  files in ``sample_data/``): start-up, settings, opening the file read-only, the three parts
  (``queries/kilder.sql``, ``dekning.sql``, ``hull.sql``) and writing them as one JSON object.
* **baseline** -- a minimal Typer app with the same ``--db`` option and a ``status`` command
  that opens the file read-only with DuckDB, runs the same three SQL files, turns each result
  into a polars frame through the Arrow stream (``pl.DataFrame(relation)``, the cheapest way;
  no pyarrow) and writes the same JSON. What tallkit adds on top of it is its own start-up:
  every module it imports, settings and checks.

The figure is CPU time (user + system) of each fresh interpreter, the median of alternating
runs after one warm-up each; wall time is shown beside it. Target: tallkit ≤ 1.2× the script.

Usage::

    PYTHONPATH=src .venv/bin/python bench/status.py --gjentak 15 --json rader.json
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import maaling

TARGET: Final = 1.2
DEFAULT_REPEATS: Final = 15
SAMPLE_DATA: Final = maaling.BENCH_DIR.parent / "sample_data"

MINIMAL_CODE: Final = """\
import json
import sys
from pathlib import Path
from typing import Annotated

import duckdb
import polars as pl
import typer

QUERIES = Path(sys.argv.pop(1))
app = typer.Typer()


@app.callback()
def main() -> None:
    pass


@app.command()
def status(db: Annotated[Path, typer.Option("--db")]) -> None:
    con = duckdb.connect(str(db), read_only=True)
    parts = {}
    for name in ("kilder", "dekning", "hull"):
        frame = pl.DataFrame(con.sql((QUERIES / f"{name}.sql").read_text(encoding="utf-8")))
        parts[name] = json.loads(frame.write_json())
    con.close()
    sys.stdout.write(json.dumps(parts, ensure_ascii=False, indent=1) + "\\n")


app()
"""


def build_small_database(folder: Path, env: dict[str, str]) -> Path:
    """The Fjordvik sample files ingested into a new database in ``folder``."""
    db = folder / "liten.duckdb"
    argv = maaling.tallkit_argv("--db", str(db), "--stille", "ingest", str(SAMPLE_DATA))
    maaling.run_child(argv, env=env, cwd=folder).check("tallkit ingest sample_data")
    return db


def measure(repeats: int) -> list[dict[str, object]]:
    with maaling.throwaway_key() as key, tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)  # empty: no tallkit.toml applies
        env = maaling.child_env(key)
        db = build_small_database(cwd, env)
        queries = maaling.BENCH_DIR.parent / "queries"
        tallkit_argv = maaling.tallkit_argv("--db", str(db), "status", "--format", "json")
        minimal_argv = [sys.executable, "-c", MINIMAL_CODE, str(queries), "status"]
        minimal_argv += ["--db", str(db)]
        tallkit, minimal = maaling.Series(), maaling.Series()
        maaling.alternate(
            [(tallkit, tallkit_argv, cwd), (minimal, minimal_argv, cwd)], env, repeats
        )
    cpu_t, cpu_m = tallkit.median("cpu"), minimal.median("cpu")
    wall_t, wall_m = tallkit.median("seconds"), minimal.median("seconds")
    maaling.log(
        f"status: CPU {cpu_t:.3f} s mot {cpu_m:.3f} s ({cpu_t / cpu_m:.2f}×), "
        f"vegg {wall_t:.3f} s mot {wall_m:.3f} s ({wall_t / wall_m:.2f}×), {repeats} kjøringer"
    )
    label = "tallkit status mot minimalt skript"
    return [
        maaling.row(7, f"{label}, CPU", cpu_t, cpu_m, TARGET, "s"),
        maaling.row(7, f"{label}, veggtid", wall_t, wall_m, None, "s", "til orientering"),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Mål «tallkit status» mot et minimalt typer+duckdb+polars-skript (CPU-tid)."
    )
    parser.add_argument("--gjentak", type=int, default=DEFAULT_REPEATS, help="kjøringer per side")
    parser.add_argument("--json", type=Path, metavar="FIL", help="skriv radene som JSON hit")
    args = parser.parse_args(argv)
    rows = measure(max(1, args.gjentak))
    maaling.write_rows(args.json, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
