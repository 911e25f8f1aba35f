"""The library API: every CLI command is one call here, usable from a notebook.

>>> import tallkit
>>> report = tallkit.ingest(["sample_data"])            # doctest: +SKIP
>>> tallkit.skoler().head()                              # doctest: +SKIP

Examples below assume ``import tallkit`` and ``import polars as pl``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from tallkit.config import Settings, load_settings
from tallkit.errors import OutputError, UsageError
from tallkit.resources import find_query
from tallkit.store import Store, open_store, open_surface

if TYPE_CHECKING:
    # ingestion brings every parser (tallkit.formats); only ingest needs them
    from tallkit.ingestion import IngestReport, ProgressCallback

STATUS_PARTS = ("kilder", "dekning", "hull")
# the parts that take comparison kommuner as reference rows (README: «Sammenligningskommuner»)
COMPARISON_PARTS = {"fag": ("prover", "indikatorer"), "variasjon": ("skoler",)}
Comparison = bool | str | Iterable[str]


def _settings(settings: Settings | None, db: Path | str | None) -> Settings:
    base = settings or load_settings()
    return base.with_db(Path(db) if db is not None else None)


def ingest(
    paths: Iterable[Path | str],
    *,
    settings: Settings | None = None,
    db: Path | str | None = None,
    type: str = "auto",
    dry_run: bool = False,
    now: datetime | None = None,
    progress: ProgressCallback | None = None,
) -> IngestReport:
    """Read export files and folders into the database, one transaction per file; see
    :mod:`tallkit.ingestion`. Files in folders that are no exports are skipped.

    >>> report = tallkit.ingest(["sample_data"], db="fjordvik.duckdb")   # doctest: +SKIP
    >>> [(f.path.name, f.status) for f in report.files][:1]             # doctest: +SKIP
    [('Nasjonale_prover_5_trinn_2022-23.csv', 'innlest')]
    """
    from tallkit.ingestion import ingest as _ingest

    return _ingest(
        [Path(p) for p in paths],
        _settings(settings, db),
        forced_type=type,
        dry_run=dry_run,
        now=now,
        progress=progress,
    )


def named_query(
    name: str,
    params: Mapping[str, Any] | None = None,
    *,
    settings: Settings | None = None,
    db: Path | str | None = None,
) -> pl.DataFrame:
    """Run ``queries/<name>.sql`` like :func:`sql`: on the public views only, small groups
    hidden, no pupil rows. ``name`` is a query in the query folders, never a path.

    >>> tallkit.named_query("np_skole", {"skole": "996566048"}, db="fjordvik.duckdb")  # doctest: +SKIP
    """
    resolved = _settings(settings, db)
    sql_text = find_query(name, resolved.queries_dir).read_text(encoding="utf-8")
    return _read(resolved, sql_text, dict(params or {}))


def sql(
    query: str,
    params: Mapping[str, Any] | None = None,
    *,
    settings: Settings | None = None,
    db: Path | str | None = None,
) -> pl.DataFrame:
    """Run one SELECT on the public views, contained: a separate in-memory copy of the views
    (groups under the minimum size hidden, pupils only per school), with no file system, no
    network, no extensions, no settings and no internal schema. See the README («Personvern»).

    >>> tallkit.sql("select navn from enhet where enhet_id = $id", {"id": "9901"},
    ...             db="fjordvik.duckdb")                                  # doctest: +SKIP
    """
    return _read(_settings(settings, db), query, dict(params or {}))


def _read(settings: Settings, query: str, params: dict[str, Any]) -> pl.DataFrame:
    used = _used_params(query, params)
    with open_surface(settings.db_path, settings.min_group, query) as surface:
        return surface.query(query, used)


def _used_params(query: str, params: Mapping[str, Any]) -> dict[str, Any]:
    wanted = set(re.findall(r"\$([A-Za-z_]\w*)", _strip_comments(query)))
    # a header's «-- valgfrie: $a $b» are null unless given (added to a query without breaking
    # the scripts that call it with the parameters it had)
    optional = set(re.findall(r"\$([A-Za-z_]\w*)", _header(query).get("valgfrie", "")))
    params = {name: None for name in optional & wanted} | dict(params)
    missing = sorted(wanted - params.keys())
    if missing:
        raise UsageError(
            "spørringen trenger parameter "
            + ", ".join(f"«{m}»" for m in missing)
            + " (bruk --param navn=verdi)."
        )
    return {k: v for k, v in params.items() if k in wanted}


def _store_query(
    store: Store, name: str, settings: Settings, params: Mapping[str, Any] | None = None
) -> pl.DataFrame:
    """A named query inside a library call (status, skoler, speil) on an open store."""
    text = find_query(name, settings.queries_dir).read_text(encoding="utf-8")
    return store.query(text, _used_params(text, params or {}))


def _internal_sql(query: str, settings: Settings) -> pl.DataFrame:
    """tallkit's own fixed queries, on the file read-only (user SQL goes through :func:`sql`)."""
    with open_store(settings.db_path, read_only=True) as store:
        return store.query(query)


def _internal_named(
    name: str, settings: Settings, params: Mapping[str, Any] | None = None
) -> pl.DataFrame:
    with open_store(settings.db_path, read_only=True) as store:
        return _store_query(store, name, settings, params)


def _strip_comments(query: str) -> str:
    return "\n".join(line.split("--", 1)[0] for line in query.splitlines())


def konfig(*, settings: Settings | None = None, db: Path | str | None = None) -> pl.DataFrame:
    """The effective settings and where each came from (tallkit.toml, environment, option or
    the built-in default).

    >>> tallkit.konfig().filter(pl.col("innstilling") == "db")       # doctest: +SKIP
    """
    from tallkit.config import describe

    rows = describe(_settings(settings, db))
    return pl.DataFrame(
        rows, schema={"innstilling": pl.String, "verdi": pl.String, "kilde": pl.String}
    )


def query_list(*, settings: Settings | None = None) -> pl.DataFrame:
    """The ready-made queries in ``queries/`` (and a kommune's own folder): name, what it shows
    (its ``-- beskrivelse:`` line) and its parameters (``-- parametre:``).

    >>> tallkit.query_list()["navn"].to_list()[:2]               # doctest: +SKIP
    ['dekning', 'fag_indikatorer']
    """
    from tallkit.resources import list_queries

    rows = []
    for path in list_queries(_settings(settings, None).queries_dir):
        header = _header(path.read_text(encoding="utf-8"))
        rows.append(
            {
                "navn": path.stem,
                "beskrivelse": header.get("beskrivelse") or header.get("description", ""),
                "parametre": header.get("parametre", header.get("params", "")),
            }
        )
    return pl.DataFrame(
        rows, schema={"navn": pl.String, "beskrivelse": pl.String, "parametre": pl.String}
    )


def _header(text: str) -> dict[str, str]:
    """``-- key: value`` lines at the top of a query file; indented ``--   `` lines continue."""
    fields: dict[str, str] = {}
    key = None
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        body = line[2:]
        match = re.match(r"\s*([a-zæøå]+):\s*(.*)", body)
        if match and not body.startswith("   "):
            key = match.group(1)
            fields[key] = match.group(2).strip()
        elif key is not None:
            fields[key] = (fields[key] + " " + body.strip()).strip()
    if fields.get("parametre") == "none" or fields.get("params") == "none":
        fields["parametre"] = ""
    return fields


def status(
    part: str | None = None, *, settings: Settings | None = None, db: Path | str | None = None
) -> dict[str, pl.DataFrame]:
    """What the database holds: ``kilder`` (files), ``dekning`` (years, units), ``hull`` (gaps).

    >>> tallkit.status("hull", db="fjordvik.duckdb")["hull"]              # doctest: +SKIP
    """
    parts = STATUS_PARTS if part is None else (part,)
    unknown = [p for p in parts if p not in STATUS_PARTS]
    if unknown:
        raise UsageError(f"ukjent del «{unknown[0]}». Gyldige: {', '.join(STATUS_PARTS)}.")
    resolved = _settings(settings, db)
    with open_store(resolved.db_path, read_only=True) as store:
        return {p: _store_query(store, p, resolved) for p in parts}


def skoler(
    kommune: str | None = None, *, settings: Settings | None = None, db: Path | str | None = None
) -> pl.DataFrame:
    """Schools with orgnr, name, kommune, trinn and years with data.

    >>> tallkit.skoler("9901")["navn"].to_list()[:2]          # doctest: +SKIP
    ['Bjørkås skole', 'Fjellstølen skole']
    """
    if kommune is not None:
        _, kommune = check_filters(None, kommune, settings=_settings(settings, db))
    return _internal_named("skoler", _settings(settings, db), {"kommune": kommune})


def resolve_school(
    text: str, *, settings: Settings | None = None, db: Path | str | None = None
) -> str:
    """An orgnr from an orgnr or a (unique part of a) name, case-insensitive and trimmed. An
    unknown name is a :class:`~tallkit.errors.UsageError` that suggests close names.

    >>> tallkit.resolve_school("Solåsen", db="fjordvik.duckdb")            # doctest: +SKIP
    '996566048'
    """
    return _match_school(skoler(settings=settings, db=db), text)


def _match_school(schools: pl.DataFrame, text: str) -> str:
    wanted = text.strip()
    if wanted in schools["orgnr"].to_list():
        return wanted
    names = schools["navn"].str.to_lowercase()
    exact = schools.filter(names == wanted.lower())
    if exact.height == 1:
        return str(exact["orgnr"][0])
    partial = schools.filter(names.str.contains(wanted.lower(), literal=True))
    if partial.height == 1:
        return str(partial["orgnr"][0])
    if partial.height == 0:
        raise UsageError(
            f"fant ingen skole som heter «{wanted}».{_suggest(wanted, schools)} "
            "Se «tallkit skoler»."
        )
    candidates = "; ".join(
        f"{r['navn']} ({r['orgnr']})" for r in partial.head(10).iter_rows(named=True)
    )
    more = f" (og {partial.height - 10} til)" if partial.height > 10 else ""
    raise UsageError(
        f"«{wanted}» passer på {partial.height} skoler: {candidates}{more}. Skriv mer av navnet "
        "eller bruk orgnr."
    )


_FOLD = str.maketrans({"æ": "ae", "ø": "o", "å": "aa", "ä": "ae", "ö": "o", "é": "e"})


def fold_name(text: str) -> str:
    """A name as typed on a keyboard without æøå: ``Solåsen`` and ``Solaasen`` fold alike."""
    folded = text.strip().lower().translate(_FOLD)
    return re.sub(r"\s+", " ", folded.replace("oe", "o").replace("aa", "a").replace("ae", "a"))


def _suggest(wanted: str, schools: pl.DataFrame) -> str:
    """« Mente du …?» for a name written without æøå or with a small typo, else nothing."""
    import difflib

    rows = schools.select("orgnr", "navn").to_dicts()
    key = fold_name(wanted)
    hits = [r for r in rows if key and key in fold_name(r["navn"])]
    if not hits:
        by_name = {fold_name(r["navn"]): r for r in rows}
        words: dict[str, list[dict[str, Any]]] = {}
        for r in rows:
            for word in fold_name(r["navn"]).split():
                words.setdefault(word, []).append(r)
        close = difflib.get_close_matches(key, list(by_name), n=3, cutoff=0.75)
        hits = [by_name[c] for c in close]
        if not hits:
            for word in difflib.get_close_matches(key, list(words), n=3, cutoff=0.75):
                hits.extend(r for r in words[word] if r not in hits)
    if not hits:
        return ""
    named = " eller ".join(f"«{r['navn']}» ({r['orgnr']})" for r in hits[:3])
    return f" Mente du {named}?"


_YEARS_SQL = """
select distinct skoleaar from (
    select skoleaar from nasjonale_prover union all select skoleaar from grunnskolepoeng
    union all select skoleaar from elevundersokelsen union all select skoleaar from elevresultat
) order by skoleaar
"""
_YEAR_KNOWN_SQL = """
select exists (from nasjonale_prover where skoleaar = $aar)
    or exists (from grunnskolepoeng where skoleaar = $aar)
    or exists (from elevundersokelsen where skoleaar = $aar)
    or exists (from elevresultat where skoleaar = $aar) as kjent
"""
_SCHOOL_NAMES_SQL = """
select enhet_id as orgnr, navn, kommunenr from enhet where nivaa = 'skole' order by enhet_id
"""
_KOMMUNER_SQL = """
select enhet_id as kommunenr, navn from enhet where nivaa = 'kommune'
union select distinct kommunenr, kommunenr from enhet
where nivaa = 'skole' and kommunenr is not null
    and kommunenr not in (select enhet_id from enhet where nivaa = 'kommune')
order by kommunenr
"""


def check_filters(
    aar: str | None, kommune: str | None, *, settings: Settings | None = None
) -> tuple[str | None, str | None]:
    """``aar`` and ``kommune`` as stored (``2025-2026`` -> ``2025-26``; a kommune also by
    name); an unknown one is a usage error that lists what the database has."""
    if aar is None and kommune is None:
        return aar, kommune
    resolved = _settings(settings, None)
    if aar is not None:
        aar = aar.strip()
        long = re.fullmatch(r"(\d{4})[-/](\d{4})", aar)
        if long and int(long.group(2)) == int(long.group(1)) + 1:
            aar = f"{long.group(1)}-{long.group(2)[2:]}"
        with open_store(resolved.db_path, read_only=True) as store:
            # a known year is answered by the first row found, not by listing every year
            known = store.query(_YEAR_KNOWN_SQL, {"aar": aar})["kjent"][0]
            years = [] if known else store.query(_YEARS_SQL)["skoleaar"].to_list()
        if not known:
            shown = ", ".join(years) if years else "ingen (les inn eksporter først)"
            raise UsageError(f"ukjent skoleår «{aar}» (--aar). Databasen har: {shown}.")
    if kommune is not None:
        kommuner = _internal_sql(_KOMMUNER_SQL, resolved).to_dicts()
        wanted = kommune.strip()
        by_name = [k for k in kommuner if str(k["navn"]).lower() == wanted.lower()]
        if wanted in {k["kommunenr"] for k in kommuner}:
            kommune = wanted
        elif len(by_name) == 1:
            kommune = str(by_name[0]["kommunenr"])
        else:
            shown = ", ".join(f"{k['kommunenr']} {k['navn']}" for k in kommuner[:20])
            more = f" (og {len(kommuner) - 20} til)" if len(kommuner) > 20 else ""
            raise UsageError(
                f"ukjent kommune «{wanted}» (--kommune). Databasen har: "
                f"{shown or 'ingen (les inn eksporter først)'}{more}."
            )
    return aar, kommune


def _run_analysis(
    module: str,
    part: str,
    *,
    skole: str | None,
    settings: Settings | None,
    db: Path | str | None,
    **filter_args: Any,
) -> pl.DataFrame:
    """Resolve the school, build the filters and run one part of an analysis read-only."""
    from importlib import import_module

    from tallkit.analyses import Filters

    parts = import_module(f"tallkit.analyses.{module}").PARTS
    if part not in parts:
        raise UsageError(f"ukjent del «{part}». Gyldige: {', '.join(parts)}.")
    resolved = _settings(settings, db)
    comparison = _comparison(
        filter_args.pop("sammenligning", False), module, part, resolved, filter_args
    )
    filter_args["aar"], filter_args["kommune"] = check_filters(
        filter_args.get("aar"), filter_args.get("kommune"), settings=resolved
    )
    orgnr = resolve_school(skole, settings=resolved) if skole is not None else None
    with open_store(resolved.db_path, read_only=True) as store:
        independent = filter_args.pop("independent_pupils", False) or resolved.independent_pupils
        # the class models are built by the parts that need them (analyses.uncertainty)
        filters = Filters(
            skole=orgnr,
            independent_pupils=independent,
            uncertainty_settings=resolved,
            comparison=comparison,
            **filter_args,
        )
        result: pl.DataFrame = parts[part](store, filters, resolved.min_group)
    return result


def _comparison(
    wanted: Comparison,
    module: str,
    part: str,
    settings: Settings,
    filter_args: dict[str, Any],
) -> tuple[str, ...]:
    """The comparison kommuner of a run: ``True`` takes ``[sammenligning]`` from tallkit.toml,
    numbers, names or groups (``"ASSS"``) take those; ``False`` none."""
    from tallkit.sammenligning import resolve

    if wanted is False or wanted is None:
        return ()
    supported = COMPARISON_PARTS.get(module, ())
    if part not in supported:
        raise UsageError(
            f"--sammenligning gjelder {module} --del {' og '.join(supported)}, ikke --del "
            f"{part} (sammenligningskommunene har bare Udirs kommunetall)."
        )
    if filter_args.get("pool_years", 1) > 1:
        raise UsageError(
            "--sammenligning kan ikke brukes med --slaa-sammen: Udir publiserer ingen "
            "sammenslåtte år for kommunene."
        )
    if wanted is True:
        if not settings.comparison:
            raise UsageError(
                "ingen sammenligningskommuner i tallkit.toml. Sett [sammenligning] gruppe = "
                '"ASSS" eller kommuner = ["4601"], eller bruk --sammenlign-med.'
            )
        return settings.comparison
    entries = [wanted] if isinstance(wanted, str) else [str(w) for w in wanted]
    found = resolve(entries, None, "--sammenlign-med")
    if not found:
        raise UsageError("--sammenlign-med trenger minst ett kommunenummer, navn eller ASSS.")
    return found


def variasjon(
    part: str = "skoler",
    *,
    aar: str | None = None,
    trinn: int | None = None,
    prove: str | None = None,
    kommune: str | None = None,
    skole: str | None = None,
    slaa_sammen: int = 1,
    uavhengige_elever: bool = False,
    sammenligning: Comparison = False,
    settings: Settings | None = None,
    db: Path | str | None = None,
) -> pl.DataFrame:
    """Variation between and within schools (README: «tallkit variasjon»).

    ``part``: ``skoler`` (each school against its kommune: funnel, shrinkage, rank interval),
    ``spredning`` (spread of school means), ``grupper`` (classes within a school, pupil data),
    ``dekomponering`` (variance between schools / groups / pupils). ``slaa_sammen`` (2-3)
    pools that many school years per school, weighted by n, for ``skoler`` and ``spredning``.
    ``sammenligning`` adds the comparison kommuner to ``skoler`` as reference rows (Udir's
    kommune rows against the run's own kommune): ``True`` for ``[sammenligning]`` in
    tallkit.toml, or numbers, names and groups (``["ASSS", "4204"]``).

    >>> tallkit.variasjon("skoler", aar="2025-26", trinn=5, db="fjordvik.duckdb")  # doctest: +SKIP
    """
    return _run_analysis(
        "variasjon",
        part,
        skole=skole,
        settings=settings,
        db=db,
        aar=aar,
        trinn=trinn,
        prove=prove,
        kommune=kommune,
        pool_years=slaa_sammen,
        independent_pupils=uavhengige_elever,
        sammenligning=sammenligning,
    )


def fag(
    part: str = "prover",
    *,
    aar: str | None = None,
    trinn: int | None = None,
    prove: str | None = None,
    kommune: str | None = None,
    skole: str | None = None,
    slaa_sammen: int = 1,
    uavhengige_elever: bool = False,
    sammenligning: Comparison = False,
    settings: Settings | None = None,
    db: Path | str | None = None,
) -> pl.DataFrame:
    """Cross-subject comparison (README: «tallkit fag»).

    ``part``: ``prover`` (each test against kommune and nation), ``profil`` (which test stands
    out), ``sammenheng`` (pupil-level correlations and low results), ``indikatorer`` (national
    tests beside Elevundersøkelsen and grunnskolepoeng). ``slaa_sammen`` (2-3) pools school
    years per school for ``prover`` and ``profil``. ``sammenligning`` adds the comparison
    kommuner to ``prover`` and ``indikatorer`` as reference rows beside the nation (Udir's
    kommune rows): ``True`` for ``[sammenligning]`` in tallkit.toml, or numbers, names and
    groups (``["ASSS", "4204"]``).

    >>> tallkit.fag("prover", kommune="4203", sammenligning=["4204", "4202"])  # doctest: +SKIP

    >>> tallkit.fag("profil", skole="Nordby skole", db="fjordvik.duckdb")  # doctest: +SKIP
    """
    return _run_analysis(
        "fag",
        part,
        skole=skole,
        settings=settings,
        db=db,
        aar=aar,
        trinn=trinn,
        prove=prove,
        kommune=kommune,
        pool_years=slaa_sammen,
        independent_pupils=uavhengige_elever,
        sammenligning=sammenligning,
    )


def progresjon(
    part: str = "kull",
    *,
    aar: str | None = None,
    trinn: int | None = None,
    prove: str | None = None,
    kommune: str | None = None,
    skole: str | None = None,
    uavhengige_elever: bool = False,
    settings: Settings | None = None,
    db: Path | str | None = None,
) -> pl.DataFrame:
    """Progression of the same pupils (README: «tallkit progresjon»).

    ``part``: ``kull`` (published results 8->9 and 5->8), ``elever`` (paired change and level
    transitions from pupil data), ``verdiskaping`` (value added), ``trend`` (over the years,
    with series breaks). ``aar`` and ``trinn`` are the end of a progression.

    >>> tallkit.progresjon("trend", skole="Solåsen", db="fjordvik.duckdb")  # doctest: +SKIP
    """
    return _run_analysis(
        "progresjon",
        part,
        skole=skole,
        settings=settings,
        db=db,
        aar=aar,
        trinn=trinn,
        prove=prove,
        kommune=kommune,
        independent_pupils=uavhengige_elever,
    )


@dataclass
class SpeilReport:
    """What ``speil`` wrote, and which schools it skipped and why."""

    written: list[Path]
    skipped: list[tuple[str, str]]  # (school, reason)
    year: str


def speil(
    skoler: Iterable[str] = (),
    *,
    alle: bool = False,
    kommune: str | None = None,
    aar: str | None = None,
    formats: Iterable[str] = ("md", "html", "json"),
    ut: Path | str = Path("laeringsspeil"),
    vurdering: Path | str | None = None,
    vurderingsmal: bool = False,
    maler: Path | str | None = None,
    dato: str | None = None,
    settings: Settings | None = None,
    db: Path | str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SpeilReport:
    """Write the Læringsspeil for the schools asked for (or ``alle``): Markdown, HTML and JSON.

    Every school of the selection gets a report, also one whose national-test numbers Udir
    suppressed. ``aar`` is the national tests' year (default: the newest); Elevundersøkelsen
    and grunnskolepoeng come from their newest year up to it. ``vurdering`` is a folder with one
    file per school (or one file for one school); ``vurderingsmal`` writes a blank one per
    school instead of the reports. The same database and options give byte-identical files;
    ``dato`` fixes the date printed.

    >>> written = tallkit.speil(["Solåsen"], ut="speil", dato="2026-01-15",
    ...                         db="fjordvik.duckdb")                      # doctest: +SKIP
    >>> [p.name for p in written.written if p.suffix == ".html"]         # doctest: +SKIP
    ['2026-27_Fjordvik_Solåsen_skole_996566048.html']
    """
    from datetime import date

    from tallkit import render
    from tallkit.analyses import Filters, build_uncertainty
    from tallkit.reports import laeringsspeil
    from tallkit.reports import vurdering as assessments
    from tallkit.reports import words as report_words

    resolved = _settings(settings, db)
    aar, kommune = check_filters(aar, kommune, settings=resolved)
    school_names = list(skoler)
    if not school_names and not alle:
        raise UsageError("angi --skole NAVN (kan gjentas) eller --alle.")
    wanted_formats = tuple(dict.fromkeys(formats))
    unknown = [f for f in wanted_formats if f not in render.FORMATS]
    if unknown:
        raise UsageError(f"ukjent format «{unknown[0]}». Gyldige: {', '.join(render.FORMATS)}.")
    folder = Path(vurdering) if vurdering is not None else None
    if folder is not None and not folder.is_dir() and (alle or len(school_names) != 1):
        raise UsageError(
            "--vurdering FIL gjelder én skole. For flere skoler: gi en mappe med én fil per "
            "skole (lag dem med --vurderingsmal)."
        )
    template_dir = Path(maler) if maler is not None else resolved.templates_dir
    words = report_words.load(template_dir)
    env = render.environment(template_dir)
    stamp = dato or date.today().isoformat()
    with render.Workers() as workers:
        with open_store(resolved.db_path, read_only=True) as store:
            # one connection, one consistent state for the whole run (no ingest can commit while
            # a reader holds the file), school names resolved in it too
            # names are matched against every school, but only the chosen schools' kommune is
            # summed up (a school's report should not pay for the country's list)
            chosen: list[str] = []
            listed_kommune = kommune
            if school_names:
                every_school = store.query(_SCHOOL_NAMES_SQL)
                chosen = [_match_school(every_school, name) for name in school_names]
                chosen_kommuner = set(
                    every_school.filter(pl.col("orgnr").is_in(chosen))["kommunenr"].to_list()
                )
                if kommune is None and len(chosen_kommuner) == 1 and None not in chosen_kommuner:
                    listed_kommune = chosen_kommuner.pop()
            # only the chosen schools' data summed up (not every school of their kommune)
            only_chosen = chosen if chosen and kommune is None else None
            schools = _store_query(
                store, "skoler", resolved, {"kommune": listed_kommune, "skoler": only_chosen}
            )
            if kommune is not None and schools.is_empty():
                known = store.query(
                    "select enhet_id, navn from enhet where nivaa = 'kommune' order by enhet_id"
                )
                listed = ", ".join(
                    f"{r['enhet_id']} {r['navn']}" for r in known.iter_rows(named=True)
                )
                raise UsageError(
                    f"ingen skoler i kommune «{kommune}». Kommuner i databasen: {listed}."
                )
            if chosen:
                schools = schools.filter(pl.col("orgnr").is_in(chosen))
            years = _np_years(
                store, kommune or _kommune_of(schools, chosen[0] if len(chosen) == 1 else None)
            )
            year = _report_year(years, aar)
            # schools asked for by name get a report whatever they have; the others (--alle)
            # when they have any row in the three years up to the report's
            selection = (
                schools
                if chosen
                else schools.filter(pl.col("orgnr").is_in(_active_schools(store, year)))
            )
            if vurderingsmal:
                return _assessment_templates(selection, year, Path(ut))
            # forked now, while this process is small: forked later, every page of the analyses
            # this process then touches would be copied (seconds of system time nationally)
            workers.start(
                render.workers_for(selection.height, wanted_formats, resolved.processes),
                Path(ut),
                wanted_formats,
                date=stamp,
                env=env,
            )
            only = chosen[0] if len(chosen) == 1 else None
            own_kommune = kommune or _kommune_of(schools, only)
            shared = Filters(
                uncertainty_model=build_uncertainty(store, kommune, settings=resolved),
                independent_pupils=resolved.independent_pupils,
            )
            inputs = _speil_inputs(
                store, resolved, shared, schools, year, kommune, only, own_kommune
            )
            kommune_inputs = (
                _kommune_inputs(store, resolved, shared, inputs, [kommune])
                if alle and kommune is not None
                else None
            )
        written: list[Path] = []
        skipped = [
            (f"{r['navn']} ({r['orgnr']})", f"ingen tall fra {_three_years(year)}")
            for r in schools.filter(~pl.col("orgnr").is_in(selection["orgnr"].to_list())).iter_rows(
                named=True
            )
        ]
        rows = selection.sort("kommune", "navn", "orgnr").to_dicts()
        entries = []
        inputs.split()

        def documents() -> Iterator[tuple[dict[str, Any], Any]]:
            for school in rows:
                own, previous = None, None
                if folder is not None:
                    if folder.is_dir():
                        current_file, previous_file = assessments.find(
                            folder, school["orgnr"], school["navn"], year
                        )
                        own = assessments.read(current_file) if current_file else None
                        previous = assessments.read(previous_file) if previous_file else None
                    else:
                        own = assessments.read(folder)
                yield (
                    school,
                    laeringsspeil.build(
                        inputs,
                        school["orgnr"],
                        year,
                        min_group=resolved.min_group,
                        words=words,
                        assessment=own,
                        previous=previous,
                        standards=resolved.standards,
                    ),
                )

        if progress is not None:
            progress(0, len(rows))
        done = workers.write_all(documents())
        for index, (school, files) in enumerate(done, start=1):
            written.extend(files)
            reports = [f.name for f in files if f.suffix in (".md", ".html")]
            entries.append(
                {
                    "navn": school["navn"],
                    "orgnr": school["orgnr"],
                    "kommune": school["kommune"],
                    "filer": reports,
                }
            )
            if progress is not None and index < len(rows):
                progress(index, len(rows))
        if progress is not None:
            progress(len(rows), len(rows))
        if alle and kommune is not None and kommune_inputs is not None:
            # the dialogue pack: the kommune report, linking every school's report, replaces the
            # bare index page
            links = {e["orgnr"]: e["filer"] for e in entries}
            written.extend(
                _write_kommune_reports(
                    kommune_inputs,
                    [kommune],
                    year,
                    resolved,
                    words,
                    env,
                    Path(ut),
                    tuple(f for f in wanted_formats if f != "xlsx"),
                    stamp,
                    active=frozenset(selection["orgnr"].to_list()),
                    links=links,
                )
            )
        elif alle:
            written.extend(
                render.write_index(
                    entries,
                    skipped,
                    Path(ut),
                    wanted_formats,
                    year=year,
                    name=kommune or "alle",
                    date=stamp,
                    env=env,
                )
            )
        return SpeilReport(written, skipped, year)


@dataclass
class RapportReport:
    """What ``rapport`` wrote, for which kommuner and year."""

    written: list[Path]
    kommuner: list[str]
    year: str


def resolve_kommune(text: str, store: Any) -> str:
    """A kommunenr from a number or a (unique part of a) name, case-insensitive and trimmed."""
    wanted = text.strip()
    known = store.query(
        "select enhet_id, navn from enhet where nivaa = 'kommune' order by enhet_id"
    )
    numbers = known["enhet_id"].to_list()
    if wanted in numbers:
        return wanted
    names = known["navn"].str.to_lowercase()
    for found in (
        known.filter(names == wanted.lower()),
        known.filter(names.str.contains(wanted.lower(), literal=True)),
    ):
        if found.height == 1:
            return str(found["enhet_id"][0])
        if found.height > 1:
            listed = "; ".join(
                f"{r['navn']} ({r['enhet_id']})" for r in found.head(10).iter_rows(named=True)
            )
            raise UsageError(f"«{wanted}» passer på flere kommuner: {listed}. Bruk kommunenummer.")
    listed = ", ".join(f"{r['enhet_id']} {r['navn']}" for r in known.head(20).iter_rows(named=True))
    raise UsageError(f"fant ingen kommune «{wanted}». Kommuner i databasen: {listed or 'ingen'}.")


def rapport(
    kommune: str | None = None,
    *,
    alle: bool = False,
    aar: str | None = None,
    formats: Iterable[str] = ("md", "html", "json"),
    ut: Path | str = Path("kommunerapport"),
    vurdering: Path | str | None = None,
    anonym: bool | None = None,
    maler: Path | str | None = None,
    dato: str | None = None,
    settings: Settings | None = None,
    db: Path | str | None = None,
) -> RapportReport:
    """Write the school owner's kommune report (README: «For skoleeier»): Markdown, HTML, JSON
    and/or an xlsx appendix with every table.

    ``kommune`` is a kommunenr or a name (or ``[kommune] nummer`` from tallkit.toml); ``alle``
    writes one report per kommune in one run. ``aar`` is the national tests' year (default: the
    newest); the other indicators come from their newest year up to it. ``vurdering`` is the
    administration's own text (Markdown or TOML, kept as written). ``anonym`` (default:
    ``[rapport] anonym``) replaces the school names with letters for a public version.
    Comparison kommuner come from ``[sammenligning]`` in tallkit.toml.

    Example::

        tallkit.rapport("Fjordvik", ut="rapport", dato="2026-11-24")
    """
    from datetime import date

    from tallkit import render
    from tallkit.analyses import Filters, build_uncertainty
    from tallkit.reports import vurdering as assessments
    from tallkit.reports import words as report_words

    resolved = _settings(settings, db)
    wanted_formats = tuple(dict.fromkeys(formats))
    unknown = [f for f in wanted_formats if f not in render.FORMATS]
    if unknown:
        raise UsageError(f"ukjent format «{unknown[0]}». Gyldige: {', '.join(render.FORMATS)}.")
    if kommune is None and not alle:
        kommune = resolved.kommunenr
    if kommune is None and not alle:
        raise UsageError("angi --kommune NR eller NAVN (eller [kommune] nummer i tallkit.toml).")
    own = assessments.read(Path(vurdering)) if vurdering is not None else None
    template_dir = Path(maler) if maler is not None else resolved.templates_dir
    words = report_words.load(template_dir)
    with open_store(resolved.db_path, read_only=True) as store:
        number = None if alle else resolve_kommune(str(kommune), store)
        years = _np_years(store, number)
        year = _report_year(years, aar)
        schools = _store_query(store, "skoler", resolved, {"kommune": number})
        shared = Filters(
            uncertainty_model=build_uncertainty(store, number, settings=resolved),
            independent_pupils=resolved.independent_pupils,
        )
        inputs = _speil_inputs(store, resolved, shared, schools, year, number, None, number)
        if alle:
            kommuner = sorted(
                str(k)
                for k in store.query(
                    "select distinct e.enhet_id from enhet as e join nasjonale_prover as n "
                    "using (enhet_id) where e.nivaa = 'kommune' and n.skoleaar = $aar",
                    {"aar": year},
                )["enhet_id"].to_list()
            )
        else:
            assert number is not None
            kommuner = [number]
        kommune_inputs = _kommune_inputs(store, resolved, shared, inputs, kommuner)
        active = frozenset(_active_schools(store, year))
    env = render.environment(template_dir)
    stamp = dato or date.today().isoformat()
    written = _write_kommune_reports(
        kommune_inputs,
        kommuner,
        year,
        resolved,
        words,
        env,
        Path(ut),
        wanted_formats,
        stamp,
        active=active,
        anonymous=resolved.anonymous if anonym is None else anonym,
        assessment=own,
    )
    return RapportReport(written, kommuner, year)


def _kommune_inputs(
    store: Any, resolved: Settings, shared: Any, inputs: Any, kommuner: list[str]
) -> Any:
    """What the kommune report needs besides the Læringsspeil's inputs: Udir's kommune rows
    (own, comparison kommuner and their former numbers) and the variation over the years."""
    from dataclasses import replace

    from tallkit.analyses import fag as fag_analysis
    from tallkit.analyses import variasjon as variation
    from tallkit.analyses.referanser import numbers_to_read
    from tallkit.reports.kommune import KommuneInputs

    one = kommuner[0] if len(kommuner) == 1 else None
    wanted = [*kommuner, *numbers_to_read(resolved.comparison)]
    names = store.query("select enhet_id, navn from enhet where nivaa = 'kommune'")
    return KommuneInputs(
        schools=inputs,
        kommuner=fag_analysis.kommune_indicators(store, shared, wanted, resolved.min_group),
        spread=variation.spread(store, replace(shared, kommune=one), resolved.min_group),
        decomposition=variation.decomposition(
            store, replace(shared, kommune=one), resolved.min_group
        ),
        names={str(r["enhet_id"]): str(r["navn"]) for r in names.iter_rows(named=True)},
    )


def _write_kommune_reports(
    kommune_inputs: Any,
    kommuner: list[str],
    year: str,
    resolved: Settings,
    words: Any,
    env: Any,
    folder: Path,
    formats: tuple[str, ...],
    stamp: str,
    *,
    active: frozenset[str] | None = None,
    anonymous: bool = False,
    assessment: Any = None,
    links: dict[str, list[str]] | None = None,
) -> list[Path]:
    from tallkit import render
    from tallkit.reports import kommune as kommune_report

    written: list[Path] = []
    kommune_inputs.schools.split()
    for number in kommuner:
        document = kommune_report.build(
            kommune_inputs,
            number,
            year,
            min_group=resolved.min_group,
            words=words,
            comparison=resolved.comparison,
            anonymous=anonymous,
            assessment=assessment,
            standards=resolved.standards,
            active=active,
            links=links,
        )
        written.extend(render.write(document, folder, formats, date=stamp, env=env))
    return written


def _report_year(years: list[str], aar: str | None) -> str:
    """The national tests' year a report is for: ``aar`` if the database has it, else the
    newest; a year without national tests is a usage error that lists what exists."""
    if aar is not None and aar not in years:
        raise UsageError(
            f"ingen nasjonale prøver for skoleåret «{aar}». Skoleår i databasen: "
            f"{', '.join(years) or 'ingen'}."
        )
    if not years:
        raise UsageError("fant ingen år med nasjonale prøver. Les inn eksporter først.")
    return aar or years[-1]


def _query(name: str, settings: Settings) -> str:
    return find_query(name, settings.queries_dir).read_text(encoding="utf-8")


def _three_years(year: str) -> str:
    start = int(year[:4])
    return f"{start - 2}-{(start - 1) % 100:02d}–{year}"


def _np_years(store: Any, kommune: str | None) -> list[str]:
    frame = store.query(
        "select distinct n.skoleaar from nasjonale_prover as n join enhet as e using (enhet_id) "
        "where cast($kommune as varchar) is null or e.kommunenr = $kommune "
        "or e.enhet_id = $kommune order by n.skoleaar",
        {"kommune": kommune},
    )
    return [str(y) for y in frame["skoleaar"].to_list()]


def _active_schools(store: Any, year: str) -> list[str]:
    """Schools with any row (published, suppressed or pupil data) in ``year`` or the two years
    before: each gets a report, also when every number of it is suppressed."""
    start = int(year[:4])
    first = f"{start - 2}-{(start - 1) % 100:02d}"
    frame = store.query(
        "select distinct enhet_id from ("
        "select enhet_id, skoleaar from nasjonale_prover union all "
        "select enhet_id, skoleaar from grunnskolepoeng union all "
        "select enhet_id, skoleaar from elevundersokelsen union all "
        "select enhet_id, skoleaar from elevresultat) "
        "where skoleaar between $first and $year order by enhet_id",
        {"first": first, "year": year},
    )
    return [str(x) for x in frame["enhet_id"].to_list()]


def _speil_inputs(
    store: Any,
    resolved: Settings,
    shared: Any,
    schools: pl.DataFrame,
    year: str,
    kommune: str | None,
    only: str | None,
    own_kommune: str | None,
) -> Any:
    """Every analysis once for every school of the run (split per school afterwards)."""
    from dataclasses import replace

    from tallkit import skjerming
    from tallkit.analyses import fag as fag_analysis
    from tallkit.analyses import progresjon as progression
    from tallkit.analyses import start_suppression_plan, suppression_plan
    from tallkit.analyses import variasjon as variation
    from tallkit.reports.laeringsspeil import Inputs

    base = replace(shared, aar=year, kommune=kommune, skole=only)
    minimum = resolved.min_group
    if kommune is None and only is None and resolved.processes != 1:
        # the whole country: the plan is made beside the analyses below that do not need it
        start_suppression_plan(store, minimum)
    trend = progression.trend(store, replace(shared, kommune=kommune, skole=only), minimum)
    if only is not None and own_kommune is not None:
        # the kommune's own line in the school's trend charts
        kommune_line = progression.trend(store, replace(shared, skole=own_kommune), minimum)
        trend = pl.concat([trend, kommune_line])
    tests = fag_analysis.by_test(store, base, minimum)
    # first the analyses that do not need the suppression plan (it may still be in the making)
    independent: dict[str, Any] = {
        # the files behind the school's, its kommune's and the nation's numbers (one school)
        "sources": _store_query(
            store,
            "kilder_per_enhet",
            resolved,
            {"enheter": None if only is None else [only, own_kommune, "I"]},
        ),
        # pooled years only for the schools Udir suppressed this year (their report's section)
        "pooled": fag_analysis.by_test(store, replace(base, pool_years=3), minimum)
        if any(school not in set(tests["enhet_id"]) for school in schools["orgnr"].to_list())
        else tests.head(0),
        "cohort": progression.cohort(store, base, minimum),
        "profile": fag_analysis.profile(store, base, minimum),
        # every school of the kommune, for the funnel (other schools stay unnamed)
        # the same whole selection as the tests (one comparison, computed once), so a school's
        # funnel is the same alone or in a run of every school
        "variation": variation.between_schools(
            store, replace(shared, aar=year, kommune=kommune, rows_kommune=own_kommune), minimum
        ).filter(pl.col("kommunenr") == own_kommune)
        if own_kommune is not None
        else variation.between_schools(store, replace(shared, aar=year, kommune=kommune), minimum),
        # every year, for the indicators' development and each one's newest year
        "indicators": fag_analysis.indicators(
            store, replace(shared, kommune=kommune, skole=only), minimum
        ),
        "preliminary": frozenset(
            store.query(
                "select distinct enhet_id from nasjonale_prover "
                "where skoleaar = $aar and forelopig order by enhet_id",
                {"aar": year},
            )["enhet_id"].to_list()
        ),
        # Udir's texts on suppression (137217) and series breaks (137216), from a report page
        "udir_texts": tuple(
            store.query(
                "select distinct tekst from lager.udir_tekst "
                "where tekst_id in ('137217', '137216') order by tekst"
            )["tekst"].to_list()
        ),
    }
    levels = store.query(
        find_query("mestring").read_text(encoding="utf-8"), {"aar": None, "kommune": own_kommune}
    )
    plan = suppression_plan(store, minimum, own_kommune)
    return Inputs(
        schools=schools,
        tests=tests,
        trend=trend,
        **independent,
        paired=progression.paired(store, base, minimum),
        value_added=progression.value_added(store, base, minimum),
        # suppression across tables (skjerming.py): hidden bars drop out, and are named
        levels=skjerming.levels(levels, plan),
        levels_hidden=skjerming.hidden_levels(levels, plan, minimum),
    )


def _example_indicators(trinn: str | None) -> list[str]:
    """What a tiltak in the blank vurdering names as its example: the school's own national
    tests (a barneskole «lesing 5», «regning 5», not «lesing 8»), else Elevundersøkelsen."""
    own = [t for t in (5, 8, 9) if str(t) in (trinn or "").split(", ")]
    if len(own) > 1:
        return [f"lesing {t}" for t in own[:2]]
    if own:
        return [f"lesing {own[0]}", f"regning {own[0]}"]
    return ["Mobbing på skolen"]


def _assessment_templates(selection: pl.DataFrame, year: str, folder: Path) -> SpeilReport:
    """A blank vurdering per school (``speil --vurderingsmal``), never overwriting one."""
    from tallkit import render
    from tallkit.reports import vurdering as assessments

    written: list[Path] = []
    skipped: list[tuple[str, str]] = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for school in selection.sort("kommune", "navn", "orgnr").iter_rows(named=True):
            stem = render.safe_name(f"{year}_{school['navn']}_{school['orgnr']}")
            path = folder / f"{stem}.toml"
            if path.exists():
                skipped.append((f"{school['navn']} ({school['orgnr']})", f"{path.name} finnes"))
                continue
            path.write_text(
                assessments.template(
                    school["navn"], school["orgnr"], year, _example_indicators(school["trinn"])
                ),
                encoding="utf-8",
                newline="\n",
            )
            written.append(path)
    except OSError as exc:
        raise OutputError(f"{folder}: kan ikke skrive ({exc.strerror}).") from None
    return SpeilReport(written, skipped, year)


def _kommune_of(schools: pl.DataFrame, orgnr: str | None) -> str | None:
    if orgnr is None:
        return None
    row = schools.filter(pl.col("orgnr") == orgnr)
    return str(row["kommunenr"][0]) if row.height and row["kommunenr"][0] else None
