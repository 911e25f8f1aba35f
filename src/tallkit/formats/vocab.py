"""Udir's vocabularies, and the flattened column headers of the statistikkbank exporter.

A header is the report's column path joined with dots, e.g.
``Foreløpige tall 2025-26.Lesing.5. årstrinn.Alle eierformer.Alle kjønn.Skalapoeng``. Labels
contain dots themselves (``5. årstrinn``), so headers are split by the known vocabularies, not on
``.``. Whatever follows the last known part is the measure; an unknown measure is kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, cast

from tallkit.errors import InputError, quote

TESTS: Final = {"engelsk": "engelsk", "lesing": "lesing", "regning": "regning"}
TEST_CODES: Final = {"NPENG": "engelsk", "NPLES": "lesing", "NPREG": "regning"}

GENDERS: Final = {
    "alle kjønn": "alle",
    "begge kjønn": "alle",
    "gutt": "gutt",
    "gutter": "gutt",
    "jente": "jente",
    "jenter": "jente",
}
OWNERSHIPS: Final = {
    "alle eierformer": "alle",
    "offentlig skole": "offentlig",
    "offentlig": "offentlig",
    "privat eiet": "privat",
    "privat": "privat",
    "privat skole": "privat",
}
NP_MEASURES: Final = {
    "skalapoeng": "skalapoeng",
    "usikkerhet": "usikkerhet",
    "antall elever deltatt": "antall",
}
GSP_MEASURES: Final = {"grunnskolepoeng": "poeng", "antall elever": "antall"}
EU_MEASURES: Final = {
    "score": "verdi",
    "snitt": "verdi",
    "gjennomsnitt": "verdi",
    "andel mobbet": "verdi",
    "standardavvik": "standardavvik",
    "antall besvart": "antall",
    "antall": "antall",
}

# Elevundersøkelsen indices: matched on code; labels drift between years and tables.
EU_INDICES: Final = {
    "EUIndeks_1378": "Faglig utfordring",
    "EUIndeks_1379": "Trivsel",
    "EUIndeks_1380": "Støtte fra lærer",
    "EUIndeks_1381": "Støtte hjemmefra",
    "EUIndeks_1382": "Vurdering for læring",
    "EUIndeks_1383": "Læringskultur",
    "EUIndeks_1384": "Mestring",
    "EUIndeks_1385": "Motivasjon",
    "EUIndeks_1386": "Elevdemokrati og medvirkning",
    "EUIndeks_1387": "Felles regler",
    "EUIndeks_1398": "Mobbing på skolen",
}
# Label variants seen (or to be expected) for exports that carry no code.
_EU_LABEL_VARIANTS: Final = {
    "støtte fra lærerne": "EUIndeks_1380",
    "elevdemokrati": "EUIndeks_1386",
    "mobbing": "EUIndeks_1398",
    "mobbing på skolen": "EUIndeks_1398",
}
EU_PARTICIPATION: Final = "EUDeltakelse"  # participation table: share of invited pupils

_YEAR = re.compile(r"^(?P<prelim>foreløpige tall )?(?P<start>\d{4})-(?P<end>\d{2}|\d{4})$", re.I)
_TRINN = re.compile(r"^(?P<n>\d{1,2})\.\s*(?:års)?trinn$|^trinn (?P<m>\d{1,2})$", re.I)
_VG_TRINN = re.compile(r"^(?:videregående trinn |vg)(?P<n>[123])$", re.I)


def school_year(text: str) -> tuple[str, bool] | None:
    """``"2025-26"`` / ``"2014-2015"`` / ``"Foreløpige tall 2025-26"`` -> (``"2025-26"``, preliminary)."""
    match = _YEAR.match(text.strip())
    if not match:
        return None
    start = int(match["start"])
    end = match["end"][-2:]
    if int(end) != (start + 1) % 100:
        return None
    return f"{start}-{end}", match["prelim"] is not None


def school_year_from_slash(text: str) -> str | None:
    """SSB's ``2014/2015`` -> ``2014-15``."""
    found = school_year(text.replace("/", "-"))
    return found[0] if found else None


def trinn_number(text: str) -> int | None:
    """``"5. årstrinn"``, ``"Trinn 8"``, ``"10. trinn"``, ``"Videregående trinn 2"`` -> 5, 8, 10, 12."""
    text = text.strip()
    if match := _TRINN.match(text):
        return int(match["n"] or match["m"])
    if match := _VG_TRINN.match(text):
        return 10 + int(match["n"])  # Vg1-3 stored as 11-13 so trinn stays one integer
    if text.isdigit():
        return int(text)
    return None


def eu_index_code(label_or_code: str) -> str | None:
    """Match an EU index on its code (``EUIndeks_1379``, ``1379``) or, failing that, its label."""
    text = label_or_code.strip()
    if text in EU_INDICES:
        return text
    if text.isdigit() and f"EUIndeks_{text}" in EU_INDICES:
        return f"EUIndeks_{text}"
    lowered = text.casefold()
    for code, label in EU_INDICES.items():
        if label.casefold() == lowered:
            return code
    return _EU_LABEL_VARIANTS.get(lowered)


@dataclass(frozen=True)
class HeaderPath:
    """One measure column of the exporter, split into its dimensions."""

    column: str
    skoleaar: str
    forelopig: bool
    emne: str | None  # test (np) or EU index code (eu); None for gsp
    trinn: int | None
    eierform: str
    kjonn: str
    maal: str  # a known measure id, or the raw label of an unknown measure
    known_measure: bool


def _classify(segment: str) -> tuple[str, object] | None:
    lowered = segment.strip().casefold()
    if (year := school_year(segment)) is not None:
        return "year", year
    if lowered in TESTS:
        return "test", TESTS[lowered]
    if (trinn := trinn_number(segment)) is not None:
        return "trinn", trinn
    if lowered in OWNERSHIPS:
        return "eierform", OWNERSHIPS[lowered]
    if lowered in GENDERS:
        return "kjonn", GENDERS[lowered]
    if (code := eu_index_code(segment)) is not None:
        return "eu", code
    return None


def _segments(header: str) -> list[str]:
    # Split on dots that are not the dot of "5. årstrinn": a dot directly after digits and
    # followed by a space belongs to the label.
    return re.split(r"(?<!\d)\.|(?<=\d)\.(?! )", header)


def parse_header(column: str) -> HeaderPath:
    """Split one measure header; raise :class:`InputError` for parts we do not know."""
    segments = _segments(column)
    found: dict[str, object] = {}
    index = 0
    while index < len(segments):
        kind = _classify(segments[index])
        if kind is None:
            break
        if kind[0] in found:
            raise InputError(
                f"kolonnen «{quote(column, 100)}» har to deler av samme slag ({kind[0]})."
            )
        found[kind[0]] = kind[1]
        index += 1
    rest = ".".join(segments[index:]).strip()
    later_known = [s for s in segments[index + 1 :] if _classify(s) is not None]
    if not rest or later_known or "year" not in found:
        unknown = segments[index] if index < len(segments) else column
        raise InputError(
            f"ukjent del «{quote(unknown)}» i kolonneoverskriften «{quote(column, 100)}».",
            column=column,
            hint="Forventet skoleår.prøve.trinn.eierform.kjønn.mål som i Udirs eksport.",
        )
    year, prelim = cast(tuple[str, bool], found["year"])
    measure_key = rest.casefold()
    measures = NP_MEASURES | GSP_MEASURES | EU_MEASURES
    emne = found.get("test") or found.get("eu")
    return HeaderPath(
        column=column,
        skoleaar=str(year),
        forelopig=bool(prelim),
        emne=str(emne) if emne is not None else None,
        trinn=found.get("trinn"),  # type: ignore[arg-type]
        eierform=str(found.get("eierform", "alle")),
        kjonn=str(found.get("kjonn", "alle")),
        maal=measures.get(measure_key, rest),
        known_measure=measure_key in measures,
    )
