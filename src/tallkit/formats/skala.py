"""SSB's correction parameters for the documented 2014–2021 NP scale error (Markussen et al. 2024).

Three header lines, then ``Skoleår;Prøvekode;mean;sd;mean;sd`` with decimal commas: the old
(published) and the corrected scale's mean and SD per year and test.
"""

from __future__ import annotations

import re
from typing import Final

import polars as pl

from tallkit.errors import InputError, quote
from tallkit.formats import vocab
from tallkit.formats.cells import parse_cell

_TEST = re.compile(r"^(?P<test>engelsk|lesing|regning)\s+(?P<trinn>\d{1,2})\.\s*trinn$", re.I)
SCHEMA: Final = {
    "skoleaar": pl.String,
    "prove": pl.String,
    "trinn": pl.Int16,
    "gammel_snitt": pl.Float64,
    "gammel_sd": pl.Float64,
    "ny_snitt": pl.Float64,
    "ny_sd": pl.Float64,
    "linje": pl.Int32,
}


def matches(lines: list[str]) -> bool:
    return (
        len(lines) >= 3
        and "skalapoeng" in lines[0].casefold()
        and "prøvekode" in lines[2].casefold()
    )


def parse(text: str) -> pl.DataFrame:
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if number <= 3 or not line.strip():
            continue
        fields = [f.strip() for f in line.split(";")]
        if len(fields) != 6:
            raise InputError(f"raden har {len(fields)} felt, ventet 6.", line=number)
        year = vocab.school_year_from_slash(fields[0])
        test = _TEST.match(fields[1])
        if year is None or test is None:
            bad, column = (fields[0], "Skoleår") if year is None else (fields[1], "Prøvekode")
            raise InputError(f"ukjent verdi «{quote(bad)}».", line=number, column=column)
        numbers = []
        for name, raw in zip(
            ("gammel_snitt", "gammel_sd", "ny_snitt", "ny_sd"), fields[2:], strict=True
        ):
            try:
                value, status = parse_cell(raw)
            except ValueError:
                raise InputError(
                    f"«{quote(raw)}» er ikke et tall.", line=number, column=name
                ) from None
            if status != "ok":
                raise InputError("parameteren mangler.", line=number, column=name)
            numbers.append(value)
        rows.append((year, test["test"].lower(), int(test["trinn"]), *numbers, number))
    return pl.DataFrame(rows, schema=SCHEMA, orient="row")
