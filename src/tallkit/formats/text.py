"""Bytes to text rows: encodings, Excel's ``sep=`` hint, delimiter sniffing, line numbers.

Udir's exporter writes UTF-16LE with or without a BOM; Skoleporten wrote UTF-8 with a BOM;
a kommune's own systems often write ISO-8859-1. We decide from the bytes, never from the name.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

from tallkit.errors import InputError

DELIMITERS = ("\t", ";", "|", ",")
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str  # a name a user understands: "UTF-16LE", "UTF-8", "ISO-8859-1"


def decode(data: bytes, *, allow_latin1: bool = True) -> DecodedText:
    """Decode a whole file, refusing binary files and broken encodings with a clear message."""
    if data.startswith(_ZIP_MAGIC) or data.startswith(_OLE_MAGIC):
        raise InputError(
            "dette er en Excel-fil, ikke en CSV-eksport.",
            hint="Last ned på nytt med «Eksporter» (CSV), eller lagre som CSV.",
        )
    if data.startswith(b"\xff\xfe"):
        return DecodedText(_decode_utf16(data[2:], "utf-16-le"), "UTF-16LE")
    if data.startswith(b"\xfe\xff"):
        return DecodedText(_decode_utf16(data[2:], "utf-16-be"), "UTF-16BE")
    if data.startswith(b"\xef\xbb\xbf"):
        return DecodedText(_decode_utf8(data[3:]), "UTF-8")
    utf16 = _utf16_without_bom(data)
    if utf16 is not None:
        return DecodedText(
            _decode_utf16(data, utf16), {"utf-16-le": "UTF-16LE"}.get(utf16, "UTF-16BE")
        )
    try:
        return DecodedText(data.decode("utf-8"), "UTF-8")
    except UnicodeDecodeError as exc:
        if not allow_latin1:
            raise _bad_utf8(data, exc) from None
    text = data.decode("latin-1")
    if any(ch in text for ch in "\x00\x01\x02\x03\x04\x05\x06\x07\x0e\x0f"):
        raise InputError(
            "filen ser ut til å være binær, ikke tekst.",
            hint="Sjekk at det er en CSV- eller JSON-eksport.",
        )
    return DecodedText(text, "ISO-8859-1")


def _utf16_without_bom(data: bytes) -> str | None:
    # ASCII-heavy UTF-16 has a NUL in every other byte; UTF-8 and Latin-1 text has none.
    sample = data[:2000]
    if len(sample) < 4:
        return None
    odd_nuls = sample[1::2].count(0)
    even_nuls = sample[0::2].count(0)
    half = len(sample) // 2
    if odd_nuls > 0.3 * half and even_nuls < 0.05 * half:
        return "utf-16-le"
    if even_nuls > 0.3 * half and odd_nuls < 0.05 * half:
        return "utf-16-be"
    return None


def _decode_utf16(data: bytes, codec: str) -> str:
    if len(data) % 2:
        raise InputError(
            "filen er avkortet midt i et tegn (UTF-16 med et odde antall byte).",
            hint="Last ned eksporten på nytt.",
        )
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].decode(codec, errors="replace").count("\n") + 1
        raise InputError(
            "ugyldig UTF-16-tekst (ødelagt tegn).",
            line=line,
            hint="Last ned eksporten på nytt uten å åpne og lagre den i andre programmer.",
        ) from None


def _decode_utf8(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _bad_utf8(data, exc) from None


def _bad_utf8(data: bytes, exc: UnicodeDecodeError) -> InputError:
    line = data[: exc.start].count(b"\n") + 1
    return InputError(
        "ugyldige tegn for UTF-8 (feil tegnsett).",
        line=line,
        hint="Lagre filen som UTF-8 eller ISO-8859-1 og prøv igjen.",
    )


@dataclass(frozen=True)
class Table:
    """A delimited text table with the line number of each data row (1-based, in the file)."""

    header: list[str]
    rows: list[list[str]]
    line_numbers: list[int]
    delimiter: str
    header_line: int


def split_sep_hint(text: str) -> tuple[str | None, str, int]:
    """Strip Excel's ``sep=<c>`` first line: (delimiter or None, rest of text, lines skipped)."""
    first, _, rest = text.partition("\n")
    stripped = first.rstrip("\r")
    if stripped.lower().startswith("sep=") and len(stripped) in (4, 5):
        return (stripped[4:] or "\t"), rest, 1
    return None, text, 0


def sniff_delimiter(header_line: str) -> str:
    """The delimiter that splits the header into the most fields."""
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    if counts[best] == 0:
        raise InputError(
            "fant ingen skilletegn (tabulator, semikolon, | eller komma) i overskriftslinjen.",
            line=1,
            hint="Er dette en CSV-eksport?",
        )
    return best


def read_table(text: str, *, strict_width: bool = True) -> Table:
    """Parse delimited text; every data row must have as many fields as the header."""
    delimiter, body, skipped = split_sep_hint(text)
    if not body.strip():
        raise InputError("filen er tom.", hint="Last ned eksporten på nytt.")
    first_line = body.split("\n", 1)[0]
    if delimiter is None:
        delimiter = sniff_delimiter(first_line)
    reader = csv.reader(io.StringIO(body, newline=""), delimiter=delimiter)
    header_line = skipped + 1
    try:
        header = [h.strip().lstrip("\ufeff") for h in next(reader)]
    except csv.Error as exc:  # pragma: no cover - csv raises only on NUL/quoting oddities
        raise InputError(f"kan ikke lese overskriften ({exc}).", line=header_line) from None
    rows: list[list[str]] = []
    lines: list[int] = []
    for line_no, row in _numbered(reader, header_line):
        if not row or (len(row) == 1 and not row[0].strip()):
            continue  # blank lines, typically the final newline
        if strict_width and len(row) != len(header):
            few = len(row) < len(header)
            raise InputError(
                f"raden har {len(row)} felt, men overskriften har {len(header)}"
                + (" (filen kan være avkortet)." if few else "."),
                line=line_no,
                hint="Last ned eksporten på nytt, uendret.",
            )
        rows.append(row)
        lines.append(line_no)
    return Table(header, rows, lines, delimiter, header_line)


def _numbered(reader: Iterator[list[str]], header_line: int) -> Iterator[tuple[int, list[str]]]:
    # csv.reader.line_num counts physical lines read so far, which stays right with quoted
    # newlines; it is relative to the body, hence the offset.
    offset = header_line - 1
    try:
        for row in reader:
            yield offset + reader.line_num, row  # type: ignore[attr-defined]
    except csv.Error as exc:
        raise InputError(
            f"ugyldig CSV ({exc}).",
            line=offset + reader.line_num,  # type: ignore[attr-defined]
            hint="Sjekk anførselstegn i filen.",
        ) from None
