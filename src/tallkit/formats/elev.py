"""Pupil-level results: the NUDB register layout and the plain tallkit layout.

These files can hold millions of rows, so they are not parsed here: this module recognises the
layout from the header, finds columns holding fødselsnummer in a sample, and describes the load;
the store reads the file with DuckDB's own CSV reader and pseudonymises in the same pass.

Plain tallkit layout (documented in the README), any order, ``;`` ``,`` or TAB, UTF-8 or
ISO-8859-1, one row per pupil and test::

    elev;orgnr;skoleaar;prove;deltatt;skalapoeng;mestringsnivaa;gruppe;avgiverskole

(``gruppe`` and ``avgiverskole`` may be left out.)
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Final

from tallkit.errors import InputError
from tallkit.formats.cells import NUMBER_PATTERN
from tallkit.formats.model import PupilLoad
from tallkit.formats.text import sniff_delimiter, split_sep_hint
from tallkit.personvern import is_fodselsnummer

NUDB_COLUMNS: Final = {
    "SNR_NUDB": "elev_id",
    "AARGANG": "aargang",
    "ORGNRBED": "orgnr",
    "SKOLEKOM": "kommunenr",
    "AVGIVERSKOLE_ORGNRBED": "avgiverskole",
    "DELTATTSTATUS": "deltatt",
    "PROVE": "prove",
    "MESTRINGSNIVAA": "mestringsnivaa",
    "SKALAPOENG": "skalapoeng",
    "GRUPPENUMMER": "gruppe",
}
_NUDB_REQUIRED: Final = frozenset(NUDB_COLUMNS) - {
    "SKOLEKOM",
    "AVGIVERSKOLE_ORGNRBED",
    "GRUPPENUMMER",
}

# Plain layout: canonical name -> accepted spellings (folded: lower case, æøå -> ae/o/aa).
PLAIN_ALIASES: Final = {
    "elev_id": ("elev", "elev_id", "elevid", "elevnr", "fodselsnummer", "fnr"),
    "orgnr": ("orgnr", "skole_orgnr", "organisasjonsnummer", "skole"),
    "skoleaar": ("skoleaar", "skolear"),
    "prove": ("prove", "provekode"),
    "deltatt": ("deltatt", "deltattstatus", "deltakelse"),
    "skalapoeng": ("skalapoeng",),
    "mestringsnivaa": ("mestringsnivaa", "mestringsniva"),
    "gruppe": ("gruppe", "klasse", "gruppenummer"),
    "avgiverskole": ("avgiverskole", "avgiverskole_orgnr"),
}
_PLAIN_OPTIONAL: Final = frozenset({"gruppe", "avgiverskole"})
_FNR_NAMES: Final = {"fodselsnummer", "fnr", "personnummer", "fodselsnr"}
_SAMPLE_ROWS: Final = 2000


def fold(name: str) -> str:
    """Header spelling that survives æøå, case and stray spaces: ``Skoleår`` -> ``skoleaar``."""
    text = name.strip().casefold().replace("æ", "ae").replace("ø", "o").replace("å", "aa")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return text.replace(" ", "_").replace("-", "_")


def layout_of(header: list[str]) -> str | None:
    upper = {h.strip().upper() for h in header}
    if upper >= _NUDB_REQUIRED:
        return "nudb"
    folded = {fold(h) for h in header}
    required = {c: a for c, a in PLAIN_ALIASES.items() if c not in _PLAIN_OPTIONAL}
    if all(any(alias in folded for alias in aliases) for aliases in required.values()):
        return "enkel"
    return None


def plan_load(path: Path, prefix_text: str, encoding: str) -> PupilLoad:
    """Describe how the store loads this file; find fødselsnummer columns in a sample."""
    hinted, body, skipped = split_sep_hint(prefix_text)
    first_line = body.split("\n", 1)[0]
    delimiter = hinted or sniff_delimiter(first_line)
    reader = csv.reader(io.StringIO(body, newline=""), delimiter=delimiter)
    header = [h.strip().lstrip("\ufeff") for h in next(reader)]
    layout = layout_of(header)
    if layout is None:  # pragma: no cover - callers check layout_of first
        raise InputError("ukjent oppsett for elevresultater.")
    names = _canonical_names(header, layout)
    sample = [row for _, row in zip(range(_SAMPLE_ROWS), reader, strict=False)]
    if len(sample) > 1 and not sample[-1]:
        sample.pop()
    fnr_columns = _fnr_columns(header, sample)
    return PupilLoad(
        path=path,
        layout=layout,
        encoding=encoding,
        delimiter=delimiter,
        column_names=names,
        header_lines=skipped + 1,
        fnr_columns=fnr_columns,
    )


def _canonical_names(header: list[str], layout: str) -> list[str]:
    names: list[str] = []
    used: set[str] = set()
    for position, column in enumerate(header):
        if layout == "nudb":
            name = NUDB_COLUMNS.get(column.strip().upper())
        else:
            folded = fold(column)
            name = next((c for c, al in PLAIN_ALIASES.items() if folded in al), None)
        if name is None or name in used:
            name = f"_ubrukt_{position}"  # read as text, never selected into the database
        used.add(name)
        names.append(name)
    return names


def _fnr_columns(header: list[str], sample: list[list[str]]) -> list[str]:
    found = []
    for position, column in enumerate(header):
        values = [
            row[position].strip() for row in sample if position < len(row) and row[position].strip()
        ]
        hits = sum(is_fodselsnummer(v) for v in values)
        if fold(column) in _FNR_NAMES or (values and hits >= 0.8 * len(values)):
            found.append(column)
    return found


# The same rules as the «feil» column in queries/intern/elev_*.sql: used only after the database
# has found an invalid value, to name the first line that has it.
_RULES: Final[dict[str, Callable[[str], bool]]] = {
    "elev_id": lambda v: v != "",
    "orgnr": lambda v: v != "",
    "deltatt": lambda v: v != "",
    "aargang": lambda v: re.fullmatch(r"20\d\d(0[1-9]|1[0-2])", v) is not None,
    "prove": lambda v: re.fullmatch(r"NP(ENG|LES|REG)(05|08|09)", v.upper()) is not None,
    "skalapoeng": lambda v: v in ("", ".") or re.fullmatch(NUMBER_PATTERN, v) is not None,
    "mestringsnivaa": lambda v: v in ("", ".") or re.fullmatch(r"[1-5]", v) is not None,
    "skoleaar": lambda v: _valid_school_year(v),
}


def _valid_school_year(value: str) -> bool:
    match = re.fullmatch(r"(\d{4})-(\d{2}|\d{4})", value)
    if match is None:
        return False
    return (int(match[1]) + 1) % 100 == int(match[2][-2:])


def first_invalid(load: PupilLoad, column: str) -> tuple[int | None, str, str]:
    """(line, file column name, value) of the first row breaking ``column``'s rule."""
    position = load.column_names.index(column)
    encoding = {"latin-1": "latin-1", "utf-8": "utf-8-sig"}.get(load.encoding, "utf-16")
    rule = _RULES[column]
    with load.path.open(encoding=encoding, newline="") as handle:
        for _ in range(load.header_lines - 1):
            handle.readline()
        reader = csv.reader(handle, delimiter=load.delimiter)
        header = next(reader)
        name = header[position].strip() if position < len(header) else column
        for row in reader:
            value = row[position].strip() if position < len(row) else ""
            if not rule(value):
                return load.header_lines + reader.line_num - 1, name, value
    return None, column, ""
