"""Write a result frame as CSV, JSON, JSON Lines, Parquet or Markdown, to a file or a stream.

The terminal table (``tabell``) is drawn by the CLI with rich; everything here is plain data
meant for other tools, so it is deterministic and free of decoration.
"""

from __future__ import annotations

import io
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


def md_cell(value: object) -> str:
    """Markdown text from a file: ``|`` escaped, newlines flattened, null as empty, and ``<``,
    ``>`` and ``&`` as entities (Markdown viewers render raw HTML)."""
    if value is None:
        return ""
    text = f"{value:.10g}" if isinstance(value, float) else str(value)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def markdown_table(frame: pl.DataFrame) -> str:
    header = "| " + " | ".join(md_cell(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    rows = ["| " + " | ".join(md_cell(v) for v in row) + " |" for row in frame.iter_rows()]
    return "\n".join([header, rule, *rows]) + "\n"
