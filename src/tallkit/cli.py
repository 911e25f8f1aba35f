"""The command line: parse options, call one library function, print. The only typer/rich user.

stdout carries data only; progress, summaries, warnings and errors go to stderr. Every error is
one ``tallkit: feil: …`` line with a documented exit code; ``--debug`` adds the traceback.
"""

from __future__ import annotations

import contextlib
import sys
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

from tallkit.errors import ExitCode, TallkitError, UsageError

if TYPE_CHECKING:
    import polars as pl

    from tallkit.config import Settings
    from tallkit.ingestion import IngestReport

# Click's own words in help and usage (Usage, Options, [default: …]) said in Norwegian. Applied to
# the finished text, so it works whatever the vendored Click version wraps them in.
_HELP_WORDS = (
    ("Usage: ", "Bruk: "),
    ("\nOptions:\n", "\nValg:\n"),
    ("\nArguments:\n", "\nArgumenter:\n"),
    ("\nCommands:\n", "\nKommandoer:\n"),
    ("Show this message and exit.", "Vis denne hjelpen og avslutt."),
    ("Install completion for the current shell.", "Installer tab-fullføring for skallet ditt."),
    (
        "Show completion for the current shell, to copy it or customize the installation.",
        "Vis tab-fullføringen for skallet ditt, for å kopiere eller tilpasse den.",
    ),
    ("[default: ", "[standard: "),
    ("[required]", "[påkrevd]"),
    ("; required]", "; påkrevd]"),
    ("[env var: ", "[miljøvariabel: "),
    ("[OPTIONS]", "[VALG]"),
    ("COMMAND [ARGS]...", "KOMMANDO [ARGUMENTER]..."),
)


def _norwegian(text: str) -> str:
    import re

    for english, norwegian in _HELP_WORDS:
        text = text.replace(english, norwegian)
    # the default may be wrapped onto the next line: «[default:\n   laeringsspeil]»
    text = re.sub(r" <[A-Za-z_\[\], ]+>", "", text)  # Typer's «<list[Path]>» type hints
    return re.sub(r"\[default:(\s)", r"[standard:\1", text)


def _norwegian_params(params: list[Any]) -> list[Any]:
    """Help texts of the options Click and Typer add (--help, completion), before wrapping."""
    for param in params:
        if getattr(param, "help", None):
            param.help = _norwegian(param.help)
    return params


class _Command(TyperCommand):
    def get_params(self, ctx: Any) -> list[Any]:
        return _norwegian_params(super().get_params(ctx))

    def get_help(self, ctx: Any) -> str:
        return _norwegian(super().get_help(ctx))

    def get_usage(self, ctx: Any) -> str:
        return _norwegian(super().get_usage(ctx))


class _Group(TyperGroup):
    def get_params(self, ctx: Any) -> list[Any]:
        return _norwegian_params(super().get_params(ctx))

    def get_help(self, ctx: Any) -> str:
        return _norwegian(super().get_help(ctx))

    def get_usage(self, ctx: Any) -> str:
        return _norwegian(super().get_usage(ctx))


app = typer.Typer(
    name="tallkit",
    cls=_Group,
    help=(
        "Fra tall til tiltak: les inn eksporter fra Udir (nasjonale prøver, grunnskolepoeng, "
        "Elevundersøkelsen) og kommunens elevresultater i én DuckDB-database, og se på tallene.\n\n"
        "Eksempel: tallkit ingest ~/Nedlastinger && tallkit skoler"
    ),
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion (bash, zsh, fish, PowerShell)
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: rich_utils pulls in markdown-it and doubles start-up
    context_settings={"help_option_names": ["-h", "--help"]},
)


@dataclass
class _State:
    db: Path | None = None
    config: Path | None = None
    quiet: bool = False
    debug: bool = False

    def settings(self) -> Settings:
        from tallkit.config import load_settings

        return load_settings(db=self.db, config=self.config)


_state = _State()

FormatOption = Annotated[
    str | None,
    typer.Option(
        "--format",
        "-f",
        metavar="FORMAT",
        help="tabell, csv, csv-excel (norsk regneark: semikolon, desimalkomma), xlsx, json, "
        "jsonl, parquet eller md. Standard: tabell i terminal, CSV i rør, ellers etter "
        "filendelsen i --ut.",
    ),
]
OutOption = Annotated[
    Path | None,
    typer.Option(
        "--ut",
        "-o",
        metavar="FIL",
        help="Skriv til denne filen i stedet for skjermen (.csv, .xlsx, .json, .jsonl, "
        ".parquet eller .md).",
    ),
]
AllColumnsOption = Annotated[
    bool,
    typer.Option(
        "--alle-kolonner",
        help="Vis alle kolonnene i terminalen (filer og rør har alltid alle).",
    ),
]


@app.callback()
def _global(
    db: Annotated[
        Path | None,
        typer.Option(
            "--db",
            metavar="FIL",
            help="Databasefilen. Standard: $TALLKIT_DB, ellers ./tallkit.duckdb.",
        ),
    ] = None,
    konfig: Annotated[
        Path | None,
        typer.Option(
            "--konfig",
            metavar="FIL",
            help="tallkit.toml. Standard: $TALLKIT_KONFIG, ellers nærmeste tallkit.toml i "
            "arbeidsmappen eller en foreldremappe.",
        ),
    ] = None,
    stille: Annotated[
        bool, typer.Option("--stille", "-q", help="Ingen fremdrift eller oppsummering.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Vis hele feilsporet ved feil.")] = False,
    versjon: Annotated[
        bool,
        typer.Option(
            "--version",
            "--versjon",
            "-V",
            is_eager=True,
            callback=lambda value: _print_version(value),
            help="Vis versjonen av tallkit og avslutt.",
        ),
    ] = False,
) -> None:
    _state.db, _state.config, _state.quiet, _state.debug = db, konfig, stille, debug


def _print_version(value: bool) -> None:
    if value:
        from tallkit import __version__

        print(f"tallkit {__version__}")
        raise typer.Exit(0)


# -- ingest ----------------------------------------------------------------------------------


@app.command(cls=_Command)
def ingest(
    stier: Annotated[
        list[Path],
        typer.Argument(metavar="STI", help="Filer eller mapper (mapper leses rekursivt)."),
    ],
    type_: Annotated[
        str,
        typer.Option("--type", "-t", metavar="TYPE", help="auto, np, gsp, eu, elev eller skala."),
    ] = "auto",
    torrkjoring: Annotated[
        bool,
        typer.Option(
            "--tørrkjøring", "--torrkjoring", help="Les og kontroller filene, men skriv ingenting."
        ),
    ] = False,
) -> None:
    """Les eksportfiler inn i databasen, én transaksjon per fil.

    Filene leses slik de ble lastet ned: UTF-16 eller UTF-8, tabulator, | eller semikolon,
    desimalkomma, «*» for skjermet. En fil som er lest før, hoppes over; en nyere eksport av
    de samme tallene erstatter de gamle. Elev-id og fødselsnummer pseudonymiseres før lagring.

    Eksempel: tallkit ingest ~/Nedlastinger/*.csv elevresultater.csv
    """
    from tallkit import api

    with _progress_bar("leser") as bar:
        progress = None
        if bar is not None:
            progress = lambda path, index, total, share: bar(path.name, index + share, total)  # noqa: E731
        report = api.ingest(
            stier,
            settings=_state.settings(),
            type=type_,
            dry_run=torrkjoring,
            progress=progress,
        )
    _print_ingest_summary(report, dry_run=torrkjoring)
    raise typer.Exit(int(report.exit_code))


@contextlib.contextmanager
def _progress_bar(label: str) -> Iterator[Callable[[str, float, float], None] | None]:
    """A rich progress bar on stderr, only when stderr is a terminal and not --stille; yields an
    updater (description, done, total), or None when nothing is drawn."""
    if _state.quiet or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn(f"[bold]{label}[/bold] {{task.description}}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    with progress:
        task = progress.add_task("", total=None)

        def update(description: str, done: float, total: float) -> None:
            progress.update(task, description=description, completed=done, total=total)

        yield update


def _number(value: int) -> str:
    return f"{value:,}".replace(",", " ")


def _print_ingest_summary(report: IngestReport, *, dry_run: bool) -> None:
    from tallkit.ingestion import FAILED, SKIPPED

    skipped = [f for f in report.files if f.status == SKIPPED]
    for file in report.files:
        if file.status == FAILED:
            _error_line(file.error or "ukjent feil")
            continue
        if _state.quiet or file.status == SKIPPED:
            continue
        if file.kind:
            facts = f"{file.kind}, {_number(file.rows)} {'rad' if file.rows == 1 else 'rader'}"
            if file.suppressed:
                cells = "skjermet celle" if file.suppressed == 1 else "skjermede celler"
                facts += f", {_number(file.suppressed)} {cells}"
            if file.not_participated:
                facts += f", {_number(file.not_participated)} uten deltakelse"
            facts += f", {_number(file.replaced)} erstattet"
        else:
            facts = ""
        _err(f"{file.status:<11} {file.path}" + (f"  ({facts})" if facts else ""))
        for note in file.notes:
            _err(f"            merk: {note}")
    if not _state.quiet:
        counts: dict[str, int] = {}
        for file in report.files:
            counts[file.status] = counts.get(file.status, 0) + 1
        parts = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        if skipped:
            names = ", ".join(f.path.name for f in skipped[:5])
            more = f" og {len(skipped) - 5} til" if len(skipped) > 5 else ""
            _err(
                f"hoppet over {_count(len(skipped), 'fil', 'filer')} som ikke er eksporter: "
                f"{names}{more}."
            )
        verb = "kontrollert (tørrkjøring, ingenting skrevet)" if dry_run else "behandlet"
        _err(f"{_count(len(report.files), 'fil', 'filer')} {verb}: {parts}.")
        if not dry_run and any(f.kind for f in report.files):
            _err(
                f"Databasen er {_state.settings().db_path}. Neste steg: «tallkit skoler» for å "
                "se skolene, «tallkit speil --skole NAVN» for et Læringsspeil."
            )


# -- read commands ---------------------------------------------------------------------------


@app.command(cls=_Command)
def status(
    del_: Annotated[
        str | None,
        typer.Option("--del", metavar="DEL", help="Bare én del: kilder, dekning eller hull."),
    ] = None,
    format_: FormatOption = None,
    ut: OutOption = None,
    alle_kolonner: AllColumnsOption = False,
) -> None:
    """Hva databasen inneholder: filer (kilder), år og enheter (dekning) og hull.

    Med flere deler blir xlsx ett ark per del, json ett objekt per del og md én tabell per del
    (også i rør uten --format: CSV har plass til bare én tabell).

    Eksempel: tallkit status --del hull --format csv
    """
    from tallkit import api

    parts = api.status(del_, settings=_state.settings())
    if len(parts) == 1:
        name, frame = next(iter(parts.items()))
        _emit(frame, format_, ut, view=f"status.{name}", all_columns=alle_kolonner)
        return
    fmt = _format(format_, ut)
    if fmt == "csv" and format_ is None and ut is None:
        # `tallkit status | less` or `> status.txt`: every part, readable, not a usage error
        fmt = "md"
    if fmt == "tabell":
        for name, frame in parts.items():
            _table(frame, title=name, view=f"status.{name}", all_columns=alle_kolonner)
        return
    from tallkit import output

    output.write_bytes(output.render_tables(parts, fmt), fmt, ut, sys.stdout.buffer)


@app.command(cls=_Command)
def konfig(
    format_: FormatOption = None,
    ut: OutOption = None,
    alle_kolonner: AllColumnsOption = False,
) -> None:
    """Innstillingene som gjelder, og hvor hver kommer fra.

    tallkit.toml finnes med --konfig, $TALLKIT_KONFIG, eller i arbeidsmappen eller en
    foreldremappe. Miljøvariabler (TALLKIT_DB, TALLKIT_NOKKELFIL, TALLKIT_MINSTE_GRUPPE)
    går foran filen, og --db foran alt.

    Eksempel: tallkit konfig
    """
    from tallkit import api

    _emit(
        api.konfig(settings=_state.settings()),
        format_,
        ut,
        view="konfig",
        all_columns=alle_kolonner,
    )


@app.command(cls=_Command)
def skoler(
    kommune: Annotated[
        str | None,
        typer.Option("--kommune", metavar="KOMMUNENR", help="Bare skoler i denne kommunen."),
    ] = None,
    format_: FormatOption = None,
    ut: OutOption = None,
    alle_kolonner: AllColumnsOption = False,
) -> None:
    """Skolene i databasen: orgnr, navn, kommune, trinn og år med tall.

    Eksempel: tallkit skoler --kommune 9901
    """
    from tallkit import api

    _emit(
        api.skoler(kommune, settings=_state.settings()),
        format_,
        ut,
        view="skoler",
        all_columns=alle_kolonner,
    )


@app.command(cls=_Command)
def sql(
    sporring: Annotated[
        str | None,
        typer.Argument(metavar="SQL", help="SQL mot de offentlige visningene (bare lesing)."),
    ] = None,
    navn: Annotated[
        str | None,
        typer.Option("--navn", "-n", metavar="NAVN", help="Kjør en ferdig spørring fra queries/."),
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", metavar="NAVN=VERDI", help="Parameter navn=verdi (gjentas)."),
    ] = None,
    skole: Annotated[
        str | None,
        typer.Option(
            "--skole",
            metavar="SKOLE",
            help="Skolenavn (del av navn holder) eller orgnr; gir $skole.",
        ),
    ] = None,
    liste: Annotated[bool, typer.Option("--liste", help="Vis de ferdige spørringene.")] = False,
    format_: FormatOption = None,
    ut: OutOption = None,
    alle_kolonner: AllColumnsOption = False,
) -> None:
    """Les fra databasen med SQL, eller kjør en ferdig spørring.

    Visninger: enhet, nasjonale_prover, grunnskolepoeng, elevundersokelsen, kilde,
    elevresultat_skole (elevdata per skole), ukjente_maal. Bare én select; ingen filer.

    Eksempel: tallkit sql --navn np_skole --skole "Nordby"
    """
    from tallkit import api

    settings = _state.settings()
    if liste:
        _emit(_query_list(settings), format_, ut, all_columns=alle_kolonner)
        return
    params = _parse_params(param or [])
    if skole is not None:
        params["skole"] = api.resolve_school(skole, settings=settings)
    if (sporring is None) == (navn is None):
        raise UsageError("gi enten en SQL-spørring eller --navn NAVN (se --liste).")
    if navn is not None:
        frame = api.named_query(navn, params, settings=settings)
    else:
        assert sporring is not None
        frame = api.sql(sporring, params, settings=settings)
    _emit(frame, format_, ut, all_columns=alle_kolonner)


AarOption = Annotated[
    str | None, typer.Option("--aar", metavar="SKOLEÅR", help="Skoleår, f.eks. 2025-26.")
]
TrinnOption = Annotated[int | None, typer.Option("--trinn", metavar="TRINN", help="5, 8 eller 9.")]
ProveOption = Annotated[
    str | None, typer.Option("--prove", metavar="PRØVE", help="engelsk, lesing eller regning.")
]
KommuneOption = Annotated[
    str | None, typer.Option("--kommune", metavar="KOMMUNENR", help="Kommunenummer, f.eks. 9901.")
]
PoolOption = Annotated[
    int,
    typer.Option(
        "--slaa-sammen",
        "--slå-sammen",
        metavar="ANTALL",
        help="Slå sammen 2 eller 3 skoleår per skole (vektet med n), for små skoler.",
    ),
]
IndependentOption = Annotated[
    bool,
    typer.Option(
        "--uavhengige-elever",
        help="Regn elevene som uavhengige og Udirs snitt som eksakte, slik Udirs egne "
        "intervaller gjør (uten klasseeffekt og avrunding). Gir smalere, for optimistiske "
        "intervaller; bruk det bare for å sammenligne med Udir.",
    ),
]
ComparisonOption = Annotated[
    bool,
    typer.Option(
        "--sammenligning",
        help="Ta med sammenligningskommunene fra tallkit.toml ([sammenligning]) som egne rader "
        "etter skolene: Udirs tall for kommunen, med antall elever og 95 %-intervall, mot "
        "landet og mot kommunen. Gjelder fag --del prover og indikatorer og variasjon --del "
        "skoler.",
    ),
]
CompareWithOption = Annotated[
    list[str] | None,
    typer.Option(
        "--sammenlign-med",
        metavar="KOMMUNE",
        help="Som --sammenligning, men med disse kommunene: kommunenummer, navn eller en "
        "gruppe (ASSS); kan gjentas eller skilles med komma.",
    ),
]


def _comparison(flag: bool, kommuner: list[str] | None) -> bool | list[str]:
    return list(kommuner) if kommuner else flag


SkoleOption = Annotated[
    str | None,
    typer.Option("--skole", metavar="SKOLE", help="Skolenavn (del av navn holder) eller orgnr."),
]


@app.command(cls=_Command)
def progresjon(
    del_: Annotated[
        str,
        typer.Option(
            "--del",
            metavar="DEL",
            help="kull (publiserte tall, 8.→9. og 5.→8. trinn), elever (parvis endring og "
            "mestringsnivå, elevdata), verdiskaping (elevdata) eller trend.",
        ),
    ] = "kull",
    aar: AarOption = None,
    trinn: TrinnOption = None,
    prove: ProveOption = None,
    kommune: KommuneOption = None,
    skole: SkoleOption = None,
    uavhengige_elever: IndependentOption = False,
    format_: FormatOption = None,
    ut: OutOption = None,
    alle_kolonner: AllColumnsOption = False,
) -> None:
    """Progresjon: de samme elevene over tid.

    8. trinn ett år mot 9. trinn året etter (samme skala), 5. trinn mot 8. trinn tre år senere
    (posisjon mot landet, ulike skalaer; gjennom avgiverskolen når elevdata finnes),
    verdiskaping (ikke SSBs skolebidrag) og trender der hvert brudd i tidsserien er merket.
    --aar er skoleåret progresjonen ender i.

    Eksempel: tallkit progresjon --del elever --skole "Nordby ungdomsskole"
    """
    from tallkit import api

    filters: dict[str, Any] = {
        "aar": aar,
        "trinn": trinn,
        "prove": prove,
        "kommune": kommune,
        "skole": skole,
    }
    _emit(
        api.progresjon(
            del_, **filters, uavhengige_elever=uavhengige_elever, settings=_state.settings()
        ),
        format_,
        ut,
        view=f"progresjon.{del_}",
        all_columns=alle_kolonner,
    )


@app.command(cls=_Command)
def fag(
    del_: Annotated[
        str,
        typer.Option(
            "--del",
            metavar="DEL",
            help="prover (hver prøve mot kommunen og landet), profil (hvilken prøve skiller "
            "seg ut), sammenheng (elevdata) eller indikatorer (NP, Elevundersøkelsen, GSP).",
        ),
    ] = "prover",
    aar: AarOption = None,
    trinn: TrinnOption = None,
    prove: ProveOption = None,
    kommune: KommuneOption = None,
    skole: SkoleOption = None,
    slaa_sammen: PoolOption = 1,
    uavhengige_elever: IndependentOption = False,
    sammenligning: ComparisonOption = False,
    sammenlign_med: CompareWithOption = None,
    format_: FormatOption = None,
    ut: OutOption = None,
    alle_kolonner: AllColumnsOption = False,
) -> None:
    """Fagene mot hverandre: hver prøve mot kommunen og landet, skolens profil, sammenhengen
    mellom prøvene for elevene, og nasjonale prøver ved siden av Elevundersøkelsen og
    grunnskolepoeng.

    Hver forskjell har et 95 %-intervall og et flagg: over, under eller ikke_sikker.
    --sammenligning legger sammenligningskommunene (Udirs kommunetall) til som egne rader
    etter skolene, ved siden av landet.

    Eksempel: tallkit fag --del profil --skole "Nordby skole"

    Eksempel: tallkit fag --kommune 4203 --aar 2025-26 --sammenlign-med 4204,4202
    """
    from tallkit import api

    filters: dict[str, Any] = {
        "aar": aar,
        "trinn": trinn,
        "prove": prove,
        "kommune": kommune,
        "skole": skole,
    }
    _emit(
        api.fag(
            del_,
            **filters,
            slaa_sammen=slaa_sammen,
            uavhengige_elever=uavhengige_elever,
            sammenligning=_comparison(sammenligning, sammenlign_med),
            settings=_state.settings(),
        ),
        format_,
        ut,
        view=f"fag.{del_}",
        all_columns=alle_kolonner,
    )


@app.command(cls=_Command)
def variasjon(
    del_: Annotated[
        str,
        typer.Option(
            "--del",
            metavar="DEL",
            help="skoler (hver skole mot kommunen), spredning, grupper (klasser, elevdata) "
            "eller dekomponering.",
        ),
    ] = "skoler",
    aar: AarOption = None,
    trinn: TrinnOption = None,
    prove: ProveOption = None,
    kommune: KommuneOption = None,
    skole: SkoleOption = None,
    slaa_sammen: PoolOption = 1,
    uavhengige_elever: IndependentOption = False,
    sammenligning: ComparisonOption = False,
    sammenlign_med: CompareWithOption = None,
    format_: FormatOption = None,
    ut: OutOption = None,
    alle_kolonner: AllColumnsOption = False,
) -> None:
    """Variasjon mellom skoler og innad i skolen, med usikkerhet.

    Hver skole sammenlignes med kommunen (del–helhet-korrigert), plasseres i en trakt (95 % og
    99,8 %), får et krympet (empirisk Bayes) anslag og et rangintervall. Ingen tall vises for
    grupper under minste gruppestørrelse. --sammenligning legger sammenligningskommunene
    (Udirs kommunetall) til som egne rader, hver mot kommunen.

    Eksempel: tallkit variasjon --aar 2025-26 --trinn 8 --prove lesing

    Eksempel: tallkit variasjon --kommune 4203 --sammenligning
    """
    from tallkit import api

    filters: dict[str, Any] = {
        "aar": aar,
        "trinn": trinn,
        "prove": prove,
        "kommune": kommune,
        "skole": skole,
    }
    _emit(
        api.variasjon(
            del_,
            **filters,
            slaa_sammen=slaa_sammen,
            uavhengige_elever=uavhengige_elever,
            sammenligning=_comparison(sammenligning, sammenlign_med),
            settings=_state.settings(),
        ),
        format_,
        ut,
        view=f"variasjon.{del_}",
        all_columns=alle_kolonner,
    )


@app.command(cls=_Command)
def speil(
    skole: Annotated[
        list[str] | None,
        typer.Option(
            "--skole",
            metavar="SKOLE",
            help="Skolenavn (del av navn holder) eller orgnr; kan gjentas.",
        ),
    ] = None,
    alle: Annotated[bool, typer.Option("--alle", help="Alle skolene (i --kommune).")] = False,
    kommune: KommuneOption = None,
    aar: Annotated[
        str | None,
        typer.Option("--aar", metavar="SKOLEÅR", help="Skoleår. Standard: siste år med tall."),
    ] = None,
    format_: Annotated[
        list[str] | None,
        typer.Option(
            "--format",
            "-f",
            metavar="FORMAT",
            help="md, html og/eller json; kan gjentas (standard: alle tre).",
        ),
    ] = None,
    ut: Annotated[
        Path, typer.Option("--ut", "-o", metavar="MAPPE", help="Mappen filene skrives til.")
    ] = Path("laeringsspeil"),
    vurdering: Annotated[
        Path | None,
        typer.Option(
            "--vurdering",
            metavar="MAPPE|FIL",
            help="Skolenes egne vurderinger: en mappe med én fil per skole (.toml eller .md, "
            "med orgnr eller navn i filnavnet), eller én fil for én skole.",
        ),
    ] = None,
    vurderingsmal: Annotated[
        bool,
        typer.Option(
            "--vurderingsmal",
            help="Skriv en tom vurderingsmal (.toml) per skole til --ut i stedet for rapporter.",
        ),
    ] = False,
    maler: Annotated[
        Path | None,
        typer.Option("--maler", metavar="MAPPE", help="Egen malmappe (overstyrer fil for fil)."),
    ] = None,
    dato: Annotated[
        str | None,
        typer.Option(
            "--dato", metavar="DATO", help="Datoen som skrives i rapporten (for like filer)."
        ),
    ] = None,
) -> None:
    """Læringsspeil: én oversikt per skole i Markdown, selvstendig HTML og JSON.

    Hver skole får en rapport, også når Udir har skjermet tallene. Side 1 er hovedbildet: de
    viktigste funnene i år, med hvor sikre de er. Skolens egen del (hva vi ser, tiltak, hvordan
    vi vil vite det) hentes fra --vurdering; lag en tom mal per skole med --vurderingsmal.

    Eksempel: tallkit speil --skole "Nordby skole" --ut speil/
    """
    from tallkit import api

    with _progress_bar("skriver læringsspeil") as bar:
        progress = None if bar is None else (lambda done, total: bar("", done, total))
        report = api.speil(
            skole or [],
            progress=progress,
            alle=alle,
            kommune=kommune,
            aar=aar,
            formats=format_ or ["md", "html", "json"],
            ut=ut,
            vurdering=vurdering,
            vurderingsmal=vurderingsmal,
            maler=maler,
            dato=dato,
            settings=_state.settings(),
        )
    if not _state.quiet:
        for school, reason in report.skipped:
            _err(f"hoppet over {school}: {reason}")
        if vurderingsmal:
            _err(
                f"{_count(len(report.written), 'vurderingsmal', 'vurderingsmaler')} skrevet til "
                f"{ut} ({report.year}). Neste "
                "steg: fyll dem ut og kjør «tallkit speil --vurdering MAPPE»."
            )
            return
        reports = [p for p in report.written if p.suffix in (".md", ".html", ".json")]
        pages = [p for p in reports if p.suffix == ".html"]
        index = [p for p in pages if p.stem.endswith("_indeks")]
        first = (index or pages or reports or [ut])[0]
        schools = len(pages) - len(index)
        send = "send hver skole sin HTML-fil" if schools > 1 else "send HTML-filen til skolen"
        _err(
            f"{_count(len(reports), 'fil', 'filer')} skrevet til {ut} ({report.year}). "
            f"Neste steg: åpne {first} i en nettleser, eller {send}."
        )


@app.command()
def rapport(
    kommune: Annotated[
        str | None,
        typer.Option(
            "--kommune",
            help="Kommunenummer eller navn. Standard: [kommune] nummer i tallkit.toml.",
        ),
    ] = None,
    alle: Annotated[bool, typer.Option("--alle", help="Én rapport per kommune.")] = False,
    aar: Annotated[
        str | None, typer.Option("--aar", help="Skoleår. Standard: siste år med tall.")
    ] = None,
    format_: Annotated[
        list[str] | None,
        typer.Option(
            "--format",
            "-f",
            help="md, html, json og/eller xlsx (alle tabellene); kan gjentas (standard: md, "
            "html og json).",
        ),
    ] = None,
    ut: Annotated[Path, typer.Option("--ut", "-o", help="Mappen filene skrives til.")] = Path(
        "kommunerapport"
    ),
    vurdering: Annotated[
        Path | None,
        typer.Option(
            "--vurdering",
            help="Administrasjonens egen tekst (.md eller .toml), tas med som den er.",
        ),
    ] = None,
    anonym: Annotated[
        bool | None,
        typer.Option(
            "--anonym/--med-navn",
            help="Skolene med bokstaver i stedet for navn (offentlig utgave). Standard: "
            "[rapport] anonym i tallkit.toml, ellers med navn.",
        ),
    ] = None,
    maler: Annotated[
        Path | None, typer.Option("--maler", help="Egen malmappe (overstyrer fil for fil).")
    ] = None,
    dato: Annotated[
        str | None, typer.Option("--dato", help="Datoen som skrives i rapporten (for like filer).")
    ] = None,
) -> None:
    """Kommunerapport for skoleeier: nøkkeltall, utvikling, skolene, variasjon og spørsmål.

    Kommunens tall mot landet og sammenligningskommunene ([sammenligning] i tallkit.toml),
    alle skolene med de samme vurderingene som i hver skoles læringsspeil, og administrasjonens
    egen tekst fra --vurdering. --anonym gir en utgave uten skolenavn.

    Eksempel: tallkit rapport --kommune 4203 --format html --format xlsx --ut rapport/
    """
    from tallkit import api

    report = api.rapport(
        kommune,
        alle=alle,
        aar=aar,
        formats=format_ or ["md", "html", "json"],
        ut=ut,
        vurdering=vurdering,
        anonym=anonym,
        maler=maler,
        dato=dato,
        settings=_state.settings(),
    )
    if not _state.quiet:
        files = [p for p in report.written if p.suffix != ".svg"]
        _err(
            f"{_count(len(files), 'fil', 'filer')} skrevet til {ut} ({report.year}, "
            f"{_count(len(report.kommuner), 'kommune', 'kommuner')})."
        )


def _query_list(settings: Settings) -> pl.DataFrame:
    from tallkit import api

    return api.query_list(settings=settings)


def _parse_params(items: list[str]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--param «{item}» må ha formen navn=verdi.")
        params[key.strip()] = value
    return params


# -- output helpers --------------------------------------------------------------------------


def _format(requested: str | None, destination: Path | None) -> str:
    from tallkit.output import format_for

    return format_for(requested, destination, is_terminal=sys.stdout.isatty())


def _emit(
    frame: pl.DataFrame,
    requested: str | None,
    destination: Path | None,
    *,
    view: str | None = None,
    all_columns: bool = False,
) -> None:
    from tallkit import output

    fmt = _format(requested, destination)
    if fmt == "tabell":
        _table(frame, view=view, all_columns=all_columns)
        return
    output.write(frame, fmt, destination, sys.stdout.buffer)


def _table(
    frame: pl.DataFrame,
    title: str | None = None,
    *,
    view: str | None = None,
    all_columns: bool = False,
) -> None:
    """Draw a result for reading: the view's columns, rounded, in blocks that fit the width."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    from tallkit import display

    console = Console(highlight=False)
    cells = display.shown(frame, view, all_columns=all_columns)
    room = console.width - 1  # one spare: rich 13.8 drew the table one wider than its widths
    parts = display.blocks(cells, room)
    if title is not None:
        console.print(title, style="bold")
    for number, columns in enumerate(parts):
        part = display.take(cells, columns)
        widths = display.fit_widths(part, room)
        table = Table(
            box=box.SIMPLE_HEAD,
            show_edge=False,
            pad_edge=False,
            padding=(0, 1),
            header_style="bold",
        )
        for header, numeric, width in zip(part.headers, part.numeric, widths, strict=True):
            table.add_column(
                header,
                justify="right" if numeric else "left",
                width=width,
                overflow="fold",
            )
        for row in part.rows:
            table.add_row(*row)
        if number:
            console.print()
        console.print(table)
    if frame.height == 0:
        console.print("(ingen rader)")
    elif len(parts) > 1:
        console.print(
            f"({len(parts)} deler for å passe bredden; --format csv eller --ut FIL gir alt på én rad)",
            style="dim",
        )


def _count(count: int, one: str, many: str) -> str:
    """«1 fil», «3 filer»: bokmål's noun after a number."""
    return f"{count} {one if count == 1 else many}"


def _err(text: str) -> None:
    # File names and notes come from files: one line each, no terminal control, no fnr.
    from tallkit.errors import one_line

    indent = text[: len(text) - len(text.lstrip(" "))]
    print(indent + one_line(text, 1000), file=sys.stderr)


def _error_line(message: str) -> None:
    _err(f"tallkit: feil: {message}")


# -- entry point -----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code (the console script exits with it)."""
    from typer.exceptions import Abort, Exit, TyperException

    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    command = typer.main.get_command(app)
    try:
        result = command.main(args=args, prog_name="tallkit", standalone_mode=False)
        code = int(result) if isinstance(result, int) else 0
        if code == ExitCode.INTERRUPTED:  # typer turns Ctrl-C into a silent exit code
            reading = "ingest" in args  # an ingest is rolled back; other commands store nothing
            _error_line(
                "avbrutt; ingenting fra filen som ble lest, er lagret." if reading else "avbrutt."
            )
    except Exit as exc:
        code = exc.exit_code
    except Abort:
        _error_line("avbrutt.")
        code = ExitCode.INTERRUPTED
    except TyperException as exc:  # click's usage errors, vendored by typer
        if type(exc).__name__ == "NoArgsIsHelpError":
            ctx = getattr(exc, "ctx", None)
            print(ctx.get_help() if ctx is not None else "", file=sys.stderr)
        else:
            _error_line(_usage_message(exc))
        code = ExitCode.USAGE
    except TallkitError as exc:
        if debug:
            traceback.print_exc()
            detail = getattr(exc, "detail", None)
            if detail:
                _err(f"tallkit: detaljer: {detail}")
        _error_line(exc.message)
        code = exc.exit_code
    except KeyboardInterrupt:
        _error_line("avbrutt.")
        code = ExitCode.INTERRUPTED
    except BrokenPipeError:
        code = ExitCode.OK  # the reader (head, less) went away: not our error
    except Exception as exc:  # the last line of defence: never a raw traceback
        if debug:
            traceback.print_exc()
        _error_line(
            f"uventet feil ({type(exc).__name__}: {exc}). Kjør igjen med --debug og meld "
            "gjerne fra med feilsporet."
        )
        code = ExitCode.INPUT
    return int(code)


def _usage_message(exc: Exception) -> str:
    """Click's usage errors (vendored by typer), said in Norwegian."""
    import re

    kind = type(exc).__name__
    message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    if kind == "NoSuchOption":
        text = f"ukjent valg «{getattr(exc, 'option_name', '')}»."
    elif kind == "MissingParameter":
        param = getattr(exc, "param", None)
        text = f"mangler «{getattr(param, 'name', 'argument')}»."
    elif kind == "BadParameter":
        param = getattr(exc, "param", None)
        names = getattr(param, "opts", None) or [getattr(param, "name", "")]
        shown = names[0] if names[0].startswith("-") else names[0].upper()
        whole = re.search(r"integer|valid int\b", message)  # Typer's wording differs by version
        number = whole or re.search(r"float|number", message)
        text = (
            f"ugyldig verdi for {shown}: må være et {'heltall' if whole else 'tall'}."
            if number
            else f"ugyldig verdi for {shown}."
        )
    elif "requires an argument" in message:
        option = re.search(r"'([^']+)'", message)
        text = f"valget «{option.group(1) if option else ''}» trenger en verdi."
    elif "unexpected extra argument" in message:
        extra = re.search(r"\(([^()]*)\)\s*$", message)
        text = f"uventet ekstra argument «{extra.group(1) if extra else ''}»."
    elif "No such command" in message:
        text = "ukjent kommando " + message.split("No such command", 1)[1].strip(" .") + "."
    else:
        text = message.strip().splitlines()[0] if message.strip() else kind
    return text + " Se «tallkit --help»."
