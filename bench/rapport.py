"""Benchmark: ``tallkit rapport`` (the school owner's kommune report) on the national database.

What is measured
----------------
* **largest kommune** -- ``tallkit --db DB --stille rapport --kommune NR --aar 2025-26 --dato
  2026-11-24 --ut DIR`` (Markdown with its SVG files, HTML and JSON, the default) for the
  kommune with the most schools with national-test results in the year, on the database that
  ``bench/analyses.py`` builds (about 3,300 schools, four years, 2.25M pupil rows).
* **all kommuner** -- ``rapport --alle`` with the same options: one report per kommune with
  results in the year, every analysis once for the country and split per kommune.
* **xlsx** -- the largest kommune again with ``--format xlsx`` (the appendix alone).

Every run is a fresh interpreter in an empty temporary folder, with ``TALLKIT_NOKKELFIL``
pointing at a throw-away key and no other ``TALLKIT_*`` settings (as ``bench/speil.py``), so
the figure includes start-up, imports, the analyses, rendering and writing. One warm-up run of
the largest kommune first fills the OS page cache and is not counted.

Usage::

    .venv/bin/python bench/rapport.py                 # build the database if missing, measure
    .venv/bin/python bench/rapport.py --json
    .venv/bin/python bench/rapport.py --tidsgrense 900

The exit code is 0 when every run finished (this is a measurement, not a test) and 1 when
building the database or a run fails or exceeds ``--tidsgrense``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import analyses  # bench/analyses.py: builds and caches the national-size database
import duckdb
from speil import Run, child_env, count_output, failure, mib

YEAR: Final = "2025-26"
DATE: Final = "2026-11-24"
DEFAULT_TIMEOUT: Final = 600.0


def largest_kommune(db: Path) -> tuple[str, str, int]:
    """(kommunenr, name, schools): the kommune with most schools with results in YEAR."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute(
            "select e.kommunenr, k.navn, count(distinct e.enhet_id) as skoler "
            "from enhet e join nasjonale_prover p using (enhet_id) "
            "join enhet k on k.enhet_id = e.kommunenr "
            "where e.nivaa = 'skole' and p.skoleaar = $aar and p.status = 'ok' "
            "group by all order by skoler desc, e.kommunenr limit 1",
            {"aar": YEAR},
        ).fetchone()
    finally:
        con.close()
    if row is None:
        raise SystemExit(f"no kommune has results in {YEAR}")
    return str(row[0]), str(row[1]), int(row[2])


def run_rapport(label: str, target: Sequence[str], db: Path, timeout: float) -> tuple[Run, int]:
    """One ``rapport`` run in a fresh interpreter and folder; the run and the kommune reports
    (.html files) it wrote."""
    run = Run(label)
    with tempfile.TemporaryDirectory(prefix="tallkit-rapport-") as tmp:
        out = Path(tmp) / "ut"
        argv = [sys.executable, "-c", analyses.CLI_CODE, "--db", str(db), "--stille", "rapport"]
        argv += [*target, "--aar", YEAR, "--dato", DATE, "--ut", str(out)]
        start = time.perf_counter()
        try:
            done = subprocess.run(
                argv,
                capture_output=True,
                text=True,
                env=child_env(Path(tmp) / "nokkel"),
                cwd=tmp,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            run.seconds = time.perf_counter() - start
        else:
            run.seconds = time.perf_counter() - start
            run.returncode = done.returncode
            run.stderr = done.stderr
        count_output(run, out)
        reports = len(list(out.glob("*_kommunerapport.*"))) if out.is_dir() else 0
    return run, reports


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Mål «tallkit rapport» for den største kommunen og for alle kommunene."
    )
    parser.add_argument("--tidsgrense", type=float, default=DEFAULT_TIMEOUT)
    parser.add_argument("--rader", type=int, default=analyses.DEFAULT_PUPIL_ROWS)
    parser.add_argument("--ny", action="store_true", help="bygg databasen på nytt")
    parser.add_argument("--json", action="store_true", help="skriv tallene som JSON")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    db, _, _ = analyses.ensure_database(args.rader, args.ny)
    number, name, schools = largest_kommune(db)
    print(f"largest kommune: {name} ({number}), {schools} schools with results", file=sys.stderr)
    runs: list[tuple[Run, int]] = []
    plans = [
        ("warm-up", ["--kommune", number]),
        (f"--kommune {number}", ["--kommune", number]),
        (f"--kommune {number} --format xlsx", ["--kommune", number, "--format", "xlsx"]),
        ("--alle", ["--alle"]),
    ]
    for label, target in plans:
        run, reports = run_rapport(label, target, db, args.tidsgrense)
        print(f"  {label}: {run.seconds:.1f} s", file=sys.stderr, flush=True)
        if not run.ok:
            print(failure(run, args.tidsgrense), file=sys.stderr)
            return 1
        if label != "warm-up":
            runs.append((run, reports))
    if args.json:
        print(
            json.dumps(
                {
                    "database": str(db),
                    "year": YEAR,
                    "largest_kommune": {"kommunenr": number, "navn": name, "skoler": schools},
                    "runs": [
                        {
                            "label": r.label,
                            "seconds": round(r.seconds, 3),
                            "reports": n,
                            "files": r.files,
                            "output_bytes": r.output_bytes,
                        }
                        for r, n in runs
                    ],
                },
                indent=2,
                ensure_ascii=False,
            )
        )
    else:
        print(f"tallkit rapport --aar {YEAR} --dato {DATE} on {db}")
        print(f"largest kommune: {name} ({number}), {schools} schools with results\n")
        for r, n in runs:
            print(
                f"{r.label:<34} {r.seconds:>7.1f} s   {n:>4} report files   "
                f"{r.files:>6,} files   {mib(r.output_bytes):>6.1f} MiB"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
