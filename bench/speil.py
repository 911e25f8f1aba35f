"""Benchmark: ``tallkit speil`` (the Læringsspeil) for the whole country against one school.

What is measured
----------------
* **--alle** -- ``tallkit --db DB --stille speil --alle --aar 2025-26 --dato 2026-11-23 --ut
  DIR`` on the national-size database that ``bench/analyses.py`` builds (about 3,300 schools,
  four years, 2.25M pupil rows): every school's report in both formats (HTML and Markdown with
  its SVG files, the default) plus the index page. Held against the bar "the whole country in
  under a minute" (≤ 60 s; the target machine has 2 cores).
* **per-school cost** -- the ``--alle`` wall time divided by the schools written (the ``.html``
  files in the output folder except ``*_indeks.html``). Schools without results for the year
  are skipped by tallkit and are not counted.
* **--skole** -- ``speil --skole ORGNR`` with the same options for a handful of schools spread
  over the database (the median is reported): what a user pays for one report.
* **ratio** -- per-school cost / single run. ``speil --alle`` runs each analysis once for the
  whole country and splits the result per school, so a school in the batch should cost a small
  fraction of a run of its own: the bar is ≤ 1/20 (0.05).

Every run is a fresh interpreter, exactly as a user runs the command: the figure includes
start-up, the imports, opening the database, the analyses, rendering and writing the files. An
in-process call would share imports, the Jinja2 template cache and DuckDB's state between the
runs and flatter whichever ran second. The children get ``TALLKIT_NOKKELFIL`` pointing at a
throw-away key and no other ``TALLKIT_*`` settings, and run in an empty temporary folder, so no
``tallkit.toml`` or shell setting changes what is measured. One ``--skole`` run first warms the
OS page cache and is not counted.

Usage::

    .venv/bin/python bench/speil.py                  # build the database if missing, then measure
    .venv/bin/python bench/speil.py --skoler 9 --json
    .venv/bin/python bench/speil.py --tidsgrense 900  # allow slower runs before giving up

The exit code is 0 whether or not the bars are met (this is a measurement, not a test); it is 1
when building the database or any run fails or exceeds ``--tidsgrense`` (then the tail of the
child's stderr, and for ``--alle`` how many schools it had written, are printed).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import analyses  # bench/analyses.py: builds and caches the national-size database
import duckdb

YEAR: Final = "2025-26"
DATE: Final = "2026-11-23"  # fixed, so the files are identical from run to run
DEFAULT_SCHOOLS: Final = 5
DEFAULT_TIMEOUT: Final = 300.0  # seconds per run; five times the --alle bar
TARGET_ALL_SECONDS: Final = 60.0
TARGET_RATIO: Final = 1 / 20
STDERR_TAIL: Final = 20  # lines of a failing child's stderr to show
INDEX_SUFFIX: Final = "_indeks.html"


# =============================================================================================
# Running one command
# =============================================================================================


@dataclass
class Run:
    """One ``speil`` run in a fresh interpreter."""

    label: str
    seconds: float = math.nan
    schools: int = 0  # reports written (.html files except the index)
    files: int = 0
    output_bytes: int = 0
    returncode: int | None = None  # None: killed after the time limit
    stderr: str = ""

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def child_env(key_file: Path) -> dict[str, str]:
    """The parent's environment without ``TALLKIT_*`` settings, plus the throw-away key."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TALLKIT_")}
    env["TALLKIT_NOKKELFIL"] = str(key_file)
    return env


def speil_argv(db: Path, out: Path, target: Sequence[str]) -> list[str]:
    """``tallkit --db DB --stille speil TARGET --aar … --dato … --ut OUT`` in a new interpreter."""
    argv = [sys.executable, "-c", analyses.CLI_CODE, "--db", str(db), "--stille", "speil"]
    return [*argv, *target, "--aar", YEAR, "--dato", DATE, "--ut", str(out)]


def count_output(run: Run, out: Path) -> None:
    """Schools, files and bytes in the output folder (also after a run that was stopped)."""
    files = [p for p in out.rglob("*") if p.is_file()] if out.is_dir() else []
    run.files = len(files)
    run.output_bytes = sum(p.stat().st_size for p in files)
    run.schools = sum(1 for p in files if p.suffix == ".html" and not p.name.endswith(INDEX_SUFFIX))


def run_speil(
    label: str, target: Sequence[str], db: Path, env: dict[str, str], timeout: float
) -> Run:
    """One run into a fresh temporary folder (also the cwd: no stray tallkit.toml applies)."""
    run = Run(label)
    with tempfile.TemporaryDirectory(prefix="tallkit-speil-") as tmp:
        out = Path(tmp) / "ut"
        argv = speil_argv(db, out, target)
        start = time.perf_counter()
        try:
            done = subprocess.run(
                argv, capture_output=True, text=True, env=env, cwd=tmp, timeout=timeout
            )
        except subprocess.TimeoutExpired as exc:  # the child is killed by subprocess.run
            run.seconds = time.perf_counter() - start
            run.stderr = _text(exc.stderr)
        else:
            run.seconds = time.perf_counter() - start
            run.returncode = done.returncode
            run.stderr = done.stderr
        count_output(run, out)
    return run


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    return data if isinstance(data, str) else data.decode("utf-8", "replace")


def failure(run: Run, timeout: float) -> str:
    """Why a run failed, with the tail of its stderr."""
    if run.returncode is None:
        head = (
            f"{run.label}: stopped after {timeout:.0f} s (--tidsgrense) with {run.schools:,} "
            f"schools written ({run.files:,} files, {mib(run.output_bytes):.1f} MiB)"
        )
    else:
        head = f"{run.label}: exit {run.returncode} after {run.seconds:.1f} s"
    lines = run.stderr.rstrip().splitlines()[-STDERR_TAIL:] or ["(no stderr)"]
    return "\n".join([head, *("  | " + line for line in lines)])


# =============================================================================================
# The schools
# =============================================================================================


def sample_schools(db: Path, n: int) -> list[str]:
    """``n`` schools with results in YEAR, evenly spread over the orgnr order (deterministic)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            "select distinct e.enhet_id from enhet e join nasjonale_prover p using (enhet_id) "
            "where e.nivaa = 'skole' and p.skoleaar = $aar and p.status = 'ok' order by 1",
            {"aar": YEAR},
        ).fetchall()
    finally:
        con.close()
    orgnrs = [str(r[0]) for r in rows]
    if len(orgnrs) < n:
        raise SystemExit(f"only {len(orgnrs)} schools have results in {YEAR}; asked for {n}")
    step = len(orgnrs) / n
    return [orgnrs[int((i + 0.5) * step)] for i in range(n)]


# =============================================================================================
# Figures and reporting
# =============================================================================================


@dataclass
class Results:
    all_run: Run
    school_runs: list[Run] = field(default_factory=list)

    @property
    def per_school(self) -> float:
        run = self.all_run
        return run.seconds / run.schools if run.ok and run.schools else math.nan

    @property
    def single(self) -> float:
        seconds = [r.seconds for r in self.school_runs if r.ok]
        return statistics.median(seconds) if seconds else math.nan

    @property
    def ratio(self) -> float:
        return self.per_school / self.single if self.single > 0 else math.nan

    def verdicts(self) -> dict[str, bool]:
        return {
            "alle": self.all_run.ok and self.all_run.seconds <= TARGET_ALL_SECONDS,
            "ratio": not math.isnan(self.ratio) and self.ratio <= TARGET_RATIO,
        }


def mib(n: int) -> float:
    return n / 2**20


def _verdict(ok: bool) -> str:
    return "OK" if ok else "OVER"


def _fmt(value: float, digits: int = 2) -> str:
    return "-" if math.isnan(value) else f"{value:.{digits}f}"


def render_table(results: Results, db: Path) -> str:
    a = results.all_run
    verdict = results.verdicts()
    singles = ", ".join(
        f"{r.label.removeprefix('--skole ')} {_fmt(r.seconds)} s" for r in results.school_runs
    )
    return "\n".join(
        [
            f"tallkit speil --aar {YEAR} --dato {DATE} (HTML + Markdown) on {db}",
            "",
            f"--alle total:           {_fmt(a.seconds, 1):>8} s   "
            f"(target ≤ {TARGET_ALL_SECONDS:.0f} s)      {_verdict(verdict['alle'])}",
            f"schools written:        {a.schools:>8,}",
            f"per-school cost:        {_fmt(results.per_school, 4):>8} s",
            f"--skole median:         {_fmt(results.single, 3):>8} s   "
            f"(of {len(results.school_runs)}: {singles})",
            f"per-school / --skole:   {_fmt(results.ratio, 4):>8}     "
            f"(target ≤ {TARGET_RATIO:.2f})          {_verdict(verdict['ratio'])}",
            f"output folder (--alle): {mib(a.output_bytes):>8.1f} MiB "
            f"({a.files:,} files, {a.output_bytes / max(a.schools, 1) / 1024:.0f} KiB per school)",
        ]
    )


def run_dict(run: Run) -> dict[str, Any]:
    return {
        "label": run.label,
        "seconds": round(run.seconds, 4),
        "schools": run.schools,
        "files": run.files,
        "output_bytes": run.output_bytes,
        "returncode": run.returncode,
    }


def report_json(results: Results, db: Path) -> str:
    verdict = results.verdicts()

    def number(value: float, digits: int) -> float | None:
        return None if math.isnan(value) else round(value, digits)

    report = {
        "database": str(db),
        "year": YEAR,
        "date": DATE,
        "alle": run_dict(results.all_run),
        "alle_target_seconds": TARGET_ALL_SECONDS,
        "alle_ok": verdict["alle"],
        "per_school_seconds": number(results.per_school, 5),
        "skole_median_seconds": number(results.single, 4),
        "skole_runs": [run_dict(r) for r in results.school_runs],
        "ratio": number(results.ratio, 5),
        "ratio_target": TARGET_RATIO,
        "ratio_ok": verdict["ratio"],
    }
    return json.dumps(report, indent=2, ensure_ascii=False)


def _log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# =============================================================================================
# Main
# =============================================================================================


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=(
            "Mål «tallkit speil --alle» på en database på nasjonal størrelse mot "
            "«speil --skole» for én skole, hver kjøring i en ny prosess."
        )
    )
    parser.add_argument(
        "--skoler",
        type=int,
        default=DEFAULT_SCHOOLS,
        help=f"skoler målt med --skole; medianen rapporteres (standard {DEFAULT_SCHOOLS})",
    )
    parser.add_argument(
        "--tidsgrense",
        type=float,
        default=DEFAULT_TIMEOUT,
        help=f"sekunder før en kjøring stoppes og regnes som feilet (standard {DEFAULT_TIMEOUT:.0f})",
    )
    parser.add_argument(
        "--rader",
        type=int,
        default=analyses.DEFAULT_PUPIL_ROWS,
        help=f"rader i elevresultatfilen (standard {analyses.DEFAULT_PUPIL_ROWS:_})",
    )
    parser.add_argument("--ny", action="store_true", help="bygg databasen på nytt")
    parser.add_argument("--json", action="store_true", help="skriv tallene som JSON")
    args = parser.parse_args(argv)
    if args.skoler < 1 or args.rader < 1 or args.tidsgrense <= 0:
        parser.error("--skoler, --rader og --tidsgrense må være positive")
    return args


def measure(db: Path, env: dict[str, str], schools: list[str], timeout: float) -> Results:
    """Warm-up, then --alle, then each school; stops at the first failing run."""
    warm = run_speil("warm-up", ["--skole", schools[0]], db, env, timeout)
    _log(f"  warm-up --skole {schools[0]}: {warm.seconds:.2f} s")
    if not warm.ok:
        return Results(warm)
    _log("  --alle ...")
    results = Results(run_speil("--alle", ["--alle"], db, env, timeout))
    a = results.all_run
    _log(f"  --alle: {a.seconds:.1f} s, {a.schools:,} schools")
    if not a.ok:
        return results
    for orgnr in schools:
        run = run_speil(f"--skole {orgnr}", ["--skole", orgnr], db, env, timeout)
        _log(f"  --skole {orgnr}: {run.seconds:.2f} s, {run.schools} school(s)")
        if run.ok and run.schools != 1:
            _log(f"  warning: --skole {orgnr} wrote {run.schools} reports, expected 1")
        results.school_runs.append(run)
        if not run.ok:
            break
    return results


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    for name in [k for k in os.environ if k.startswith("TALLKIT_")]:
        del os.environ[name]  # the children get only the throw-away key
    os.chdir(analyses.DATA_DIR.parent)  # bench/: no tallkit.toml from the caller's folder applies
    db, _build, _built_now = analyses.ensure_database(args.rader, args.ny)
    schools = sample_schools(db, args.skoler)
    _log(f"measuring speil on {db} ({len(schools)} single schools) ...")
    with analyses.pseudonym_key():
        env = child_env(Path(os.environ["TALLKIT_NOKKELFIL"]))
        results = measure(db, env, schools, args.tidsgrense)
    failed = [r for r in (results.all_run, *results.school_runs) if not r.ok]
    if failed:
        print(failure(failed[0], args.tidsgrense), file=sys.stderr)
        return 1
    print(report_json(results, db) if args.json else render_table(results, db))
    return 0


if __name__ == "__main__":
    sys.exit(main())
