"""``make bench``: every line of issue 12's performance table, measured, in one table.

Runs the benchmark scripts one after another (each in its own interpreter, each writing its
rows with ``--json FIL``; see ``bench/maaling.py`` for the row shape) and prints one table that
fits an 80-column terminal: what was measured, tallkit's figure, the baseline's, their ratio,
the target and whether it is met. ``--json FIL`` writes the same rows as JSON.

The lines (issue 12) and the script that measures each:

1. ``speil --skole`` (one school, HTML + MD) on the national database against a database
   holding only its kommune, same report: time and peak memory, ≤ 1.3× -- ``bench/skole.py``
2. the same report against reading the school's numbers straight from the public views,
   ≤ 3× -- ``bench/skole.py``
3. ``speil --alle`` with twice the schools (3,000 → 6,000 at the same pupils per school):
   wall and CPU, ≤ 2.2× -- ``bench/speil_skala.py``
4. ingest of a pupil file at 4.5M rows against 2.25M: memory growth no worse than DuckDB's
   own ``read_csv`` (≤ 1.25×) -- ``bench/ingest.py``
5. ingest against DuckDB's ``read_csv`` into a table on the same file: time and memory
   ≤ 1.5× at every size -- ``bench/ingest.py``
6. all 12 analysis parts against their own SQL run straight in DuckDB (Arrow fetch), CPU and
   wall, at 2.25M and 9M pupil rows, ≤ 1.3× -- ``bench/analyses.py``
7. ``tallkit status`` on a small database against a minimal typer+duckdb+polars script doing
   the same reads: CPU ≤ 1.2× -- ``bench/status.py``
8. ``speil --alle`` on the national database (3,000 + 300 schools, 2.25M pupil rows): under
   60 s on a quiet machine (30 s as the stretch) -- ``bench/speil_skala.py`` (its 1× runs)

A line whose script failed, was skipped (``--uten``) or cannot run in ``--rask`` is printed as
"ikke målt" with the reason, never left out. Absolute times depend on the machine and its
load (the header shows the load); the ratios come from alternating runs and are steadier.

The full run builds the 9M-row and the 6,000-school databases once (cached under
``bench/_data/``) and takes long (tens of minutes on 2 cores). ``--rask`` is for trying it out
in a few minutes: smaller sizes (the analyses at 250,000 rows only), one run per side, no
national ``--alle``. (While the analyses' pair-based parts are slow, --rask takes 15-20 min.)

Usage::

    make bench                                   # PYTHONPATH=src .venv/bin/python bench/tabell.py
    PYTHONPATH=src .venv/bin/python bench/tabell.py --rask --json tabell.json
    PYTHONPATH=src .venv/bin/python bench/tabell.py --uten innlesing --uten analyser
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

BENCH_DIR: Final = Path(__file__).resolve().parent
WIDTH: Final = 80
NBSP: Final = "\u00a0"

# Issue 12's lines, as the table names them when a line has no measured row.
LINES: Final = {
    1: "speil --skole: landet mot kommunen",
    2: "speil --skole mot skolens tall rett fra visningene",
    3: "speil --alle, dobbelt så mange skoler",
    4: "innlesing 4,5 mill. mot 2,25 mill. rader: minnevekst",
    5: "innlesing mot DuckDBs read_csv",
    6: "12 analysedeler mot egen SQL",
    7: "tallkit status mot minimalt skript",
    8: "speil --alle, hele landet",
}
# bench/ingest.py's rows carry no line number: they are lines 4 and 5.
INGEST_LINE: Final = 4.5


@dataclass(frozen=True)
class Step:
    """One benchmark script and the lines it measures."""

    name: str  # for --uten
    script: str
    lines: tuple[int, ...]
    full: tuple[str, ...]
    quick: tuple[str, ...] | None  # None: not run in --rask


STEPS: Final = (
    Step("skole", "skole.py", (1, 2), ("--gjentak", "3"), ("--gjentak", "1")),
    Step(
        "skalering",
        "speil_skala.py",
        (3, 8),
        ("--gjentak", "3"),
        ("--skoler", "750", "--rader", "562500", "--gjentak", "1"),
    ),
    Step(
        "innlesing",
        "ingest.py",
        (4, 5),
        (),
        ("--rader", "250000", "--gjentak", "1", "--oppstart", "3"),
    ),
    Step(
        "analyser",
        "analyses.py",
        (6,),
        ("--uten-cli", "--rader", "2250000", "--rader", "9000000", "--gjentak", "3"),
        # one small size: the pair-based parts take minutes even there (issue 12's work)
        ("--uten-cli", "--rader", "250000", "--gjentak", "1"),
    ),
    Step("status", "status.py", (7,), ("--gjentak", "15"), ("--gjentak", "5")),
)


# =============================================================================================
# Verdicts and formatting (pure: tested on made-up rows)
# =============================================================================================


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return None if math.isnan(value) else float(value)
    try:
        return float(str(value).replace(",", ".").strip(" ×x<≤"))
    except ValueError:
        return None


def met(row: dict[str, Any]) -> bool | None:
    """Whether the row meets its target: the ratio, or (without one) the measured figure, at
    most ``maal``. None when there is no target or nothing was measured."""
    target = _number(row.get("maal"))
    ratio = _number(row.get("forhold"))
    value = ratio if ratio is not None else _number(row.get("maalt"))
    if target is None or value is None:
        return None
    return value <= target


def decimal(value: float, digits: int) -> str:
    """A number with a decimal comma and a space as thousands separator (bokmål); the space
    is a no-break space, so a wrapped row name never splits "3 011"."""
    return f"{value:,.{digits}f}".replace(",", NBSP).replace(".", ",")


def amount(value: Any, unit: str) -> str:
    number = _number(value)
    if number is None:
        return "–"
    if unit == "MiB":
        return f"{decimal(number, 0)} MiB"
    digits = 2 if abs(number) < 10 else 1 if abs(number) < 100 else 0
    return f"{decimal(number, digits)} {unit}".strip()


def target_text(row: dict[str, Any]) -> str:
    target = row.get("maal")
    number = _number(target)
    if number is None:
        return "–" if target is None else str(target)
    if _number(row.get("forhold")) is not None:
        return f"≤ {decimal(number, 1 if round(number, 1) == number else 2)}×"
    return f"≤ {amount(number, str(row.get('enhet') or ''))}"


def _order(row: dict[str, Any]) -> float:
    line = row.get("linje")
    return float(line) if isinstance(line, int | float) else INGEST_LINE


COLUMNS: Final = (("rad", 32), ("målt", 10), ("grunnlinje", 11), ("forhold", 8), ("mål", 10))


def render(rows: list[dict[str, Any]], missing: dict[int, str], heading: str) -> str:
    """The table: one row per measurement (issue 12's lines in order), notes below a row."""
    label_width = COLUMNS[0][1]
    header = f"{'rad':<{label_width}}" + "".join(f"{n:>{w}}" for n, w in COLUMNS[1:])
    header += f"{'nådd':>6}"
    out = [*textwrap.wrap(heading, WIDTH), "", header, "-" * len(header)]
    entries: list[tuple[float, dict[str, Any] | None, int | None]] = [
        (_order(r), r, None) for r in rows
    ]
    entries += [(float(line), None, line) for line in missing]
    for _, row, line in sorted(entries, key=lambda e: e[0]):
        if row is None:
            assert line is not None
            label = textwrap.wrap(f"{line}. {LINES[line]}", label_width - 1)
            label[1:] = textwrap.wrap(" ".join(label[1:]), label_width - 4, break_on_hyphens=False)
            out.append(f"{label[0]:<{label_width}}ikke målt: {missing[line]}"[:WIDTH])
            out += ["   " + part for part in label[1:]]
            continue
        prefix = f"{row['linje']}. " if isinstance(row.get("linje"), int) else "   "
        label = textwrap.wrap(
            prefix + str(row.get("rad", "")), label_width - 1, break_on_hyphens=False
        )
        label[1:] = textwrap.wrap(" ".join(label[1:]), label_width - 4, break_on_hyphens=False)
        unit = str(row.get("enhet") or "")
        ratio = _number(row.get("forhold"))
        verdict = {True: "ja", False: "NEI", None: "–"}[met(row)]
        cells = (
            amount(row.get("maalt"), unit),
            amount(row.get("grunnlinje"), unit),
            "–" if ratio is None else f"{decimal(ratio, 2)}×",
            target_text(row),
        )
        line_text = f"{label[0]:<{label_width}}"
        line_text += "".join(f"{c:>{w}}" for c, (_, w) in zip(cells, COLUMNS[1:], strict=True))
        out.append(line_text + f"{verdict:>6}")
        out += ["   " + part for part in label[1:]]
        if row.get("merknad"):
            out += textwrap.wrap(
                str(row["merknad"]), WIDTH, initial_indent="     ", subsequent_indent="     "
            )
    return "\n".join(out)


def report(rows: list[dict[str, Any]], missing: dict[int, str], about: dict[str, Any]) -> str:
    """The same table as JSON: every row with its verdict, and the lines not measured."""
    measured = [{**r, "naadd": met(r)} for r in sorted(rows, key=_order)]
    not_measured = [
        {"linje": line, "rad": LINES[line], "grunn": reason} for line, reason in missing.items()
    ]
    return json.dumps(
        {**about, "rader": measured, "ikke_maalt": not_measured}, indent=1, ensure_ascii=False
    )


# =============================================================================================
# Running the scripts
# =============================================================================================


def read_rows(path: Path) -> list[dict[str, Any]]:
    """A script's rows; a missing or malformed file is no rows (the line is then "ikke målt")."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(data, list):
        return []
    return [r for r in data if isinstance(r, dict) and "rad" in r]


def run_step(step: Step, quick: bool) -> tuple[list[dict[str, Any]], str | None]:
    """The step's rows, or the reason there are none. Its progress goes to our stderr."""
    options = step.quick if quick else step.full
    assert options is not None
    env = dict(os.environ)
    paths = [str(BENCH_DIR.parent / "src"), str(BENCH_DIR), env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    with tempfile.TemporaryDirectory(prefix="tallkit-bench-") as tmp:
        out = Path(tmp) / "rader.json"
        argv = [sys.executable, str(BENCH_DIR / step.script), *options, "--json", str(out)]
        _log(f"== {step.script} {' '.join(options)}")
        start = time.perf_counter()
        # stdout is the script's own table: to stderr with the progress, ours stays clean
        done = subprocess.run(argv, env=env, stdout=sys.stderr, check=False)
        _log(f"== {step.script}: {time.perf_counter() - start:.0f} s, kode {done.returncode}")
        rows = read_rows(out)
    if rows:
        return rows, None
    if done.returncode != 0:
        return [], f"{step.script} feilet (kode {done.returncode})"
    return [], f"{step.script} skrev ingen rader"


def machine() -> dict[str, Any]:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else math.nan
    return {"kjerner": os.cpu_count(), "last": round(load, 2)}


def heading(about: dict[str, Any]) -> str:
    mode = "rask prøve, små størrelser og én kjøring" if about["rask"] else "full kjøring"
    return (
        f"tallkit ytelse, issue 12 ({mode}), {about['tidspunkt']}: {about['kjerner']} kjerner, "
        f"last {decimal(about['last_foer'], 1)} før og {decimal(about['last_etter'], 1)} etter. "
        "Forhold = tallkit / grunnlinje (medianer av vekselvise kjøringer)."
    )


def main(argv: Sequence[str] | None = None) -> int:
    names = [s.name for s in STEPS]
    parser = argparse.ArgumentParser(
        description="Mål hver linje i ytelsestabellen i issue 12 og skriv én tabell."
    )
    parser.add_argument(
        "--rask", action="store_true", help="små størrelser og én kjøring: noen få minutter"
    )
    parser.add_argument(
        "--uten",
        action="append",
        choices=names,
        default=[],
        metavar="DEL",
        help=f"hopp over en del ({', '.join(names)}); kan gjentas",
    )
    parser.add_argument("--json", type=Path, metavar="FIL", help="skriv tabellen som JSON hit")
    args = parser.parse_args(argv)

    before = machine()
    rows: list[dict[str, Any]] = []
    missing: dict[int, str] = {}
    for step in STEPS:
        if step.name in args.uten:
            reason: str | None = "hoppet over (--uten)"
        elif args.rask and step.quick is None:
            reason = "ikke i --rask"
        else:
            found, reason = run_step(step, args.rask)
            rows += found
        covered = {r.get("linje") for r in rows}
        if step.script == "ingest.py" and any(r.get("linje") is None for r in rows):
            covered |= set(step.lines)  # its rows cover both its lines
        for line in step.lines:
            if line not in covered:
                missing[line] = reason or ("ikke i --rask" if args.rask else "ingen rad")
    after = machine()
    about = {
        "tidspunkt": datetime.now().isoformat(timespec="minutes"),
        "rask": args.rask,
        "kjerner": before["kjerner"],
        "last_foer": before["last"],
        "last_etter": after["last"],
    }
    print(render(rows, dict(sorted(missing.items())), heading(about)))
    if args.json is not None:
        args.json.write_text(report(rows, missing, about) + "\n", encoding="utf-8")
    return 0


def _log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
