"""Shared pieces of the benchmark scripts: one measured child process, and one row of the table.

A **row** is what every script hands to ``bench/tabell.py`` (the ``make bench`` table), written
with ``--json FIL`` as a JSON list of objects::

    {"rad": "…", "maalt": 2.9, "grunnlinje": 0.9, "forhold": 3.2, "maal": 1.3, "enhet": "s"}

``rad`` names the measurement in plain bokmål, ``maalt`` is tallkit's figure, ``grunnlinje`` the
baseline's, ``forhold`` their ratio (``None`` for an absolute bar such as "under 60 s"), ``maal``
the bar the ratio (or, without a ratio, the measured figure) must not exceed, and ``enhet`` the
unit of ``maalt`` and ``grunnlinje``. Optional keys: ``linje`` (the line of issue 12's table the
row belongs to, 1-8) and ``merknad`` (what the reader must know, e.g. "rapportene er ulike").
``bench/ingest.py`` writes the same shape without ``linje``.

A **child** is a fresh interpreter started through a minimal launcher that reaps it with
:func:`os.wait4`, which returns that child's own resource usage: wall time, CPU time (user +
system, all threads) and peak RSS. The launcher, not the measuring script, spawns the command:
Linux carries the spawning process's high-water RSS into a child's ``ru_maxrss`` at exec, and the
measuring scripts hold duckdb, polars and numpy (see ``bench/ingest.py``).
"""

from __future__ import annotations

import compileall
import functools
import json
import math
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

BENCH_DIR: Final = Path(__file__).resolve().parent
SRC_DIR: Final = BENCH_DIR.parent / "src"
CLI_CODE: Final = "import sys; from tallkit.cli import main; sys.exit(main())"

LAUNCHER_CODE: Final = """\
import os, sys, time
report, argv = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
pid = os.posix_spawn(argv[0], argv, os.environ)
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - start
cpu = usage.ru_utime + usage.ru_stime
with open(report, "w") as handle:
    handle.write(f"{os.waitstatus_to_exitcode(status)} {seconds!r} {cpu!r} {usage.ru_maxrss}")
"""


@dataclass(frozen=True)
class Child:
    """One finished child process: its exit code and its own resource usage."""

    returncode: int
    seconds: float  # wall time from spawn to exit
    cpu: float  # user + system seconds, all threads
    rss_mib: float  # peak resident memory
    stderr: str

    def check(self, what: str) -> Child:
        """This run, or an error naming ``what`` and the child's last stderr line."""
        if self.returncode != 0:
            lines = [line for line in self.stderr.splitlines() if line.strip()]
            last = lines[-1] if lines else "(ingen utskrift)"
            raise RuntimeError(f"{what}: avsluttet med {self.returncode}: {last}")
        return self


def child_env(key_file: Path | None = None) -> dict[str, str]:
    """The environment without ``TALLKIT_*`` settings (plus a key file), with ``src`` importable.

    So no shell setting changes what is measured, and a checkout runs without an install. Also
    without ``PYTHONDONTWRITEBYTECODE``, and with tallkit's bytecode written before the first
    run: an installed tallkit has its ``.pyc`` files (pip writes them), as do the packages the
    baselines import; with the setting (this machine's shells have it) every measured tallkit
    run compiled all its modules from source, ~0.1 s a command the user never pays.
    """
    _write_bytecode()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("TALLKIT_") and k != "PYTHONDONTWRITEBYTECODE"
    }
    if key_file is not None:
        env["TALLKIT_NOKKELFIL"] = str(key_file)
    paths = [str(SRC_DIR), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    return env


@functools.cache
def _write_bytecode() -> None:
    compileall.compile_dir(SRC_DIR / "tallkit", quiet=1)


def run_child(
    argv: Sequence[str], *, env: Mapping[str, str], cwd: Path, timeout: float | None = None
) -> Child:
    """Run ``argv`` (argv[0] an absolute program path) in ``cwd`` and measure it."""
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryFile() as err:
        report = Path(tmp) / "rusage"
        launcher = [sys.executable, "-I", "-S", "-c", LAUNCHER_CODE, str(report), *argv]
        subprocess.run(
            launcher,
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=dict(env),
            cwd=cwd,
            check=True,
            timeout=timeout,
        )
        code, seconds, cpu, maxrss = report.read_text().split()
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    kib = int(maxrss) // 1024 if sys.platform == "darwin" else int(maxrss)  # bytes on macOS
    return Child(int(code), float(seconds), float(cpu), kib / 1024, stderr)


def tallkit_argv(*args: str) -> list[str]:
    """``tallkit ARGS`` in a fresh interpreter (as the console script runs it)."""
    return [sys.executable, "-c", CLI_CODE, *args]


@contextmanager
def throwaway_key() -> Iterator[Path]:
    """A pseudonym key file that lives as long as the block."""
    with tempfile.TemporaryDirectory(prefix="tallkit-nokkel-") as tmp:
        key = Path(tmp) / "nokkel"
        key.write_text(secrets.token_hex(32) + "\n", encoding="ascii")
        key.chmod(0o600)
        yield key


@dataclass
class Series:
    """Repeated runs of one side of a comparison."""

    runs: list[Child] = field(default_factory=list)

    def median(self, what: str) -> float:
        values = [getattr(r, what) for r in self.runs]
        return statistics.median(values) if values else math.nan

    def peak_rss(self) -> float:
        return max((r.rss_mib for r in self.runs), default=math.nan)


def alternate(
    sides: Sequence[tuple[Series, Sequence[str], Path]],
    env: Mapping[str, str],
    repeats: int,
    *,
    warm_up: bool = True,
    timeout: float | None = None,
) -> None:
    """Run each side ``repeats`` times, taking turns, after one uncounted warm-up run each.

    Taking turns spreads the load of a busy machine over both sides, so their ratio (of
    medians) is steadier than either figure.
    """
    if warm_up:
        for _, argv, cwd in sides:
            run_child(argv, env=env, cwd=cwd, timeout=timeout).check(" ".join(argv[2:6]))
    for _ in range(repeats):
        for series, argv, cwd in sides:
            child = run_child(argv, env=env, cwd=cwd, timeout=timeout)
            series.runs.append(child.check(" ".join(argv[2:6])))


def row(
    line: int,
    label: str,
    measured: float | None,
    baseline: float | None,
    target: float | None,
    unit: str,
    note: str | None = None,
    *,
    ratio: float | None = None,
) -> dict[str, Any]:
    """One row in the shared shape; the ratio is measured / baseline unless given."""
    if ratio is None and measured is not None and baseline:
        ratio = measured / baseline
    return {
        "linje": line,
        "rad": label,
        "maalt": _finite(measured),
        "grunnlinje": _finite(baseline),
        "forhold": _finite(ratio),
        "maal": target,
        "enhet": unit,
        "merknad": note,
    }


def _finite(value: float | None) -> float | None:
    if value is None or math.isnan(value):
        return None
    return round(value, 4)


def write_rows(path: Path | None, rows: list[dict[str, Any]]) -> None:
    if path is not None:
        path.write_text(json.dumps(rows, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def count(n: int) -> str:
    """3011 -> «3 011» with a no-break space (bokmål; a wrapped row name keeps it whole)."""
    return f"{n:,}".replace(",", "\u00a0")


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)
