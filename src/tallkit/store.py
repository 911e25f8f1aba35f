"""The DuckDB store: the only module that imports duckdb.

Schema and views come from ``queries/intern/``; values only ever reach SQL as parameters. Each
file is written in one transaction: all of it or nothing (DuckDB's WAL makes a crash mid-ingest
leave the previous state). The database file is created readable by its owner only.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from tallkit.errors import DatabaseError, InputError, UsageError
from tallkit.formats.cells import NUMBER_PATTERN
from tallkit.formats.model import Parsed, PupilLoad
from tallkit.personvern import PseudonymKey
from tallkit.resources import read_internal_query

SCHEMA_VERSION = "1"
# New database files are written in the storage format of DuckDB 1.0, which every DuckDB client
# from 1.0 on reads (the Python and JDBC/ODBC drivers behind DBeaver and Power BI lag behind the
# newest release). Without it DuckDB 2.x writes a format no 1.x client can open. README:
# «Databasen».
STORAGE_VERSION = "v1.0.0"
_KEY_FINGERPRINT = "nokkel_fingeravtrykk"
_CRASH_HOOK = "TALLKIT_TEST_KRASJ"  # fault injection for the crash-consistency test only
PUBLIC_VIEWS = (
    "enhet",
    "nasjonale_prover",
    "grunnskolepoeng",
    "elevundersokelsen",
    "elevresultat",
    "kilde",
)


@dataclass(frozen=True)
class WriteResult:
    kilde_id: int
    rows: int
    suppressed: int
    replaced: int
    not_participated: int = 0


def _translate(exc: duckdb.Error, db_path: Path) -> DatabaseError:
    text = str(exc)
    if "lock" in text.lower():
        return DatabaseError(
            f"{db_path}: databasen er i bruk av en annen prosess (låst). Vent til den er ferdig, "
            "eller lukk programmet som har den åpen."
        )
    if "not a valid duckdb database" in text.lower():
        return DatabaseError(
            f"{db_path}: filen er ikke en gyldig tallkit-database (ødelagt eller feil fil). "
            "Angi riktig fil med --db, eller flytt den bort og les inn på nytt."
        )
    error = DatabaseError(f"{db_path}: {explain(exc)}")
    error.detail = text.strip() or type(exc).__name__  # type: ignore[attr-defined]
    return error


_DUCKDB_SAYS = (
    # (DuckDB's words, what tallkit says); the original goes to --debug
    (
        r"Table with name (\S+) does not exist",
        "finner ingen tabell eller visning «{0}». Visningene er: " + ", ".join(PUBLIC_VIEWS) + ".",
    ),
    (r'syntax error at or near "([^"]*)"', "SQL-en har en syntaksfeil ved «{0}»."),
    (r"syntax error at end of input", "SQL-en slutter for tidlig (mangler noe på slutten)."),
    (
        r'Referenced column "([^"]+)" not found',
        "ukjent kolonne «{0}». Se kolonnene i README "
        "(«Databasen») eller kjør «select * from VISNING limit 1».",
    ),
    (r"Could not convert string '([^']*)' to (\w+)", "kan ikke gjøre «{0}» om til {1}."),
    (
        r'Cannot execute statement of type "(\w+)"',
        "«{0}» er ikke lov: databasen åpnes bare for lesing her.",
    ),
    (r"Scalar Function with name (\w+) does not exist", "ukjent funksjon «{0}»."),
    (r'No files found that match the pattern "([^"]*)"', "finner ikke filen «{0}»."),
)


def explain(exc: BaseException) -> str:
    """One Norwegian line for a DuckDB error (the original text is kept for ``--debug``)."""
    text = str(exc)
    for pattern, message in _DUCKDB_SAYS:
        match = re.search(pattern, text)
        if match:
            return "spørringen feilet: " + message.format(*match.groups())
    kind = text.split(" Error:", 1)[0].strip() if " Error:" in text else type(exc).__name__
    return (
        f"spørringen feilet ({kind}-feil i DuckDB). Kjør igjen med --debug for DuckDBs egen "
        "melding."
    )


class Store:
    """An open database. Use :func:`open_store` as a context manager."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, read_only: bool) -> None:
        self.con = con
        self.path = path
        self.read_only = read_only

    # -- reading -------------------------------------------------------------------------------

    def query(self, sql: str, params: dict[str, Any] | None = None) -> pl.DataFrame:
        """Run one read query and return a polars frame."""
        try:
            relation = self.con.sql(sql, params=params or None)
            if relation is None:
                return pl.DataFrame()
            frame: pl.DataFrame = relation.pl()
            return frame
        except duckdb.Error as exc:
            raise _translate(exc, self.path) from None

    def internal(self, name: str, params: dict[str, Any] | None = None) -> pl.DataFrame:
        return self.query(read_internal_query(name), params)

    def _run(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        # DuckDB 2 blocks a connection until a result is fetched to the end: always fetch.
        rows: list[tuple[Any, ...]] = self.con.execute(sql, params or None).fetchall()
        return rows

    def _run_internal(
        self, name: str, params: dict[str, Any] | None = None
    ) -> list[tuple[Any, ...]]:
        return self._run(read_internal_query(name), params)

    def _first(self, name: str, params: dict[str, Any] | None = None) -> tuple[Any, ...] | None:
        rows = self._run_internal(name, params)
        return rows[0] if rows else None

    def known_hash(self, sha256: str) -> int | None:
        rows = self._run("select kilde_id from lager.kilde where sha256 = $sha", {"sha": sha256})
        return int(rows[0][0]) if rows else None

    # -- writing -------------------------------------------------------------------------------

    def write(
        self,
        parsed: Parsed,
        *,
        path: Path,
        sha256: str,
        ingested_at: datetime,
        key: PseudonymKey | None,
        commit: bool = True,
        progress: Callable[[float], None] | None = None,
    ) -> WriteResult:
        """Write one parsed file in one transaction; roll back on any error (or when
        ``commit`` is false: a dry run does all the work and keeps none of it)."""
        con = self.con
        con.begin()
        try:
            kilde_id = self._next_source_id()
            if parsed.pupils is not None:
                if key is None:  # pragma: no cover - ingest always passes a key for pupils
                    raise UsageError("pseudonymnøkkel mangler for elevresultater.")
                result = self._write_pupils(parsed.pupils, kilde_id, key, progress)
            else:
                result = self._write_aggregates(parsed, kilde_id)
            self._execute_script("koble_navn")
            notes = "; ".join(parsed.notes)
            self._run_internal(
                "ny_kilde",
                {
                    "kilde_id": kilde_id,
                    "sha256": sha256,
                    "filnavn": path.name,
                    "sti": str(path),
                    "type": parsed.kind,
                    "beskrivelse": parsed.description,
                    "rader": result.rows,
                    "skjermet": result.suppressed,
                    "erstattet": result.replaced,
                    "eksportert": parsed.exported,
                    "innlest": ingested_at,
                    "merknader": notes,
                },
            )
            if os.environ.get(_CRASH_HOOK) == "etter_skriving":
                os._exit(70)  # simulate a power cut: everything written, nothing committed
            if commit:
                con.commit()
            else:
                con.rollback()
        except BaseException:
            with contextlib.suppress(duckdb.Error):
                con.rollback()
            raise
        return result

    def _next_source_id(self) -> int:
        return int(self._run("select coalesce(max(kilde_id), 0) + 1 from lager.kilde")[0][0])

    def _execute_script(self, name: str) -> None:
        try:
            self._run_internal(name)
        except duckdb.Error as exc:
            raise _translate(exc, self.path) from None

    def _write_aggregates(self, parsed: Parsed, kilde_id: int) -> WriteResult:
        con = self.con
        params = {"kilde_id": kilde_id}
        replaced = 0
        if parsed.units.height:
            con.register("ny_enhet", parsed.units.to_arrow())
            self._run_internal("oppdater_enhet", params)
            con.unregister("ny_enhet")
        if parsed.measures.height:
            con.register("ny_maal", parsed.measures.to_arrow())
            row = self._first("erstatt_maal")
            replaced = int(row[0]) if row else 0
            self._run_internal("sett_inn_maal", params)
            con.unregister("ny_maal")
        rows = parsed.measures.height
        for table, frame in parsed.tables.items():
            if frame.height:
                con.register(f"ny_{table}", frame.to_arrow())
                self._run_internal(f"sett_inn_{table}", params)
                con.unregister(f"ny_{table}")
                rows += frame.height
        return WriteResult(kilde_id, rows, parsed.suppressed_cells, replaced)

    def _write_pupils(
        self,
        load: PupilLoad,
        kilde_id: int,
        key: PseudonymKey,
        progress: Callable[[float], None] | None,
    ) -> WriteResult:
        self._check_key(key)
        inner, outer = key.pads()
        reader: dict[str, Any] = {
            "sti": str(load.path),
            "skilletegn": load.delimiter,
            "tegnsett": load.encoding,
            "hopp_over": load.header_lines,
            # every column read as text, in file order: validation and casts happen in SQL
            "kolonner": dict.fromkeys(load.column_names, "VARCHAR"),
        }
        try:
            with self._reporting(progress, 0.0, 0.3):
                self._run_internal("elev_pseudonymer", {**reader, "indre": inner, "ytre": outer})
            # DuckDB cannot estimate a CSV's size and builds the join's hash table on the file
            # (+500 MiB for 2.25M rows); as written, the small pseudonym table is the build side.
            self._run("set disabled_optimizers = 'join_order,build_side_probe_side'")
            with self._reporting(progress, 0.3, 0.95):
                self._run_internal(
                    "elev_last",
                    {**reader, "kilde_id": kilde_id, "tallmonster": NUMBER_PATTERN},
                )
        except duckdb.Error as exc:
            raise _csv_error(exc, load) from None
        finally:
            with contextlib.suppress(duckdb.Error):
                self._run("reset disabled_optimizers")
                self._run("drop table if exists pseudonymer")
        source = {"kilde_id": kilde_id}
        bad = self._first("elev_feil", source)
        if bad is not None:
            raise InvalidPupilColumnError(str(bad[0]), int(bad[1]))
        dup = self._first("elev_duplikater", source)
        if dup is not None and int(dup[0]):
            raise InputError(
                f"{int(dup[0])} elever har mer enn ett resultat på samme prøve og skoleår.",
                hint="Fjern dupliserte rader og prøv igjen.",
            )
        replaced_row = self._first("elev_erstatt", source)
        self._run_internal("elev_enheter", source)
        counts = self._first("elev_rader", source)
        assert counts is not None
        return WriteResult(
            kilde_id,
            int(counts[0]),
            0,
            int(replaced_row[0]) if replaced_row else 0,
            int(counts[1]),
        )

    @contextlib.contextmanager
    def _reporting(
        self, progress: Callable[[float], None] | None, start: float, end: float
    ) -> Iterator[None]:
        """Poll DuckDB's own progress of the running statement from a helper thread."""
        if progress is None:
            yield
            return
        done = threading.Event()

        def poll() -> None:
            while not done.wait(0.2):
                with contextlib.suppress(duckdb.Error):
                    percent = self.con.query_progress()
                    if percent >= 0:
                        progress(start + (end - start) * min(percent, 100.0) / 100.0)

        thread = threading.Thread(target=poll, daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join()
            progress(end)

    def _check_key(self, key: PseudonymKey) -> None:
        rows = self._run("select verdi from lager.meta where nokkel = $k", {"k": _KEY_FINGERPRINT})
        if not rows:
            self._run(
                "insert into lager.meta values ($k, $v)",
                {"k": _KEY_FINGERPRINT, "v": key.fingerprint},
            )
        elif rows[0][0] != key.fingerprint:
            raise UsageError(
                f"{self.path}: databasen ble laget med en annen pseudonymnøkkel enn denne. "
                "Bruk samme nøkkelfil (TALLKIT_NOKKELFIL) som før, ellers kan ikke elever "
                "følges over år."
            )


class InvalidPupilColumnError(Exception):
    """Raised inside the transaction; ingest finds the offending line in the file and reports."""

    def __init__(self, column: str, count: int) -> None:
        super().__init__(column)
        self.column = column
        self.count = count


_CSV_LINE = re.compile(r"CSV Error on Line: (\d+)")


def _csv_error(exc: duckdb.Error, load: PupilLoad) -> InputError:
    """DuckDB's CSV errors are long; keep the line and say it in Norwegian."""
    text = str(exc)
    match = _CSV_LINE.search(text)
    line = int(match.group(1)) if match else None  # DuckDB counts lines from the file's start
    lowered = text.lower()
    if "unicode" in lowered or "encoding" in lowered:
        return InputError(
            "ugyldig tegn for tegnsettet.",
            line=line,
            hint="Lagre filen som UTF-8 eller ISO-8859-1.",
        )
    if "column" in lowered and (
        "expected" in lowered or "too few" in lowered or "found" in lowered
    ):
        return InputError(
            f"raden har feil antall felt (overskriften har {len(load.column_names)}).",
            line=line,
            hint="Filen kan være avkortet; eksporter den på nytt.",
        )
    first = text.strip().splitlines()[0]
    return InputError(f"kan ikke lese filen som CSV: {first}", line=line)


@contextlib.contextmanager
def open_store(path: Path, *, read_only: bool = False, create: bool = False) -> Iterator[Store]:
    """Open (and for ingest, create) the database; translate DuckDB's errors to ours."""
    if not path.exists():
        if not create:
            raise UsageError(
                f"{path}: databasen finnes ikke. Kjør «tallkit ingest MAPPE» først, eller angi --db."
            )
        path.parent.mkdir(parents=True, exist_ok=True)
    old_umask = os.umask(0o077)  # database and WAL readable by the owner only
    try:
        con = duckdb.connect(str(path), read_only=read_only, config=_connect_config(read_only))
    except duckdb.Error as exc:
        raise _translate(exc, path) from None
    finally:
        os.umask(old_umask)
    store = Store(con, path, read_only)
    try:
        # DuckDB would draw its own bar on the terminal; tallkit reports progress itself.
        store._run("set enable_progress_bar = true")
        store._run("set enable_progress_bar_print = false")
        if not read_only:
            _ensure_schema(store)
        elif not _has_schema(store):
            raise DatabaseError(f"{path}: filen er ingen tallkit-database (mangler tabellene).")
        yield store
    finally:
        con.close()


def _connect_config(read_only: bool) -> dict[str, Any]:
    """Connection options: an explicit storage version for the files this connection creates."""
    return {} if read_only else {"storage_compatibility_version": STORAGE_VERSION}


def _has_schema(store: Store) -> bool:
    rows = store._run("select count(*) from information_schema.tables where table_schema = 'lager'")
    return bool(rows[0][0])


def _ensure_schema(store: Store) -> None:
    con = store.con
    try:
        con.begin()
        store._run_internal("skjema")
        store._run_internal("visninger")
        store._run(
            "insert into lager.meta values ('skjemaversjon', $v) on conflict do nothing",
            {"v": SCHEMA_VERSION},
        )
        con.commit()
    except duckdb.Error as exc:
        with contextlib.suppress(duckdb.Error):
            con.rollback()
        raise _translate(exc, store.path) from None
