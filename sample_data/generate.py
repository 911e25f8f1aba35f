"""Generate tallkit's fictional sample data set.

The script simulates a made-up Norwegian kommune -- Fjordvik (9901) in the
made-up fylke Eksempelfylke (99) -- and writes the kinds of files a school
owner downloads from Udir, byte for byte in Udir's own formats:

* Nasjonale prøver from the statistikkbank (current tab variant, UTF-16LE),
* the same for 2022-23 in the older pipe variant (UTF-16LE with BOM),
* Grunnskolepoeng from the statistikkbank,
* Elevundersøkelsen from Udir's Eksport API v2 (table 148 as JSON and the
  bullying table 150 as CSV),
* pupil-level results in the NUDB register layout (ISO-8859-1),

plus ``sannhet.json`` with the true model parameters, so that analyses built
on the files can be checked against known answers.

Every number is simulated from one fixed seed. Sub-streams are derived from
string labels, iteration is always over ordered sequences and nothing depends
on the clock, so two runs give byte-identical files.

Usage::

    python sample_data/generate.py             # write next to this script
    python sample_data/generate.py --ut DIR    # write into DIR instead
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from statistics import NormalDist
from typing import Any, Protocol, TypeVar

SEED = 99012026

# --- Geography of the fictional kommune -------------------------------------

FYLKE_CODE = "99"
FYLKE_NAME = "Eksempelfylke"
KOMMUNE_CODE = "9901"
KOMMUNE_NAME = "Fjordvik"

# --- Years (a skoleår is named by the calendar year it starts in) -----------

NP_YEARS = (2023, 2024, 2025, 2026)  # pupil file and the current NP exports
OLD_NP_YEAR = 2022  # only 5. trinn, only as the old pipe export
PRELIMINARY_YEAR = 2026  # Udir labels the newest NP year as preliminary
SURVEY_YEARS = (2022, 2023, 2024, 2025)  # Grunnskolepoeng and Elevundersøkelsen
FIRST_COHORT, LAST_COHORT = 2017, 2026  # cohorts named by their 5. trinn year

# --- Nasjonale prøver model --------------------------------------------------

SUBJECTS = ("ENG", "LES", "REG")
SUBJECT_NAMES = {"ENG": "Engelsk", "LES": "Lesing", "REG": "Regning"}
TESTS_BY_TRINN = {5: SUBJECTS, 8: SUBJECTS, 9: ("LES", "REG")}
GENDERS = ("G", "J")
ALL_GENDERS = ("A", "G", "J")  # Udir's column order: alle kjønn, gutt, jente
GENDER_NAMES = {"A": "Alle kjønn", "G": "Gutt", "J": "Jente"}
SHARE_BOYS = 0.51

NATIONAL_MEAN = 50.0
PUPIL_SD = 10.0  # total SD of the skalapoeng scale
NINTH_GRADE_GAIN = 4.0  # 9. trinn sits the 8. trinn test a year later
SCHOOL_GENERAL_SD = 2.5  # together with the subject part: school SD ~3
SCHOOL_SUBJECT_SD = 1.6
CLASS_SD = 2.0
GROWTH_SD = 1.5
ABILITY_SD = 8.0
ABILITY_CORRELATION = 0.65
NOISE_SD = 5.0
SCORE_RANGE = (15, 85)
# Symmetric, so a 50/50 pupil group keeps the national mean.
GENDER_EFFECTS = {
    "ENG": {"G": 0.5, "J": -0.5},
    "LES": {"G": -1.5, "J": 1.5},
    "REG": {"G": 0.7, "J": -0.7},
}
MASTERY_CUTS = {5: (42, 56), 8: (37, 45, 54, 62), 9: (37, 45, 54, 62)}
# Raw points per test; 9. trinn takes the 8. trinn test, so it shares the key.
MAX_POINTS = {
    ("ENG", 5): 32,
    ("LES", 5): 30,
    ("REG", 5): 36,
    ("ENG", 8): 45,
    ("LES", 8): 41,
    ("REG", 8): 50,
}

EXEMPT_RATE = 0.015  # F: per pupil and year, covers every test
ABSENT_RATE = 0.015  # A: per test
NOT_TAKEN_RATE = 0.01  # I: per test

MAX_CLASS_SIZE = 28
MOVE_OUT_BEFORE_8 = 0.04
SWITCH_AT_8 = 0.03
MOVE_IN_AT_8 = 0.03
MOVE_OUT_YEARLY = 0.015

# --- Grunnskolepoeng model ---------------------------------------------------

GSP_BASE = {2022: 41.3, 2023: 41.5, 2024: 41.7, 2025: 41.9}
GSP_GENDER = {"G": -2.5, "J": 2.5}
GSP_ABILITY_WEIGHT = 0.8
GSP_NOISE_SD = 4.5
GSP_SD = 8.0

# --- Elevundersøkelsen model -------------------------------------------------

SURVEY_TRINN = (7, 10)
RESPONSE_RATE = 0.9
SURVEY_TRINN_SHIFT = {7: 0.0, 10: -0.2}
SURVEY_PUPIL_SD = 0.45
SURVEY_INDEX_NOISE_SD = 0.5
SURVEY_ITEM_NOISE_SD = 0.5
SURVEY_SYNTHETIC_SD = 0.7


@dataclass(frozen=True)
class SurveyIndex:
    """One Elevundersøkelsen index with the single questions we publish."""

    code: str
    name: str
    base: float
    questions: tuple[tuple[str, str], ...]


# Every index gets an "Alle spørsmål" row. Single-question rows (the real
# table has one per question) are kept for a few indices only: with 43 keys
# repeated per JSON row, one question on every index would add ~1 MB.
SURVEY_INDICES = (
    SurveyIndex("EUIndeks_1378", "Faglig utfordring", 4.15, ()),
    SurveyIndex(
        "EUIndeks_1379",
        "Trivsel",
        4.3,
        (
            ("EUSpoersmaal_Q10011", "Trives du på skolen?"),
            ("EUSpoersmaal_Q10012", "Trives du sammen med elevene i klassen?"),
        ),
    ),
    SurveyIndex("EUIndeks_1380", "Støtte fra lærerne", 4.2, ()),
    SurveyIndex("EUIndeks_1381", "Støtte hjemmefra", 4.3, ()),
    SurveyIndex("EUIndeks_1382", "Vurdering for læring", 3.7, ()),
    SurveyIndex(
        "EUIndeks_1383",
        "Læringskultur",
        3.8,
        (("EUSpoersmaal_Q10051", "Er det arbeidsro i timene?"),),
    ),
    SurveyIndex(
        "EUIndeks_1384",
        "Mestring",
        4.0,
        (("EUSpoersmaal_Q10061", "Klarer du å gjøre skolearbeidet ditt?"),),
    ),
    SurveyIndex("EUIndeks_1385", "Motivasjon", 3.9, ()),
    SurveyIndex("EUIndeks_1386", "Elevdemokrati og medvirkning", 3.7, ()),
    SurveyIndex("EUIndeks_1387", "Felles regler", 4.2, ()),
)

BULLYING_CODE = "EUIndeks_1398"
BULLYING_NAME = "Mobbing på skolen"
BULLYING_BASE = {7: 0.085, 10: 0.07}
BULLYING_SCHOOL_SD = 0.35  # on the logit scale: school rates of roughly 5-15 %
# Question code, text, and the chance that a bullied pupil ticks it.
BULLYING_QUESTIONS = (
    ("EUSpoersmaal_Q10101", "Er du blitt mobbet av andre elever på skolen de siste månedene?", 0.8),
    ("EUSpoersmaal_Q10102", "Er du blitt mobbet av voksne på skolen de siste månedene?", 0.2),
    ("EUSpoersmaal_Q10103", "Er du blitt mobbet digitalt de siste månedene?", 0.35),
)

MIN_REPORTED = 10  # Udir suppresses ("*") groups with fewer pupils

# --- The schools --------------------------------------------------------------


@dataclass(frozen=True)
class SchoolSpec:
    """Hand-written description of one fictional school."""

    name: str
    kind: str  # "B" barneskole 1-7, "U" ungdomsskole 8-10, "K" 1-10
    cohort_size: int = 0  # typical pupils per trinn (not used for tiny schools)
    feeds: str | None = None  # the ungdomsskole a barneskole sends pupils to
    tiny: bool = False
    effects: tuple[float, float, float] | None = None  # fixed (ENG, LES, REG)
    growth: float | None = None  # fixed 8. -> 9. trinn value added
    bullying: float | None = None  # fixed logit shift of the bullying rate
    empty_cohorts: tuple[int, ...] = ()  # 5. trinn years without any pupils


SCHOOL_SPECS = (
    SchoolSpec("Fjordvik ungdomsskole", "U"),
    SchoolSpec("Nordby ungdomsskole", "U"),
    SchoolSpec("Vestre Åsen ungdomsskole", "U", growth=3.0),
    SchoolSpec("Strandå ungdomsskole", "U", growth=-2.5),
    SchoolSpec("Møllerud ungdomsskole", "U", bullying=0.6),
    SchoolSpec("Bjørkås skole", "B", 34, "Fjordvik ungdomsskole", effects=(1.0, 3.5, -5.0)),
    SchoolSpec("Solåsen skole", "B", 26, "Fjordvik ungdomsskole", effects=(6.0, 5.5, 6.5)),
    SchoolSpec("Østre Fjordvik skole", "B", 20, "Fjordvik ungdomsskole"),
    SchoolSpec("Nordby skole", "B", 28, "Nordby ungdomsskole"),
    SchoolSpec("Granlia skole", "B", 22, "Nordby ungdomsskole", effects=(-5.5, -6.0, -6.5)),
    SchoolSpec("Åsen skole", "B", 24, "Vestre Åsen ungdomsskole"),
    SchoolSpec("Lønnebakken skole", "B", 16, "Vestre Åsen ungdomsskole"),
    SchoolSpec("Strandå skole", "B", 24, "Strandå ungdomsskole"),
    SchoolSpec("Holmøy skole", "B", feeds="Strandå ungdomsskole", tiny=True),
    SchoolSpec("Møllerud skole", "B", 18, "Møllerud ungdomsskole"),
    SchoolSpec("Fjellstølen skole", "B", feeds="Møllerud ungdomsskole", tiny=True),
    SchoolSpec("Lyngmo oppvekstsenter", "K", tiny=True, empty_cohorts=(2022,)),
    SchoolSpec("Tjønnås skole", "K", 28, bullying=-0.6),
    SchoolSpec("Kvernhøgda skole", "K", 22),
    SchoolSpec("Sæterbø skole", "K", 15),
)

KIND_TRINN = {"B": range(1, 8), "U": range(8, 11), "K": range(1, 11)}
KIND_SKOLETYPE = {"B": "1", "U": "2", "K": "3"}
KIND_NAMES = {"B": "barneskole", "U": "ungdomsskole", "K": "1-10-skole"}
TINY_COHORT = (3, 9)
MIN_COHORT = 12
COHORT_SIZE_SD = 0.12


# =============================================================================
# Small helpers
# =============================================================================


def rng_for(*labels: object) -> random.Random:
    """Return an independent stream for one purpose.

    Seeding from a label string (hashed with SHA-512 by ``random``) means that
    adding draws in one part of the model never shifts numbers elsewhere.
    """
    return random.Random("/".join(str(label) for label in (SEED, *labels)))


def year_label(year: int) -> str:
    """Skoleår label as Udir writes it, e.g. 2024 -> ``2024-25``."""
    return f"{year}-{(year + 1) % 100:02d}"


def round_half_up(value: float, decimals: int = 0) -> Decimal:
    """Round like Udir's tables (half away from zero), not banker's rounding."""
    quantum = Decimal(1).scaleb(-decimals)
    return Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP)


def fmt_decimal(value: float, decimals: int) -> str:
    """Number with a Norwegian decimal comma, e.g. ``2,9``."""
    return str(round_half_up(value, decimals)).replace(".", ",")


def fmt_count(count: int) -> str:
    """Count with a plain space as thousands separator, e.g. ``56 929``."""
    return f"{count:,}".replace(",", " ")


NORWEGIAN_LAST_LETTERS = str.maketrans("æøå", "{|}")  # the three ASCII chars after "z"


def norwegian_sort_key(name: str) -> str:
    """Sort æ, ø, å after z, in that order, as Norwegian lists do."""
    return name.lower().translate(NORWEGIAN_LAST_LETTERS)


def mod11_check_digit(body: str) -> int | None:
    """Check digit of a Norwegian organisasjonsnummer; None if no valid one."""
    weights = (3, 2, 7, 6, 5, 4, 3, 2)
    remainder = sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11
    check = (11 - remainder) % 11
    return None if check == 10 else check


def draw_orgnrs(count: int, rng: random.Random) -> list[str]:
    """Distinct 9-digit orgnr starting with 99 and with a valid MOD11 digit."""
    found: list[str] = []
    while len(found) < count:
        body = "99" + "".join(str(rng.randrange(10)) for _ in range(6))
        check = mod11_check_digit(body)
        candidate = f"{body}{check}"
        if check is not None and candidate not in found:
            found.append(candidate)
    return found


def logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def round_int(value: float) -> int:
    return int(round_half_up(value))


# =============================================================================
# Summary statistics that can be pooled across units
# =============================================================================


StatKey = tuple[object, ...]  # (unit code, year, ..., measure code or gender)


class Poolable(Protocol):
    """Anything whose groups can be pooled with ``+`` (moments, counts, shares)."""

    def __add__(self, other: Any) -> Any: ...


S = TypeVar("S", bound=Poolable)


@dataclass(frozen=True)
class Moments:
    """Count, sum and sum of squares: enough to pool groups exactly."""

    n: int = 0
    total: float = 0.0
    total_sq: float = 0.0

    @classmethod
    def of(cls, values: Iterable[float]) -> Moments:
        items = list(values)
        return cls(len(items), float(sum(items)), float(sum(v * v for v in items)))

    @classmethod
    def synthetic(cls, n: int, mean: float, sd: float) -> Moments:
        """Moments of a group we do not simulate pupil by pupil."""
        return cls(n, n * mean, (n - 1) * sd * sd + n * mean * mean)

    def __add__(self, other: Moments) -> Moments:
        return Moments(self.n + other.n, self.total + other.total, self.total_sq + other.total_sq)

    @property
    def mean(self) -> float:
        return self.total / self.n

    @property
    def sd(self) -> float:
        """Sample standard deviation (n - 1)."""
        if self.n < 2:
            return 0.0
        variance = (self.total_sq - self.total * self.total / self.n) / (self.n - 1)
        return math.sqrt(max(variance, 0.0))


@dataclass(frozen=True)
class AnswerCounts:
    """How many chose each of the five answer alternatives."""

    counts: tuple[int, ...] = (0, 0, 0, 0, 0)

    @classmethod
    def of(cls, answers: Iterable[int]) -> AnswerCounts:
        counts = [0] * 5
        for answer in answers:
            counts[answer - 1] += 1
        return cls(tuple(counts))

    def __add__(self, other: AnswerCounts) -> AnswerCounts:
        return AnswerCounts(tuple(a + b for a, b in zip(self.counts, other.counts, strict=True)))

    @property
    def n(self) -> int:
        return sum(self.counts)

    def moments(self) -> Moments:
        pairs = list(zip(range(1, 6), self.counts, strict=True))
        return Moments(
            self.n, float(sum(k * c for k, c in pairs)), float(sum(k * k * c for k, c in pairs))
        )


@dataclass(frozen=True)
class Share:
    """Pupils answering yes out of all respondents."""

    hits: int = 0
    n: int = 0

    def __add__(self, other: Share) -> Share:
        return Share(self.hits + other.hits, self.n + other.n)


def pool(groups: dict[StatKey, list[float]]) -> dict[StatKey, Moments]:
    return {key: Moments.of(values) for key, values in groups.items()}


def add_gender_totals(stats: dict[StatKey, S]) -> dict[StatKey, S]:
    """Add an ``A`` (alle kjønn) entry next to every G/J pair; gender is last."""
    result = dict(stats)
    for key in stats:
        if key[-1] == "G" and (*key[:-1], "J") in stats:
            result[(*key[:-1], "A")] = stats[key] + stats[(*key[:-1], "J")]
    return result


def add_regions(
    local: dict[StatKey, S], rest: dict[StatKey, S], national: dict[StatKey, S]
) -> dict[StatKey, S]:
    """Add fylke and land rows to statistics keyed by unit code first.

    The fylke is this kommune plus a simulated rest of the fylke, so the two
    rows differ as they would in reality; the country is simulated outright.
    """
    result = dict(local)
    for key, value in rest.items():
        kommune_value = local.get((KOMMUNE_CODE, *key))
        result[(FYLKE_CODE, *key)] = value if kommune_value is None else value + kommune_value
    for key, value in national.items():
        result[("I", *key)] = value
    return result


# =============================================================================
# Schools, units and pupils
# =============================================================================


@dataclass(frozen=True)
class School:
    """A school with its drawn orgnr and true effects."""

    spec: SchoolSpec
    orgnr: str
    effects: dict[str, float]
    growth: float | None
    gsp_effect: float | None
    survey_effects: dict[str, float]
    bullying_shift: float

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def kind(self) -> str:
        return self.spec.kind

    def has_trinn(self, trinn: int) -> bool:
        return trinn in KIND_TRINN[self.kind]


@dataclass(frozen=True)
class Unit:
    """A row in Udir's tables: land (1), fylke (2), kommune (3) or school (4).

    ``code`` is what Udir puts in the Organisasjonsnummer column: ``I``, the
    fylke number, the kommune number or the school's orgnr.
    """

    level: int
    code: str
    name: str


LAND = Unit(1, "I", "Hele landet")
FYLKE = Unit(2, FYLKE_CODE, FYLKE_NAME)
KOMMUNE = Unit(3, KOMMUNE_CODE, KOMMUNE_NAME)


@dataclass
class Pupil:
    """One fictional pupil followed from 5. to 10. trinn."""

    pupil_id: str
    cohort: int  # the year the pupil is (or would have been) on 5. trinn
    gender: str
    ability: dict[str, float]
    schools: dict[int, str] = field(default_factory=dict)  # trinn -> orgnr
    classes: dict[int, int] = field(default_factory=dict)  # trinn -> GRUPPENUMMER


@dataclass(frozen=True)
class World:
    """Everything simulated, shared by the writers."""

    kommune_orgnr: str
    schools: list[School]
    pupils: list[Pupil]

    @property
    def by_orgnr(self) -> dict[str, School]:
        return {school.orgnr: school for school in self.schools}

    def school_units(self, trinn: Sequence[int]) -> list[Unit]:
        """Schools with any of the given trinn, sorted by Norwegian name."""
        chosen = [s for s in self.schools if any(s.has_trinn(t) for t in trinn)]
        chosen.sort(key=lambda s: norwegian_sort_key(s.name))
        return [Unit(4, s.orgnr, s.name) for s in chosen]


def draw_effects(spec: SchoolSpec, rng: random.Random) -> dict[str, float]:
    """School effect per subject: a shared part plus a subject profile."""
    if spec.effects is not None:
        return dict(zip(SUBJECTS, spec.effects, strict=True))
    general = rng.gauss(0, SCHOOL_GENERAL_SD)
    return {s: round(general + rng.gauss(0, SCHOOL_SUBJECT_SD), 2) for s in SUBJECTS}


def draw_growth(spec: SchoolSpec, rng: random.Random) -> float | None:
    if 9 not in KIND_TRINN[spec.kind]:
        return None
    return spec.growth if spec.growth is not None else round(rng.gauss(0, GROWTH_SD), 2)


def draw_gsp_effect(
    spec: SchoolSpec, effects: dict[str, float], rng: random.Random
) -> float | None:
    """GSP effect follows the school's NP level, plus its own part."""
    if 10 not in KIND_TRINN[spec.kind]:
        return None
    np_level = sum(effects.values()) / len(effects)
    return round(0.6 * np_level + rng.gauss(0, 1.0), 2)


def draw_survey_effects(rng: random.Random) -> dict[str, float]:
    general = rng.gauss(0, 0.12)
    return {index.code: round(general + rng.gauss(0, 0.06), 3) for index in SURVEY_INDICES}


def build_schools() -> tuple[str, list[School]]:
    """Draw orgnr and true effects; returns the kommune orgnr and schools."""
    orgnrs = draw_orgnrs(len(SCHOOL_SPECS) + 1, rng_for("orgnr"))
    schools = []
    for spec, orgnr in zip(SCHOOL_SPECS, orgnrs[1:], strict=True):
        rng = rng_for("skole", spec.name)
        effects = draw_effects(spec, rng)
        bullying = (
            spec.bullying
            if spec.bullying is not None
            else round(rng.gauss(0, BULLYING_SCHOOL_SD), 2)
        )
        schools.append(
            School(
                spec=spec,
                orgnr=orgnr,
                effects=effects,
                growth=draw_growth(spec, rng),
                gsp_effect=draw_gsp_effect(spec, effects, rng),
                survey_effects=draw_survey_effects(rng),
                bullying_shift=bullying,
            )
        )
    return orgnrs[0], schools


class PupilFactory:
    """Creates pupils with unique fictional ids and correlated abilities."""

    def __init__(self) -> None:
        self._rng = rng_for("elever")
        self._used: set[str] = set()

    def _new_id(self) -> str:
        while True:
            # "X" + hex can never be mistaken for an 11-digit fødselsnummer.
            candidate = f"X{self._rng.getrandbits(40):010X}"
            if candidate not in self._used:
                self._used.add(candidate)
                return candidate

    def create(self, cohort: int) -> Pupil:
        rng = self._rng
        gender = "G" if rng.random() < SHARE_BOYS else "J"
        shared = rng.gauss(0, 1)
        own_weight = math.sqrt(1 - ABILITY_CORRELATION)
        ability = {
            s: round(
                ABILITY_SD
                * (math.sqrt(ABILITY_CORRELATION) * shared + own_weight * rng.gauss(0, 1)),
                3,
            )
            for s in SUBJECTS
        }
        return Pupil(self._new_id(), cohort, gender, ability)


# =============================================================================
# Simulating cohorts: enrolment, classes and moves
# =============================================================================


def primary_cohort_size(spec: SchoolSpec, cohort: int, rng: random.Random) -> int:
    if cohort in spec.empty_cohorts:
        return 0
    if spec.tiny:
        return rng.randint(*TINY_COHORT)
    return max(MIN_COHORT, round_int(spec.cohort_size * (1 + rng.gauss(0, COHORT_SIZE_SD))))


def assign_classes(pupils: list[Pupil], trinn: int, rng: random.Random) -> None:
    """Deal one school's pupils on one trinn into evenly sized classes."""
    order = list(pupils)
    rng.shuffle(order)
    class_count = max(1, math.ceil(len(order) / MAX_CLASS_SIZE))
    for position, pupil in enumerate(order):
        pupil.classes[trinn] = position % class_count + 1


def group_by_school(pupils: Iterable[Pupil], trinn: int) -> dict[str, list[Pupil]]:
    groups: dict[str, list[Pupil]] = {}
    for pupil in pupils:
        if trinn in pupil.schools:
            groups.setdefault(pupil.schools[trinn], []).append(pupil)
    return groups


def enrol_primary(cohort: int, schools: list[School], factory: PupilFactory) -> list[Pupil]:
    """Create the cohort on 5. trinn; they stay at the same school to 7. trinn."""
    pupils: list[Pupil] = []
    for school in schools:
        if not school.has_trinn(5):
            continue
        rng = rng_for("kull", cohort, school.name)
        members = [
            factory.create(cohort) for _ in range(primary_cohort_size(school.spec, cohort, rng))
        ]
        for pupil in members:
            pupil.schools[5] = pupil.schools[7] = school.orgnr
        assign_classes(members, 5, rng)
        pupils.extend(members)
    return pupils


def default_lower_secondary(school: School, schools: list[School]) -> str:
    """The feeder map: barneskoler send on, 1-10-skoler keep their pupils."""
    if school.kind == "K":
        return school.orgnr
    return next(s.orgnr for s in schools if s.name == school.spec.feeds)


def choose_lower_secondary(
    pupil: Pupil, by_orgnr: dict[str, School], schools: list[School], rng: random.Random
) -> str | None:
    """Where a pupil goes for 8. trinn; None when the family moves away."""
    draw = rng.random()
    if draw < MOVE_OUT_BEFORE_8:
        return None
    usual = default_lower_secondary(by_orgnr[pupil.schools[5]], schools)
    if draw < MOVE_OUT_BEFORE_8 + SWITCH_AT_8:
        # Pupils only switch into schools large enough to take them.
        options = [
            s.orgnr for s in schools if s.has_trinn(8) and not s.spec.tiny and s.orgnr != usual
        ]
        return rng.choice(options)
    return usual


def move_to_lower_secondary(
    cohort: int, pupils: list[Pupil], schools: list[School], factory: PupilFactory
) -> list[Pupil]:
    """Move the cohort to 8. trinn, add pupils moving in, and form classes."""
    rng = rng_for("overgang", cohort)
    by_orgnr = {s.orgnr: s for s in schools}
    for pupil in pupils:
        destination = choose_lower_secondary(pupil, by_orgnr, schools, rng)
        if destination is not None:
            pupil.schools[8] = destination
    arrived = group_by_school(pupils, 8)
    newcomers = []
    for school in schools:
        if not school.has_trinn(8) or school.spec.tiny:
            continue
        expected = len(arrived.get(school.orgnr, []))
        for _ in range(sum(rng.random() < MOVE_IN_AT_8 for _ in range(expected))):
            newcomer = factory.create(cohort)  # no avgiverskole in the kommune
            newcomer.schools[8] = school.orgnr
            newcomers.append(newcomer)
    everyone = pupils + newcomers
    for orgnr, members in group_by_school(everyone, 8).items():
        assign_classes(members, 8, rng_for("klasser", cohort, orgnr))
    return everyone


def advance_year(pupils: list[Pupil], from_trinn: int, cohort: int) -> None:
    """Keep school and class for the next trinn unless the pupil moves away."""
    rng = rng_for("flytting", cohort, from_trinn)
    for pupil in pupils:
        if from_trinn in pupil.schools and rng.random() >= MOVE_OUT_YEARLY:
            pupil.schools[from_trinn + 1] = pupil.schools[from_trinn]
            pupil.classes[from_trinn + 1] = pupil.classes[from_trinn]


def simulate_pupils(schools: list[School]) -> list[Pupil]:
    """Simulate every cohort from 5. to 10. trinn, including moves."""
    factory = PupilFactory()
    everyone: list[Pupil] = []
    for cohort in range(FIRST_COHORT, LAST_COHORT + 1):
        pupils = enrol_primary(cohort, schools, factory)
        pupils = move_to_lower_secondary(cohort, pupils, schools, factory)
        advance_year(pupils, 8, cohort)
        advance_year(pupils, 9, cohort)
        everyone.extend(pupils)
    return everyone


# =============================================================================
# Nasjonale prøver
# =============================================================================


@dataclass(frozen=True)
class TestResult:
    """One pupil's result on one test in one year."""

    pupil: Pupil
    year: int
    trinn: int
    subject: str
    school: str
    class_no: int
    status: str  # D deltatt, F fritatt, I ikke deltatt, A borte
    score: int | None
    expected: float  # the pupil's score without measurement noise

    @property
    def prove(self) -> str:
        return f"NP{self.subject}{self.trinn:02d}"


def class_stage(trinn: int) -> int:
    """Classes are formed on 5. trinn and again on 8. trinn (kept on 9.)."""
    return 5 if trinn == 5 else 8


@cache
def class_effect(orgnr: str, cohort: int, stage: int, class_no: int) -> float:
    """A class's true effect; derived from its identity so it is stable."""
    return round(rng_for("klasseeffekt", orgnr, cohort, stage, class_no).gauss(0, CLASS_SD), 2)


def expected_score(pupil: Pupil, school: School, trinn: int, subject: str) -> float:
    """The model without noise; see ``MODEL_TEXT`` in the truth file."""
    value = (
        NATIONAL_MEAN
        + school.effects[subject]
        + class_effect(school.orgnr, pupil.cohort, class_stage(trinn), pupil.classes[trinn])
        + pupil.ability[subject]
        + GENDER_EFFECTS[subject][pupil.gender]
    )
    if trinn == 9:
        value += NINTH_GRADE_GAIN + (school.growth or 0.0)
    return value


def draw_statuses(subjects: Sequence[str], rng: random.Random) -> dict[str, str]:
    """Exemption covers a pupil's whole year; absence is per test."""
    exempt = rng.random() < EXEMPT_RATE
    statuses = {}
    for subject in subjects:
        draw = rng.random()
        if exempt:
            statuses[subject] = "F"
        elif draw < ABSENT_RATE:
            statuses[subject] = "A"
        elif draw < ABSENT_RATE + NOT_TAKEN_RATE:
            statuses[subject] = "I"
        else:
            statuses[subject] = "D"
    return statuses


def np_years_for(trinn: int) -> tuple[int, ...]:
    return (OLD_NP_YEAR, *NP_YEARS) if trinn == 5 else NP_YEARS


def test_pupil(pupil: Pupil, trinn: int, school: School) -> list[TestResult]:
    """Results on all of one trinn's tests for one pupil in one year."""
    rng = rng_for("np", pupil.pupil_id, trinn)
    subjects = TESTS_BY_TRINN[trinn]
    statuses = draw_statuses(subjects, rng)
    results = []
    for subject in subjects:
        expected = expected_score(pupil, school, trinn, subject)
        noisy = round_int(expected + rng.gauss(0, NOISE_SD))
        score = min(max(noisy, SCORE_RANGE[0]), SCORE_RANGE[1])
        participated = statuses[subject] == "D"
        results.append(
            TestResult(
                pupil=pupil,
                year=pupil.cohort + trinn - 5,
                trinn=trinn,
                subject=subject,
                school=school.orgnr,
                class_no=pupil.classes[trinn],
                status=statuses[subject],
                score=score if participated else None,
                expected=expected,
            )
        )
    return results


def simulate_tests(world: World) -> list[TestResult]:
    """NP results for every pupil-year that some file needs."""
    by_orgnr = world.by_orgnr
    results = []
    for pupil in world.pupils:
        for trinn in TESTS_BY_TRINN:
            year = pupil.cohort + trinn - 5
            if trinn in pupil.schools and year in np_years_for(trinn):
                results.extend(test_pupil(pupil, trinn, by_orgnr[pupil.schools[trinn]]))
    return results


def mastery_level(trinn: int, score: int) -> int:
    return 1 + sum(score > cut for cut in MASTERY_CUTS[trinn])


def raw_points(subject: str, trinn: int, score: int) -> tuple[int, int]:
    """Raw points and maximum, a monotone function of the scale score."""
    maximum = MAX_POINTS[(subject, min(trinn, 8))]
    return round_int(maximum * logistic((score - NATIONAL_MEAN) / 9 + 0.35)), maximum


def local_np_stats(results: Iterable[TestResult]) -> dict[StatKey, Moments]:
    """Moments per (unit, year, trinn, subject, gender) over participants.

    Keys for all three genders exist as soon as a unit has pupils, so "too
    few to show" (``*``) can be told apart from "no pupils at all" (blank).
    """
    groups: dict[StatKey, list[float]] = {}
    for r in results:
        for unit in (r.school, KOMMUNE_CODE):
            for gender in ALL_GENDERS:
                bucket = groups.setdefault((unit, r.year, r.trinn, r.subject, gender), [])
                if r.score is not None and gender in ("A", r.pupil.gender):
                    bucket.append(r.score)
    return pool(groups)


def synthetic_np(
    rng: random.Random,
    cohort_range: tuple[int, int],
    subject_offsets: dict[str, float],
    year_sd: float,
) -> dict[StatKey, Moments]:
    """Simulated (year, trinn, subject, gender) moments for a large region."""
    stats: dict[StatKey, Moments] = {}
    for trinn, subjects in TESTS_BY_TRINN.items():
        for year in np_years_for(trinn):
            cohort = rng.randint(*cohort_range)
            for subject in subjects:
                participation = rng.uniform(0.94, 0.96)
                shift = subject_offsets[subject] + rng.gauss(0, year_sd)
                base = NATIONAL_MEAN + (NINTH_GRADE_GAIN if trinn == 9 else 0.0) + shift
                for gender, share in (("G", SHARE_BOYS), ("J", 1 - SHARE_BOYS)):
                    n = round_int(cohort * participation * share)
                    mean = base + GENDER_EFFECTS[subject][gender]
                    stats[(year, trinn, subject, gender)] = Moments.synthetic(n, mean, PUPIL_SD)
    return add_gender_totals(stats)


REST_OF_FYLKE_NP_OFFSETS = {"ENG": -1.0, "LES": -0.5, "REG": -0.8}


def np_stats(results: list[TestResult]) -> dict[StatKey, Moments]:
    """NP statistics for schools, kommune, fylke and land."""
    national = synthetic_np(rng_for("np-land"), (58000, 62000), dict.fromkeys(SUBJECTS, 0.0), 0.3)
    rest = synthetic_np(rng_for("np-fylke"), (1700, 2000), REST_OF_FYLKE_NP_OFFSETS, 0.4)
    return add_regions(local_np_stats(results), rest, national)


# =============================================================================
# Grunnskolepoeng
# =============================================================================


@dataclass(frozen=True)
class GspResult:
    pupil: Pupil
    year: int
    school: str
    points: float


def simulate_gsp(world: World) -> list[GspResult]:
    """GSP for 10. trinn, driven by the same latent ability as NP."""
    by_orgnr = world.by_orgnr
    results = []
    for pupil in world.pupils:
        year = pupil.cohort + 5
        if 10 not in pupil.schools or year not in SURVEY_YEARS:
            continue
        school = by_orgnr[pupil.schools[10]]
        rng = rng_for("gsp", pupil.pupil_id)
        ability = sum(pupil.ability.values()) / len(SUBJECTS)
        value = (
            GSP_BASE[year]
            + (school.gsp_effect or 0.0)
            + GSP_GENDER[pupil.gender]
            + GSP_ABILITY_WEIGHT * ability
            + rng.gauss(0, GSP_NOISE_SD)
        )
        points = float(round_half_up(min(max(value, 10.0), 60.0), 1))
        results.append(GspResult(pupil, year, school.orgnr, points))
    return results


def synthetic_gsp(
    rng: random.Random, cohort_range: tuple[int, int], offset: float
) -> dict[StatKey, Moments]:
    """Simulated (year, gender) GSP moments for a large region."""
    stats: dict[StatKey, Moments] = {}
    for year in SURVEY_YEARS:
        cohort = rng.randint(*cohort_range)
        shift = offset + rng.gauss(0, 0.2)
        for gender, share in (("G", SHARE_BOYS), ("J", 1 - SHARE_BOYS)):
            mean = GSP_BASE[year] + GSP_GENDER[gender] + shift
            stats[(year, gender)] = Moments.synthetic(round_int(cohort * share), mean, GSP_SD)
    return add_gender_totals(stats)


def gsp_stats(results: list[GspResult]) -> dict[StatKey, Moments]:
    """GSP statistics for schools, kommune, fylke and land."""
    groups: dict[StatKey, list[float]] = {}
    for r in results:
        for unit in (r.school, KOMMUNE_CODE):
            for gender in ALL_GENDERS:
                bucket = groups.setdefault((unit, r.year, gender), [])
                if gender in ("A", r.pupil.gender):
                    bucket.append(r.points)
    national = synthetic_gsp(rng_for("gsp-land"), (60000, 63000), 0.0)
    rest = synthetic_gsp(rng_for("gsp-fylke"), (1800, 2100), -0.4)
    return add_regions(pool(groups), rest, national)


# =============================================================================
# Elevundersøkelsen
# =============================================================================


@dataclass(frozen=True)
class SurveyResponse:
    """One pupil's (simulated) answers in one year."""

    year: int
    trinn: int
    school: str
    indices: dict[str, float]
    answers: dict[str, int]
    bullying: dict[str, bool]  # index code and question codes -> yes/no


def expected_index(school: School, trinn: int, index: SurveyIndex) -> float:
    return index.base + SURVEY_TRINN_SHIFT[trinn] + school.survey_effects[index.code]


def bullying_rate(school: School, trinn: int) -> float:
    return logistic(logit(BULLYING_BASE[trinn]) + school.bullying_shift)


def answer_bullying(rate: float, rng: random.Random) -> dict[str, bool]:
    """The index counts a pupil as bullied if any question says so."""
    bullied = rng.random() < rate
    ticks = {code: bullied and rng.random() < chance for code, _, chance in BULLYING_QUESTIONS}
    if bullied and not any(ticks.values()):
        ticks[BULLYING_QUESTIONS[0][0]] = True
    return {BULLYING_CODE: bullied, **ticks}


def bullying_question_shares() -> dict[str, float]:
    """Share of bullied pupils ticking each question under ``answer_bullying``.

    The first question also catches the pupils who ticked none of them.
    """
    none_ticked = math.prod(1 - chance for _, _, chance in BULLYING_QUESTIONS)
    shares = {code: chance for code, _, chance in BULLYING_QUESTIONS}
    shares[BULLYING_QUESTIONS[0][0]] += none_ticked
    return shares


def respond(school: School, trinn: int, year: int, rng: random.Random) -> SurveyResponse:
    """Simulate one pupil's answers: indices, single questions and bullying."""
    wellbeing = rng.gauss(0, 1)  # shared across indices: happy pupils rate all higher
    indices, answers = {}, {}
    for index in SURVEY_INDICES:
        value = (
            expected_index(school, trinn, index)
            + SURVEY_PUPIL_SD * wellbeing
            + rng.gauss(0, SURVEY_INDEX_NOISE_SD)
        )
        indices[index.code] = min(max(value, 1.0), 5.0)
        for code, _ in index.questions:
            answer = round_int(indices[index.code] + rng.gauss(0, SURVEY_ITEM_NOISE_SD))
            answers[code] = min(max(answer, 1), 5)
    bullying = answer_bullying(bullying_rate(school, trinn), rng)
    return SurveyResponse(year, trinn, school.orgnr, indices, answers, bullying)


def simulate_survey(world: World) -> list[SurveyResponse]:
    """Elevundersøkelsen answers for 7. and 10. trinn; 90 % respond."""
    by_orgnr = world.by_orgnr
    responses = []
    for pupil in world.pupils:
        for trinn in SURVEY_TRINN:
            year = pupil.cohort + trinn - 5
            if trinn not in pupil.schools or year not in SURVEY_YEARS:
                continue
            rng = rng_for("eu", pupil.pupil_id, trinn)
            if rng.random() < RESPONSE_RATE:
                responses.append(respond(by_orgnr[pupil.schools[trinn]], trinn, year, rng))
    return responses


def discretized_answers(n: int, mean: float, sd: float) -> AnswerCounts:
    """Answer counts for a simulated region: a normal cut at 1.5 ... 4.5."""
    dist = NormalDist(mean, sd)
    cuts = [0.0] + [dist.cdf(k + 0.5) for k in range(1, 5)] + [1.0]
    expected = [n * (cuts[k + 1] - cuts[k]) for k in range(5)]
    counts = [math.floor(e) for e in expected]
    by_remainder = sorted(range(5), key=lambda k: (counts[k] - expected[k], k))
    for k in by_remainder[: n - sum(counts)]:  # largest remainders get the rest
        counts[k] += 1
    return AnswerCounts(tuple(counts))


@dataclass(frozen=True)
class SurveyStats:
    """Survey statistics keyed by (unit, year, trinn, code)."""

    indices: dict[StatKey, Moments]
    questions: dict[StatKey, AnswerCounts]
    bullying: dict[StatKey, Share]


def local_survey_stats(responses: Iterable[SurveyResponse]) -> SurveyStats:
    """Pool the simulated answers per school and for the kommune."""
    indices: dict[StatKey, list[float]] = {}
    questions: dict[StatKey, AnswerCounts] = {}
    bullying: dict[StatKey, Share] = {}
    for r in responses:
        for unit in (r.school, KOMMUNE_CODE):
            base = (unit, r.year, r.trinn)
            for code, value in r.indices.items():
                indices.setdefault((*base, code), []).append(value)
            for code, answer in r.answers.items():
                questions[(*base, code)] = questions.get(
                    (*base, code), AnswerCounts()
                ) + AnswerCounts.of([answer])
            for code, yes in r.bullying.items():
                bullying[(*base, code)] = bullying.get((*base, code), Share()) + Share(int(yes), 1)
    return SurveyStats(pool(indices), questions, bullying)


def synthetic_survey(
    rng: random.Random, size_ranges: dict[int, tuple[int, int]], offset_sd: float
) -> SurveyStats:
    """Survey statistics for a large region, keyed by (year, trinn, code)."""
    indices: dict[StatKey, Moments] = {}
    questions: dict[StatKey, AnswerCounts] = {}
    bullying: dict[StatKey, Share] = {}
    for year in SURVEY_YEARS:
        for trinn in SURVEY_TRINN:
            n = round_int(rng.randint(*size_ranges[trinn]) * RESPONSE_RATE)
            for index in SURVEY_INDICES:
                mean = index.base + SURVEY_TRINN_SHIFT[trinn] + rng.gauss(0, offset_sd)
                indices[(year, trinn, index.code)] = Moments.synthetic(n, mean, SURVEY_SYNTHETIC_SD)
                for code, _ in index.questions:
                    questions[(year, trinn, code)] = discretized_answers(n, mean, 0.85)
            rate = logistic(logit(BULLYING_BASE[trinn]) + rng.gauss(0, 4 * offset_sd))
            bullying[(year, trinn, BULLYING_CODE)] = Share(round_int(n * rate), n)
            for code, share in bullying_question_shares().items():
                bullying[(year, trinn, code)] = Share(round_int(n * rate * share), n)
    return SurveyStats(indices, questions, bullying)


def survey_stats(responses: list[SurveyResponse]) -> SurveyStats:
    """Survey statistics for schools, kommune, fylke and land."""
    local = local_survey_stats(responses)
    national = synthetic_survey(rng_for("eu-land"), {7: (60000, 63000), 10: (58000, 61000)}, 0.02)
    rest = synthetic_survey(rng_for("eu-fylke"), {7: (1700, 2000), 10: (1650, 1950)}, 0.05)
    return SurveyStats(
        add_regions(local.indices, rest.indices, national.indices),
        add_regions(local.questions, rest.questions, national.questions),
        add_regions(local.bullying, rest.bullying, national.bullying),
    )


# =============================================================================
# Statistikkbank exports (Nasjonale prøver, Grunnskolepoeng)
# =============================================================================


@dataclass(frozen=True)
class ExportStyle:
    """The byte-level differences between the two statistikkbank variants."""

    bom: bool
    sep_line: bool
    delimiter: str
    newline: str
    aggregate_name_is_unit: bool  # old variant: "Fjordvik" instead of "Alle skoler"
    school_name_suffix: str


CURRENT_STYLE = ExportStyle(False, True, "\t", "\n", False, " ")
OLD_STYLE = ExportStyle(True, False, "|", "\r\n", True, "")
UNIT_HEADER = [
    "EnhetNivaa",
    "Nasjonaltkode",
    "Fylkekode",
    "Kommunekode",
    "Organisasjonsnummer",
    "Nasjonalt",
    "Fylke",
    "Kommune",
    "EnhetNavn",
]


def geography(unit: Unit) -> dict[str, str]:
    """Fylke and kommune columns; Udir fills in "Alle ..." above a unit's level."""
    return {
        "Fylkekode": "00" if unit.level == 1 else FYLKE_CODE,
        "Fylke": "Alle fylker" if unit.level == 1 else FYLKE_NAME,
        "Kommunekode": KOMMUNE_CODE if unit.level >= 3 else "0000",
        "Kommune": KOMMUNE_NAME if unit.level >= 3 else "Alle kommuner",
    }


def statistikkbank_unit_cells(unit: Unit, style: ExportStyle) -> list[str]:
    """The nine leading unit columns of a statistikkbank export row."""
    geo = geography(unit)
    if unit.level == 4:
        name = unit.name + style.school_name_suffix
    else:
        name = unit.name if style.aggregate_name_is_unit else "Alle skoler"
    return [
        str(unit.level),
        "I",
        geo["Fylkekode"],
        geo["Kommunekode"],
        unit.code,
        "Hele landet",
        geo["Fylke"],
        geo["Kommune"],
        name,
    ]


def encode_statistikkbank(header: list[str], rows: list[list[str]], style: ExportStyle) -> bytes:
    """Bytes of a statistikkbank export: UTF-16LE, with or without BOM and ``sep=``."""
    lines = [f"sep={style.delimiter}"] if style.sep_line else []
    lines += [style.delimiter.join(cells) for cells in [header, *rows]]
    data = "".join(line + style.newline for line in lines).encode("utf-16-le")
    return b"\xff\xfe" + data if style.bom else data


def np_year_name(year: int) -> str:
    label = year_label(year)
    return f"Foreløpige tall {label}" if year == PRELIMINARY_YEAR else label


NP_MEASURES = ("Skalapoeng", "Usikkerhet", "Antall elever deltatt")


def np_groups(
    years: Sequence[int], trinns: Sequence[int], genders: Sequence[str]
) -> list[tuple[int, str, int, str]]:
    """Column groups in Udir's order: year, test, trinn, eierform, kjønn."""
    return [
        (year, subject, trinn, gender)
        for year in years
        for subject in SUBJECTS
        for trinn in trinns
        if subject in TESTS_BY_TRINN[trinn]
        for gender in genders
    ]


def np_header(groups: list[tuple[int, str, int, str]]) -> list[str]:
    return UNIT_HEADER + [
        f"{np_year_name(year)}.{SUBJECT_NAMES[subject]}.{trinn}. årstrinn"
        f".Alle eierformer.{GENDER_NAMES[gender]}.{measure}"
        for year, subject, trinn, gender in groups
        for measure in NP_MEASURES
    ]


def np_cells(moments: Moments | None) -> list[str]:
    """Skalapoeng, Usikkerhet (95 % margin) and count, or blanks / ``*``."""
    if moments is None:
        return ["", "", ""]
    if moments.n < MIN_REPORTED:
        return ["*", "*", "*"]
    margin = 1.96 * moments.sd / math.sqrt(moments.n)
    return [fmt_decimal(moments.mean, 0), fmt_decimal(margin, 1), fmt_count(moments.n)]


def np_export(
    world: World,
    stats: dict[StatKey, Moments],
    years: Sequence[int],
    trinns: Sequence[int],
    genders: Sequence[str],
    style: ExportStyle,
) -> bytes:
    """One NP statistikkbank export: land, fylke, kommune, then schools by name."""
    groups = np_groups(years, trinns, genders)
    rows = []
    for unit in [LAND, FYLKE, KOMMUNE, *world.school_units(trinns)]:
        cells = statistikkbank_unit_cells(unit, style)
        for year, subject, trinn, gender in groups:
            cells += np_cells(stats.get((unit.code, year, trinn, subject, gender)))
        rows.append(cells)
    return encode_statistikkbank(np_header(groups), rows, style)


def gsp_export(world: World, stats: dict[StatKey, Moments]) -> bytes:
    """The Grunnskolepoeng export, in the same exporter format as NP."""
    header = UNIT_HEADER + [
        f"{year_label(year)}.Alle eierformer.{GENDER_NAMES[gender]}.{measure}"
        for year in SURVEY_YEARS
        for gender in ALL_GENDERS
        for measure in ("Grunnskolepoeng", "Antall elever")
    ]
    rows = []
    for unit in [LAND, FYLKE, KOMMUNE, *world.school_units([10])]:
        cells = statistikkbank_unit_cells(unit, CURRENT_STYLE)
        for year in SURVEY_YEARS:
            for gender in ALL_GENDERS:
                cells += gsp_cells(stats.get((unit.code, year, gender)))
        rows.append(cells)
    return encode_statistikkbank(header, rows, CURRENT_STYLE)


def gsp_cells(moments: Moments | None) -> list[str]:
    if moments is None:
        return ["", ""]
    if moments.n < MIN_REPORTED:
        return ["*", "*"]
    return [fmt_decimal(moments.mean, 1), fmt_count(moments.n)]


# =============================================================================
# Eksport API v2 (Elevundersøkelsen tables 148 and 150)
# =============================================================================


def api_row_start(
    year: int,
    unit: Unit,
    trinn: int,
    question_level: int,
    group: tuple[str, str],
    question: tuple[str, str],
) -> dict[str, object]:
    """The columns tables 148 and 150 share, up to and including Kjoenn."""
    geo = geography(unit)
    return {
        "SpoersmaalNivaa": question_level,
        "Spoersmaalgruppekode": group[0],
        "Spoersmaalgruppe": group[1],
        "Spoersmaalkode": question[0],
        "Spoersmaalnavn": question[1],
        "Skoleaarnavn": year_label(year),
        "EnhetNivaa": unit.level,
        "Nasjonaltkode": "I",
        "Nasjonalt": "Hele landet",
        "Fylkekode": geo["Fylkekode"],
        "Fylke": geo["Fylke"],
        "Kommunekode": geo["Kommunekode"],
        "Kommune": geo["Kommune"],
        "Organisasjonsnummer": unit.code,
        "EnhetNavn": unit.name + " " if unit.level == 4 else "Alle skoler",
        "GruppeNivaa": 0,
        "GruppeKode": "-10",
        "GruppeNavn": "Alle grupper",
        "TrinnNivaa": 1,
        "TrinnKode": str(trinn),
        "Trinnnavn": f"{trinn}. trinn",
        "EierformNivaa": 0,
        "Eierformkode": "-10",
        "EierformNavn": "Alle eierformer",
        "KjoennNivaa": 0,
        "KjoennKode": "A",
        "Kjoenn": "Alle kjønn",
    }


def index_measures(moments: Moments) -> dict[str, object]:
    """Score columns for an index row; answer shares do not apply (null)."""
    measures: dict[str, object] = score_columns(moments)
    for k in range(1, 6):
        measures[f"AndelSvaralternativ{k}"] = None
    for k in range(1, 6):
        measures[f"AntallBesvartSvaralternativ{k}"] = None
    return measures


def score_columns(moments: Moments) -> dict[str, object]:
    """Score, Standardavvik and AntallBesvart, all ``*`` below 10 answers."""
    if moments.n < MIN_REPORTED:
        return {"Score": "*", "Standardavvik": "*", "AntallBesvart": "*"}
    return {
        "Score": fmt_decimal(moments.mean, 1),
        "Standardavvik": fmt_decimal(moments.sd, 1),
        "AntallBesvart": fmt_count(moments.n),
    }


def question_measures(counts: AnswerCounts) -> dict[str, object]:
    """Score columns plus the answer shares (percent) and counts."""
    measures: dict[str, object] = score_columns(counts.moments())
    hidden = counts.n < MIN_REPORTED
    for k, count in enumerate(counts.counts, start=1):
        measures[f"AndelSvaralternativ{k}"] = (
            "*" if hidden else fmt_decimal(100 * count / counts.n, 1)
        )
    for k, count in enumerate(counts.counts, start=1):
        measures[f"AntallBesvartSvaralternativ{k}"] = "*" if hidden else str(count)
    return measures


def survey_units(world: World) -> list[Unit]:
    return [LAND, FYLKE, KOMMUNE, *world.school_units(SURVEY_TRINN)]


def indicator_rows(world: World, stats: SurveyStats) -> list[dict[str, object]]:
    """Rows of table 148: per year, unit and trinn, index rows then questions."""
    rows = []
    for year in SURVEY_YEARS:
        for unit in survey_units(world):
            for trinn in SURVEY_TRINN:
                for index in SURVEY_INDICES:
                    moments = stats.indices.get((unit.code, year, trinn, index.code))
                    if moments is None:
                        continue  # no pupils on this trinn at this unit
                    group = (index.code, index.name)
                    row = api_row_start(year, unit, trinn, 0, group, ("", "Alle spørsmål"))
                    rows.append(row | index_measures(moments))
                    for code, text in index.questions:
                        counts = stats.questions[(unit.code, year, trinn, code)]
                        row = api_row_start(year, unit, trinn, 1, group, (code, text))
                        rows.append(row | question_measures(counts))
    return with_paging(rows)


def bullying_rows(world: World, stats: SurveyStats) -> list[dict[str, object]]:
    """Rows of table 150: the bullying index, then its three questions."""
    questions = [("", "Alle spørsmål")] + [(code, text) for code, text, _ in BULLYING_QUESTIONS]
    rows = []
    for year in SURVEY_YEARS:
        for unit in survey_units(world):
            for trinn in SURVEY_TRINN:
                for level, (code, text) in enumerate(questions):
                    share = stats.bullying.get((unit.code, year, trinn, code or BULLYING_CODE))
                    if share is None:
                        continue
                    row = api_row_start(
                        year,
                        unit,
                        trinn,
                        min(level, 1),
                        (BULLYING_CODE, BULLYING_NAME),
                        (code, text),
                    )
                    rows.append(row | share_columns(share))
    return with_paging(rows)


def share_columns(share: Share) -> dict[str, object]:
    if share.n < MIN_REPORTED:
        return {"AndelMobbet": "*", "AntallBesvart": "*"}
    return {
        "AndelMobbet": fmt_decimal(100 * share.hits / share.n, 1),
        "AntallBesvart": fmt_count(share.n),
    }


def with_paging(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """The API pages its answers; the whole extract is one page here."""
    paging = {"Sidenummer": 1, "RaderSide": len(rows), "RaderTotalt": len(rows)}
    return [row | paging for row in rows]


def indicator_json(rows: list[dict[str, object]]) -> bytes:
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def semicolon_csv(header: list[str], rows: Iterable[list[str]], encoding: str) -> bytes:
    """A ``;``-separated CSV with CRLF line ends, quoted only where needed."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def bullying_csv(rows: list[dict[str, object]]) -> bytes:
    header = list(rows[0])
    return semicolon_csv(header, ([str(row[c]) for c in header] for row in rows), "utf-8")


# =============================================================================
# NUDB pupil file
# =============================================================================

NUDB_HEADER = [
    "SNR_NUDB",
    "AARGANG",
    "ORGNR",
    "ORGNRBED",
    "SKOLEKOM",
    "SKOLEFYLKE",
    "SKOLETYPE",
    "AVGIVERSKOLE_ORGNR",
    "AVGIVERSKOLE_ORGNRBED",
    "DELTATTSTATUS",
    "PROVE",
    "MESTRINGSNIVAA",
    "POENG",
    "OPPGAVESETT",
    "ANDELPOENG",
    "GRUPPENUMMER",
    "SKALAPOENG",
]


def nudb_row(result: TestResult, world: World, by_orgnr: dict[str, School]) -> list[str]:
    """One line of the register file; avgiverskole is the 5. trinn school."""
    sender = result.pupil.schools.get(5, "") if result.trinn >= 8 else ""
    score_cells = ["."] + [""] * 4
    if result.score is not None:
        points, maximum = raw_points(result.subject, result.trinn, result.score)
        score_cells = [
            str(mastery_level(result.trinn, result.score)),
            str(points),
            "1",
            fmt_decimal(points / maximum, 2),
            str(result.score),
        ]
    return [
        result.pupil.pupil_id,
        f"{result.year}09",
        world.kommune_orgnr,
        result.school,
        KOMMUNE_CODE,
        FYLKE_CODE,
        KIND_SKOLETYPE[by_orgnr[result.school].kind],
        world.kommune_orgnr if sender else "",
        sender,
        result.status,
        result.prove,
        *score_cells[:4],
        str(result.class_no),
        score_cells[4],
    ]


def nudb_file(world: World, results: list[TestResult]) -> bytes:
    """The NUDB register file for the NP years, sorted for stable diffs."""
    by_orgnr = world.by_orgnr
    chosen = [r for r in results if r.year in NP_YEARS]
    chosen.sort(key=lambda r: (r.year, r.school, r.prove, r.class_no, r.pupil.pupil_id))
    rows = (nudb_row(r, world, by_orgnr) for r in chosen)
    return semicolon_csv(NUDB_HEADER, rows, "iso-8859-1")


# =============================================================================
# Truth file
# =============================================================================

MODEL_TEXT = {
    "nasjonale_prover": (
        "Skalapoeng for elev i på prøve p = 50 + skoleeffekt[skole][p] + klasseeffekt[klasse] "
        "+ evne[i][p] + kjønnseffekt[p][kjønn] + støy, der støy ~ N(0, 5). På 9. trinn (samme "
        "prøve som 8. trinn) legges det til 4 + vekst[skole]. Resultatet rundes til heltall og "
        "avgrenses til 15-85. Evne er fast for eleven gjennom alle år, ~ N(0, 8) per prøve med "
        "korrelasjon 0,65 mellom prøvene. Skoleeffekten er den skolen eleven går på det året. "
        "En klasse på 8. trinn er samme klasse (og samme klasseeffekt) på 9. trinn."
    ),
    "deltakelse": (
        "F (fritatt) gjelder hele året for eleven (1,5 %); A (borte, 1,5 %) og I (ikke deltatt, "
        "1 %) trekkes per prøve; ellers D (deltatt)."
    ),
    "flytting": (
        "Før 8. trinn flytter 4 % ut av kommunen og 3 % bytter til en annen ungdomsskole enn "
        "avgiverkartet sier; 3 % nye elever flytter inn (uten avgiverskole). Fra 8. til 9. og "
        "fra 9. til 10. trinn flytter 1,5 % ut."
    ),
    "grunnskolepoeng": (
        "GSP = basis[år] + gsp_effekt[skole] + kjønnseffekt (gutt -2,5, jente +2,5) "
        "+ 0,8 * gjennomsnittlig evne over de tre prøvene + N(0; 4,5), avgrenset til 10-60 og "
        "rundet til én desimal. gsp_effekt = 0,6 * snitt av NP-skoleeffektene + N(0, 1)."
    ),
    "elevundersokelsen": (
        "Indeksverdi for elev = basis[indeks] + trinnforskjell (10. trinn -0,2) "
        "+ eu_effekt[skole][indeks] + 0,45 * trivselsfaktor (felles for elevens indekser) "
        "+ N(0; 0,5), avgrenset til 1-5. Enkeltspørsmål = indeksverdi + N(0; 0,5) rundet og "
        "avgrenset til 1-5. Svarprosent 90."
    ),
    "mobbing": (
        "Sannsynlighet for å være mobbet = logistisk(logit(basis[trinn]) + mobbeeffekt[skole]). "
        "En mobbet elev krysser av på hvert av de tre spørsmålene med sannsynlighet 0,8, 0,2 "
        "og 0,35 (minst ett)."
    ),
    "fylke_og_land": (
        "Landet er simulert som sammendrag (antall, snitt, standardavvik), ikke elev for elev. "
        "Fylket = Fjordvik + en simulert resten-av-fylket-gruppe."
    ),
    "avrunding": "Halvt opp (0,5 rundes bort fra null).",
    "prikking": "Grupper med færre enn 10 elever/svar vises som *.",
}


def school_truth(
    school: School, by_orgnr: dict[str, School], feeders: dict[str, list[str]]
) -> dict[str, object]:
    """Everything true about one school, for ``sannhet.json``."""
    trinn = KIND_TRINN[school.kind]
    receiver: str | None = None  # ungdomsskoler send nobody on
    if school.kind != "U":
        receiver = default_lower_secondary(school, list(by_orgnr.values()))
    return {
        "orgnr": school.orgnr,
        "navn": school.name,
        "skoletype": KIND_NAMES[school.kind],
        "skoletype_kode": KIND_SKOLETYPE[school.kind],
        "trinn": f"{trinn.start}-{trinn.stop - 1}",
        "liten_skole": school.spec.tiny,
        "avgir_til_orgnr": receiver,
        "avgir_til_navn": by_orgnr[receiver].name if receiver else None,
        "mottar_fra": [by_orgnr[o].name for o in feeders.get(school.orgnr, [])],
        "skoleeffekt": {f"NP{s}": school.effects[s] for s in SUBJECTS},
        "vekst_8_til_9": school.growth,
        "forventet_endring_8_til_9": (
            None if school.growth is None else round(NINTH_GRADE_GAIN + school.growth, 2)
        ),
        "gsp_effekt": school.gsp_effect,
        "eu_effekt": school.survey_effects,
        "mobbeeffekt_logit": school.bullying_shift,
    }


def class_truth(results: list[TestResult], by_orgnr: dict[str, School]) -> list[dict[str, object]]:
    """One entry per class and year it appears in the NUDB file."""
    seen: dict[tuple[int, str, int, int], dict[str, object]] = {}
    for r in results:
        key = (r.year, r.school, r.trinn, r.class_no)
        if r.year in NP_YEARS and key not in seen:
            seen[key] = {
                "skoleaar": year_label(r.year),
                "orgnr": r.school,
                "skole": by_orgnr[r.school].name,
                "trinn": r.trinn,
                "gruppenummer": r.class_no,
                "klasseeffekt": class_effect(
                    r.school, r.pupil.cohort, class_stage(r.trinn), r.class_no
                ),
            }
    return [seen[key] for key in sorted(seen)]


def np_truth(results: list[TestResult], by_orgnr: dict[str, School]) -> list[dict[str, object]]:
    """True school means per year, trinn and test, with and without pupils."""
    groups: dict[tuple[int, str, int, str], list[TestResult]] = {}
    for r in results:
        groups.setdefault((r.year, r.school, r.trinn, r.subject), []).append(r)
    entries = []
    for (year, orgnr, trinn, subject), members in sorted(groups.items()):
        school = by_orgnr[orgnr]
        model_mean = NATIONAL_MEAN + school.effects[subject]
        if trinn == 9:
            model_mean += NINTH_GRADE_GAIN + (school.growth or 0.0)
        takers = [r.expected for r in members if r.score is not None]
        entries.append(
            {
                "skoleaar": year_label(year),
                "orgnr": orgnr,
                "skole": school.name,
                "trinn": trinn,
                "prove": f"NP{subject}{trinn:02d}",
                "forventet_skole": round(model_mean, 2),
                "snitt_uten_stoy": round(sum(takers) / len(takers), 2) if takers else None,
                "n_elever": len(members),
                "n_deltatt": len(takers),
                "kun_i_gammel_eksport": year == OLD_NP_YEAR,
            }
        )
    return entries


def gsp_truth(results: list[GspResult], by_orgnr: dict[str, School]) -> list[dict[str, object]]:
    """Expected GSP per school and year before pupil composition."""
    groups: dict[tuple[int, str], int] = {}
    for r in results:
        groups[(r.year, r.school)] = groups.get((r.year, r.school), 0) + 1
    return [
        {
            "skoleaar": year_label(year),
            "orgnr": orgnr,
            "skole": by_orgnr[orgnr].name,
            "forventet_uten_elevsammensetning": round(
                GSP_BASE[year] + (by_orgnr[orgnr].gsp_effect or 0.0), 2
            ),
            "n_elever": count,
        }
        for (year, orgnr), count in sorted(groups.items())
    ]


def survey_truth(world: World) -> list[dict[str, object]]:
    """Expected index values and bullying rates per school and trinn."""
    entries = []
    for school in world.schools:
        for trinn in SURVEY_TRINN:
            if not school.has_trinn(trinn):
                continue
            entries.append(
                {
                    "orgnr": school.orgnr,
                    "skole": school.name,
                    "trinn": trinn,
                    "forventet_indeks": {
                        i.code: round(expected_index(school, trinn, i), 3) for i in SURVEY_INDICES
                    },
                    "forventet_andel_mobbet_prosent": round(100 * bullying_rate(school, trinn), 2),
                }
            )
    return entries


def parameters_truth() -> dict[str, object]:
    return {
        "nasjonalt_snitt": NATIONAL_MEAN,
        "elev_sd": PUPIL_SD,
        "gevinst_9_trinn": NINTH_GRADE_GAIN,
        "skole_sd_felles": SCHOOL_GENERAL_SD,
        "skole_sd_fag": SCHOOL_SUBJECT_SD,
        "klasse_sd": CLASS_SD,
        "vekst_sd": GROWTH_SD,
        "evne_sd": ABILITY_SD,
        "evne_korrelasjon": ABILITY_CORRELATION,
        "stoy_sd": NOISE_SD,
        "kjonnseffekt": {f"NP{s}": v for s, v in GENDER_EFFECTS.items()},
        "mestringsgrenser": {str(t): list(c) for t, c in MASTERY_CUTS.items()},
        "maks_poeng": {f"NP{s}{t:02d}": m for (s, t), m in MAX_POINTS.items()},
        "resten_av_fylket_np_forskyvning": {
            f"NP{s}": v for s, v in REST_OF_FYLKE_NP_OFFSETS.items()
        },
        "gsp_basis": {year_label(y): v for y, v in GSP_BASE.items()},
        "eu_indekser": {i.code: {"navn": i.name, "basis": i.base} for i in SURVEY_INDICES},
        "eu_trinnforskjell": {str(t): v for t, v in SURVEY_TRINN_SHIFT.items()},
        "mobbing_basis": {str(t): v for t, v in BULLYING_BASE.items()},
    }


def truth_file(world: World, tests: list[TestResult], gsp: list[GspResult]) -> bytes:
    """The truth file: parameters, schools, classes and true means."""
    by_orgnr = world.by_orgnr
    feeders: dict[str, list[str]] = {}
    for school in world.schools:
        if school.kind == "B":
            feeders.setdefault(default_lower_secondary(school, world.schools), []).append(
                school.orgnr
            )
    truth = {
        "beskrivelse": (
            "Fasit for de fiktive eksempeldataene. Alle skoler, elever og tall er oppdiktet."
        ),
        "seed": SEED,
        "fylke": {"kode": FYLKE_CODE, "navn": FYLKE_NAME},
        "kommune": {"kode": KOMMUNE_CODE, "navn": KOMMUNE_NAME, "orgnr": world.kommune_orgnr},
        "modell": MODEL_TEXT,
        "parametere": parameters_truth(),
        "skoler": [school_truth(s, by_orgnr, feeders) for s in world.schools],
        "klasseeffekter": class_truth(tests, by_orgnr),
        "np_sanne_snitt": np_truth(tests, by_orgnr),
        "gsp_sanne_snitt": gsp_truth(gsp, by_orgnr),
        "eu_sanne_verdier": survey_truth(world),
    }
    return (json.dumps(truth, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


# =============================================================================
# Main
# =============================================================================

NP_5_FILE = "2026-27_20261120-0915_Nasjonale_proever_5._trinn.csv"
NP_U_FILE = "2026-27_20261120-0917_Nasjonale_proever_ungdomstrinn.csv"
NP_OLD_FILE = "Nasjonale_prover_5_trinn_2022-23.csv"
GSP_FILE = "2025-26_20261001-1200_Grunnskolepoeng.csv"
EU_FILE = f"eksportapi_148_elevundersokelsen_indikator_{KOMMUNE_NAME}.json"
BULLYING_FILE = f"eksportapi_150_elevundersokelsen_mobbing_{KOMMUNE_NAME}.csv"
NUDB_FILE = "elevresultater_nudb_2023-24_2026-27.csv"
TRUTH_FILE = "sannhet.json"


def build_files() -> dict[str, bytes]:
    """Simulate everything and return file name -> exact bytes."""
    kommune_orgnr, schools = build_schools()
    world = World(kommune_orgnr, schools, simulate_pupils(schools))
    tests = simulate_tests(world)
    gsp = simulate_gsp(world)
    np = np_stats(tests)
    survey = survey_stats(simulate_survey(world))
    return {
        NP_5_FILE: np_export(world, np, NP_YEARS, [5], ALL_GENDERS, CURRENT_STYLE),
        NP_U_FILE: np_export(world, np, NP_YEARS, [8, 9], ALL_GENDERS, CURRENT_STYLE),
        NP_OLD_FILE: np_export(world, np, [OLD_NP_YEAR], [5], ("A",), OLD_STYLE),
        GSP_FILE: gsp_export(world, gsp_stats(gsp)),
        EU_FILE: indicator_json(indicator_rows(world, survey)),
        BULLYING_FILE: bullying_csv(bullying_rows(world, survey)),
        NUDB_FILE: nudb_file(world, tests),
        TRUTH_FILE: truth_file(world, tests, gsp),
    }


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--ut",
        type=Path,
        default=Path(__file__).resolve().parent,
        help="mappe filene skrives til (standard: mappen skriptet ligger i)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Write all files and print their sizes."""
    out_dir: Path = parse_args(argv).ut
    out_dir.mkdir(parents=True, exist_ok=True)
    files = build_files()
    for name in sorted(files):
        (out_dir / name).write_bytes(files[name])
        print(f"{name}: {len(files[name]):,} bytes")
    print(f"Totalt: {sum(map(len, files.values())):,} bytes i {out_dir}")


if __name__ == "__main__":
    main()
