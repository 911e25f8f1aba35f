"""Comparison kommuner: the named groups tallkit ships, and kommune numbers that changed.

A kommune report compares the kommune with the nation and with the kommuner listed in
``tallkit.toml`` (``[sammenligning] kommuner = [...]`` and/or ``gruppe = "ASSS"``). Kommune
numbers changed in the 2020 reform and again in 2024 (Viken, Vestfold og Telemark and Troms og
Finnmark were split up; their kommuner got new numbers). A year a comparison kommune has no row
under its current number is looked up under its former numbers (``FORMER``), and the report
says so; a year found under neither is named as missing.
"""

from __future__ import annotations

from typing import Final

# ASSS: Aggregerte styringsdata for samanliknbare storbykommunar, the network of the ten
# largest kommuner. Numbers as of 1 January 2024 (after the county split).
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
    ),
}

# Current number -> its former numbers, newest first (2024, then 2020; Trondheim 2018).
# Only kommuner whose number changed without a merger that changes what the number covers
# much are listed for the ASSS group; add to it with care (the report names every use).
FORMER: Final[dict[str, tuple[str, ...]]] = {
    "4601": ("1201",),  # Bergen
    "5001": ("1601",),  # Trondheim (2018)
    "3201": ("3024", "0219"),  # Bærum
    "4204": ("1001",),  # Kristiansand (2020: with Songdalen and Søgne)
    "3301": ("3005", "0602"),  # Drammen (2020: with Nedre Eiker and Svelvik)
    "3107": ("3004", "0106"),  # Fredrikstad
    "1108": ("1102",),  # Sandnes (2020: with part of Forsand)
    "5501": ("5401", "1902"),  # Tromsø
    "4203": ("0906",),  # Arendal
}


def expand(entries: list[str], group: str | None) -> tuple[str, ...]:
    """Kommune numbers from a list (numbers or group names) and an optional group, in order,
    without repeats. Raises ``KeyError`` with the unknown group's name."""
    out: list[str] = []
    for entry in ([group] if group else []) + list(entries):
        text = str(entry).strip()
        if text.upper() in GROUPS:
            out.extend(number for number, _ in GROUPS[text.upper()])
        elif text.isdigit() and len(text) == 4:
            out.append(text)
        else:
            raise KeyError(text)
    return tuple(dict.fromkeys(out))
