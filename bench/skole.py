"""Benchmark: one school's Læringsspeil on the national database, against cheaper ways to get it.

What is measured (issue 12, lines 1 and 2)
------------------------------------------
* **national** -- ``tallkit --db NATIONAL --stille speil --skole ORGNR --aar 2025-26 --dato …
  --ut DIR`` (HTML + Markdown, the default) on the national-size database that
  ``bench/analyses.py`` builds (about 3,300 schools, 2.25M pupil rows).
* **kommune** (line 1's baseline) -- the same command on a database holding only the school's
  kommune: the same generated files, filtered to the nation's row, the kommune's fylke and
  kommune rows and the kommune's schools (the pupil file to the kommune's pupils), ingested by
  tallkit into a database of their own (cached beside the national one). The two reports must
  be byte-identical; the row says so when they are not. A school's report should cost its
  kommune's data, not the country's: wall time and peak memory, each ≤ 1.3×.
* **views** (line 2's baseline) -- a minimal script that opens the national database
  read-only and fetches the school's numbers (and its kommune's and the nation's, which the
  report sets beside them) straight from the public views the report reads:
  ``nasjonale_prover``, ``grunnskolepoeng``, ``elevundersokelsen``, the school's
  ``elevresultat`` rows, ``enhet`` and ``kilde``. Target: the report ≤ 3× its wall time.

The school: in the kommune with the median number of schools among kommuner with at least
three, the school with results in the most trinn and tests in 2025-26 (lowest orgnr on a tie),
so the report has every section. Every run is a fresh interpreter with an empty temporary
working folder and a throw-away ``TALLKIT_NOKKELFIL``; figures are medians of alternating runs
after one warm-up each, peak memory is the child's own ``ru_maxrss`` (its highest run).

Usage::

    PYTHONPATH=src .venv/bin/python bench/skole.py --gjentak 3 --json rader.json
"""

from __future__ import annotations

import argparse
import filecmp
import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import analyses  # bench/analyses.py: the national-size database and its generated files
import duckdb
import maaling

import tallkit.api

YEAR: Final = "2025-26"
DATE: Final = "2026-11-23"  # fixed, so the two reports can be compared byte for byte
TARGET_KOMMUNE: Final = 1.3
TARGET_VIEWS: Final = 3.0
DEFAULT_REPEATS: Final = 3
TIMEOUT: Final = 900.0

VIEWS_CODE: Final = """\
import sys
import duckdb
db, school, kommune = sys.argv[1:4]
units = [school, kommune, "I"]
con = duckdb.connect(db, read_only=True)
for view in ("nasjonale_prover", "grunnskolepoeng", "elevundersokelsen", "enhet"):
    con.execute(f"select * from {view} where enhet_id in (select unnest($u))", {"u": units}).fetchall()
con.execute("select * from elevresultat where enhet_id = $s", {"s": school}).fetchall()
con.execute("select * from kilde").fetchall()
con.close()
"""


def pick_school(db: Path) -> tuple[str, str, str]:
    """(orgnr, kommunenr, fylkesnr) of the school described in the module docstring."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            """
            with cells as (
                select e.enhet_id, e.kommunenr, e.fylkesnr, count(*) as cells
                from enhet e join nasjonale_prover p using (enhet_id)
                where e.nivaa = 'skole' and p.skoleaar = $aar and p.status = 'ok'
                  and p.kjonn = 'alle' and p.eierform = 'alle'
                group by all
            ),
            kommuner as (
                select kommunenr, count(*) as schools from cells group by kommunenr
                having count(*) >= 3
            ),
            middle as (
                select kommunenr from kommuner
                order by schools, kommunenr
                limit 1 offset (select count(*) // 2 from kommuner)
            )
            select enhet_id, kommunenr, fylkesnr from cells
            where kommunenr = (select kommunenr from middle)
            order by cells desc, enhet_id
            limit 1
            """,
            {"aar": YEAR},
        ).fetchall()
    finally:
        con.close()
    if not rows:
        raise SystemExit(f"{db}: no school with results in {YEAR}")
    return str(rows[0][0]), str(rows[0][1]), str(rows[0][2])


# =============================================================================================
# The kommune-only database
# =============================================================================================


def keep_unit(level: int, fylke: str, kommune: str, want_fylke: str, want_kommune: str) -> bool:
    """The nation, the kommune's fylke, the kommune and its schools."""
    if level == 1:
        return True
    if level == 2:
        return fylke == want_fylke
    return kommune == want_kommune


def filter_statistikkbank(source: Path, target: Path, fylke: str, kommune: str) -> None:
    """A statistikkbank export (UTF-16LE, ``sep=\\t``, header) with only the kept units."""
    lines = source.read_bytes().decode("utf-16-le").split("\n")
    kept = lines[:2]  # "sep=\t" and the header
    for line in lines[2:]:
        if not line:
            continue
        cells = line.split("\t")  # EnhetNivaa, Nasjonaltkode, Fylkekode, Kommunekode, …
        if keep_unit(int(cells[0]), cells[2], cells[3], fylke, kommune):
            kept.append(line)
    target.write_bytes(("\n".join(kept) + "\n").encode("utf-16-le"))


def filter_eksportapi(source: Path, target: Path, fylke: str, kommune: str) -> None:
    """An Eksport API JSON export with only the kept units (its row counts updated)."""
    records = [
        r
        for r in json.loads(source.read_bytes())
        if keep_unit(int(r["EnhetNivaa"]), r["Fylkekode"], r["Kommunekode"], fylke, kommune)
    ]
    for record in records:
        record |= {"RaderSide": len(records), "RaderTotalt": len(records)}
    target.write_bytes(json.dumps(records, ensure_ascii=False, separators=(",", ":")).encode())


def filter_pupils(source: Path, target: Path, kommune: str) -> int:
    """The NUDB pupil file with only the kommune's rows (SKOLEKOM, the fifth field)."""
    rows = 0
    with source.open("rb") as read, target.open("wb") as write:
        write.write(read.readline())
        wanted = kommune.encode()
        for line in read:
            if line.split(b";", 5)[4] == wanted:
                write.write(line)
                rows += 1
    return rows


def ensure_kommune_database(national: Path, pupil_rows: int, fylke: str, kommune: str) -> Path:
    """The kommune-only database, built once beside the national one."""
    folder = national.parent / f"kommune_{kommune}"
    db = folder / "tallkit.duckdb"
    if db.is_file():
        return db
    maaling.log(f"building the database for kommune {kommune} only ...")
    pupil_file, _ = analyses.ensure_pupil_file(pupil_rows, analyses.DEFAULT_SCHOOLS)
    work = Path(tempfile.mkdtemp(prefix="kommune-bygger-", dir=national.parent))
    files = work / "filer"
    files.mkdir()
    for source in sorted((national.parent / "eksport").iterdir()):
        target = files / source.name  # the same names: the export time is read from them
        if source.suffix == ".json":
            filter_eksportapi(source, target, fylke, kommune)
        else:
            filter_statistikkbank(source, target, fylke, kommune)
    pupils = filter_pupils(pupil_file, files / pupil_file.name, kommune)
    with analyses.pseudonym_key():
        report = tallkit.api.ingest(sorted(files.iterdir()), db=work / "tallkit.duckdb")
    failed = [f for f in report.files if f.status != "innlest"]
    if failed:
        raise SystemExit(f"kommune {kommune}: {failed[0].path.name}: {failed[0].error}")
    (work / "tallkit.duckdb").rename(work / "ferdig.duckdb")
    folder.mkdir(exist_ok=True)
    (work / "ferdig.duckdb").rename(db)
    maaling.log(f"kommune {kommune}: {pupils:,} pupil rows -> {db}")
    return db


# =============================================================================================
# Measuring
# =============================================================================================


def speil_argv(db: Path, orgnr: str, out: Path) -> list[str]:
    args = ["--db", str(db), "--stille", "speil", "--skole", orgnr, "--aar", YEAR]
    return maaling.tallkit_argv(*args, "--dato", DATE, "--ut", str(out))


def differences(left: Path, right: Path) -> list[str]:
    """Files that are missing on one side or differ in any byte."""
    names = {p.relative_to(left) for p in left.rglob("*") if p.is_file()}
    names |= {p.relative_to(right) for p in right.rglob("*") if p.is_file()}
    return sorted(
        str(name)
        for name in names
        if not ((left / name).is_file() and (right / name).is_file())
        or not filecmp.cmp(left / name, right / name, shallow=False)
    )


def measure(pupil_rows: int, repeats: int) -> list[dict[str, Any]]:
    national, _, _ = analyses.ensure_database(pupil_rows)
    orgnr, kommune, fylke = pick_school(national)
    local = ensure_kommune_database(national, pupil_rows, fylke, kommune)
    maaling.log(f"school {orgnr} in kommune {kommune}: {repeats} runs per side ...")
    with maaling.throwaway_key() as key, tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)  # empty: no tallkit.toml applies
        env = maaling.child_env(key)
        nat, kom, views = maaling.Series(), maaling.Series(), maaling.Series()
        views_argv = [sys.executable, "-c", VIEWS_CODE, str(national), orgnr, kommune]
        maaling.alternate(
            [
                (nat, speil_argv(national, orgnr, cwd / "nasjonal"), cwd),
                (kom, speil_argv(local, orgnr, cwd / "kommune"), cwd),
                (views, views_argv, cwd),
            ],
            env,
            repeats,
            timeout=TIMEOUT,
        )
        differ = differences(cwd / "nasjonal", cwd / "kommune")
        files = sum(1 for p in (cwd / "nasjonal").rglob("*") if p.is_file())
    same = (
        f"samme rapport ({files} filer)"
        if not differ
        else f"rapportene er ulike i {len(differ)} av {files} filer (den første: {differ[0]})"
    )
    wall_n, wall_k, wall_v = (s.median("seconds") for s in (nat, kom, views))
    maaling.log(
        f"speil --skole {orgnr}: national {wall_n:.2f} s / {nat.peak_rss():.0f} MiB, "
        f"kommune {wall_k:.2f} s / {kom.peak_rss():.0f} MiB, views {wall_v:.2f} s; {same}"
    )
    label = "speil --skole: landet mot kommunen"
    return [
        maaling.row(1, f"{label}, tid", wall_n, wall_k, TARGET_KOMMUNE, "s", same),
        maaling.row(1, f"{label}, minne", nat.peak_rss(), kom.peak_rss(), TARGET_KOMMUNE, "MiB"),
        maaling.row(
            2,
            "speil --skole mot skolens tall rett fra visningene",
            wall_n,
            wall_v,
            TARGET_VIEWS,
            "s",
        ),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=(
            "Mål «speil --skole» for én skole på landsdatabasen mot en database med bare "
            "skolens kommune, og mot å lese skolens tall rett fra visningene."
        )
    )
    parser.add_argument("--gjentak", type=int, default=DEFAULT_REPEATS, help="kjøringer per side")
    parser.add_argument(
        "--rader",
        type=int,
        default=analyses.DEFAULT_PUPIL_ROWS,
        help=f"elevrader i landsdatabasen (standard {analyses.DEFAULT_PUPIL_ROWS:_})",
    )
    parser.add_argument("--json", type=Path, metavar="FIL", help="skriv radene som JSON hit")
    args = parser.parse_args(argv)
    rows = measure(args.rader, max(1, args.gjentak))
    maaling.write_rows(args.json, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
