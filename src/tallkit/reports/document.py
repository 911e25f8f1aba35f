"""A report as plain data: sections with messages, tables and charts. No I/O, no wording of its
own (the words come from the analyses and from ``templates/``). The JSON twin of a report is
:meth:`Document.to_json` of the same object the Markdown and HTML are rendered from, so the
three can never disagree.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Final

# hovedbilde message types and sources: part of the JSON contract (README)
MESSAGE_TYPES: Final = (
    "niva",
    "utvikling",
    "progresjon",
    "fagprofil",
    "laeringsmiljo",
    "grunnskolepoeng",
    "skjermet",
)
SOURCES: Final = ("nasjonale_prover", "elevundersokelsen", "grunnskolepoeng", "elevresultat")
DIRECTIONS: Final = ("bedre", "svakere", "ingen_sikker_forskjell")


@dataclass(frozen=True)
class Message:
    """One thing that matters, in words, with what it rests on."""

    tekst: str
    type: str
    kilde: str
    trinn: int | None
    maal: str | None  # prøve as in the views (``lesing``) or the indicator code
    retning: str
    skoleaar: str
    styrke: float = 0.0  # how far beyond the uncertainty (|z|); ranks the hovedbilde

    def __post_init__(self) -> None:
        if self.type not in MESSAGE_TYPES or self.kilde not in SOURCES:
            raise ValueError(f"unknown message type or source: {self.type}, {self.kilde}")
        if self.retning not in DIRECTIONS:
            raise ValueError(f"unknown direction: {self.retning}")


@dataclass
class Table:
    columns: list[tuple[str, str]]  # (key, Norwegian header)
    rows: list[dict[str, Any]]
    title: str = ""
    note: str = ""  # one line under the table
    # Floats written with exactly this many decimals (a measure Udir publishes with one, such
    # as an index 4,0 beside 4,2); None: as norsk.number writes them. A row's own
    # «_desimaler» key wins (a table mixing scale points and indices).
    # A row's «_tall» gives the numbers behind cells the report writes as text, for the xlsx
    # appendix: {column: number} or {column: {"": value, "fra": low, "til": high, ...}}
    # (render._sheet_columns); the HTML and Markdown show the text.
    decimals: int | None = None


@dataclass
class Chart:
    name: str  # file-name stem for the Markdown's image file
    title: str
    svg: str
    # what the chart draws, as rows: the privacy audit and other tools read this, not the SVG
    data: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Block:
    """A heading with what belongs to it: charts beside the numbers they show."""

    title: str
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    text: list[str] = field(default_factory=list)


@dataclass
class Section:
    title: str
    intro: str = ""
    blocks: list[Block] = field(default_factory=list)
    empty: str = ""  # shown instead of blocks when there is nothing
    anchor: str = ""

    @property
    def charts(self) -> list[Chart]:
        return [c for b in self.blocks for c in b.charts]

    @property
    def tables(self) -> list[Table]:
        return [t for b in self.blocks for t in b.tables]


@dataclass(frozen=True)
class Comparison:
    """One indicator × trinn against the kommune and the nation (JSON ``sammenligninger``)."""

    kilde: str
    maal: str
    indikator: str  # the indicator's name as the report prints it
    trinn: int | None
    skoleaar: str
    skolen: float | None
    kommunen: float | None
    landet: float | None
    antall: int | None
    mot_kommunen: str | None
    mot_landet: str | None


@dataclass
class Assessment:
    """The school's own part: what we see, what we will do, how we will know."""

    ser: str = ""
    tiltak: list[dict[str, Any]] = field(default_factory=list)  # hva, indikatorer, vite
    vite: str = ""
    fritekst: str = ""  # a Markdown file, kept as written (escaped)
    kilde: str = ""


@dataclass
class Document:
    """One report. The Læringsspeil fills ``skole``; the kommune report fills ``kommune``."""

    kind: str  # "laeringsspeil" | "kommunerapport"
    title: str
    skoleaar: str
    header: dict[str, Any]
    hovedbilde: list[Message]
    hovedbilde_intro: list[str]
    sections: list[Section]
    comparisons: list[Comparison]
    reflections: list[dict[str, Any]]  # theme, observation, questions
    assessment: Assessment | None
    previous: Assessment | None
    previous_follow_up: list[dict[str, Any]]
    about: list[str]
    sources: list[dict[str, Any]]
    min_group: int
    suppressed: bool = False
    preliminary: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    # the kommune report in a «speil --alle» folder: each school's report files (not in JSON)
    links: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The machine-readable twin (README: «JSON-tvillingen»)."""
        out: dict[str, Any] = dict(self.header)
        out |= {
            "rapport": self.kind,
            "skoleaar": self.skoleaar,
            "skjermet": self.suppressed,
            "forelopige_tall": self.preliminary,
            "minste_gruppe": self.min_group,
            "hovedbilde": [
                {k: v for k, v in asdict(m).items() if k != "styrke"} for m in self.hovedbilde
            ],
            # what page 1 says before the messages, e.g. that nothing stands out this year
            "hovedbilde_innledning": self.hovedbilde_intro,
            "sammenligninger": [asdict(c) for c in self.comparisons],
            "til_refleksjon": self.reflections,
            "vurdering": asdict(self.assessment) if self.assessment else None,
            "kilder": self.sources,
        }
        out |= self.extra
        return out
