"""Recognise an export file by its content and parse it into canonical frames.

``read(path)`` is the one entry point: it sniffs encoding, layout and kind from the bytes (never
from the file name), refuses what fits no kind with a message saying what was expected, and
returns a :class:`~tallkit.formats.model.Parsed`. Nothing here touches the database.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import polars as pl

from tallkit.errors import InputError, UsageError, quote
from tallkit.formats import (
    eksportapi,
    elev,
    plausibility,
    rapport,
    skala,
    skoleporten,
    statistikkbank,
)
from tallkit.formats.model import MEASURE_KEY, Parsed
from tallkit.formats.text import decode, read_table

KINDS: Final = ("auto", "np", "gsp", "eu", "elev", "skala")
_PREFIX_BYTES: Final = 64 * 1024
# Aggregate exports are read whole into memory: the largest real one (every school in the
# country, several years) is a few MB. Pupil files are streamed by DuckDB and have no cap.
MAX_EXPORT_BYTES: Final = 256 * 1024 * 1024
EXPECTED: Final = (
    "Forventet en eksport fra Udirs statistikkbank (nasjonale prøver, grunnskolepoeng), en "
    "Skoleporten-nedlasting, en tabell fra Udirs Eksport API (Elevundersøkelsen), "
    "elevresultater (NUDB- eller tallkit-oppsett) eller SSBs skalaparametre."
)
_EXPORT_STAMP = re.compile(r"(?P<d>20\d{6})-(?P<t>\d{4})")


class UnknownKindError(InputError):
    """The file is no export tallkit knows (as opposed to a known export that is broken)."""


def _unrecognised(exc: InputError) -> UnknownKindError:
    """A file that fails before its kind is known (empty, no delimiter, not JSON) is no export
    tallkit knows: a folder scan skips it like any other non-export; named, it is refused."""
    return UnknownKindError(exc.bare_message, line=exc.line, column=exc.column, hint=exc.hint)


def read(path: Path, forced: str = "auto") -> Parsed:
    """Parse one file; every problem is an :class:`InputError` naming the file."""
    try:
        parsed = _read(path)
        _check_forced(parsed, forced)
        parsed.measures = plausibility.settle_states(_collapse_duplicates(parsed.measures))
        plausibility.check(parsed)
    except UnknownKindError as exc:
        raise UnknownKindError(
            exc.bare_message, file=path, line=exc.line, column=exc.column, hint=exc.hint
        ) from None
    except InputError as exc:
        raise exc.at(path) from None
    except OSError as exc:
        raise InputError(f"kan ikke lese filen ({exc.strerror}).", file=path) from None
    except (pl.exceptions.PolarsError, ValueError, TypeError, KeyError, AttributeError) as exc:
        # A value of a type or size no export has (a trinn of 10^12, a list where a label
        # belongs): the file's error, said as such; --debug shows the cause.
        raise InputError(
            f"filen har en verdi eller et oppsett ingen eksport har ({type(exc).__name__}).",
            file=path,
            hint="Last ned eksporten på nytt, uendret.",
        ) from exc
    parsed.exported = export_stamp(path.name)
    return parsed


def export_stamp(name: str) -> str | None:
    """Udir's exporter names files ``<år>_<YYYYMMDD-HHMM>_<rapport>.csv``: the export time."""
    match = _EXPORT_STAMP.search(name)
    if not match:
        return None
    d, t = match["d"], match["t"]
    return f"{d[:4]}-{d[4:6]}-{d[6:]}T{t[:2]}:{t[2:]}"


def _read(path: Path) -> Parsed:
    try:
        return _read_any(path)
    except _BrokenExportError as known:
        raise known.error from None
    except UnknownKindError:
        raise
    except InputError as exc:
        raise _unrecognised(exc) from None


class _BrokenExportError(Exception):
    """Carries an error raised after the file's kind was recognised: a broken export."""

    def __init__(self, error: InputError) -> None:
        super().__init__(error.message)
        self.error = error


def _known(parse: Callable[..., Parsed], *args: Any) -> Parsed:
    try:
        return parse(*args)
    except InputError as exc:
        raise _BrokenExportError(exc) from None


def _known_frame(parse: Callable[[str], pl.DataFrame], text: str) -> pl.DataFrame:
    try:
        return parse(text)
    except InputError as exc:
        raise _BrokenExportError(exc) from None


def _read_any(path: Path) -> Parsed:
    with path.open("rb") as handle:
        prefix = handle.read(_PREFIX_BYTES)
    if not prefix.strip(b"\x00\r\n\t \xef\xbb\xbf\xff\xfe"):
        raise InputError("filen er tom.", hint="Last ned eksporten på nytt.")
    if prefix.lstrip(b"\xef\xbb\xbf \r\n\t")[:1] in (b"[", b"{"):
        if path.stat().st_size > MAX_EXPORT_BYTES:
            raise InputError(
                f"JSON-filen er over {MAX_EXPORT_BYTES // (1024 * 1024)} MiB.",
                hint="Sjekk at det er riktig fil.",
            )
        return _read_json(path)
    sample = _decode_prefix(prefix, complete=len(prefix) < _PREFIX_BYTES)
    lines = sample.text.splitlines()
    header_text = (
        lines[1]
        if lines and lines[0].lower().startswith("sep=") and len(lines) > 1
        else (lines[0] if lines else "")
    )
    header = _split_header(header_text)
    if elev.layout_of(header) is not None:  # streamed by DuckDB: any size
        encoding = {"UTF-8": "utf-8", "ISO-8859-1": "latin-1"}.get(sample.encoding, "utf-16")
        try:
            load = elev.plan_load(path, sample.text, encoding)
        except InputError as exc:
            raise _BrokenExportError(exc) from None
        parsed = Parsed(
            kind="elev", description=f"elevresultater ({load.layout}, {sample.encoding})"
        )
        parsed.pupils = load
        if load.fnr_columns:
            parsed.notes.append(
                "ADVARSEL: filen inneholder fødselsnummer (kolonne "
                + ", ".join(f"«{quote(c)}»" for c in load.fnr_columns)
                + "). Den er en personopplysningsfil: oppbevar og slett den etter kommunens "
                "rutiner. tallkit lagrer bare pseudonymer av elev-id-en; andre kolonner med "
                "fødselsnummer blir avvist eller (brukes de ikke) aldri lest inn."
            )
        return parsed
    size = path.stat().st_size
    if size > MAX_EXPORT_BYTES:
        raise InputError(
            f"filen er {size // (1024 * 1024)} MiB; en eksport fra Udir er noen få MiB "
            f"(grensen er {MAX_EXPORT_BYTES // (1024 * 1024)} MiB).",
            hint="Sjekk at det er riktig fil.",
        )
    if skala.matches(lines[:3]):
        text = decode(path.read_bytes()).text
        return Parsed(
            kind="skala",
            description="SSBs skalaparametre for nasjonale prøver 2014–2021",
            tables={"skalaparametre": _known_frame(skala.parse, text)},
        )
    decoded = decode(path.read_bytes())
    table = read_table(decoded.text)
    delimiter = {"\t": "tabulator", ";": "semikolon", "|": "loddrett strek", ",": "komma"}
    how = f"{decoded.encoding}, {delimiter[table.delimiter]}"
    # The Eksport API tables carry the exporter's unit columns too: check them first.
    if "Skoleaarnavn" in table.header and "EnhetNavn" in table.header:
        records = [dict(zip(table.header, row, strict=True)) for row in table.rows]
        return _known(eksportapi.parse, records, f"Eksport API-tabell, CSV ({how})")
    if statistikkbank.matches(table.header):
        return _known(statistikkbank.parse, table, f"statistikkbank-eksport ({how})")
    if skoleporten.matches(table.header):
        return _known(skoleporten.parse, table, f"Skoleporten-nedlasting ({how})")
    raise UnknownKindError("ukjent filtype.", hint=EXPECTED)


def _read_json(path: Path) -> Parsed:
    text = decode(path.read_bytes(), allow_latin1=False).text
    try:
        data: Any = json.loads(text)
    except RecursionError:
        raise InputError("JSON-filen er for dypt nøstet til å være en eksport.") from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"ugyldig JSON ({exc.msg}, tegn {exc.colno}).",
            line=exc.lineno,
            hint="Filen kan være avkortet; last den ned på nytt.",
        ) from None
    records = isinstance(data, list) and data and all(isinstance(r, dict) for r in data)
    if records and eksportapi.matches_record(data[0]):
        return _known(eksportapi.parse, data, "Eksport API-tabell, JSON")
    if isinstance(data, list) and not data:
        raise InputError("JSON-filen er en tom liste.", hint="Sjekk filteret i eksporten.")
    if rapport.is_report_page(data):
        return _known(rapport.parse_page, data, "rapportbeskrivelse fra statistikkportalen (JSON)")
    if rapport.is_report_table(data):
        return _known(rapport.parse_table, data, "rapporttabell fra statistikkportalen (JSON)")
    raise UnknownKindError("ukjent JSON-innhold.", hint=EXPECTED)


def _decode_prefix(prefix: bytes, *, complete: bool) -> Any:
    if complete:
        return decode(prefix)
    # The 64 KiB cut can split a character; trim to a safe boundary before decoding.
    for trim in range(4):
        try:
            return decode(prefix[: len(prefix) - trim] if trim else prefix)
        except InputError:
            continue
    return decode(prefix)


def _split_header(line: str) -> list[str]:
    line = line.lstrip("\ufeff")
    for delimiter in ("\t", ";", "|", ","):
        if delimiter in line:
            return [h.strip().strip('"') for h in line.split(delimiter)]
    return [line.strip()]


_FAMILIES: Final = {
    "np": {"np"},
    "gsp": {"gsp"},
    "eu": {"eu"},
    "elev": {"elev"},
    "skala": {"skala"},
}


def _check_forced(parsed: Parsed, forced: str) -> None:
    if forced == "auto":
        return
    if forced not in _FAMILIES:
        raise UsageError(f"ukjent --type «{forced}». Gyldige: {', '.join(KINDS)}.")
    kinds = set(parsed.kind.split("+"))
    if not kinds <= _FAMILIES[forced]:
        raise InputError(
            f"filen ser ut som «{parsed.kind}», ikke «{forced}» som --type sier.",
            hint="Sjekk filen, eller bruk --type auto.",
        )


def _collapse_duplicates(measures: pl.DataFrame) -> pl.DataFrame:
    """Identical repeated rows are merged (field-subset exports repeat rows); conflicts refused."""
    if measures.is_empty():
        return measures
    key = list(MEASURE_KEY)
    conflicts = (
        measures.group_by(key)
        .agg(
            pl.struct("verdi", "status").n_unique().alias("varianter"),
            pl.col("linje").sort().alias("linjer"),
        )
        .filter(pl.col("varianter") > 1)
    )
    if conflicts.height:
        lines = sorted(conflicts["linjer"][0].to_list())
        raise InputError(
            f"samme tall oppgis med ulike verdier på linje {lines[0]} og {lines[1]}.",
            line=lines[1],
            hint="Fjern den ene eksporten av dette utvalget.",
        )
    return measures.unique(subset=key, keep="first", maintain_order=True)
