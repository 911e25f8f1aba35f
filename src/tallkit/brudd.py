"""Series breaks: the one registry every trend consults (FORMATS.md §6, PRODUCT.md §4.4).

A trend is never drawn across a break without marking it: results on either side are not
directly comparable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class SeriesBreak:
    domain: str  # np | eu | gsp | enhet
    first_year: str  # the first school year of the new series
    text: str  # plain Norwegian, shown in reports
    # the unit levels whose series it breaks (unit reforms): the 2024 county split gave the
    # fylker new numbers and areas but left every kommune's area as it was
    levels: tuple[str, ...] = ("skole", "kommune", "fylke", "land")


BREAKS: Final = (
    SeriesBreak(
        "np",
        "2022-23",
        "Nye nasjonale prøver fra høsten 2022 (ny trend, LK20): resultater før 2022 er en annen "
        "skala og kan ikke sammenlignes direkte.",
    ),
    SeriesBreak("eu", "2013-14", "Elevundersøkelsen ble revidert i 2013."),
    SeriesBreak("eu", "2016-17", "Spørsmålene om mobbing i Elevundersøkelsen ble endret i 2016."),
    SeriesBreak(
        "gsp",
        "2019-20",
        "Ingen skriftlig eksamen våren 2020: grunnskolepoengene bygger bare på standpunkt.",
    ),
    SeriesBreak(
        "gsp",
        "2021-22",
        "Skriftlig eksamen igjen etter 2020 og 2021 (da grunnskolepoengene bare bygde på "
        "standpunkt).",
    ),
    SeriesBreak("enhet", "2020-21", "Kommune- og fylkesreformen 2020 ga nye nummer og grenser."),
    SeriesBreak("enhet", "2024-25", "Fylkesdelingen 2024 ga nye fylkesnummer.", ("fylke",)),
)


def breaks_between(domain: str, before: str, after: str) -> list[SeriesBreak]:
    """Breaks for ``domain`` (and unit reforms) that start after ``before`` and by ``after``.

    School years compare as text ("2021-22" < "2022-23").
    """
    return [b for b in BREAKS if b.domain in (domain, "enhet") and before < b.first_year <= after]
