"""JSON that the statistikkportalen web page itself loads: report tables and report definitions.

A report table (``{"metadata": {"rowHierarchy", "columns"}, "rows": [...]}``) is a pivot: its
column levels flatten to the same paths the CSV exporter writes, so NP tables reuse the header
parser. Elevundersøkelsen tables put the geography in the columns and the indicators in the rows.
A report definition (``{"rappside": ...}``) holds Udir's own texts on suppression and series
breaks, which the Læringsspeil quotes.
"""

from __future__ import annotations

from typing import Any, Final

import polars as pl

from tallkit.errors import InputError, quote
from tallkit.formats import vocab
from tallkit.formats.cells import with_cells
from tallkit.formats.model import MEASURE_SCHEMA, NAME_KEY_PREFIX, UNIT_SCHEMA, Parsed

_GEO_LEVELS: Final = ("land", "fylke", "kommune", "skole")
_AGGREGATES: Final = {"alle skoler", "alle kommuner", "alle fylker"}


def is_report_table(data: Any) -> bool:
    return isinstance(data, dict) and "metadata" in data and "rows" in data


def is_report_page(data: Any) -> bool:
    return isinstance(data, dict) and "rappside" in data


def parse_page(data: dict[str, Any], description: str) -> Parsed:
    page = data["rappside"]
    texts = data.get("tekster") or {}
    rows = [
        {"rapport": str(page.get("kode", "")), "tekst_id": str(k), "tekst": str(v)}
        for k, v in sorted(texts.items())
        if v is not None and str(v) != "todo"
    ]
    frame = pl.DataFrame(
        rows, schema={"rapport": pl.String, "tekst_id": pl.String, "tekst": pl.String}
    )
    parsed = Parsed(kind="rapportside", description=description, tables={"udir_tekst": frame})
    parsed.notes.append(
        f"rapportbeskrivelse «{quote(page.get('navn', ''))}»: ingen tall, {frame.height} tekster lagret."
    )
    return parsed


MAX_COLUMNS = 10_000  # the widest real report table has a few hundred
MAX_CELLS = 5_000_000


def parse_table(data: dict[str, Any], description: str) -> Parsed:
    metadata = data.get("metadata") or {}
    rows = data.get("rows") or []
    if not isinstance(metadata, dict) or not isinstance(rows, list):
        raise InputError("rapporttabellen har et uventet oppsett (metadata/rows).")
    leaves = _flatten_columns(metadata.get("columns") or [])
    if not rows or not leaves:
        parsed = Parsed(kind="np", description=description)
        parsed.notes.append("rapporttabellen er tom (ingen rader); ingenting å lese inn.")
        return parsed
    if len(rows) * len(leaves) > MAX_CELLS:
        raise InputError(
            f"rapporttabellen har mer enn {MAX_CELLS} celler.",
            hint="Del opp eksporten, eller last den ned på nytt.",
        )
    hierarchy = [str(h).casefold() for h in metadata.get("rowHierarchy") or []]
    if hierarchy and hierarchy[0] == "indikator":
        return _parse_eu_table(rows, leaves, description)
    return _parse_unit_table(rows, leaves, description)


def _flatten_columns(levels: list[list[dict[str, Any]]]) -> list[list[str]]:
    """Column levels -> one path of labels per leaf column."""
    if not levels:
        return []
    expanded: list[list[str]] = []
    for level in levels:
        if not isinstance(level, list):
            raise InputError("rapporttabellens kolonnehode har et uventet oppsett.")
        names: list[str] = []
        for entry in level:
            count = entry.get("columnCount", 1) if isinstance(entry, dict) else None
            # a declared size is checked before anything is built from it: an 873-byte file
            # must not ask for millions of columns
            if not isinstance(count, int) or isinstance(count, bool) or count < 1:
                raise InputError("rapporttabellens kolonnehode har et ugyldig columnCount.")
            if len(names) + count > MAX_COLUMNS:
                raise InputError(
                    f"rapporttabellen oppgir mer enn {MAX_COLUMNS} kolonner.",
                    hint="Er dette en eksport fra statistikkportalen? Last den ned på nytt.",
                )
            names.extend([str(entry.get("name", ""))] * count)
        expanded.append(names)
    width = max(len(names) for names in expanded)
    paths: list[list[str]] = [[] for _ in range(width)]
    for names in expanded:
        if not names or width % len(names):
            raise InputError("rapporttabellens kolonnehode har et uventet oppsett.")
        tiled = names * (width // len(names))  # a level listed once per parent repeats
        for leaf, name in enumerate(tiled):
            paths[leaf].append(name)
    return paths


def _parse_unit_table(
    rows: list[dict[str, Any]], leaves: list[list[str]], description: str
) -> Parsed:
    headers = [".".join(path) for path in leaves]
    paths = [vocab.parse_header(h) for h in headers]
    records = []
    units = []
    for number, row in enumerate(rows, start=1):
        depth = len(str(row.get("id", "")).split("."))
        level = _GEO_LEVELS[min(depth, 4) - 1]
        code = (
            str(row.get("kode", "")).strip() or NAME_KEY_PREFIX + str(row.get("navn", "")).strip()
        )
        unit_id = "I" if level == "land" else code
        units.append((unit_id, level, str(row.get("navn", "")).strip(), None, None))
        for path, raw in zip(paths, row.get("data") or [], strict=False):
            records.append((number, unit_id, path, raw))
    frame = pl.DataFrame(
        {
            "linje": [r[0] for r in records],
            "enhet_id": [r[1] for r in records],
            "skoleaar": [r[2].skoleaar for r in records],
            "forelopig": [r[2].forelopig for r in records],
            "emne": [r[2].emne or "grunnskolepoeng" for r in records],
            "trinn": [r[2].trinn or 0 for r in records],
            "eierform": [r[2].eierform for r in records],
            "kjonn": [r[2].kjonn for r in records],
            "maal": [r[2].maal for r in records],
            "raw": [None if r[3] is None else str(r[3]) for r in records],
        }
    )
    domain = "np" if all(p.emne in vocab.TESTS.values() for p in paths) else "gsp"
    return _finish(frame, units, domain, description)


def _parse_eu_table(
    rows: list[dict[str, Any]], leaves: list[list[str]], description: str
) -> Parsed:
    records = []
    units = []
    index_code = ""
    for path in leaves:
        dims, geography = _split_eu_path(path)
        unit_id, level, name = _deepest_unit(geography)
        units.append((unit_id, level, name, None, None))
        for number, row in enumerate(rows, start=1):
            code = str(row.get("kode", "")).strip()
            if code.startswith("EUIndeks") or not index_code:
                index_code = code
            question = "" if code == index_code else code
            data = row.get("data") or []
            raw = data[leaves.index(path)] if leaves.index(path) < len(data) else None
            records.append((number, unit_id, dims, index_code, question, raw))
    frame = pl.DataFrame(
        {
            "linje": [r[0] for r in records],
            "enhet_id": [r[1] for r in records],
            "skoleaar": [r[2]["skoleaar"] for r in records],
            "forelopig": [r[2]["forelopig"] for r in records],
            "emne": [r[3] for r in records],
            "delemne": [r[4] for r in records],
            "trinn": [r[2]["trinn"] for r in records],
            "eierform": [r[2]["eierform"] for r in records],
            "kjonn": [r[2]["kjonn"] for r in records],
            "maal": [r[2]["maal"] for r in records],
            "raw": [None if r[5] is None else str(r[5]) for r in records],
        }
    )
    labels = pl.DataFrame(
        {
            "kode": [str(r.get("kode", "")) for r in rows],
            "navn": [str(r.get("navn", "")) for r in rows],
        }
    )
    parsed = _finish(frame, units, "eu", description)
    parsed.tables["indikator"] = labels
    return parsed


def _split_eu_path(path: list[str]) -> tuple[dict[str, Any], list[str]]:
    dims: dict[str, Any] = {"eierform": "alle", "kjonn": "alle", "trinn": 0, "forelopig": False}
    geography: list[str] = []
    for label in path[:-1]:
        lowered = label.strip().casefold()
        if (year := vocab.school_year(label)) is not None:
            dims["skoleaar"], dims["forelopig"] = year
        elif (trinn := vocab.trinn_number(label)) is not None:
            dims["trinn"] = trinn
        elif lowered in vocab.OWNERSHIPS:
            dims["eierform"] = vocab.OWNERSHIPS[lowered]
        elif lowered in vocab.GENDERS:
            dims["kjonn"] = vocab.GENDERS[lowered]
        else:
            geography.append(label.strip())
    if "skoleaar" not in dims:
        raise InputError("rapporttabellen mangler skoleår i kolonnehodet.")
    measure = path[-1].strip().casefold()
    dims["maal"] = vocab.EU_MEASURES.get(measure, path[-1].strip())
    return dims, geography


def _deepest_unit(geography: list[str]) -> tuple[str, str, str]:
    named = [(i, g) for i, g in enumerate(geography) if g.casefold() not in _AGGREGATES]
    if not named:
        raise InputError("rapporttabellen sier ikke hvilken enhet tallene gjelder.")
    depth, name = named[-1]
    level = _GEO_LEVELS[min(depth, 3)]
    return ("I" if level == "land" else NAME_KEY_PREFIX + name), level, name


def _finish(
    frame: pl.DataFrame, units: list[tuple[Any, ...]], domain: str, description: str
) -> Parsed:
    frame, bad = with_cells(frame.with_columns(domene=pl.lit(domain)), "raw")
    if bad is not None:
        raise InputError(f"rad {bad['linje']}: «{quote(bad['raw'])}» er ikke et tall eller «*».")
    if "delemne" not in frame.columns:
        frame = frame.with_columns(delemne=pl.lit(""))
    unit_frame = pl.DataFrame(units, schema=UNIT_SCHEMA, orient="row").unique(
        subset="enhet_id", keep="first", maintain_order=True
    )
    measures = frame.select([pl.col(n).cast(t) for n, t in MEASURE_SCHEMA.items()])
    parsed = Parsed(kind=domain, description=description, units=unit_frame, measures=measures)
    if unit_frame["enhet_id"].str.starts_with(NAME_KEY_PREFIX).any():
        parsed.notes.append(
            "rapporttabellen oppgir enheter bare ved navn; de kobles til koder når de blir kjent."
        )
    return parsed
