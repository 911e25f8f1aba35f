"""Small helpers for building broken variants of real exports."""

from __future__ import annotations

from pathlib import Path


def utf16_lines(path: Path) -> list[str]:
    """The lines of a UTF-16LE export (the sep= line included), without line ends."""
    return path.read_bytes().decode("utf-16-le").lstrip("\ufeff").split("\n")[:-1]


def write_utf16(path: Path, lines: list[str]) -> Path:
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-16-le"))
    return path
