"""The DuckDB store: the only module that imports duckdb.

Schema and views come from ``queries/intern/``; values only ever reach SQL as parameters. Each
file is written in one transaction: all of it or nothing (DuckDB's WAL makes a crash mid-ingest
leave the previous state). The database file is created readable by its owner only.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import polars as pl

from tallkit.errors import DatabaseError, InputError, TallkitError, UsageError, one_line
from tallkit.personvern import FNR_INSIDE_SQL, FNR_WHOLE_SQL, PseudonymKey, mask_fnr
from tallkit.resources import read_internal_query

if TYPE_CHECKING:
    # tallkit.formats (every parser) is only needed to write: reading commands stay lean
    from tallkit.formats.model import Parsed, PupilLoad

SCHEMA_VERSION = "1"
# New database files are written in the storage format of DuckDB 1.0, which every DuckDB client
# from 1.0 on reads (the Python and JDBC/ODBC drivers behind DBeaver and Power BI lag behind the
# newest release). Without it DuckDB 2.x writes a format no 1.x client can open. README:
# «Databasen».
STORAGE_VERSION = "v1.0.0"
_KEY_FINGERPRINT = "nokkel_fingeravtrykk"
# Set when pseudonyms follow standard HMAC (RFC 2104). Before it, keys over 64 bytes were not
# hashed first; for every shorter key (tallkit makes 32-byte keys) both give the same pseudonyms.
_HMAC_MARK = "hmac"
_HMAC_STANDARD = "rfc2104"
MAX_PUPIL_LINE_BYTES = 64 * 1024  # a pupil row is ~100 bytes; more is no pupil file
MAX_PUPIL_SCALE_SCORE = 150  # NP's scale: mean 50, SD 10
# DuckDB's memory while loading pupils, beyond the pseudonym table: CSV buffers, row groups
# being compressed, batches waiting for their turn; past it DuckDB evicts or spills.
_PUPIL_WORKING_MEMORY = 160 * 2**20
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
    if isinstance(exc, duckdb.InterruptException):
        raise KeyboardInterrupt from None  # Ctrl-C inside a query: exit 130, old state
    text = str(exc)
    lowered = text.lower()
    # Order matters: a corrupt *block* must not read as a lock («block» contains «lock»).
    if "no space left" in lowered or "disk is full" in lowered or "disk full" in lowered:
        return DatabaseError(
            f"{db_path}: disken er full; ingenting fra denne filen ble lagret. "
            "Frigjør plass og prøv igjen."
        )
    if "not a valid duckdb database" in lowered:
        return DatabaseError(
            f"{db_path}: filen er ikke en gyldig tallkit-database (ødelagt eller feil fil). "
            "Angi riktig fil med --db, eller flytt den bort og les inn på nytt."
        )
    if any(w in lowered for w in ("corrupt", "checksum", "invalidated", "serialization error")):
        return DatabaseError(
            f"{db_path}: databasefilen er ødelagt. Legg tilbake en sikkerhetskopi, eller flytt "
            "den bort og les inn eksportene på nytt."
        )
    if "could not set lock" in lowered or "conflicting lock" in lowered:
        return DatabaseError(
            f"{db_path}: databasen er i bruk av en annen prosess (låst). Vent til den er ferdig, "
            "eller lukk programmet som har den åpen."
        )
    error = DatabaseError(f"{db_path}: {explain(exc)}")
    error.detail = text.strip() or type(exc).__name__  # type: ignore[attr-defined]
    return error


def quote_long(text: str) -> str:
    """DuckDB's own words, kept short: they may quote values from files."""
    return one_line(text, 160)


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


def arrow_frame(relation: duckdb.DuckDBPyRelation) -> pl.DataFrame:
    """A query result as a polars frame, through the Arrow C stream.

    The same frame as ``relation.pl()`` (same Arrow batches, same types), but ``.pl()`` goes
    through a pyarrow table, and importing pyarrow (and numpy with it) costs more start-up
    than a small command like ``status`` spends on its queries.
    """
    if not hasattr(relation, "__arrow_c_stream__"):  # an older DuckDB without the interface
        frame: pl.DataFrame = relation.pl()
        return frame
    try:
        return pl.DataFrame(relation)
    except (pl.exceptions.ComputeError, RuntimeError) as exc:
        # An error while the rows stream (a failing cast, an interrupt) reaches polars and
        # comes out as its ComputeError (or, for an interrupt, a RuntimeError «Query
        # interrupted»). Callers handle DuckDB's own exceptions: an interrupt is the user's
        # Ctrl+C; anything else is run again the old way, which raises it.
        if "interrupted" in str(exc).lower():
            raise KeyboardInterrupt from None
        frame = relation.pl()
        return frame


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
            return arrow_frame(relation)
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

    def key_fingerprint(self) -> str | None:
        """The fingerprint of the pseudonym key the stored pupils were made with, if any."""
        rows = self._run("select verdi from lager.meta where nokkel = $k", {"k": _KEY_FINGERPRINT})
        return str(rows[0][0]) if rows else None

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
        try:
            return self._write_transaction(parsed, path, sha256, ingested_at, key, commit, progress)
        finally:
            if parsed.pupils is not None:
                # the pupil load's memory limit holds through the commit, whose checkpoint
                # writes the whole table (with the default limit it peaked at 537 MiB at
                # 2.25M rows, above every step of the load)
                with contextlib.suppress(duckdb.Error):
                    self._run("reset memory_limit")
                    self._run("reset max_temp_directory_size")

    def _write_transaction(
        self,
        parsed: Parsed,
        path: Path,
        sha256: str,
        ingested_at: datetime,
        key: PseudonymKey | None,
        commit: bool,
        progress: Callable[[float], None] | None,
    ) -> WriteResult:
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
                    # provenance, not a leak: a fødselsnummer in a file name is masked
                    "filnavn": mask_fnr(path.name),
                    "sti": mask_fnr(str(path)),
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
        except RuntimeError as exc:
            with contextlib.suppress(duckdb.Error):
                con.rollback()
            if "interrupted" in str(exc).lower():
                # DuckDB's answer to Ctrl-C (SIGINT) mid-query: exit 130, the old state
                raise KeyboardInterrupt from None
            raise
        except duckdb.ConstraintException as exc:
            with contextlib.suppress(duckdb.Error):
                con.rollback()
            # a value the file should never have had (a key left empty): the file's error
            raise InputError(
                f"filen har en verdi databasen ikke kan ta imot ({_first_line(exc)}).",
                hint="Last ned eksporten på nytt; ingenting fra filen er lagret.",
            ) from None
        except duckdb.Error as exc:
            with contextlib.suppress(duckdb.Error):
                con.rollback()
            raise _translate(exc, self.path) from None
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
        reader: dict[str, Any] = {
            "sti": str(load.path),
            "skilletegn": load.delimiter,
            "tegnsett": load.encoding,
            "hopp_over": load.header_lines,
            # every column read as text, in file order: validation and casts happen in SQL
            "kolonner": dict.fromkeys(load.column_names, "VARCHAR"),
            "fnr_hel": FNR_WHOLE_SQL,
            "maks_linje": MAX_PUPIL_LINE_BYTES,
        }
        return self._load_pupils(load, kilde_id, reader, key, progress)  # limits: see write()

    def _load_pupils(
        self,
        load: PupilLoad,
        kilde_id: int,
        reader: dict[str, Any],
        key: PseudonymKey,
        progress: Callable[[float], None] | None,
    ) -> WriteResult:
        from tallkit.formats.cells import NUMBER_PATTERN

        inner, outer = key.pads()
        # Per load, never stored: the pseudonym table is keyed by md5(salt || id), not the id.
        salt = {"salt": secrets.token_hex(16)}
        try:
            # Reading the distinct raw ids (perhaps fødselsnummer) is the one step with raw ids
            # in DuckDB's own buffers: it must never spill them to its temp files on disk.
            # Without room it stops with «out of memory» instead (ingest: «for lite minne»).
            self._run("set max_temp_directory_size = '0B'")
            with self._reporting(progress, 0.0, 0.3):
                self._run_internal(
                    "elev_pseudonymer", {**reader, **salt, "indre": inner, "ytre": outer}
                )
            self._run("reset max_temp_directory_size")
            # DuckDB cannot estimate a CSV's size and builds the join's hash table on the file
            # (+500 MiB for 2.25M rows); as written, the small pseudonym table is the build side.
            self._run("set disabled_optimizers = 'join_order,build_side_probe_side'")
            # With the default limit (80 % of RAM) DuckDB keeps the blocks the insert wrote and
            # its batches in memory, so peak memory grew with the file: 465 MiB at 2.25M rows,
            # 886 MiB at 9M. Under a limit it drops written blocks (they are in the database
            # file) and flushes or spills sooner (nothing here holds a raw id). The pseudonym
            # table and the join's hash table on it grow with the pupils; the limit leaves room
            # for about that (measured at 9M rows: limit 3× table + 256 MiB gave a peak of
            # 699 MiB; 1× + 128 MiB 425 MiB but 15 % more CPU, spilling the hash table).
            self._run("set memory_limit = $grense", {"grense": f"{self._pupil_memory_limit()}B"})
            with self._reporting(progress, 0.3, 0.95):
                self._run_internal(
                    "elev_last",
                    {
                        **reader,
                        **salt,
                        "kilde_id": kilde_id,
                        "tallmonster": NUMBER_PATTERN,
                        "fnr_del": FNR_INSIDE_SQL,
                        "maks_skalapoeng": MAX_PUPIL_SCALE_SCORE,
                    },
                )
        except duckdb.OutOfMemoryException:
            raise MemoryError from None  # ingest says «for lite minne» for this file
        except duckdb.Error as exc:
            raise _csv_error(exc, load, self.path) from None
        finally:
            with contextlib.suppress(duckdb.Error):
                self._run("reset disabled_optimizers")
                self._run("drop table if exists pseudonymer")
        return self._check_pupils(kilde_id)

    def _pupil_memory_limit(self) -> int:
        """Bytes DuckDB may use while loading pupils: what it holds now (the pseudonym table)
        twice over, for the table and most of the join's hash table on it, plus a fixed
        working budget."""
        rows = self._run("select coalesce(sum(memory_usage_bytes), 0) from duckdb_memory()")
        return 2 * int(rows[0][0]) + _PUPIL_WORKING_MEMORY

    def _check_pupils(self, kilde_id: int) -> WriteResult:
        source = {"kilde_id": kilde_id}
        bad = self._first("elev_feil", source)
        if bad is not None:
            raise InvalidPupilColumnError(str(bad[0]), int(bad[1]))
        maybe = self._first("elev_duplikater_mulige", source)
        dup = self._first("elev_duplikater", source) if maybe is not None and maybe[0] else None
        if dup is not None and int(dup[0]):
            raise InputError(
                f"{int(dup[0])} {'elev' if int(dup[0]) == 1 else 'elever'} har mer enn ett "
                "resultat på samme prøve og skoleår.",
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
        if not hasattr(self.con, "query_progress"):
            # DuckDB before 1.3 has no query_progress(): report the step's end only
            yield
            progress(end)
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
        stored = self.key_fingerprint()
        marked = self._run("select 1 from lager.meta where nokkel = $k", {"k": _HMAC_MARK})
        if stored is None:
            self._run(
                "insert into lager.meta values ($k, $v)",
                {"k": _KEY_FINGERPRINT, "v": key.fingerprint},
            )
        elif stored != key.fingerprint:
            raise UsageError(
                f"{self.path}: databasen ble laget med en annen pseudonymnøkkel enn denne. "
                "Bruk samme nøkkelfil (TALLKIT_NOKKELFIL) som før, ellers kan ikke elever "
                "følges over år."
            )
        elif not marked and key.long:
            # Same key, but the stored pseudonyms came from the old, non-standard computation:
            # new files would get other pseudonyms and silently break every pupil's history.
            raise UsageError(
                f"{self.path}: elevdataene ble pseudonymisert av en eldre tallkit som regnet "
                "HMAC annerledes for nøkler over 64 byte. Les elevfilene inn på nytt i en ny "
                "database (--db), så får alle elever standard HMAC-pseudonymer."
            )
        if not marked:
            self._run(
                "insert into lager.meta values ($k, $v)", {"k": _HMAC_MARK, "v": _HMAC_STANDARD}
            )


class InvalidPupilColumnError(Exception):
    """Raised inside the transaction; ingest finds the offending line in the file and reports."""

    def __init__(self, column: str, count: int) -> None:
        super().__init__(column)
        self.column = column
        self.count = count


_CSV_LINE = re.compile(r"CSV Error on Line: (\d+)")


def _csv_error(exc: duckdb.Error, load: PupilLoad, db_path: Path) -> TallkitError:
    """DuckDB's CSV errors are long; keep the line and say it in Norwegian."""
    if not isinstance(exc, duckdb.InvalidInputException | duckdb.ConversionException):
        return _translate(exc, db_path)  # interrupted, disk full, corrupt: not the file's fault
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
    if "maximum line size" in lowered or "line size" in lowered:
        return InputError(
            f"en linje er lengre enn {MAX_PUPIL_LINE_BYTES // 1024} KiB.",
            line=line,
            hint="Sjekk at filen er en eksport av elevresultater.",
        )
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return InputError(f"kan ikke lese filen som CSV: {quote_long(first)}", line=line)


@contextlib.contextmanager
def open_store(path: Path, *, read_only: bool = False, create: bool = False) -> Iterator[Store]:
    """Open (and for ingest, create) the database; translate DuckDB's errors to ours."""
    if not path.exists():
        if not create:
            raise UsageError(
                f"{path}: databasen finnes ikke. Kjør «tallkit ingest MAPPE» først, eller angi --db."
            )
        path.parent.mkdir(parents=True, exist_ok=True)
    # Database, WAL and DuckDB's side files (the WAL is made at the first write, the temp
    # folder when a query spills) readable by the owner only: keep the umask while open.
    old_umask = os.umask(0o077)
    try:
        try:
            con = duckdb.connect(str(path), read_only=read_only, config=_connect_config(read_only))
        except duckdb.Error as exc:
            raise _translate(exc, path) from None
        store = Store(con, path, read_only)
        try:
            # DuckDB would draw its own bar on the terminal; tallkit reports progress itself.
            store._run("set enable_progress_bar = true")
            store._run("set enable_progress_bar_print = false")
            if not read_only:
                _ensure_schema(store)
            elif not _has_schema(store):
                raise DatabaseError(f"{path}: filen er ingen tallkit-database (mangler tabellene).")
            else:
                _check_views(store)
            yield store
        except duckdb.Error as exc:
            raise _translate(exc, path) from None
        finally:
            con.close()
    finally:
        os.umask(old_umask)


SURFACE_TABLES = (
    "enhet",
    "nasjonale_prover",
    "grunnskolepoeng",
    "elevundersokelsen",
    "kilde",
    "elevresultat_skole",
    "ukjente_maal",
)
_LOCKDOWN = (
    "set enable_external_access = false",  # no files, no network: read_*, copy, attach, glob
    "set autoinstall_known_extensions = false",
    "set autoload_known_extensions = false",
    "set allow_community_extensions = false",
    "set python_enable_replacements = false",  # no Python variables of tallkit as tables
    "set lock_configuration = true",  # and no «set» can undo any of it
)


class Surface:
    """What ``tallkit sql`` can reach: a separate in-memory database holding copies of the
    public views (small groups hidden, no pupil rows), with file system, network, extensions
    and settings closed. The database file and its internal schema are not in it at all."""

    def __init__(self, con: duckdb.DuckDBPyConnection, db_path: Path) -> None:
        self.con = con
        self.path = db_path

    def query(self, sql: str, params: dict[str, Any] | None = None) -> pl.DataFrame:
        """Run exactly one SELECT statement and return its rows."""
        try:
            statements = self.con.extract_statements(sql)
        except duckdb.Error as exc:
            raise _surface_error(exc) from None
        if len(statements) != 1:
            raise UsageError(f"tallkit sql kjører én spørring om gangen (fikk {len(statements)}).")
        kind = statements[0].type
        # DuckDB before 2.0 parses PRAGMA into a SELECT over a pragma_ table function: refuse
        # it the same way on every version the dependency range allows
        if kind == duckdb.StatementType.SELECT and re.match(r"\s*pragma\b", sql, re.IGNORECASE):
            kind = duckdb.StatementType.PRAGMA
        if kind != duckdb.StatementType.SELECT:
            raise UsageError(
                f"tallkit sql kan bare lese (SELECT); «{kind.name.lower()}» er ikke tillatt. "
                "Trenger du mer, åpne databasefilen med DuckDB selv."
            )
        try:
            relation = self.con.sql(sql, params=params or None)
            frame = arrow_frame(relation) if relation is not None else pl.DataFrame()
        except duckdb.InterruptException:
            raise KeyboardInterrupt from None
        except duckdb.PermissionException:
            raise DatabaseError(
                "tallkit sql kan bare lese de offentlige visningene: filer, nettverk og "
                "utvidelser er stengt. Åpne databasefilen med DuckDB selv for mer."
            ) from None
        except duckdb.CatalogException as exc:
            text = str(exc)
            if "lager" in text or re.search(r"\belevresultat\b", text):
                raise DatabaseError(
                    "tallkit sql har ikke elevrader eller de interne tabellene (lager); bruk "
                    "visningen elevresultat_skole, analysekommandoene, eller DuckDB selv."
                ) from None
            raise _surface_error(exc) from None
        except duckdb.Error as exc:
            raise _surface_error(exc) from None
        return frame


def _surface_error(exc: duckdb.Error) -> DatabaseError:
    """One Norwegian line, naming the views «tallkit sql» has; DuckDB's words under --debug."""
    text = explain(exc).replace(", ".join(PUBLIC_VIEWS), ", ".join(SURFACE_TABLES))
    error = DatabaseError(text)
    error.detail = str(exc).strip() or type(exc).__name__  # type: ignore[attr-defined]
    return error


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return quote_long(text.splitlines()[0] if text else type(exc).__name__)


@contextlib.contextmanager
def open_surface(path: Path, min_group: int, query_text: str) -> Iterator[Surface]:
    """The contained surface for one ``tallkit sql`` query. Only the views the query names
    are copied (a name it does not mention cannot be reached from it anyway)."""
    wanted = [
        name
        for name in SURFACE_TABLES
        if re.search(rf"\b{name}\b", query_text, flags=re.IGNORECASE)
    ]
    con = duckdb.connect(":memory:")
    try:
        with open_store(path, read_only=True) as store:
            for name in wanted:
                text = read_internal_query(f"flate_{name}")
                params = {"minste_gruppe": min_group} if "$minste_gruppe" in text else None
                try:
                    table = store.con.sql(text, params=params).to_arrow_table()
                except duckdb.CatalogException:
                    raise DatabaseError(
                        f"{path}: databasen mangler visningen «{name}» (laget av en eldre "
                        "tallkit). Kjør «tallkit ingest» med en fil for å oppdatere den."
                    ) from None
                con.from_arrow(table).create(name)
        for setting in _LOCKDOWN:
            con.execute(setting)
        yield Surface(con, path)
    finally:
        con.close()


def _connect_config(read_only: bool) -> dict[str, Any]:
    """Connection options: an explicit storage version for the files this connection creates."""
    return {} if read_only else {"storage_compatibility_version": STORAGE_VERSION}


def _check_views(store: Store) -> None:
    """A database made by an older tallkit lacks views this version reads; a write open
    (any ingest) recreates them, a read-only open can only say so."""
    rows = store._run(
        "select table_name from information_schema.tables where table_schema = 'main'"
    )
    missing = sorted(set(SURFACE_TABLES) - {r[0] for r in rows})
    if missing:
        raise DatabaseError(
            f"{store.path}: databasen er laget av en eldre tallkit og mangler visningen "
            f"«{missing[0]}». Kjør «tallkit ingest» med en av filene på nytt; det oppdaterer "
            "visningene uten å endre tallene."
        )


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
