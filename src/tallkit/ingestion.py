"""Ingest: files and folders in, one transaction per file, a report per file out.

A file that was read before (same SHA-256) is skipped; a newer export of the same keys replaces
the older rows (files in one run are taken oldest export first, so the newest wins); a bad file
is refused whole while the others go in, and the exit code says so.
"""

from __future__ import annotations

import errno
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from tallkit import formats
from tallkit.config import Settings
from tallkit.errors import ExitCode, InputError, TallkitError, UsageError, quote
from tallkit.formats.elev import EXPECTED, FNR_PREFIX, first_invalid
from tallkit.formats.model import Parsed
from tallkit.personvern import PseudonymKey, load_or_create_key
from tallkit.store import InvalidPupilColumnError, Store, open_store

# Folder scans pick these; a file named explicitly is always tried.
EXPORT_SUFFIXES = (".csv", ".tsv", ".txt", ".json")

INGESTED = "innlest"
UNCHANGED = "uendret"
CHECKED = "kontrollert"
SKIPPED = "hoppet over"  # found in a folder, but no export tallkit knows
FAILED = "feil"
_NOT_EXPORT = "ikke en eksport tallkit kjenner igjen"


@dataclass
class FileReport:
    path: Path
    status: str  # innlest | uendret | kontrollert (dry run) | hoppet over | feil
    kind: str = ""
    description: str = ""
    rows: int = 0
    suppressed: int = 0
    replaced: int = 0
    not_participated: int = 0
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    code: ExitCode = ExitCode.OK  # for a failed file: what kind of failure (input, database, …)


@dataclass
class IngestReport:
    files: list[FileReport]

    @property
    def exit_code(self) -> ExitCode:
        """The most serious failure: a database problem (3) over usage (2) over input (1)."""
        codes = [f.code for f in self.files if f.status == FAILED]
        return max(codes, default=ExitCode.OK)


# (file, index, number of files, share of this file done 0..1): at the start of each file and,
# for large pupil files, as DuckDB reports its progress.
ProgressCallback = Callable[[Path, int, int, float], None]


def collect_files(paths: Iterable[Path]) -> list[tuple[Path, bool]]:
    """Expand folders recursively: (file, named explicitly). Older exports come first, so the
    newest wins where two cover the same numbers."""
    found: list[tuple[Path, bool]] = []
    for path in paths:
        if path.is_dir():
            everything = [
                p
                for p in path.rglob("*")
                if p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            ]
            inside = [p for p in everything if p.suffix.lower() in EXPORT_SUFFIXES]
            # Other files (.xlsx, .pdf, .zip …) are reported as skipped like any non-export.
            found.extend((p, False) for p in everything if p not in inside)
            if not inside:
                raise InputError(
                    "mappen har ingen eksportfiler (.csv, .tsv, .txt eller .json).",
                    file=path,
                    hint="Angi mappen der de nedlastede filene ligger.",
                )
            found.extend((p, False) for p in inside)
        elif path.is_file():
            found.append((path, True))
        else:
            raise UsageError(f"{path}: finnes ikke. Sjekk stien.")
    explicit: dict[Path, bool] = {}
    for path, named in found:
        resolved = path.resolve()
        explicit[resolved] = explicit.get(resolved, False) or named
    return sorted(
        explicit.items(), key=lambda item: (formats.export_stamp(item[0].name) or "", str(item[0]))
    )


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def ingest(
    paths: Iterable[Path],
    settings: Settings,
    *,
    forced_type: str = "auto",
    dry_run: bool = False,
    now: datetime | None = None,
    progress: ProgressCallback | None = None,
) -> IngestReport:
    """Read every file under ``paths`` into the database (or only check them, ``dry_run``)."""
    if forced_type not in formats.KINDS:
        raise UsageError(f"ukjent --type «{forced_type}». Gyldige: {', '.join(formats.KINDS)}.")
    paths_list = list(paths)
    files = collect_files(paths_list)
    stamp = (now or datetime.now()).replace(microsecond=0)
    target = Path(":memory:") if dry_run else settings.db_path
    known, dry_fingerprint = _known_state(settings.db_path) if dry_run else (None, None)
    key_holder: list[PseudonymKey] = []
    reports: list[FileReport] = []
    seen: set[str] = set()
    with open_store(target, create=True) as store:
        for index, (path, explicit) in enumerate(files):
            if progress is not None:
                progress(path, index, len(files), 0.0)
            if not explicit and path.suffix.lower() not in EXPORT_SUFFIXES:
                reports.append(FileReport(path, SKIPPED, notes=[_NOT_EXPORT]))
                continue
            sha = file_sha256(path)
            already = sha in seen or (
                sha in known if known is not None else store.known_hash(sha) is not None
            )
            seen.add(sha)
            if already:
                reports.append(FileReport(path, UNCHANGED, notes=["allerede innlest; hoppet over"]))
                continue
            reports.append(
                _ingest_one(
                    store,
                    path,
                    sha,
                    settings,
                    forced_type,
                    stamp,
                    key_holder,
                    dry_run,
                    explicit,
                    _file_progress(progress, path, index, len(files)),
                    dry_fingerprint,
                )
            )
    if reports and all(r.status == SKIPPED for r in reports):
        raise InputError(
            "fant ingen filer som tallkit kjenner igjen som eksporter.",
            file=", ".join(str(p) for p in paths_list),
            hint=formats.EXPECTED,
        )
    return IngestReport(reports)


def _file_progress(
    progress: ProgressCallback | None, path: Path, index: int, total: int
) -> Callable[[float], None] | None:
    if progress is None:
        return None
    return lambda share: progress(path, index, total, share)


def _known_state(db_path: Path) -> tuple[set[str], str | None]:
    """For a dry run: the files the real database has read, and its key fingerprint."""
    if not db_path.exists():
        return set(), None
    with open_store(db_path, read_only=True) as store:
        hashes = set(store.query("select sha256 from lager.kilde")["sha256"].to_list())
        return hashes, store.key_fingerprint()


def _ingest_one(
    store: Store,
    path: Path,
    sha: str,
    settings: Settings,
    forced_type: str,
    stamp: datetime,
    key_holder: list[PseudonymKey],
    dry_run: bool,
    explicit: bool,
    progress: Callable[[float], None] | None,
    dry_fingerprint: str | None = None,
) -> FileReport:
    try:
        parsed = formats.read(path, forced_type)
        key = _key_for(store, parsed, settings, key_holder, dry_run, dry_fingerprint)
        try:
            result = store.write(
                parsed,
                path=path,
                sha256=sha,
                ingested_at=stamp,
                key=key,
                commit=not dry_run,
                progress=progress,
            )
        except InvalidPupilColumnError as bad:
            raise _pupil_error(parsed, bad) from None
        except InputError as exc:
            raise exc.at(path) from None
    except formats.UnknownKindError as exc:
        if explicit:
            return FileReport(path, FAILED, error=exc.message, code=exc.exit_code)
        return FileReport(path, SKIPPED, notes=[_NOT_EXPORT])
    except TallkitError as exc:
        message = exc.message if isinstance(exc, InputError) else f"{path}: {exc.message}"
        return FileReport(path, FAILED, error=message, code=exc.exit_code)
    except (OSError, MemoryError, RecursionError) as exc:
        # the file's own verdict; the run goes on with the next file
        what = "for lite minne" if isinstance(exc, MemoryError) else _os_reason(exc)
        return FileReport(
            path, FAILED, error=f"{path}: kan ikke lese filen ({what}).", code=ExitCode.INPUT
        )
    except Exception as exc:  # the last line of defence for one file: never end the run
        return FileReport(
            path,
            FAILED,
            error=f"{path}: uventet feil ({type(exc).__name__}: {quote(exc, 80)}). "
            "Kjør igjen med --debug og meld gjerne fra.",
            code=ExitCode.INPUT,
        )
    return FileReport(
        path,
        CHECKED if dry_run else INGESTED,
        kind=parsed.kind,
        description=parsed.description,
        rows=result.rows,
        suppressed=result.suppressed,
        replaced=0 if dry_run else result.replaced,
        not_participated=result.not_participated,
        notes=parsed.notes,
    )


def _os_reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return "disken er full"
    return str(getattr(exc, "strerror", None) or type(exc).__name__)


def _key_for(
    store: Store,
    parsed: Parsed,
    settings: Settings,
    holder: list[PseudonymKey],
    dry_run: bool,
    dry_fingerprint: str | None,
) -> PseudonymKey | None:
    if parsed.pupils is None:
        return None
    if not holder:
        # A database that already holds pupils needs *its* key back, never a new one.
        fingerprint = dry_fingerprint if dry_run else store.key_fingerprint()
        holder.append(
            load_or_create_key(settings.key_file, create=fingerprint is None, expected=fingerprint)
        )
    return holder[0]


def _pupil_error(parsed: Parsed, bad: InvalidPupilColumnError) -> InputError:
    """Name line and column, never the value: in a pupil file it may be a pupil id or a
    fødselsnummer (a file with swapped columns), and messages end up in cron logs."""
    assert parsed.pupils is not None
    column_rule = bad.column.removeprefix(FNR_PREFIX)
    line, column, value = first_invalid(parsed.pupils, bad.column)
    if bad.column.startswith(FNR_PREFIX):
        what = (
            "inneholder et fødselsnummer (11 siffer), men kolonnen er ikke elev-id-en; "
            "tallkit lagrer aldri fødselsnummer i klartekst"
        )
        hint = "Fjern fødselsnummeret fra kolonnen; ingenting fra filen er lagret."
    else:
        what = "mangler" if value == "" else f"er ugyldig (ventet {EXPECTED[column_rule]})"
        hint = "Rett filen og les den inn på nytt; ingenting fra den er lagret."
    return InputError(
        f"verdien {what} ({bad.count} {'rad' if bad.count == 1 else 'rader'} har feil i denne "
        "kolonnen).",
        file=parsed.pupils.path,
        line=line,
        column=column,
        hint=hint,
    )
