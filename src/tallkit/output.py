"""Write a result frame as CSV, JSON, JSON Lines, Parquet or Markdown, to a file or a stream.

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

FORMATS: Final = ("tabell", "csv", "json", "jsonl", "parquet", "md")
_SUFFIXES: Final = {
    ".csv": "csv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".parquet": "parquet",
    ".md": "md",
}


def format_for(requested: str | None, destination: Path | None, *, is_terminal: bool) -> str:
    """The format to use: as asked; else from ``--ut``'s suffix; else a table on a terminal
    and CSV when piped."""
    if requested is not None:
        if requested not in FORMATS:
            raise UsageError(f"ukjent format «{requested}». Gyldige: {', '.join(FORMATS)}.")
        return requested
    if destination is not None:
        return _SUFFIXES.get(destination.suffix.lower(), "csv")
    return "tabell" if is_terminal else "csv"


def render_bytes(frame: pl.DataFrame, fmt: str) -> bytes:
    """Serialise ``frame`` in ``fmt`` (anything but ``tabell``)."""
    if fmt == "csv":
        return frame.write_csv().encode("utf-8")
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


def write(frame: pl.DataFrame, fmt: str, destination: Path | None, stdout: BinaryIO) -> None:
    data = render_bytes(frame, fmt)
    if destination is None:
        if fmt == "parquet" and stdout.isatty():
            raise UsageError("Parquet er binært: angi en fil med --ut.")
        stdout.write(data)
        stdout.flush()
        return
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(data)
    except OSError as exc:
        raise OutputError(f"{destination}: kan ikke skrive filen ({exc.strerror}).") from None


_MD_ACTIVE = re.compile(r"([`*_\[\]!#~|])")
_MD_LINE_START = re.compile(r"^(\s*)([-+]|\d{1,9}(?=[.)]))(?=[\s.)]|$)")


def md_cell(value: object) -> str:
    """Markdown text from a file or a user, inert: newlines flattened, null as empty, ``<``,
    ``>`` and ``&`` as entities (Markdown viewers render raw HTML), and every character that
    starts a link, an image, emphasis, code, a heading or a list escaped."""
    if value is None:
        return ""
    text = f"{value:.10g}" if isinstance(value, float) else str(value)
    text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", text).replace("\r", " ").replace("\n", " ")
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
