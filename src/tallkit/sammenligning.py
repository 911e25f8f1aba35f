"""Comparison kommuner: the named groups tallkit ships, and kommune numbers that changed.

A kommune report, and ``fag``/``variasjon`` with ``--sammenligning``, compare with the kommuner
listed in ``tallkit.toml`` (``[sammenligning] kommuner = [...]`` and/or ``gruppe = "ASSS"``).
Kommune numbers changed in the reforms of 2018–2020 and again in 2024 (Viken, Vestfold og
Telemark and Troms og Finnmark were split up; their kommuner got new numbers). A year a
comparison kommune has no row under its current number is looked up under its former numbers,
and whoever shows the number says so; a year found under neither is named as missing.

The registry is data, not code: ``data/kommuneendringer.csv`` holds SSB's change table for
classification 131 (every change of number or name since 2013, SSB's rows unchanged) and
``data/kommuner_2024.csv`` the kommuner from 1 January 2024 (their headers name the source).
Only a pure renumbering links a former number to a current one: one kommune became one
kommune, the same area under a new number. A merger (several kommuner became one, also when
one of them kept its number) or a split ends the chain: years before it belonged to another
area, and :func:`history` says so rather than borrowing them.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

_DATA: Final = Path(__file__).resolve().parent / "data"

# ASSS (Aggregerte styringsdata for samanliknbare storbykommunar): the twelve largest kommuner
# since autumn 2022, when Asker and Lillestrøm joined the ten (KS, «Asker og Lillestrøm med i
# ASSS», published 2022-09-07, changed 2023-04-27). Numbers from 1 January 2024, each checked
# against SSB's list (data/kommuner_2024.csv; a test keeps them in step).
GROUPS: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    "ASSS": (
        ("0301", "Oslo"),
        ("4601", "Bergen"),
        ("5001", "Trondheim"),
        ("1103", "Stavanger"),
        ("3201", "Bærum"),
        ("4204", "Kristiansand"),
        ("3301", "Drammen"),
        ("3107", "Fredrikstad"),
        ("1108", "Sandnes"),
        ("5501", "Tromsø"),
        ("3203", "Asker"),
        ("3205", "Lillestrøm"),
    ),
}


@dataclass(frozen=True)
class Change:
    """One row of SSB's change table."""

    date: str  # the day it took effect, e.g. 2024-01-01
    old: str
    old_name: str
    new: str
    new_name: str


@dataclass(frozen=True)
class Former:
    """A number the kommune had before a pure renumbering (same area)."""

    number: str
    name: str
    last_year: str  # the last school year it can hold: a change on 1 January 2024 -> 2023-24


@dataclass(frozen=True)
class AreaChange:
    """The newest merger or split in a kommune's history: years up to ``last_year`` belonged
    to another area (also under the same number, when it was kept)."""

    date: str
    kind: str  # «sammenslått» (several kommuner became this one) or «delt» (one was split)
    others: tuple[str, ...]  # the names of the other kommuner in it
    last_year: str
    number: str = ""  # the number the new area got (the current one, or a former one)
    kept_number: bool = False  # it had that number before too (Stavanger 1103 in 2020)

    def before_under(self, number: str, year: str) -> bool:
        """Whether a row for ``year`` under ``number`` belongs to the area before the change:
        only a number the kommune already had before it can hold such a row."""
        return self.kept_number and number == self.number and year <= self.last_year


@dataclass(frozen=True)
class History:
    number: str
    formers: tuple[Former, ...]  # newest first
    area_change: AreaChange | None

    def numbers_for(self, year: str) -> tuple[str, ...]:
        """The numbers to look for the kommune's row of school year ``year`` under, in order:
        the current one, then each former one that could hold that year."""
        return (self.number, *(f.number for f in self.formers if year <= f.last_year))


def _school_year_before(date: str) -> str:
    """The school year a change on 1 January of a year falls in (the last one the old number
    can hold): 2024-01-01 -> 2023-24."""
    year = int(date[:4])
    return f"{year - 1}-{year % 100:02d}"


def _rows(name: str) -> list[dict[str, str]]:
    text = (_DATA / name).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter=";"))


@cache
def changes() -> tuple[Change, ...]:
    """SSB's change table (``data/kommuneendringer.csv``), oldest first."""
    return tuple(
        Change(
            r["endret"], r["gammelt_nummer"], r["gammelt_navn"], r["nytt_nummer"], r["nytt_navn"]
        )
        for r in _rows("kommuneendringer.csv")
    )


@cache
def current_names() -> dict[str, str]:
    """Kommune number -> name, from 1 January 2024 (``data/kommuner_2024.csv``)."""
    return {r["nummer"]: r["navn"] for r in _rows("kommuner_2024.csv")}


def name(number: str) -> str | None:
    """The kommune's name in SSB's list (the current one, else the newest in the changes)."""
    if number in current_names():
        return current_names()[number]
    for change in reversed(changes()):
        if change.new == number:
            return change.new_name
        if change.old == number:
            return change.old_name
    return None


@cache
def history(number: str) -> History:
    """The kommune's former numbers through pure renumberings, newest first, and the merger or
    split that ends them (if any)."""
    formers: list[Former] = []
    code, before = number, "9999-12-31"
    while True:
        dates = [c.date for c in changes() if c.new == code and c.date < before]
        if not dates:
            return History(number, tuple(formers), None)
        date = max(dates)
        into = [c for c in changes() if c.date == date and c.new == code]
        olds = {c.old for c in into}
        if olds == {code}:  # a new name only
            before = date
            continue
        out_of = {c.new for c in changes() if c.date == date and c.old in olds}
        if len(olds) == 1 and out_of == {code}:
            old = into[0]
            formers.append(Former(old.old, old.old_name, _school_year_before(date)))
            code, before = old.old, date
            continue
        if len(olds) > 1:
            # the others: not the kommune itself under its old number or name
            own = {into[0].new_name, into[0].new_name.split(" - ")[0]}
            others = tuple(
                sorted(c.old_name for c in into if c.old != code and c.old_name not in own)
            )
            kind = "sammenslått"
        else:
            others = tuple(sorted(n for n in out_of if n != code))
            others = tuple(name(n) or n for n in others)
            kind = "delt"
        change = AreaChange(date, kind, others, _school_year_before(date), code, code in olds)
        return History(number, tuple(formers), change)


@cache
def _renumbered() -> dict[str, str]:
    """Former number -> current number, for pure renumberings (the reverse of :func:`history`)."""
    out: dict[str, str] = {}
    for number in current_names():
        for former in history(number).formers:
            out[former.number] = number
    return out


def current_number(number: str) -> str:
    """A former number renumbered without a change of area becomes the current one; any other
    number stays as it is (also one tallkit does not know, such as a test kommune)."""
    return _renumbered().get(number, number)


def _by_name(text: str) -> list[str]:
    """Kommune numbers whose SSB name is ``text`` (case-insensitive), also without the Sami
    or Kven name (``Trondheim`` for «Trondheim - Tråante») or the county in brackets."""
    wanted = text.strip().lower()
    found = []
    for number, full in current_names().items():
        names = {full.lower(), *(part.strip().lower() for part in full.split(" - "))}
        names |= {n.split(" (")[0] for n in names}
        if wanted in names:
            found.append(number)
    return found


def expand(entries: list[str], group: str | None) -> tuple[str, ...]:
    """Kommune numbers from a list (numbers, names or group names) and an optional group, in
    order, without repeats; a former number becomes the current one. Raises ``KeyError`` with
    the entry that is none of these, ``LookupError`` (args: entry, candidates) for a name
    that fits several kommuner."""
    out: list[str] = []
    for entry in ([group] if group else []) + list(entries):
        for text in str(entry).split(","):
            text = text.strip()
            if not text:
                continue
            if text.upper() in GROUPS:
                out.extend(number for number, _ in GROUPS[text.upper()])
            elif text.isdigit() and len(text) == 4:
                out.append(current_number(text))
            elif found := _by_name(text):
                if len(found) > 1:
                    raise LookupError(text, found)
                out.append(found[0])
            else:
                raise KeyError(text)
    return tuple(dict.fromkeys(out))


def resolve(entries: list[str], group: str | None, where: str) -> tuple[str, ...]:
    """:func:`expand`, with a usage error that starts with ``where`` (a file and section, or
    an option) for an entry that is no kommune or group."""
    from tallkit.errors import UsageError

    try:
        return expand(entries, group)
    except KeyError as exc:
        raise UsageError(
            f"{where}: «{exc.args[0]}» er verken et kommunenummer (fire sifre), et kommunenavn "
            f"eller en kjent gruppe ({', '.join(GROUPS)})."
        ) from None
    except LookupError as exc:
        text, numbers = exc.args
        raise UsageError(
            f"{where}: «{text}» passer på flere kommuner: "
            f"{', '.join(f'{n} {name(n)}' for n in numbers)}. Bruk kommunenummeret."
        ) from None
