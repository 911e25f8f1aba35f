"""A small, dependency-free xlsx writer: one sheet per table, numbers as numbers, ids as text.

Excel and LibreOffice read the Office Open XML package this writes (a zip of a few XML parts).
It is written by hand with the standard library because the runtime dependencies are fixed
(PRODUCT.md); openpyxl reads it back in the tests. Deterministic: the same tables and date give
the same bytes (fixed zip timestamps, no generated ids).

Cell types follow the column's type, never the text: a string column stays text even when it
holds digits (kommunenr ``0301``, orgnr), so a spreadsheet never drops a leading zero; numeric
columns become numbers; null, NaN and infinities become empty cells.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Sequence
from datetime import date, datetime
from typing import Final
from xml.sax.saxutils import escape

import polars as pl

MAX_ROWS: Final = 1_048_576  # Excel's limit per sheet, header included
_ZIP_TIME: Final = (1980, 1, 1, 0, 0, 0)  # the earliest a zip entry can say: no clock in the bytes
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def sheet_name(text: str, taken: Sequence[str] = ()) -> str:
    """A valid, unique sheet name: at most 31 characters, none of ``[]:*?/\\``."""
    base = _BAD_SHEET_CHARS.sub("_", text).strip("'") or "Ark"
    name = base[:31]
    number = 2
    while name.lower() in (t.lower() for t in taken):
        suffix = f" ({number})"
        name = base[: 31 - len(suffix)] + suffix
        number += 1
    return name


def workbook_bytes(
    sheets: Sequence[tuple[str, pl.DataFrame]],
    *,
    created: date | datetime | None = None,
    decimals_shown: bool = False,
) -> bytes:
    """An xlsx workbook with one sheet per ``(name, frame)``, row 1 holding the column names.

    ``created`` is written into the document properties; leave it out and the file carries no
    date at all (table output is then byte-identical from day to day). ``decimals_shown``:
    decimal columns display 1-3 decimals («−3,0», «0,054») instead of Excel's General, which
    shows every digit of a computed mean; the cells keep their full value (a report's
    appendix; data output keeps General).

    >>> import polars as pl
    >>> data = workbook_bytes([("skoler", pl.DataFrame({"orgnr": ["0301"], "antall": [12]}))])
    >>> data[:2]
    b'PK'
    """
    if not sheets:
        raise ValueError("a workbook needs at least one sheet")
    names: list[str] = []
    for name, _ in sheets:
        names.append(sheet_name(name, names))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:

        def put(path: str, text: str) -> None:
            info = zipfile.ZipInfo(path, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            package.writestr(info, text.encode("utf-8"))

        put("[Content_Types].xml", _content_types(len(sheets)))
        put("_rels/.rels", _ROOT_RELS)
        put("docProps/app.xml", _APP)
        put("docProps/core.xml", _core(created))
        put("xl/workbook.xml", _workbook(names))
        put("xl/_rels/workbook.xml.rels", _workbook_rels(len(sheets)))
        put("xl/styles.xml", _STYLES)
        for index, (_, frame) in enumerate(sheets, start=1):
            put(f"xl/worksheets/sheet{index}.xml", _sheet(frame, decimals_shown))
    return buffer.getvalue()


# -- parts -----------------------------------------------------------------------------------

_HEAD: Final = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_MAIN_NS: Final = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS: Final = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS: Final = "http://schemas.openxmlformats.org/package/2006/relationships"

_ROOT_RELS: Final = (
    _HEAD + f'<Relationships xmlns="{_PKG_REL_NS}">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/'
    'metadata/core-properties" Target="docProps/core.xml"/>'
    '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/extended-properties" Target="docProps/app.xml"/>'
    "</Relationships>"
)

_APP: Final = (
    _HEAD + '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
    'extended-properties"><Application>tallkit</Application></Properties>'
)

# style 0: default; 1: bold header; 2: a decimal shown with one to three decimals
_DECIMAL_STYLE: Final = 2
_STYLES: Final = (
    _HEAD + f'<styleSheet xmlns="{_MAIN_NS}">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="0.0##"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def _content_types(count: int) -> str:
    sheets = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, count + 1)
    )
    return (
        _HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-'
        'package.core-properties+xml"/>'
        '<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.extended-properties+xml"/>' + sheets + "</Types>"
    )


def _core(created: date | datetime | None) -> str:
    stamp = ""
    if created is not None:
        moment = created if isinstance(created, datetime) else datetime(*created.timetuple()[:3])
        text = moment.replace(microsecond=0, tzinfo=None).isoformat() + "Z"
        stamp = (
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{text}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{text}</dcterms:modified>'
        )
    return (
        _HEAD + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
        'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        "<dc:creator>tallkit</dc:creator>" + stamp + "</cp:coreProperties>"
    )


def _workbook(names: list[str]) -> str:
    sheets = "".join(
        f'<sheet name="{escape(name, {chr(34): "&quot;"})}" sheetId="{i}" r:id="rId{i}"/>'
        for i, name in enumerate(names, start=1)
    )
    return (
        _HEAD + f'<workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}"><sheets>{sheets}</sheets>'
        "</workbook>"
    )


def _workbook_rels(count: int) -> str:
    sheets = "".join(
        f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/'
        f'2006/relationships/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, count + 1)
    )
    styles = (
        f'<Relationship Id="rId{count + 1}" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/styles" Target="styles.xml"/>'
    )
    return _HEAD + f'<Relationships xmlns="{_PKG_REL_NS}">{sheets}{styles}</Relationships>'


def column_letter(index: int) -> str:
    """``0`` -> ``A``, ``25`` -> ``Z``, ``26`` -> ``AA``."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _text(value: str) -> str:
    return escape(_XML_ILLEGAL.sub("", value))


def _sheet(frame: pl.DataFrame, decimals_shown: bool = False) -> str:
    if frame.height + 1 > MAX_ROWS:
        raise ValueError(f"{frame.height} rows do not fit in one sheet (Excel: {MAX_ROWS - 1})")
    letters = [column_letter(i) for i in range(frame.width)]
    kinds = [_kind(frame.schema[c]) for c in frame.columns]
    widths = [len(c) for c in frame.columns]
    rows = []
    header = "".join(
        f'<c r="{letters[i]}1" t="inlineStr" s="1"><is><t>{_text(name)}</t></is></c>'
        for i, name in enumerate(frame.columns)
    )
    rows.append(f'<row r="1">{header}</row>')
    for number, row in enumerate(frame.iter_rows(), start=2):
        cells = []
        for i, value in enumerate(row):
            shown = decimals_shown and isinstance(value, float)
            cell = _cell(f"{letters[i]}{number}", value, kinds[i], shown)
            if cell:
                cells.append(cell)
                # the width of what the cell shows: 1-3 decimals, not every digit of the value
                text = f"{value:.3f}" if shown else str(value)
                widths[i] = max(widths[i], min(len(text), 60))
        rows.append(f'<row r="{number}">' + "".join(cells) + "</row>")
    cols = "".join(
        f'<col min="{i + 1}" max="{i + 1}" width="{w + 2}" customWidth="1"/>'
        for i, w in enumerate(widths)
    )
    last = f"{letters[-1]}{frame.height + 1}" if frame.width else "A1"
    pane = (
        '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
        'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
    )
    return (
        _HEAD
        + f'<worksheet xmlns="{_MAIN_NS}"><dimension ref="A1:{last}"/>{pane}'
        + (f"<cols>{cols}</cols>" if cols else "")
        + "<sheetData>"
        + "".join(rows)
        + "</sheetData>"
        + (f'<autoFilter ref="A1:{last}"/>' if frame.width else "")
        + "</worksheet>"
    )


def _kind(dtype: pl.DataType) -> str:
    if dtype == pl.Boolean:
        return "bool"
    if dtype.is_numeric():
        return "number"
    return "text"


def _cell(ref: str, value: object, kind: str, decimal_style: bool = False) -> str:
    if value is None:
        return ""
    if kind == "bool":
        return f'<c r="{ref}" t="b"><v>{int(bool(value))}</v></c>'
    if kind == "number":
        if isinstance(value, float):
            if math.isnan(value) or math.isinf(value):
                return ""
            style = f' s="{_DECIMAL_STYLE}"' if decimal_style else ""
            return f'<c r="{ref}"{style}><v>{value!r}</v></c>'
        return f'<c r="{ref}"><v>{value}</v></c>'
    if isinstance(value, list | tuple):
        value = ", ".join("" if v is None else str(v) for v in value)
    return (
        f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{_text(str(value))}</t></is></c>'
    )
