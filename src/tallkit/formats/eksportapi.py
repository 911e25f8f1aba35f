"""Udir Eksport API v2 flat tables (Elevundersøkelsen): JSON arrays or CSV, one value set a row.

Works with complete rows (orgnr, codes) and with the field subsets people save (names only):
indices are matched on code first, on label second; units on orgnr first, on name second.
"""

from __future__ import annotations

import re
from typing import Any, Final

import polars as pl

from tallkit.errors import InputError, quote
from tallkit.formats import vocab
from tallkit.formats.cells import with_cells
from tallkit.formats.model import LEVELS, MEASURE_SCHEMA, NAME_KEY_PREFIX, UNIT_SCHEMA, Parsed

# Value columns -> measure id. Everything else is a dimension or paging noise.
_MEASURES: Final = {
    "Score": "verdi",
    "AndelMobbet": "verdi",
    "AndelDeltatt": "verdi",
    "Standardavvik": "standardavvik",
    "AntallBesvart": "antall",
    "AntallInvitert": "antall_invitert",
    "AndelBesvart": "andel_besvart",
}
_ANSWER_SHARE = re.compile(r"^(Andel|AntallBesvart)Svaralternativ(\d)$")
_ALL_QUESTIONS: Final = "alle spørsmål"
_GENDER_CODES: Final = {"A": "alle", "G": "gutt", "J": "jente"}


def matches_record(record: dict[str, Any]) -> bool:
    return "Skoleaarnavn" in record and "EnhetNavn" in record


def parse(records: list[dict[str, Any]], description: str) -> Parsed:
    if not records:
        raise InputError("tabellen har ingen rader.", hint="Sjekk filteret i eksporten.")
    columns = list(dict.fromkeys(k for r in records for k in r))
    frame = pl.DataFrame(
        [{c: _text(r.get(c)) for c in columns} for r in records],
        schema=dict.fromkeys(columns, pl.String),
    ).with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int32).alias("linje"))
    value_columns = [c for c in columns if c in _MEASURES or _ANSWER_SHARE.match(c)]
    if not value_columns:
        raise InputError(
            "fant ingen tallkolonner (Score, AndelMobbet, AndelDeltatt …).",
            hint="Er dette en tabell fra Udirs Eksport API for Elevundersøkelsen?",
        )
    participation = "AndelDeltatt" in columns
    dims = _dimensions(frame, participation)
    units = _units(dims)
    long = dims.unpivot(
        index=[
            "linje",
            "enhet_id",
            "skoleaar",
            "forelopig",
            "trinn",
            "emne",
            "delemne",
            "kjonn",
            "eierform",
        ],
        on=value_columns,
        variable_name="kolonne",
        value_name="raw",
    )
    long, bad = with_cells(long, "raw")
    if bad is not None:
        raise InputError(
            f"post {bad['linje']}: «{quote(bad['raw'])}» er ikke et tall eller «*».",
            column=str(bad["kolonne"]),
        )
    long = long.with_columns(
        maal=pl.col("kolonne").replace_strict(
            {c: _measure_id(c) for c in value_columns}, return_dtype=pl.String
        ),
        domene=pl.lit("eu"),
    )
    measures = long.select([pl.col(n).cast(t) for n, t in MEASURE_SCHEMA.items()])
    labels = _labels(frame, dims, participation)
    parsed = Parsed(
        kind="eu",
        description=description,
        units=units,
        measures=measures,
        tables={"indikator": labels},
    )
    unmatched = sorted(set(dims.filter(~pl.col("emne").str.starts_with("EU"))["emne"]))
    if unmatched:
        parsed.notes.append(
            "indikatorer uten kjent kode, lagret med navnet: " + ", ".join(unmatched)
        )
    if units["enhet_id"].str.starts_with(NAME_KEY_PREFIX).any():
        parsed.notes.append(
            "filen mangler organisasjonsnummer; enhetene kobles på navn når de blir kjent."
        )
    return parsed


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _measure_id(column: str) -> str:
    if column in _MEASURES:
        return _MEASURES[column]
    match = _ANSWER_SHARE.match(column)
    assert match is not None
    kind = "andel" if match[1] == "Andel" else "antall"
    return f"{kind}_svaralternativ_{match[2]}"


def _dimensions(frame: pl.DataFrame, participation: bool) -> pl.DataFrame:
    rows = []
    for record in frame.iter_rows(named=True):
        rows.append(_record_dims(record, participation))
    dims = pl.DataFrame(rows, orient="row", schema=_DIM_SCHEMA)
    return pl.concat([frame, dims], how="horizontal")


_DIM_SCHEMA: Final = {
    "enhet_id": pl.String,
    "nivaa": pl.String,
    "navn": pl.String,
    "kommunenr": pl.String,
    "fylkesnr": pl.String,
    "skoleaar": pl.String,
    "forelopig": pl.Boolean,
    "trinn": pl.Int16,
    "emne": pl.String,
    "emne_navn": pl.String,
    "delemne": pl.String,
    "kjonn": pl.String,
    "eierform": pl.String,
}


def _record_dims(r: dict[str, Any], participation: bool) -> tuple[object, ...]:
    post = int(r["linje"])
    year = vocab.school_year(r.get("Skoleaarnavn") or "")
    if year is None:
        raise InputError(f"post {post}: ukjent skoleår «{quote(r.get('Skoleaarnavn'))}».")
    level_text = (r.get("EnhetNivaa") or "").strip()
    level = LEVELS.get(int(level_text)) if level_text.isdigit() else None
    name = (r.get("EnhetNavn") or "").strip()
    org = (r.get("Organisasjonsnummer") or "").strip()
    kommune = (r.get("Kommunekode") or "").strip() or None
    fylke = (r.get("Fylkekode") or "").strip() or None
    if level == "land":
        unit_id = "I"
    elif level == "fylke":
        unit_id = org or fylke or ""
    elif level == "kommune":
        unit_id = org or kommune or ""
    else:
        unit_id = org
    if not unit_id:
        unit_id = NAME_KEY_PREFIX + name
        level = level or "skole"
    trinn_text = (r.get("TrinnKode") or r.get("Trinnnavn") or "").strip()
    trinn = vocab.trinn_number(trinn_text) if trinn_text else 0
    if trinn is None:
        trinn = vocab.trinn_number(r.get("Trinnnavn") or "")
        if trinn is None:
            raise InputError(f"post {post}: ukjent trinn «{quote(trinn_text)}».")
    if participation:
        code, label, question = vocab.EU_PARTICIPATION, "Deltakelse", ""
    else:
        code, label, question = _indicator(r, post)
    gender_code = (r.get("KjoennKode") or "").strip()
    gender = _GENDER_CODES.get(gender_code) or vocab.GENDERS.get(
        (r.get("Kjoenn") or "Alle kjønn").strip().casefold()
    )
    owner = vocab.OWNERSHIPS.get((r.get("EierformNavn") or "Alle eierformer").strip().casefold())
    if gender is None or owner is None:
        raise InputError(f"post {post}: ukjent kjønn eller eierform.")
    return (
        unit_id,
        level,
        name,
        kommune if level in ("kommune", "skole") and kommune != "0000" else None,
        fylke if level != "land" and fylke != "00" else None,
        year[0],
        year[1],
        trinn,
        code,
        label,
        question,
        gender,
        owner,
    )


def _indicator(r: dict[str, Any], post: int) -> tuple[str, str, str]:
    group_code = (r.get("Spoersmaalgruppekode") or "").strip()
    group = (r.get("Spoersmaalgruppe") or "").strip()
    code = vocab.eu_index_code(group_code) if group_code else None
    code = code or vocab.eu_index_code(group) or group_code or group
    if not code:
        raise InputError(f"post {post}: mangler indikator (Spoersmaalgruppe).")
    question_name = (r.get("Spoersmaalnavn") or "").strip()
    if not question_name or question_name.casefold() == _ALL_QUESTIONS:
        return code, group or vocab.EU_INDICES.get(code, code), ""
    question = (r.get("Spoersmaalkode") or "").strip() or f"{code}:{question_name}"
    return code, group or vocab.EU_INDICES.get(code, code), question


def _units(dims: pl.DataFrame) -> pl.DataFrame:
    return (
        dims.select(list(UNIT_SCHEMA))
        .unique(subset="enhet_id", keep="last", maintain_order=True)
        .select([pl.col(n).cast(t) for n, t in UNIT_SCHEMA.items()])
    )


def _labels(frame: pl.DataFrame, dims: pl.DataFrame, participation: bool) -> pl.DataFrame:
    """Index and question texts, so views can show the label of the latest export."""
    indices = dims.select(kode=pl.col("emne"), navn=pl.col("emne_navn"))
    if participation or "Spoersmaalnavn" not in frame.columns:
        questions = pl.DataFrame(schema={"kode": pl.String, "navn": pl.String})
    else:
        questions = dims.filter(pl.col("delemne") != "").select(
            kode=pl.col("delemne"), navn=pl.col("Spoersmaalnavn").str.strip_chars()
        )
    return pl.concat([indices, questions]).unique(subset="kode", keep="last", maintain_order=True)
