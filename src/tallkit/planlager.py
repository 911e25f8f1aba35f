"""The suppression plan and the whole-database references kept beside the database, so only
the first command after an ingest makes them.

The plan (``tallkit.skjerming``) depends on nothing but the pupil data, the units and the
minimum group size, yet making it is most of what a national run costs (about 20 s for 2.25
million pupil results, against about 0.5 s for a part's own SQL). So the plans and the groups of
kommuner they are made per are written to a folder beside the database file
(``tallkit.duckdb.skjermingsplan/``), under a *stamp* of what they were made from:

* every ingested file (``kilde``: id, SHA-256, rows, replaced rows, time read in), the number of
  pupil results and a hash of every unit's kommune -- every ingest adds or changes a ``kilde``
  row, and the two others catch anything else that touched the tables;
* tallkit's version and the text of its code and its packaged SQL, so a changed rule never
  reads an old plan or reference.

The *references* (:func:`remembered`) are the few numbers a report takes from the whole database
rather than from its own school and kommune: the class models over all pupil data and the
funnel's between-school spread (τ²) over every school. They make one school's report on a
national database cost its kommune's data, not the country's (issue 12), and they are exactly
the numbers the whole run would compute (floats are written as their shortest repr, which reads
back as the same float).

A stamp that differs is a miss: the plan is made again and written under the new stamp (the
old stamp's folder is removed). Nothing here is ever needed: a folder that cannot be written
(a read-only share), a file that cannot be read or parsed, is a miss and the plan is made as
before. The files hold which numbers are hidden (unit, year, trinn, test, group name) and
which kommuner share pupils, never a pupil or a count; the references hold sums, counts and
shares over whole kommuner or the nation. The folder is readable by its owner only,
as the database is.
``TALLKIT_MELLOMLAGER=0`` turns the folder off (then nothing is read or written).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import weakref
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, Final, TypeVar

import duckdb

from tallkit import __version__, skjerming
from tallkit.resources import keeping_allowed, resource_dir
from tallkit.store import Store

SUFFIX: Final = ".skjermingsplan"
T = TypeVar("T")

_STAMP_SQL: Final = """
select
    (select string_agg(
        concat_ws('|', kilde_id, sha256, rader, erstattet, innlest), ';' order by kilde_id
    ) from lager.kilde) as kilder,
    (select count(*) from lager.elevresultat) as elevresultater,
    (select bit_xor(hash(enhet_id, kommunenr)) from lager.enhet) as enheter
"""


def folder_of(store: Store) -> Path | None:
    """The folder beside the database file (None for a database that is not a file)."""
    if not keeping_allowed() or not store.path.is_file():
        return None
    return store.path.with_name(store.path.name + SUFFIX)


def stamp(store: Store) -> str | None:
    """What the plan is made from, as a digest (once per open store); None when it cannot be
    told (then nothing is read or written)."""
    if store not in _STAMPS:
        try:
            # fetched to the end: DuckDB 2 holds the connection until a result is
            row = store.con.execute(_STAMP_SQL).fetchall()[0]
        except duckdb.Error:  # a database from before a column the stamp reads, say
            return None
        digest = hashlib.sha256()
        digest.update(f"{__version__}\n{row!r}\n{_code_digest()}".encode())
        _STAMPS[store] = digest.hexdigest()[:24]
    return _STAMPS[store]


@cache
def _code_digest() -> str:
    """Every source file of the package and every packaged query: what a plan or a reference is
    made by (a kommune's own queries are not read by the analyses). A few hundred kB, read once
    per process."""
    digest = hashlib.sha256()
    package = Path(skjerming.__file__).resolve().parent
    files = sorted(package.rglob("*.py")) + sorted(resource_dir("queries").rglob("*.sql"))
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


_STAMPS: weakref.WeakKeyDictionary[Store, str] = weakref.WeakKeyDictionary()


def _name(minimum: int, kommuner: tuple[str, ...] | None) -> str:
    if kommuner is None:
        return f"plan-min{minimum}-alle.arrows"
    digest = hashlib.sha256("|".join(kommuner).encode()).hexdigest()[:16]
    return f"plan-min{minimum}-{digest}.arrows"


def load_plan(
    store: Store, minimum: int, kommuner: tuple[str, ...] | None
) -> skjerming.Plan | None:
    """The stored plan for ``kommuner`` (a group; None: every group), or None (a miss)."""
    import io

    import polars as pl

    content = _read_bytes(store, _name(minimum, kommuner))
    if content is None:
        return None
    header, _, body = content.partition(b"\n")
    try:
        described = json.loads(header)
        if (
            not isinstance(described, dict)
            or described.get("minimum") != minimum
            or described.get("kommuner") != (None if kommuner is None else list(kommuner))
        ):
            return None
        frames: dict[str, pl.DataFrame] = {}
        start = 0
        for kind, size in described["deler"]:
            frames[str(kind)] = pl.read_ipc_stream(io.BytesIO(body[start : start + size]))
            start += size
    except (KeyError, TypeError, ValueError, pl.exceptions.PolarsError, OSError):
        return None  # not ours, or cut short
    if start != len(body):
        return None
    return skjerming.Plan(frames=frames)


def save_plan(
    store: Store, minimum: int, kommuner: tuple[str, ...] | None, plan: skjerming.Plan
) -> None:
    """One JSON line naming the plan, then each kind's hidden keys as an Arrow IPC stream: read
    back in milliseconds as the frames the analyses join with (a national plan of 240,000 keys
    took 0.2-0.3 s as JSON, on every command that needed it). The stream format, not the IPC
    file: polars' file reader costs a one-school report 4 MiB more memory. Sorted, so the same
    plan is the same file."""
    import io

    parts: list[tuple[str, bytes]] = []
    for kind, frame in sorted(plan.frames().items()):
        buffer = io.BytesIO()
        frame.sort(frame.columns, nulls_last=True).write_ipc_stream(buffer)
        parts.append((kind, buffer.getvalue()))
    header = {
        "minimum": minimum,
        "kommuner": None if kommuner is None else list(kommuner),
        "deler": [[kind, len(data)] for kind, data in parts],
    }
    content = json.dumps(header, ensure_ascii=False).encode() + b"\n"
    _write_bytes(store, _name(minimum, kommuner), content + b"".join(d for _, d in parts))


def load_groups(store: Store) -> dict[str, tuple[str, ...]] | None:
    content = _read(store, "grupper.json")
    if not isinstance(content, list):
        return None
    found: dict[str, tuple[str, ...]] = {}
    for group in content:
        if not isinstance(group, list) or not all(isinstance(k, str) for k in group):
            return None
        for kommune in group:
            found[kommune] = tuple(group)
    return found


def save_groups(store: Store, groups: dict[str, tuple[str, ...]]) -> None:
    _write(store, "grupper.json", sorted(set(groups.values())))


def remembered(
    store: Store,
    what: str,
    key: tuple[Any, ...],
    make: Callable[[], T],
    encode: Callable[[T], Any],
    decode: Callable[[Any], T],
) -> T:
    """``make()``, or what an earlier command on the same state of the database stored for
    ``what`` and ``key`` (plain values: their repr names the file). ``encode`` gives JSON
    values, ``decode`` reads them back; a file that does not decode is a miss."""
    name = f"{what}-{hashlib.sha256(repr(key).encode()).hexdigest()[:16]}.json"
    content = _read(store, name)
    if isinstance(content, dict) and content.get("nokkel") == repr(key):
        try:
            return decode(content["innhold"])
        except (KeyError, TypeError, ValueError, IndexError):
            pass  # not ours, or from a shape of an earlier version: made again
    found = make()
    _write(store, name, {"nokkel": repr(key), "innhold": encode(found)})
    return found


def _read(store: Store, name: str) -> Any:
    content = _read_bytes(store, name)
    if content is None:
        return None
    try:
        return json.loads(content.decode("utf-8"))
    except ValueError:
        return None


def _read_bytes(store: Store, name: str) -> bytes | None:
    folder = folder_of(store)
    current = stamp(store)
    if folder is None or current is None:
        return None
    try:
        return (folder / current / name).read_bytes()
    except OSError:
        return None


def _write(store: Store, name: str, content: Any) -> None:
    # dumps, not dump: dump encodes in Python chunks, 10× slower on a large content
    text = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
    _write_bytes(store, name, text.encode("utf-8"))


def _write_bytes(store: Store, name: str, content: bytes) -> None:
    """Written whole or not at all (a temporary file renamed), never raising: a folder that
    cannot be written only means the next command makes the plan again."""
    folder = folder_of(store)
    state = stamp(store)
    if folder is None or state is None:
        return
    current = folder / state
    try:
        # owner only, as the database file (which numbers are hidden says which groups are small)
        folder.mkdir(mode=0o700, exist_ok=True)
        with contextlib.suppress(OSError):  # also one an earlier version made world-readable
            folder.chmod(0o700)
        current.mkdir(mode=0o700, exist_ok=True)
        for old in folder.iterdir():  # plans of an earlier state of the database
            if old.name != current.name:
                shutil.rmtree(old, ignore_errors=True)
        handle, temporary = tempfile.mkstemp(dir=current, prefix=".", suffix=".tmp")
        with contextlib.ExitStack() as cleanup:
            cleanup.callback(lambda: Path(temporary).unlink(missing_ok=True))
            with os.fdopen(handle, "wb") as out:
                out.write(content)
            Path(temporary).replace(current / name)
    except OSError:
        return
