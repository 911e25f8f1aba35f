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
    """Columns whose name or values say fødselsnummer (in any spacing), in a sample. Only for
    the warning: the load itself checks every row of every stored column."""
    found = []
    for position, column in enumerate(header):
        values = [
            row[position].strip() for row in sample if position < len(row) and row[position].strip()
        ]
        hits = sum(is_fodselsnummer(re.sub(r"[ .\-\u00a0]", "", v)) for v in values)
        if fold(column) in _FNR_NAMES or hits:
            found.append(column)
    return found


# The same rules as the «feil» column in queries/intern/elev_last.sql: used only after the
# database has found an invalid value, to name the first line that has it. «fnr:<column>» is a
# fødselsnummer where no pupil id belongs.
FNR_PREFIX: Final = "fnr:"
_FNR_INSIDE: Final = re.compile(r"(?<![0-9])[0-9]{6}[ .\-\u00a0]?[0-9]{5}(?![0-9])")
MAX_SCALE_SCORE: Final = 150  # as MAX_PUPIL_SCALE_SCORE in the store
_RULES: Final[dict[str, Callable[[str], bool]]] = {
    "elev_id": lambda v: 0 < len(v) <= 64,
    "orgnr": lambda v: re.fullmatch(r"[0-9]{9}", v) is not None,
    "kommunenr": lambda v: v == "" or re.fullmatch(r"[0-9]{4}", v) is not None,
    "avgiverskole": lambda v: v == "" or re.fullmatch(r"[0-9]{9}", v) is not None,
    "gruppe": lambda v: len(v) <= 40 and re.search(r"[\x00-\x1f\x7f]", v) is None,
    "deltatt": lambda v: re.fullmatch(r"[A-Z0-9]{1,3}", v.upper()) is not None,
    "aargang": lambda v: re.fullmatch(r"20\d\d(0[1-9]|1[0-2])", v) is not None,
    "prove": lambda v: re.fullmatch(r"NP(ENG|LES|REG)(05|08|09)", v.upper()) is not None,
    "skalapoeng": lambda v: v in ("", ".") or _plausible_score(v),
    "mestringsnivaa": lambda v: v in ("", ".") or re.fullmatch(r"[1-5]", v) is not None,
    "skoleaar": lambda v: _valid_school_year(v),
}
# What a valid value looks like, for the message (the value itself is never shown).
EXPECTED: Final = {
    "elev_id": "en elev-id på høyst 64 tegn",
    "orgnr": "et organisasjonsnummer på 9 siffer",
    "kommunenr": "et kommunenummer på 4 siffer",
    "avgiverskole": "et organisasjonsnummer på 9 siffer",
    "gruppe": "et gruppenavn på høyst 40 tegn",
    "deltatt": "en kode som D, I eller F",
    "aargang": "år og måned som 202409",
    "prove": "en prøvekode som NPLES08",
    "skalapoeng": f"et tall fra 0 til {MAX_SCALE_SCORE}",
    "mestringsnivaa": "1–3 på 5. trinn, 1–5 på 8. og 9. trinn",
    "skoleaar": "et skoleår som 2025-26",
}


def _plausible_score(value: str) -> bool:
    if re.fullmatch(NUMBER_PATTERN, value) is None or value.startswith("-"):
        return False
    number = float(re.sub(r"[ \u00a0\u202f\u2009]", "", value).replace(",", "."))
    return 0 <= number <= MAX_SCALE_SCORE


def _valid_school_year(value: str) -> bool:
    match = re.fullmatch(r"(\d{4})-(\d{2}|\d{4})", value)
    if match is None:
        return False
    return (int(match[1]) + 1) % 100 == int(match[2][-2:])


def first_invalid(load: PupilLoad, column: str) -> tuple[int | None, str, str]:
    """(line, file column name, value) of the first row breaking ``column``'s rule."""
    name = column.removeprefix(FNR_PREFIX)
    position = load.column_names.index(name)
    encoding = {"latin-1": "latin-1", "utf-8": "utf-8-sig"}.get(load.encoding, "utf-16")
    if column.startswith(FNR_PREFIX):
        rule: Callable[[str], bool] = lambda v: _FNR_INSIDE.search(v) is None  # noqa: E731
    else:
        rule = _RULES[column]
    level = load.column_names.index("mestringsnivaa") if column == "mestringsnivaa" else None
    test = load.column_names.index("prove") if "prove" in load.column_names else None
    try:
        with load.path.open(encoding=encoding, newline="") as handle:
            for _ in range(load.header_lines - 1):
                handle.readline()
            reader = csv.reader(handle, delimiter=load.delimiter)
            header = next(reader)
            shown = header[position].strip() if position < len(header) else name
            for row in reader:
                value = row[position].strip() if position < len(row) else ""
                ok = rule(value)
                if ok and level is not None and test is not None and test < len(row):
                    # 5. trinn has three mastery levels, 8. and 9. trinn five
                    ok = value in ("", ".") or not (
                        row[test].strip().endswith("05") and value not in ("1", "2", "3")
                    )
                if not ok:
                    return load.header_lines + reader.line_num - 1, shown, value
    except (csv.Error, UnicodeDecodeError, OSError):
        pass  # the database has found the error; naming the line is a courtesy
    return None, name, ""
