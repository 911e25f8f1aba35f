"""Issue 7's coverage table: how often tallkit's intervals cover the simulated truth.

One command, for the closing note's before/after::

    .venv/bin/python bench/dekning.py              # the larger run (about 2.5× the CI test)
    .venv/bin/python bench/dekning.py --liten      # the CI test's nation (tests/test_dekning.py)
    .venv/bin/python bench/dekning.py --frø 7 --klassekorrelasjon 0.5

The nation is ``tests/simulering.py`` (seeded): Udir statistikkbank exports with rounded means
and a pupil file with classes, read in with ``tallkit.ingest`` in three scenarios (pupil data,
published numbers only, published numbers without the kommune's Usikkerhet). The truth comes
from the simulation's parameters. «orakel» is an interval around tallkit's own estimate with the
model's sampling variance: what an honest method can reach on the same data. Shares are given
with their Monte Carlo SE (kommuner as clusters) and n.

This is a measurement, not a test: the exit code is 0 whether or not the targets are met.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import dekningsmaal
import simulering


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--liten", action="store_true", help="the CI test's nation")
    parser.add_argument("--frø", "--fro", dest="seed", type=int, default=None)
    parser.add_argument("--klassekorrelasjon", type=float, default=None)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    params = simulering.Parametre()
    if not args.liten:
        params = simulering.med(
            params, byer=20, mellom=90, smaa=220, enskole=70, years=(2021, 2022, 2023, 2024)
        )
    if args.seed is not None:
        params = simulering.med(params, seed=args.seed)
    if args.klassekorrelasjon is not None:
        params = simulering.med(params, class_test_corr=args.klassekorrelasjon)
    start = time.perf_counter()
    nasjon = simulering.simuler(params)
    with tempfile.TemporaryDirectory() as tmp:
        maal = {}
        for scenario in dekningsmaal.SCENARIOS:
            folder = Path(tmp) / scenario
            folder.mkdir()
            maal[scenario] = dekningsmaal.Maaling(
                nasjon, dekningsmaal.bygg(nasjon, folder, scenario)
            )
        rows = dekningsmaal.tabell(maal)
    seconds = time.perf_counter() - start
    schools = len(nasjon.skoler)
    kommuner = len(nasjon.kommuner)
    results = f"{nasjon.results.height:,}".replace(",", " ")
    years = ", ".join(simulering.year_label(y) for y in params.years)
    print(
        f"Simulert nasjon: frø {params.seed}, {kommuner} kommuner, {schools} skoler, "
        f"skoleår {years}, {results} elevresultater; klasseeffektens korrelasjon mellom "
        f"prøvene {params.class_test_corr:g}. Kjøretid {seconds:.0f} s.\n"
    )
    print("| hva | målt | mål | nådd |")
    print("|---|---|---|---|")
    for row in rows:
        ok = "" if row.ok is None else ("ja" if row.ok else "nei")
        cells = (row.hva, row.maalt, row.maal, ok)
        print("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
