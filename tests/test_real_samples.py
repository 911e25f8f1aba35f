"""Every real export in ../shared/samples/real ingests unmodified, and what lands in the database
agrees with the file read independently (plain csv/json code here, not tallkit's parsers)."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from conftest import NP_5_2023_PIPE, NP_5_2025, NP_U_2025, REAL, SKOLEPORTEN
from tallkit import api
from tallkit.config import Settings
from tallkit.ingestion import INGESTED, SKIPPED


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    folder = tmp_path_factory.mktemp("real")
    settings = Settings(db_path=folder / "real.duckdb", key_file=folder / "nokkel")
    report = api.ingest([REAL], settings=settings)
    statuses = {f.path.name: f.status for f in report.files}
    # the folder's README.md is no export: skipped like any other non-export
    assert statuses.pop("README.md") == SKIPPED
    exports = len([p for p in REAL.iterdir() if p.name != "README.md"])
    assert list(statuses.values()) == [INGESTED] * exports, [f.error for f in report.files]
    con = duckdb.connect(str(settings.db_path), read_only=True)
    yield con
    con.close()


def _independent_exporter_cells(path: Path) -> list[dict[str, str]]:
    """The exporter file read by hand: UTF-16LE, optional BOM and sep= line, TAB or |."""
    text = path.read_bytes().decode("utf-16-le").lstrip("\ufeff")
    lines = text.splitlines()
    if lines[0].startswith("sep="):
        lines = lines[1:]
    delimiter = "\t" if "\t" in lines[0] else "|"
    header = lines[0].split(delimiter)
    cells = []
    for line in lines[1:]:
        values = line.split(delimiter)
        unit = values[4].strip() if values[0] != "1" else "I"
        for column, raw in zip(header[9:], values[9:], strict=True):
            cells.append({"enhet_id": unit, "kolonne": column, "raw": raw})
    return cells


def _expected(raw: str) -> tuple[float | None, str]:
    raw = raw.strip()
    if raw == "":
        return None, "mangler"
    if raw == "*":
        return None, "skjermet"
    return float(raw.replace(" ", "").replace(",", ".")), "ok"


_MEASURE = {
    "Skalapoeng": "skalapoeng",
    "Usikkerhet": "usikkerhet",
    "Antall elever deltatt": "antall",
}
_HEADER = re.compile(r"^(\d{4}-\d{2})\.(\w+)\.(\d)\. årstrinn\.Alle eierformer\.Alle kjønn\.(.+)$")
_TEST = {"Engelsk": "engelsk", "Lesing": "lesing", "Regning": "regning"}


@pytest.mark.parametrize("path", [NP_5_2025, NP_U_2025, NP_5_2023_PIPE], ids=lambda p: p.name[:40])
def test_every_np_cell_matches_the_file_read_independently(
    loaded: duckdb.DuckDBPyConnection, path: Path
) -> None:
    source = loaded.execute(
        "select kilde_id from kilde where filnavn = $f", {"f": path.name}
    ).fetchone()
    assert source is not None
    stored = {
        (r[0], r[1], r[2], r[3], r[4]): (r[5], r[6])
        for r in loaded.execute(
            "select enhet_id, skoleaar, trinn, emne, maal, verdi, status from lager.maal "
            "where kilde_id = $k and kjonn = 'alle' and eierform = 'alle'",
            {"k": source[0]},
        ).fetchall()
    }
    cells = _independent_exporter_cells(path)
    assert len(cells) == len(stored)
    for cell in cells:
        match = _HEADER.match(cell["kolonne"])
        assert match is not None, cell["kolonne"]
        year, test, trinn, measure = match.groups()
        key = (cell["enhet_id"], year, int(trinn), _TEST[test], _MEASURE[measure])
        assert stored[key] == _expected(cell["raw"]), (cell, stored[key])


def test_suppressed_cell_is_never_zero(loaded: duckdb.DuckDBPyConnection) -> None:
    # Flosta skole is «*» in every column of the 2025-26 5. trinn file.
    rows = loaded.execute(
        "select skalapoeng, usikkerhet, antall, status from nasjonale_prover "
        "where enhet_id = '975283194' and skoleaar = '2025-26'"
    ).fetchall()
    assert rows and all(r == (None, None, None, "skjermet") for r in rows)
    zeros = loaded.execute(
        "select count(*) from lager.maal where status <> 'ok' and verdi is not null"
    ).fetchone()
    assert zeros == (0,)


def test_empty_cell_is_missing_not_zero(loaded: duckdb.DuckDBPyConnection) -> None:
    # Herefoss skole has empty cells in the 2025-26 5. trinn export.
    rows = loaded.execute(
        "select distinct status, skalapoeng from nasjonale_prover "
        "where enhet_id = '975283267' and skoleaar = '2025-26' and trinn = 5"
    ).fetchall()
    assert rows == [("mangler", None)]


def test_aggregate_rows_get_the_units_own_name(loaded: duckdb.DuckDBPyConnection) -> None:
    names = dict(
        loaded.execute(
            "select enhet_id, navn from enhet where enhet_id in ('I', '42', '4203', '4222')"
        ).fetchall()
    )
    assert names == {"I": "Hele landet", "42": "Agder", "4203": "Arendal", "4222": "Bykle"}
    # trailing spaces in school names are trimmed
    assert loaded.execute("select navn from enhet where enhet_id = '975280888'").fetchone() == (
        "Asdal skole",
    )


def test_thousands_space_is_parsed(loaded: duckdb.DuckDBPyConnection) -> None:
    row = loaded.execute(
        "select antall from nasjonale_prover where enhet_id = 'I' and skoleaar = '2025-26' "
        "and trinn = 8 and prove = 'engelsk' and kjonn = 'alle'"
    ).fetchone()
    assert row == (60728,)


def test_skoleporten_values_and_dots_match_the_file(loaded: duckdb.DuckDBPyConnection) -> None:
    with SKOLEPORTEN.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    dots = sum(1 for r in rows if r["Verdi"] == ".")
    source = loaded.execute(
        "select kilde_id from kilde where filnavn = $f", {"f": SKOLEPORTEN.name}
    ).fetchone()
    assert source is not None
    stored_missing = loaded.execute(
        "select count(*) from lager.maal where kilde_id = $k and status = 'mangler'",
        {"k": source[0]},
    ).fetchone()
    assert stored_missing == (dots,)
    first = rows[0]  # Auglend skole, Engelsk, 2014-2015, Trinn 5, Begge kjønn, 53
    value = loaded.execute(
        "select verdi from lager.maal where enhet_id = 'navn:Auglend skole' and skoleaar = '2014-15' "
        "and trinn = 5 and emne = 'engelsk' and kjonn = 'alle' and maal = 'skalapoeng'"
    ).fetchone()
    assert value == (float(first["Verdi"]),)
    # the pre-2014 scale is kept as its own measure, never as skalapoeng
    old = loaded.execute(
        "select count(*) from lager.maal where maal = 'gjennomsnittspoeng_1_3'"
    ).fetchone()
    expected_old = sum(1 for r in rows if r["Måleenhet"].startswith("Gjennomsnittspoeng"))
    assert old == (expected_old,)


def test_eksportapi_field_subset_values(loaded: duckdb.DuckDBPyConnection) -> None:
    records = json.loads(
        (REAL / "udir_eksportapi_154_EUV_mobbing_BPG_fieldsubset.json").read_text()
    )
    index = next(
        r
        for r in records
        if r["Spoersmaalnavn"] == "Alle spørsmål"
        and r["Skoleaarnavn"] == "2023-24"
        and r["Trinnnavn"] == "Videregående trinn 1"
        and r["EierformNavn"] == "Alle eierformer"
    )
    row = loaded.execute(
        "select verdi, antall, status from elevundersokelsen where indikator_kode = 'EUIndeks_1398' "
        "and sporsmal_kode is null and skoleaar = '2023-24' and trinn = 11 and eierform = 'alle'"
    ).fetchone()
    assert row == (float(index["AndelMobbet"].replace(",", ".")), int(index["AntallBesvart"]), "ok")
    distinct_suppressed = {
        (r["Skoleaarnavn"], r["Trinnnavn"], r["EierformNavn"], r["Spoersmaalnavn"])
        for r in records
        if r["AndelMobbet"] == "*"
    }
    stored = loaded.execute(
        "select count(*) from elevundersokelsen where enhet_id = 'navn:Bergen private gymnas AS' "
        "and indikator_kode = 'EUIndeks_1398' and status = 'skjermet'"
    ).fetchone()
    # the field subset repeats identical rows; each published cell is stored once
    assert stored == (len(distinct_suppressed),)


def test_report_table_keeps_a_published_zero_apart_from_suppression(
    loaded: duckdb.DuckDBPyConnection,
) -> None:
    rows = dict(
        loaded.execute(
            "select coalesce(sporsmal_kode, 'indeks'), status from elevundersokelsen e "
            "join enhet u using (enhet_id) where u.navn = 'Bykle'"
        ).fetchall()
    )
    assert rows == {
        "indeks": "skjermet",
        "EUSpoersmaal_Q11811": "skjermet",
        "EUSpoersmaal_Q11824": "ok",
        "EUSpoersmaal_Q11816": "ok",
    }
    zero = loaded.execute(
        "select verdi from elevundersokelsen e join enhet u using (enhet_id) "
        "where u.navn = 'Bykle' and sporsmal_kode = 'EUSpoersmaal_Q11824'"
    ).fetchone()
    assert zero == (0.0,)


def test_scale_parameters_and_report_texts(loaded: duckdb.DuckDBPyConnection) -> None:
    assert loaded.execute("select count(*) from lager.skalaparametre").fetchone() == (44,)
    assert loaded.execute(
        "select gammel_snitt, gammel_sd, ny_snitt, ny_sd from lager.skalaparametre "
        "where skoleaar = '2014-15' and prove = 'engelsk' and trinn = 5"
    ).fetchone() == (49.97, 9.88, 49.97, 9.59)
    text = loaded.execute("select tekst from lager.udir_tekst where tekst_id = '137216'").fetchone()
    assert text is not None and text[0].startswith("Brudd i tidsrekke")


def test_pivot_np_table_uses_unit_codes(loaded: duckdb.DuckDBPyConnection) -> None:
    row = loaded.execute(
        "select skalapoeng, usikkerhet, antall from nasjonale_prover where enhet_id = '2599' "
        "and prove = 'lesing' and trinn = 8"
    ).fetchone()
    assert row == (47.0, 2.0, 73)
