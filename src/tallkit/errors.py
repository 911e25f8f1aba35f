"""One exception hierarchy, one exit code each.

Every error a user can meet is a :class:`TallkitError` whose message is one Norwegian line that
names the file (and line/column where it applies) and says what to do. The CLI is the one place
that turns them into ``tallkit: feil: …`` on stderr. This module imports nothing heavy.
"""

from __future__ import annotations

from enum import IntEnum
from pathlib import Path


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
        where.append(f"kolonne «{column}»")
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
