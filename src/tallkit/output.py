"""Write a result frame as CSV (also for Norwegian spreadsheets), JSON, JSON Lines, Parquet,
Markdown or xlsx, to a file or a stream.

The terminal table (``tabell``) is drawn by the CLI with rich; everything here is plain data
meant for other tools, so it is deterministic and free of decoration.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import BinaryIO, Final

import polars as pl

from tallkit.errors import OutputError, UsageError

FORMATS: Final = ("tabell", "csv", "csv-excel", "json", "jsonl", "parquet", "md", "xlsx")
# Which formats each file suffix may hold; the first is the one a bare ``--ut`` picks.
_SUFFIXES: Final = {
    ".csv": ("csv", "csv-excel"),
    ".json": ("json",),
    ".jsonl": ("jsonl",),
    ".ndjson": ("jsonl",),
    ".parquet": ("parquet",),
    ".md": ("md",),
    ".xlsx": ("xlsx",),
}
_BINARY: Final = ("parquet", "xlsx")
_BOM: Final = b"\xef\xbb\xbf"


def _suffix_list() -> str:
    return ", ".join(_SUFFIXES)


def format_for(requested: str | None, destination: Path | None, *, is_terminal: bool) -> str:
    """The format to use: as asked; else from ``--ut``'s suffix; else a table on a terminal
    and CSV when piped. A suffix that is unknown, or that does not fit the format asked for,
    is a usage error: a file named ``x.xlsx`` never silently holds CSV."""
    if requested is not None and requested not in FORMATS:
        raise UsageError(f"ukjent format «{requested}». Gyldige: {', '.join(FORMATS)}.")
    if destination is None:
        if requested is not None:
            return requested
        return "tabell" if is_terminal else "csv"
    if requested == "tabell":
        raise UsageError("«tabell» er for skjermen; velg et filformat til --ut.")
    suffix = destination.suffix.lower()
    allowed = _SUFFIXES.get(suffix)
    if requested is None:
        if allowed is None:
            what = f"filendelsen «{suffix}»" if suffix else "en fil uten filendelse"
            raise UsageError(
                f"--ut {destination}: kjenner ikke formatet for {what}. "
                f"Bruk en av {_suffix_list()}, eller angi --format."
            )
        return allowed[0]
    if suffix and (allowed is None or requested not in allowed):
        fitting = [s for s, formats in _SUFFIXES.items() if requested in formats]
        raise UsageError(
            f"--ut {destination}: filendelsen «{suffix}» passer ikke formatet «{requested}». "
            f"Bruk {' eller '.join(fitting)}."
        )
    return requested


def render_bytes(frame: pl.DataFrame, fmt: str) -> bytes:
    """Serialise ``frame`` in ``fmt`` (anything but ``tabell``)."""
    nested = [name for name, kind in frame.schema.items() if kind.is_nested()]
    if nested and fmt in ("csv", "csv-excel", "md", "xlsx"):
        # a list or struct has no cell in a flat table; say so instead of failing inside polars
        raise UsageError(
            f"kolonnen «{nested[0]}» inneholder lister, som {fmt} ikke kan vise. "
            "Bruk --format json, jsonl eller parquet."
        )
    if fmt == "csv":
        return frame.write_csv().encode("utf-8")
    if fmt == "csv-excel":
        return spreadsheet_csv(frame)
    if fmt == "xlsx":
        return render_tables({"resultat": frame}, fmt)
    if fmt == "json":
        return (frame.write_json() + "\n").encode("utf-8")
    if fmt == "jsonl":
        return frame.write_ndjson().encode("utf-8")
    if fmt == "md":
        return markdown_table(frame).encode("utf-8")
    if fmt == "parquet":
        buffer = io.BytesIO()
        frame.write_parquet(buffer)
        return buffer.getvalue()
    raise UsageError(f"formatet «{fmt}» kan ikke skrives til fil.")


def render_tables(tables: dict[str, pl.DataFrame], fmt: str) -> bytes:
    """Several named tables in one file: one sheet each in xlsx, one object per name in JSON."""
    if fmt == "xlsx":
        from tallkit.xlsx import workbook_bytes

        return workbook_bytes(list(tables.items()))
    if fmt == "json":
        import json

        combined = {name: json.loads(frame.write_json()) for name, frame in tables.items()}
        return (json.dumps(combined, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    if len(tables) == 1:
        return render_bytes(next(iter(tables.values())), fmt)
    if fmt == "md":
        sections = [f"## {name}\n\n{markdown_table(frame)}" for name, frame in tables.items()]
        return "\n".join(sections).encode("utf-8")
    raise UsageError(
        f"velg én del med --del for formatet «{fmt}» (eller bruk json, xlsx eller md)."
    )


def spreadsheet_csv(frame: pl.DataFrame) -> bytes:
    """CSV for a Norwegian spreadsheet: ``;`` between fields, decimal comma, UTF-8 with BOM
    (so Excel does not read «Bjørkås» as «BjÃ¸rkÃ¥s») and CRLF. Full precision is kept."""
    changes = []
    for name, dtype in frame.schema.items():
        if dtype.is_float():
            changes.append(pl.col(name).cast(pl.String).str.replace(".", ",", literal=True))
        elif dtype == pl.Datetime or isinstance(dtype, pl.Datetime):
            changes.append(pl.col(name).dt.strftime("%Y-%m-%d %H:%M:%S"))
    shown = frame.with_columns(changes) if changes else frame
    text = shown.write_csv(separator=";", line_terminator="\r\n")
    return _BOM + text.encode("utf-8")


def write(frame: pl.DataFrame, fmt: str, destination: Path | None, stdout: BinaryIO) -> None:
    write_bytes(render_bytes(frame, fmt), fmt, destination, stdout)


def write_bytes(data: bytes, fmt: str, destination: Path | None, stdout: BinaryIO) -> None:
    if destination is None:
        if fmt in _BINARY and stdout.isatty():
            raise UsageError(f"{fmt} er binært: angi en fil med --ut.")
        stdout.write(data)
        stdout.flush()
        return
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(data)
    except OSError as exc:
        raise OutputError(f"{destination}: kan ikke skrive filen ({exc.strerror}).") from None


_MD_ACTIVE = re.compile(r"([`*_\[\]!#~|])")
_MD_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# what md_cell changes: without any of these a cell is already inert (most are numbers)
_MD_CELL_CHANGES = re.compile(r"[\x00-\x1f\x7f\\&<>`*_\[\]!#~|]")
_MD_LINE_START = re.compile(r"^(\s*)([-+]|\d{1,9}(?=[.)]))(?=[\s.)]|$)")


def md_cell(value: object) -> str:
    """Markdown text from a file or a user, inert: newlines flattened, null as empty, ``<``,
    ``>`` and ``&`` as entities (Markdown viewers render raw HTML), and every character that
    starts a link, an image, emphasis, code, a heading or a list escaped."""
    if value is None:
        return ""
    text = f"{value:.10g}" if isinstance(value, float) else str(value)
    if not _MD_CELL_CHANGES.search(text):
        return text
    text = _MD_CONTROL.sub("", text).replace("\r", " ").replace("\n", " ")
    return md_inline(text, line_start=False)  # inside a table cell nothing starts a list


def md_inline(text: str, *, line_start: bool = True) -> str:
    """One line of text made inert in Markdown (see :func:`md_cell`); ``line_start``: the
    text may begin a line, where «1. », «- » or «+ » would start a list."""
    text = text.replace("\\", "\\\\")
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_ACTIVE.sub(r"\\\1", text)
    match = _MD_LINE_START.match(text) if line_start else None
    if match and re.match(r"[.)]?(\s|$)", text[match.end() :]):
        # «1. », «- » or «+ » first would start a list
        end = match.end()
        if match.group(2) in "-+":
            text = match.group(1) + "\\" + text[len(match.group(1)) :]
        else:
            text = text[:end] + "\\" + text[end:]
    return text


def md_paragraphs(text: str) -> str:
    """A school's own text in Markdown: paragraphs and lists (``-``, ``*``, ``1.``) kept,
    everything else inert (no raw HTML, links, images, headings or code)."""
    lines = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", raw).rstrip()
        item = re.match(r"^\s{0,3}(?:([-*+])|(\d{1,3})[.)])\s+(.*)$", line)
        if item:
            marker = "-" if item.group(1) else f"{item.group(2)}."
            lines.append(f"{marker} {md_inline(item.group(3))}")
        else:
            lines.append(md_inline(line.strip()))
    return "\n".join(lines).strip("\n")


def markdown_table(frame: pl.DataFrame) -> str:
    header = "| " + " | ".join(md_cell(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    rows = ["| " + " | ".join(md_cell(v) for v in row) + " |" for row in frame.iter_rows()]
    return "\n".join([header, rule, *rows]) + "\n"
