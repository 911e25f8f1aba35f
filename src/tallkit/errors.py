"""One exception hierarchy, one exit code each.

Every error a user can meet is a :class:`TallkitError` whose message is one Norwegian line that
names the file (and line/column where it applies) and says what to do. The CLI is the one place
that turns them into ``tallkit: feil: …`` on stderr. This module imports nothing heavy.
"""

from __future__ import annotations

import re
from enum import IntEnum
from pathlib import Path

MAX_MESSAGE_CHARS = 400  # one readable line, also in a cron log
MAX_QUOTED_CHARS = 40  # cell content quoted in a message
# Control characters (C0, DEL, C1: ANSI escapes start with ESC or CSI), line and paragraph
# separators, bidi overrides: nothing a file can smuggle into the terminal or a second line.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]+")
# Eleven digits, perhaps split after the birth date: how a fødselsnummer is written
# (01011385776, 010113 85776, 010113-85776). Masked wherever text is shown to a user.
FNR_LIKE = re.compile(r"(?<![0-9])[0-9]{6}[ .\-\u00a0]?[0-9]{5}(?![0-9])")
FNR_MASK = "«fødselsnummer?»"


def one_line(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """Text safe to print as one line: control characters out, fødselsnummer masked, capped."""
    clean = _CONTROL.sub(" ", text)
    clean = FNR_LIKE.sub(FNR_MASK, clean)
    clean = clean.strip()
    if len(clean) > limit:
        clean = clean[: limit - 1].rstrip() + "…"
    return clean


def quote(value: object, limit: int = MAX_QUOTED_CHARS) -> str:
    """Cell content for a message: one short line, never a fødselsnummer."""
    return one_line(str(value), limit)


class ExitCode(IntEnum):
    """Exit codes are part of the contract (README, PRODUCT.md §2)."""

    OK = 0
    INPUT = 1  # bad input data
    USAGE = 2  # bad option, unknown school
    DATABASE = 3  # locked, corrupt, query failed
    OUTPUT = 4  # cannot write, template error
    INTERRUPTED = 130


class TallkitError(Exception):
    """Base of every error tallkit reports to a user."""

    exit_code: ExitCode = ExitCode.INPUT

    def __init__(self, message: str) -> None:
        message = one_line(message)
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InputError(TallkitError):
    """A file that cannot be read as what it claims to be."""

    exit_code = ExitCode.INPUT

    def __init__(
        self,
        message: str,
        *,
        file: Path | str | None = None,
        line: int | None = None,
        column: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.bare_message = message
        self.file = str(file) if file is not None else None
        self.line = line
        self.column = column
        self.hint = hint
        super().__init__(_locate(message, self.file, line, column, hint))

    def at(self, file: Path | str) -> InputError:
        """The same error, now naming the file (parsers often see only text)."""
        if self.file is not None:
            return self
        return InputError(
            self.bare_message, file=file, line=self.line, column=self.column, hint=self.hint
        )


def _locate(
    message: str, file: str | None, line: int | None, column: str | None, hint: str | None
) -> str:
    where = []
    if file is not None:
        where.append(file)
    if line is not None:
        where.append(f"linje {line}")
    if column is not None:
        where.append(f"kolonne «{quote(column, 100)}»")
    text = (", ".join(where) + ": " if where else "") + message
    if hint:
        text += f" {hint}"
    return text


class UsageError(TallkitError):
    """A bad option, an unknown or ambiguous school, a missing argument."""

    exit_code = ExitCode.USAGE


class DatabaseError(TallkitError):
    """The database is locked, corrupt, or a query failed."""

    exit_code = ExitCode.DATABASE


class OutputError(TallkitError):
    """An output file cannot be written, or a template fails."""

    exit_code = ExitCode.OUTPUT
