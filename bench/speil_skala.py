"""Benchmark: ``speil --alle`` with twice the schools (is it linear?), and its national time.

What is measured (issue 12, lines 3 and 8)
------------------------------------------
* **1×** -- ``tallkit --db DB --stille speil --alle --aar 2025-26 --dato … --ut DIR`` (every
  school's HTML + Markdown and the index page) on the national-size database
  ``bench/analyses.py`` builds: the generator's 3,000 schools plus 300 with published numbers
  only, four years, 2.25M pupil rows. This is also ``bench/speil.py``'s database, so its wall
  time is line 8 ("under 60 s on a quiet machine").
* **2×** -- the same on a database with twice the schools at the same pupils per school
  (6,000 + 600 schools, 4.5M pupil rows; built once by ``bench/analyses.py``'s builder from
  bench/ingest.py's generator at that school count, then cached).

Line 3 is 2× against 1×, wall and CPU (user + system of the child, all threads), each a
median of alternating runs; target ≤ 2.2×: twice the schools should cost about twice, not
more (``--alle`` used to filter every whole-country frame once per school). The number of
reports written is checked and shown. Every run starts with no suppression plan kept beside
the database (the first command after an ingest makes it); line 8 also gives the national
run with the plan the previous run kept, as every later command finds it. No warm-up run (one ``--alle`` is long): a quick
``status`` on each database warms the OS page cache instead.

``--skoler N --rader R`` pick a smaller pair for a quick try (``bench/tabell.py --rask``); the
national line 8 is then not measured.

Usage::

    PYTHONPATH=src .venv/bin/python bench/speil_skala.py --gjentak 3 --json rader.json
    PYTHONPATH=src .venv/bin/python bench/speil_skala.py --skoler 750 --rader 562500 --gjentak 1
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import analyses  # bench/analyses.py: builds and caches the databases
import maaling

YEAR: Final = "2025-26"
DATE: Final = "2026-11-23"
TARGET_SCALING: Final = 2.2
TARGET_NATIONAL_SECONDS: Final = 60.0
DEFAULT_REPEATS: Final = 3
TIMEOUT: Final = 3600.0
INDEX_SUFFIX: Final = "_indeks.html"
PLAN_SUFFIX: Final = ".skjermingsplan"  # tallkit.planlager.SUFFIX


def reports_in(folder: Path) -> int:
    """Schools written: the .html files except the index page."""
    return sum(
        1 for p in folder.rglob("*.html") if p.is_file() and not p.name.endswith(INDEX_SUFFIX)
    )


def measure(schools: int, pupil_rows: int, repeats: int) -> list[dict[str, Any]]:
    databases = [
        analyses.ensure_database(pupil_rows, schools=schools)[0],
        analyses.ensure_database(2 * pupil_rows, schools=2 * schools)[0],
    ]
    series = [maaling.Series(), maaling.Series()]
    written = [0, 0]
    with maaling.throwaway_key() as key, tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        env = maaling.child_env(key)
        for db in databases:  # warm the page cache without a full --alle
            argv = maaling.tallkit_argv("--db", str(db), "status", "--format", "json")
            maaling.run_child(argv, env=env, cwd=cwd).check("tallkit status")
        for run in range(repeats):
            for i, db in enumerate(databases):
                # every run as the first command after an ingest: it makes the suppression plan
                # (tallkit.planlager keeps it beside the database for the commands after it)
                shutil.rmtree(db.with_name(db.name + PLAN_SUFFIX), ignore_errors=True)
                out = cwd / f"ut-{i}-{run}"
                argv = maaling.tallkit_argv(
                    "--db", str(db), "--stille", "speil", "--alle", "--aar", YEAR,
                    "--dato", DATE, "--ut", str(out),
                )  # fmt: skip
                child = maaling.run_child(argv, env=env, cwd=cwd, timeout=TIMEOUT)
                series[i].runs.append(child.check(f"speil --alle ({db.parent.name})"))
                written[i] = reports_in(out)
                maaling.log(
                    f"  speil --alle {db.parent.name}: {child.seconds:.1f} s, CPU "
                    f"{child.cpu:.1f} s, {written[i]:,} reports"
                )
                shutil.rmtree(out, ignore_errors=True)  # 2× is ~100 MiB a run
        national = schools == analyses.DEFAULT_SCHOOLS and pupil_rows == analyses.DEFAULT_PUPIL_ROWS
        stored = maaling.Series()
        for run in range(repeats if national else 0):
            # the same national run with the plan the last run kept: every later command
            out = cwd / f"ut-lagret-{run}"
            argv = maaling.tallkit_argv(
                "--db", str(databases[0]), "--stille", "speil", "--alle", "--aar", YEAR,
                "--dato", DATE, "--ut", str(out),
            )  # fmt: skip
            child = maaling.run_child(argv, env=env, cwd=cwd, timeout=TIMEOUT)
            stored.runs.append(child.check("speil --alle (planen lagret)"))
            maaling.log(
                f"  speil --alle, plan stored: {child.seconds:.1f} s, CPU {child.cpu:.1f} s"
            )
            shutil.rmtree(out, ignore_errors=True)
    one, two = series
    note = f"{maaling.count(written[0])} → {maaling.count(written[1])} rapporter"
    label = f"speil --alle, dobbelt så mange skoler ({maaling.count(schools)} → {maaling.count(2 * schools)})"
    rows = [
        maaling.row(3, f"{label}, veggtid", two.median("seconds"), one.median("seconds"),
                    TARGET_SCALING, "s", note),
        maaling.row(3, f"{label}, CPU", two.median("cpu"), one.median("cpu"),
                    TARGET_SCALING, "s", note),
    ]  # fmt: skip
    if national:
        reports = maaling.count(written[0])
        rows += [
            maaling.row(
                8,
                f"speil --alle, hele landet ({reports} rapporter), første etter innlesing",
                one.median("seconds"),
                None,
                TARGET_NATIONAL_SECONDS,
                "s",
                "lager skjermingsplanen; mål < 60 s (30 s som strekkmål) på en rolig maskin",
            ),
            maaling.row(
                8,
                f"speil --alle, hele landet ({reports} rapporter), planen lagret",
                stored.median("seconds"),
                None,
                TARGET_NATIONAL_SECONDS,
                "s",
                "leser skjermingsplanen forrige kjøring lagret (tallkit.planlager)",
            ),
        ]
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Mål «speil --alle» med dobbelt så mange skoler (vegg- og CPU-tid)."
    )
    parser.add_argument(
        "--skoler",
        type=int,
        default=analyses.DEFAULT_SCHOOLS,
        help=f"skoler i elevfilen i den minste databasen (standard {analyses.DEFAULT_SCHOOLS})",
    )
    parser.add_argument(
        "--rader",
        type=int,
        default=analyses.DEFAULT_PUPIL_ROWS,
        help=f"elevrader i den minste databasen (standard {analyses.DEFAULT_PUPIL_ROWS:_})",
    )
    parser.add_argument("--gjentak", type=int, default=DEFAULT_REPEATS, help="kjøringer per side")
    parser.add_argument("--json", type=Path, metavar="FIL", help="skriv radene som JSON hit")
    args = parser.parse_args(argv)
    if args.skoler < 356:  # the generator gives every one of its 356 kommuner a school
        parser.error("--skoler må være minst 356")
    rows = measure(args.skoler, args.rader, max(1, args.gjentak))
    maaling.write_rows(args.json, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
