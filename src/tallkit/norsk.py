"""Numbers as a Norwegian reader writes them: decimal comma, a (non-breaking) space between
thousands, a real minus sign, «12 %». Used by the reports and the report templates."""

from __future__ import annotations

from typing import Any, Final

NBSP: Final = "\u00a0"
MINUS: Final = "\u2212"


def number(value: Any, decimals: int = 1, *, fixed: bool = False) -> str:
    """``1234.5`` → «1 234,5»; whole floats without decimals; ``None`` → «–». ``fixed``: a
    float always with ``decimals`` decimals (``4.0`` → «4,0»), as Udir writes a measure it
    publishes with one decimal, so a column of them reads evenly."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "ja" if value else "nei"
    if isinstance(value, int):
        return _group(str(abs(value)), value < 0)
    if isinstance(value, float):
        if value != value:  # NaN: never shown as a number
            return "–"
        if fixed:
            text = f"{abs(value):.{decimals}f}"
            whole, _, part = text.partition(".")
            negative = value < 0 and text.strip("0.") != ""
            return _group(whole, negative) + ("," + part if part else "")
        if value.is_integer() and abs(value) < 1e15:
            return _group(str(int(abs(value))), value < 0)
        text = f"{abs(value):.{decimals}f}"
        whole, _, part = text.partition(".")
        if part and set(part) == {"0"}:
            return _group(whole, value < 0 and whole != "0")
        return _group(whole, value < 0) + ("," + part if part else "")
    return str(value)


def written(value: Any, decimals: int | None) -> str:
    """:func:`number` with exactly ``decimals`` decimals, or as it writes it when None (a
    table's or row's ``decimals``, :func:`tallkit.reports.verdicts.published_decimals`)."""
    return number(value) if decimals is None else number(value, decimals, fixed=True)


def _group(digits: str, negative: bool) -> str:
    groups: list[str] = []
    while len(digits) > 3:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    groups.insert(0, digits)
    return (MINUS if negative else "") + NBSP.join(groups)


def percent(share: float | None) -> str:
    """A share 0–1 as «12 %»."""
    if share is None:
        return "–"
    return f"{number(round(100 * share))}{NBSP}%"


def signed(value: float | None, decimals: int | None = None) -> str:
    """«+2,5» / «−1,2» / «0»: for differences and changes; ``decimals``: always that many
    («+6,0»), for a column of computed means."""
    if value is None:
        return "–"
    text = written(value, decimals)
    return f"+{text}" if value > 0 and text.strip("0,") != "" else text


def listing(items: list[str]) -> str:
    """«a», «a og b», «a, b og c»: a list as a sentence writes it."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} og {items[-1]}"


def interval(low: float | None, high: float | None, decimals: int | None = None) -> str | None:
    """«47–59», but «−11,6 til −0,9» where an end is negative: a dash between two minus signs
    («−11,6–−0,9») reads as a subtraction. None when an end is missing. ``decimals``: both
    ends with that many («−0,5 til 5,0»)."""
    if low is None or high is None:
        return None
    ends = written(low, decimals), written(high, decimals)
    # as written: −0,04 is written «0», and «0 til 4,9» would look like a different rule
    joiner = " til " if any(end.startswith(MINUS) for end in ends) else "–"
    return joiner.join(ends)
