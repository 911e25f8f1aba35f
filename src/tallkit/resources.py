"""Find ``queries/`` and ``templates/``: in a checkout, an editable install, or an installed wheel.

They sit at the repository root on purpose (an analyst opens the repo and sees the SQL and the
report templates); the wheel carries copies under ``tallkit/_ressurser/`` (force-included by
hatchling). A kommune may point tallkit at its own folder, which then wins file by file.
"""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path

from tallkit.errors import UsageError, quote

_PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def resource_dir(name: str) -> Path:
    """The packaged folder ``name`` (``queries`` or ``templates``)."""
    candidates = (
        _PACKAGE_DIR / "_ressurser" / name,  # installed wheel
        _PACKAGE_DIR.parent.parent / name,  # checkout / editable install: src/tallkit -> root
    )
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise UsageError(  # pragma: no cover - only a broken installation gets here
        f"finner ikke mappen «{name}» i installasjonen. Installer tallkit på nytt."
    )


def find_query(name: str, override: Path | None = None) -> Path:
    """Path of ``queries/<name>.sql``, the kommune's own folder first. A name is a name, not a
    path: nothing outside the query folders (or in ``intern/``) can be run by name."""
    stem = name.removesuffix(".sql")
    if re.fullmatch(r"[A-Za-z0-9_æøåÆØÅ-]{1,80}", stem):
        for folder in (override, resource_dir("queries")):
            if folder is not None and (folder / f"{stem}.sql").is_file():
                return folder / f"{stem}.sql"
    known = ", ".join(sorted(p.stem for p in list_queries(override)))
    raise UsageError(f"ukjent spørring «{quote(name)}». Kjente spørringer: {known}.")


def list_queries(override: Path | None = None) -> list[Path]:
    """User-facing named queries (internal ones live in ``queries/intern/``)."""
    found: dict[str, Path] = {}
    for folder in (resource_dir("queries"), override):
        if folder is not None and folder.is_dir():
            for path in sorted(folder.glob("*.sql")):
                found[path.stem] = path
    return [found[k] for k in sorted(found)]


def read_internal_query(name: str) -> str:
    """Text of ``queries/intern/<name>.sql`` (schema, ingest steps)."""
    return (resource_dir("queries") / "intern" / f"{name}.sql").read_text(encoding="utf-8")


def keeping_allowed() -> bool:
    """Whether tallkit may keep what it made for the next command (the suppression plan and
    references beside the database, compiled templates): ``TALLKIT_MELLOMLAGER=0`` says no."""
    return os.environ.get("TALLKIT_MELLOMLAGER", "1").strip() != "0"
