"""What a published number can be: ranges per measure and formats per key, checked at ingest.

A value outside is the file's error (the whole file is refused, nothing written): one
implausible cell must never reach the views, where it would break every report that reads it.
Unknown measures are kept (README) but must still be finite numbers of a sane size.
"""

from __future__ import annotations

import re
from typing import Final

import polars as pl

from tallkit.errors import FNR_LIKE, InputError, quote
from tallkit.formats.cells import MISSING, SUPPRESSED
from tallkit.formats.model import NAME_KEY_PREFIX, Parsed

# (domain, measure) -> (lowest, highest, whole numbers only)
RANGES: Final[dict[tuple[str, str], tuple[float, float, bool]]] = {
    ("np", "skalapoeng"): (0, 100, False),  # NP scale: mean 50, SD 10
    ("np", "skalapoeng_avgiverskole"): (0, 100, False),
    ("np", "gjennomsnittspoeng_1_3"): (1, 3, False),  # Skoleporten's scale before 2014
    ("np", "usikkerhet"): (0, 50, False),
    ("np", "antall"): (0, 1_000_000, True),
    ("gsp", "poeng"): (0, 60, False),
    ("gsp", "antall"): (0, 1_000_000, True),
    ("eu", "verdi"): (0, 100, False),  # indices 1–5 (below), shares in percent
    ("eu", "standardavvik"): (0, 10, False),
    ("eu", "antall"): (0, 1_000_000, True),
    ("eu", "antall_invitert"): (0, 1_000_000, True),
    ("eu", "andel_besvart"): (0, 100, False),
}
_EU_INDEX_SCALE: Final = (1.0, 5.0)  # EUIndeks_* other than mobbing (a percent)
_EU_PERCENT_INDICES: Final = frozenset({"EUIndeks_1398"})
_ANY_NUMBER: Final = (-1e9, 1e9, False)  # unknown measures: kept, but of a sane size
_ID_FORMATS: Final = {
    "land": r"I",
    "fylke": r"[0-9]{2}",
    "kommune": r"[0-9]{4}",
    "skole": r"[0-9]{9}",
}
MAX_NAME_CHARS: Final = 200
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _range_of(domain: str, measure: str) -> tuple[float, float, bool]:
    if measure.startswith("andel_svaralternativ_"):
        return (0, 100, False)
    if measure.startswith("antall_svaralternativ_"):
        return (0, 1_000_000, True)
    return RANGES.get((domain, measure), _ANY_NUMBER)


def settle_states(measures: pl.DataFrame) -> pl.DataFrame:
    """Udir suppresses a group by writing ``*`` for its n; where the score and uncertainty
    beside it are then empty, they are suppressed too, not missing."""
    if measures.is_empty():
        return measures
    cell = ["domene", "enhet_id", "skoleaar", "trinn", "emne", "delemne", "kjonn", "eierform"]
    suppressed_n = (pl.col("status").eq(SUPPRESSED) & pl.col("maal").eq("antall")).any().over(cell)
    return measures.with_columns(
        status=pl.when(pl.col("status").eq(MISSING) & suppressed_n)
        .then(pl.lit(SUPPRESSED))
        .otherwise(pl.col("status"))
    )


def check(parsed: Parsed) -> None:
    """Refuse the file at the first implausible value or malformed key."""
    _check_no_fnr(parsed)
    _check_units(parsed)
    _check_measures(parsed.measures)


_FNR_INSIDE: Final = r"(^|[^0-9])[0-9]{6}[ .\-\x{00a0}]?[0-9]{5}([^0-9]|$)"


def _check_no_fnr(parsed: Parsed) -> None:
    """No text from an aggregate export may carry a fødselsnummer into the database: names,
    labels of unknown measures, Udir's texts, notes. None has a reason to hold 11 digits."""
    frames = {"enheter": parsed.units, "mål": parsed.measures, **parsed.tables}
    for frame in frames.values():
        for column, dtype in frame.schema.items():
            if dtype != pl.String:
                continue
            hits = frame.filter(pl.col(column).str.contains(_FNR_INSIDE))
            if hits.height:
                line = hits["linje"][0] if "linje" in hits.columns else None
                raise InputError(
                    "filen inneholder noe som ligner et fødselsnummer (11 siffer) der det ikke "
                    "hører hjemme; tallkit lagrer aldri fødselsnummer i klartekst.",
                    line=int(line) if line is not None else None,
                    hint="Fjern det fra filen; ingenting fra den er lagret.",
                )
    if any(FNR_LIKE.search(note) for note in parsed.notes):
        raise InputError(
            "filen inneholder noe som ligner et fødselsnummer (11 siffer) i en overskrift.",
            hint="Fjern det fra filen; ingenting fra den er lagret.",
        )


def _check_measures(measures: pl.DataFrame) -> None:
    if measures.is_empty():
        return
    frame = measures.filter(pl.col("verdi").is_not_null())
    if frame.is_empty():
        return
    bounds = [_range_of(d, m) for d, m in zip(frame["domene"], frame["maal"], strict=True)]
    low = pl.Series([b[0] for b in bounds], dtype=pl.Float64)
    high = pl.Series([b[1] for b in bounds], dtype=pl.Float64)
    whole = pl.Series([b[2] for b in bounds], dtype=pl.Boolean)
    index = frame["emne"].str.starts_with("EUIndeks") & ~frame["emne"].is_in(
        list(_EU_PERCENT_INDICES)
    )
    on_index_scale = (frame["domene"] == "eu") & (frame["maal"] == "verdi") & index
    low = pl.select(pl.when(on_index_scale).then(_EU_INDEX_SCALE[0]).otherwise(low)).to_series()
    high = pl.select(pl.when(on_index_scale).then(_EU_INDEX_SCALE[1]).otherwise(high)).to_series()
    value = frame["verdi"]
    # −0 is no count and no score: a sign where none can be (1/−0 is −inf)
    negative_zero = (value == 0) & ((1.0 / value) < 0)
    bad = (
        value.is_nan()
        | value.is_infinite()
        | (value < low)
        | (value > high)
        | (whole & (value != value.round(0)))
        | (negative_zero & (low >= 0))
    )
    if not bad.any():
        return
    first = int(bad.arg_true()[0])
    row = frame.row(first, named=True)
    lo, hi = low[first], high[first]
    where = _describe(row)
    raise InputError(
        f"{row['maal']} = {quote(_number(row['verdi']), 20)} er ikke mulig "
        f"(ventet {_number(lo)}–{_number(hi)}"
        + (", et helt tall" if whole[first] else "")
        + f"; {where}).",
        line=int(row["linje"]) if row.get("linje") is not None else None,
        hint="Last ned eksporten på nytt; ingenting fra filen er lagret.",
    )


def _describe(row: dict[str, object]) -> str:
    parts = [str(row["skoleaar"]), str(row["emne"])]
    if row["trinn"]:
        parts.append(f"{row['trinn']}. trinn")
    parts += [str(row["kjonn"]), str(row["eierform"])]
    return quote(" ".join(parts), 80)


def _number(value: float) -> str:
    if value != value or value in (float("inf"), float("-inf")):
        return str(value)
    if value == int(value) and abs(value) < 1e15:
        return str(int(value)) if not (value == 0 and str(value).startswith("-")) else "−0"
    return f"{value:g}".replace(".", ",")


def _check_units(parsed: Parsed) -> None:
    lines = _first_lines(parsed.measures)
    for unit in parsed.units.iter_rows(named=True):
        unit_id = str(unit["enhet_id"] or "")
        level = str(unit["nivaa"] or "")
        name = str(unit["navn"] or "")
        line = lines.get(unit_id)
        if level not in _ID_FORMATS or not unit_id or unit["navn"] is None:
            raise InputError(
                "en enhet mangler nivå (EnhetNivaa 1–4), kode eller navn.",
                line=line,
                hint="Last ned eksporten på nytt; ingenting fra filen er lagret.",
            )
        if not unit_id.startswith(NAME_KEY_PREFIX):
            pattern = _ID_FORMATS.get(level)
            if pattern is not None and re.fullmatch(pattern, unit_id) is None:
                raise InputError(
                    f"enhetskoden «{quote(unit_id, 20)}» er ikke gyldig for nivået {level} "
                    f"({_ID_TEXT[level]}).",
                    line=line,
                    column="Organisasjonsnummer",
                    hint="Last ned eksporten på nytt; ingenting fra filen er lagret.",
                )
        for column, value, pattern in (
            ("Kommunekode", unit["kommunenr"], r"[0-9]{4}"),
            ("Fylkekode", unit["fylkesnr"], r"[0-9]{2}"),
        ):
            if value is not None and re.fullmatch(pattern, str(value)) is None:
                raise InputError(
                    f"«{quote(value, 20)}» er ingen gyldig {column.lower()}.",
                    line=line,
                    column=column,
                    hint="Last ned eksporten på nytt; ingenting fra filen er lagret.",
                )
        text = name + " " + unit_id
        if FNR_LIKE.search(text) or _CONTROL.search(text) or len(name) > MAX_NAME_CHARS:
            raise InputError(
                "enhetsnavnet har kontrolltegn, er over "
                f"{MAX_NAME_CHARS} tegn eller inneholder noe som ligner et fødselsnummer.",
                line=line,
                column="EnhetNavn",
                hint="Last ned eksporten på nytt; ingenting fra filen er lagret.",
            )


_ID_TEXT: Final = {
    "land": "«I»",
    "fylke": "2 siffer",
    "kommune": "4 siffer",
    "skole": "et organisasjonsnummer på 9 siffer",
}


def _first_lines(measures: pl.DataFrame) -> dict[str, int]:
    if measures.is_empty() or "linje" not in measures.columns:
        return {}
    first = measures.group_by("enhet_id").agg(pl.col("linje").min())
    return {
        str(k): int(v)
        for k, v in zip(first["enhet_id"], first["linje"], strict=True)
        if v is not None
    }
