"""The registry of kommune numbers (tallkit/sammenligning.py, data/kommuneendringer.csv and
data/kommuner_2024.csv: SSB's classification 131) and the comparison groups.

The oracle for the renumberings is independent of our reading of SSB's change table: pairs
of (2016 number, number from 2024) copied by hand from lauriejh/regtools'
tests/testthat/_snaps/harmonize_municipality_codes.md (built from SSB's master list of
kommune changes, not from the Klass change table). regtools also maps mergers, which we do
not; those pairs must show up as an area change instead.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from conftest import REAL, run_cli
from tallkit import api, sammenligning
from tallkit.analyses import fag, referanser
from tallkit.config import Settings, load_settings
from tallkit.errors import UsageError
from test_real_samples import _HEADER, _TEST, _expected, _independent_exporter_cells
from tests_support import utf16_lines, write_utf16

# Pure renumberings (same area): 2016 number -> number from 2024 (regtools' snapshot)
RENUMBERED = {
    "0101": "3101",  # Halden
    "0106": "3107",  # Fredrikstad
    "0219": "3201",  # Bærum
    "0402": "3401",  # Kongsvinger
    "0805": "4001",  # Porsgrunn
    "0906": "4203",  # Arendal
    "1201": "4601",  # Bergen
    "1902": "5501",  # Tromsø
    "2030": "5605",  # Sør-Varanger
}
# regtools maps these too, but the kommune got other borders in 2020 (a merger)
MERGED = {"0704": "3905", "1001": "4204", "1502": "1506", "1601": "5001", "2004": "5603"}


@pytest.mark.parametrize(("old", "new"), sorted(RENUMBERED.items()))
def test_a_pure_renumbering_leads_to_the_current_number(old: str, new: str) -> None:
    assert sammenligning.current_number(old) == new
    assert old in [f.number for f in sammenligning.history(new).formers]


@pytest.mark.parametrize(("old", "new"), sorted(MERGED.items()))
def test_a_merger_is_no_former_number_but_an_area_change(old: str, new: str) -> None:
    history = sammenligning.history(new)
    assert old not in [f.number for f in history.formers]
    assert sammenligning.current_number(old) == old
    assert history.area_change is not None
    assert history.area_change.kind == "sammenslått"
    assert history.area_change.date == "2020-01-01"
    assert history.area_change.last_year == "2019-20"


def test_baerum_keeps_its_numbers_through_both_reforms() -> None:
    history = sammenligning.history("3201")
    assert [(f.number, f.last_year) for f in history.formers] == [
        ("3024", "2023-24"),
        ("0219", "2019-20"),
    ]
    assert history.area_change is None
    assert history.numbers_for("2024-25") == ("3201",)
    assert history.numbers_for("2023-24") == ("3201", "3024")
    assert history.numbers_for("2018-19") == ("3201", "3024", "0219")


def test_drammen_keeps_its_2024_renumbering_but_not_the_2020_merger() -> None:
    history = sammenligning.history("3301")
    assert [f.number for f in history.formers] == ["3005"]
    assert history.area_change is not None
    assert history.area_change.others == ("Nedre Eiker", "Svelvik")


def test_a_kommune_that_kept_its_number_in_a_merger_has_an_area_change() -> None:
    history = sammenligning.history("1103")  # Stavanger, with Finnøy and Rennesøy from 2020
    assert history.formers == ()
    assert history.area_change is not None
    assert history.area_change.others == ("Finnøy", "Rennesøy")


def test_the_2024_split_of_alesund_gives_neither_part_a_former_number() -> None:
    for number, other in (("1508", "Haram"), ("1580", "Ålesund")):
        history = sammenligning.history(number)
        assert history.formers == ()
        assert history.area_change is not None
        assert (history.area_change.kind, history.area_change.others) == ("delt", (other,))


def test_every_number_of_the_2024_reform_is_in_ssbs_2024_list() -> None:
    current = sammenligning.current_names()
    new_2024 = {c.new for c in sammenligning.changes() if c.date == "2024-01-01"}
    assert len(new_2024) > 100 and new_2024 <= set(current)
    # every Viken, Vestfold og Telemark and Troms og Finnmark number got a new one
    old_counties = {"30", "38", "54"}
    assert not [n for n in current if n[:2] in old_counties]
    renumbered = {f.number[:2] for n in current for f in sammenligning.history(n).formers}
    assert old_counties <= renumbered


def test_no_number_is_used_again_for_another_kommune() -> None:
    """The chains walk back by date; a retired number that came back would mix two kommuner."""
    retired: dict[str, str] = {}
    for change in sammenligning.changes():
        successors = {
            c.new for c in sammenligning.changes() if (c.date, c.old) == (change.date, change.old)
        }
        if change.old not in successors:
            retired.setdefault(change.old, change.date)
    for change in sammenligning.changes():
        assert not (change.new in retired and retired[change.new] < change.date), change


def test_each_former_number_belongs_to_one_current_kommune() -> None:
    seen: dict[str, str] = {}
    for number in sammenligning.current_names():
        for former in sammenligning.history(number).formers:
            assert seen.setdefault(former.number, number) == number


def test_every_asss_kommune_is_in_ssbs_list_with_its_name() -> None:
    current = sammenligning.current_names()
    members = sammenligning.GROUPS["ASSS"]
    assert len(members) == 12 and len({n for n, _ in members}) == 12
    for number, name in members:
        assert current[number].split(" - ")[0] == name, number


def test_names_and_old_numbers_become_current_numbers() -> None:
    assert sammenligning.expand(["Bergen", "trondheim", "3024", "4601"], None) == (
        "4601",
        "5001",
        "3201",
    )
    assert sammenligning.expand(["4203, 4204"], "asss")[:2] == ("0301", "4601")
    with pytest.raises(LookupError):
        sammenligning.expand(["Våler"], None)
    assert sammenligning.expand(["Våler (Østfold)"], None) == ("3114",)
    with pytest.raises(KeyError):
        sammenligning.expand(["Atlantis"], None)


def test_config_names_an_ambiguous_kommune_name(tmp_path: Path) -> None:
    config = tmp_path / "tallkit.toml"
    config.write_text('[sammenligning]\nkommuner = ["Herøy"]\n', encoding="utf-8")
    with pytest.raises(UsageError, match=re.escape("1515 Herøy (Møre og Romsdal), 1818 Herøy")):
        load_settings(config=config)
    config.write_text('[sammenligning]\nkommuner = ["Bergen", "0219"]\n', encoding="utf-8")
    assert load_settings(config=config).comparison == ("4601", "3201")


# ------------------------------------------------------------------------------------------
# --sammenligning in fag and variasjon: reference rows from Udir's kommune rows
# ------------------------------------------------------------------------------------------

NP_5_2022 = REAL / "statistikkbanken_export_NP_5trinn_2022-23_Agder_excerpt.csv"
OLD_COLUMNS = [c for c in fag.TEST_SCHEMA if c not in referanser.COLUMNS]


@pytest.fixture(scope="module")
def agder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """The real Agder exports, and one more file: Grimstad's 2022-23 kommune row (values as
    published) under Bærum's number before 2024, 3024, so a former number has a row."""
    folder = tmp_path_factory.mktemp("agder")
    lines = utf16_lines(NP_5_2022)
    header, land = lines[:2], lines[2]
    grimstad = next(line for line in lines if line.split("\t")[3:5] == ["4202", "4202"])
    cells = grimstad.split("\t")
    cells[2:5] = ["30", "3024", "3024"]
    cells[6:8] = ["Viken (2020 - 2023)", "Bærum"]
    extra = write_utf16(folder / "baerum_2022-23.csv", [*header, land, "\t".join(cells)])
    settings = Settings(db_path=folder / "agder.duckdb", key_file=folder / "nokkel")
    report = api.ingest([REAL, extra], settings=settings)
    assert report.exit_code == 0, [f.error for f in report.files]
    yield settings


def _published(unit: str, year: str, trinn: int, test: str) -> dict[str, float | None]:
    """Udir's kommune row in the real file, read by hand (test_real_samples' reader)."""
    folder = "5trinn" if trinn == 5 else "ungdomstrinn"
    path = REAL / f"statistikkbanken_export_NP_{folder}_{year}_Agder_excerpt.csv"
    out: dict[str, float | None] = {}
    for cell in _independent_exporter_cells(path):
        match = _HEADER.match(cell["kolonne"])
        assert match is not None
        if cell["enhet_id"] == unit and (match[1], int(match[3]), _TEST[match[2]]) == (
            year,
            trinn,
            test,
        ):
            out[match[4]] = _expected(cell["raw"])[0]
    return out


def test_fag_reference_rows_are_udirs_kommune_rows(agder: Settings) -> None:
    plain = api.fag(kommune="4203", aar="2025-26", settings=agder)
    frame = api.fag(
        kommune="4203", aar="2025-26", sammenligning=["4204", "Grimstad"], settings=agder
    )
    schools = frame.filter(pl.col("radtype") == "skole")
    # the schools' rows and columns are exactly those without --sammenligning
    assert schools.select(OLD_COLUMNS).equals(plain.select(OLD_COLUMNS))
    assert set(schools["status"]) == {"ok"} and schools["merknad"].null_count() == schools.height
    references = frame.filter(pl.col("radtype") == referanser.REFERENCE)
    cells = plain.select("trinn", "prove").unique().height
    assert references.height == 2 * cells and cells >= 5
    for row in references.iter_rows(named=True):
        published = _published(row["kommunenr"], "2025-26", row["trinn"], row["prove"])
        arendal = _published("4203", "2025-26", row["trinn"], row["prove"])
        nation = _published("I", "2025-26", row["trinn"], row["prove"])
        assert row["skalapoeng"] == published["Skalapoeng"], row
        assert row["antall"] == published["Antall elever deltatt"], row
        assert row["kommune"] == arendal["Skalapoeng"] and row["landet"] == nation["Skalapoeng"]
        assert row["mot_kommune"] == row["skalapoeng"] - row["kommune"]
        assert row["mot_landet"] == row["skalapoeng"] - row["landet"]
        # honest intervals: Udir's own half-width is the least they carry, never zero width
        half = (row["mot_kommune_hoy"] - row["mot_kommune_lav"]) / 2
        assert half > published["Usikkerhet"] and half > arendal["Usikkerhet"]
        assert row["mot_landet_lav"] < row["mot_landet"] < row["mot_landet_hoy"]
        assert row["flagg_kommune"] in ("over", "under", "ikke_sikker")
        assert (row["status"], row["kilde_kommunenr"]) == ("ok", row["kommunenr"])
    # each cell: the schools first, then the comparison kommuner in the order asked for
    kinds = frame["radtype"].to_list()
    first = kinds.index(referanser.REFERENCE)
    assert frame["kommunenr"][first : first + 2].to_list() == ["4204", "4202"]
    assert set(kinds[:first]) == {"skole"}


def test_a_kommune_without_a_row_is_missing_never_zero(agder: Settings) -> None:
    frame = api.fag(kommune="4203", aar="2025-26", trinn=5, sammenligning="Bergen", settings=agder)
    bergen = frame.filter(pl.col("kommunenr") == "4601")
    assert bergen.height == 3 and set(bergen["status"]) == {"mangler"}
    assert bergen["skalapoeng"].null_count() == 3 and bergen["antall"].null_count() == 3
    assert bergen["mot_kommune"].null_count() == 3 and bergen["flagg_landet"].null_count() == 3
    assert set(bergen["navn"]) == {"Bergen"}  # SSB's name: the database has no Bergen
    assert all("ingen tall i databasen" in m for m in bergen["merknad"])


def test_a_former_number_gives_the_years_it_was_in_use(agder: Settings) -> None:
    before = api.fag(kommune="4203", aar="2022-23", trinn=5, sammenligning="3201", settings=agder)
    baerum = before.filter(pl.col("kommunenr") == "3201")
    grimstad = _published("4202", "2022-23", 5, "lesing")
    row = baerum.filter(pl.col("prove") == "lesing").row(0, named=True)
    assert (row["status"], row["kilde_kommunenr"], row["skalapoeng"]) == (
        "ok",
        "3024",
        grimstad["Skalapoeng"],
    )
    assert "tidligere kommunenummer 3024" in row["merknad"]
    # 3024 was not in use in 2025-26: the row is missing, not borrowed
    after = api.fag(kommune="4203", aar="2025-26", trinn=5, sammenligning="3201", settings=agder)
    assert set(after.filter(pl.col("kommunenr") == "3201")["status"]) == {"mangler"}


def test_indicators_get_reference_rows_too(agder: Settings) -> None:
    frame = api.fag(
        "indikatorer", kommune="4203", aar="2025-26", sammenligning="4204", settings=agder
    )
    kristiansand = frame.filter(pl.col("radtype") == referanser.REFERENCE)
    assert kristiansand.height and set(kristiansand["enhet_id"]) == {"4204"}
    for row in kristiansand.iter_rows(named=True):
        published = _published("4204", "2025-26", row["trinn"], row["indikator_kode"])
        assert row["verdi"] == published["Skalapoeng"]
        assert row["antall"] == published["Antall elever deltatt"]
        assert (
            row["kommune"]
            == _published("4203", "2025-26", row["trinn"], row["indikator_kode"])["Skalapoeng"]
        )
        assert row["se"] is not None and row["se"] > 0


def test_variasjon_reference_rows_are_against_the_kommune(agder: Settings) -> None:
    frame = api.variasjon(
        kommune="4203", aar="2025-26", trinn=8, sammenligning=["4204"], settings=agder
    )
    schools = frame.filter(pl.col("radtype") == "skole")
    assert schools.height and schools["trakt_95_lav"].null_count() == 0
    references = frame.filter(pl.col("radtype") == referanser.REFERENCE)
    assert references.height == frame.select("prove").unique().height
    for row in references.iter_rows(named=True):
        arendal = _published("4203", "2025-26", 8, row["prove"])["Skalapoeng"]
        assert row["referanse"] == arendal
        assert row["forskjell"] == row["skalapoeng"] - arendal
        assert row["forskjell_lav"] < row["forskjell"] < row["forskjell_hoy"]
        # a kommune has no place in the schools' funnel, shrinkage or ranking
        assert row["trakt_95_lav"] is None and row["krympet"] is None and row["rang_fra"] is None


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda s: api.fag("profil", sammenligning=True, settings=s),
            "--del prover og indikatorer",
        ),
        (lambda s: api.variasjon("spredning", sammenligning=["4204"], settings=s), "--del skoler"),
        (lambda s: api.fag(slaa_sammen=2, sammenligning=["4204"], settings=s), "--slaa-sammen"),
        (lambda s: api.fag(sammenligning=True, settings=s), "ingen sammenligningskommuner"),
        (lambda s: api.fag(sammenligning=["Atlantis"], settings=s), "Atlantis"),
    ],
)
def test_comparison_usage_errors(agder: Settings, call: Any, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        call(agder)


def test_cli_sammenligning_from_tallkit_toml_equals_the_library(
    agder: Settings, tmp_path: Path
) -> None:
    config = tmp_path / "tallkit.toml"
    config.write_text('[sammenligning]\nkommuner = ["4204", "3201"]\n', encoding="utf-8")
    result = run_cli(
        "--db", str(agder.db_path), "--konfig", str(config), "fag", "--kommune", "4203",
        "--aar", "2022-23", "--sammenligning", "--format", "json",
    )  # fmt: skip
    assert result.code == 0, result.stderr
    settings = dataclasses.replace(load_settings(config=config), db_path=agder.db_path)
    expected = api.fag(kommune="4203", aar="2022-23", sammenligning=True, settings=settings)
    assert json.loads(result.stdout) == json.loads(expected.write_json())
    also = run_cli(
        "--db", str(agder.db_path), "fag", "--kommune", "4203", "--aar", "2022-23",
        "--sammenlign-med", "4204,3201", "--format", "json",
    )  # fmt: skip
    assert also.stdout == result.stdout
    wrong = run_cli("--db", str(agder.db_path), "variasjon", "--del", "grupper", "--sammenligning")
    assert wrong.code == 2 and wrong.stdout == "" and "--del skoler" in wrong.stderr


def test_kommune_report_names_a_former_number(agder: Settings, tmp_path: Path) -> None:
    config = tmp_path / "tallkit.toml"
    config.write_text('[sammenligning]\nkommuner = ["3201", "4204"]\n', encoding="utf-8")
    settings = dataclasses.replace(load_settings(config=config), db_path=agder.db_path)
    report = api.rapport(
        "4203", aar="2022-23", formats=["md", "json"], ut=tmp_path, settings=settings
    )
    text = next(p for p in report.written if p.suffix == ".md").read_text(encoding="utf-8")
    assert "Bærum (3201): noen år er hentet under tidligere nummer 3024." in text
    data = json.loads(next(p for p in report.written if p.suffix == ".json").read_text("utf-8"))
    lesing = next(r for r in data["nokkeltall"] if (r["maal"], r["trinn"]) == ("lesing", 5))
    baerum = next(c for c in lesing["sammenligning"] if c["kommunenr"] == "3201")
    assert baerum["kommunenr_i_kilden"] == "3024"
    assert baerum["verdi"] == _published("4202", "2022-23", 5, "lesing")["Skalapoeng"]


def test_a_year_before_a_merger_is_named_not_borrowed() -> None:
    rows = pl.DataFrame(
        [
            {
                "enhet_id": "1001", "kilde": "nasjonale_prover", "indikator_kode": "lesing",
                "trinn": 5, "skoleaar": "2018-19", "verdi": 51.0, "se": 0.6, "status": "ok",
            }
        ]
    )  # fmt: skip
    references = referanser.References(rows, {})
    found = references.find("4204", "nasjonale_prover", "lesing", 5, "2018-19")
    assert (found.status, found.row, found.kilde_kommunenr) == ("mangler", None, None)
    assert found.merknad is not None
    assert "sammenslått med Songdalen og Søgne 1. januar 2020" in found.merknad


def test_kommune_report_names_the_measures_a_comparison_kommune_lacks(
    agder: Settings, tmp_path: Path
) -> None:
    config = tmp_path / "tallkit.toml"
    config.write_text('[sammenligning]\nkommuner = ["Kristiansand", "Bergen"]\n', encoding="utf-8")
    settings = dataclasses.replace(load_settings(config=config), db_path=agder.db_path)
    report = api.rapport("4203", formats=["md"], ut=tmp_path, settings=settings)
    text = next(p for p in report.written if p.suffix == ".md").read_text(encoding="utf-8")
    # Kristiansand has national tests in the Agder files but no Elevundersøkelsen row
    assert (
        "Kristiansand (4204): ingen tall i databasen for Mobbing på skolen (lavere er bedre), "
        "10. trinn (2025-26)." in text
    )
    assert "Bergen (4601): ingen tall i databasen for 2025-26." in text
    table = text.split("**Mot sammenligningskommunene**", 1)[1]
    mobbing = next(line for line in table.splitlines() if line.startswith("| Mobbing"))
    assert mobbing.rstrip().endswith("| – |")  # nobody to compare with: no verdict


def test_a_row_from_before_a_merger_is_marked_only_under_a_number_kept_through_it() -> None:
    rows = pl.DataFrame(
        [
            {
                "enhet_id": unit, "kilde": "nasjonale_prover", "indikator_kode": "lesing",
                "trinn": 5, "skoleaar": "2019-20", "verdi": 50.0, "se": 0.5, "status": "ok",
            }
            for unit in ("1103", "3005")
        ]
    )  # fmt: skip
    references = referanser.References(rows, {})
    # Stavanger kept 1103 when Finnøy and Rennesøy joined: 2019-20 may be the old area
    stavanger = references.find("1103", "nasjonale_prover", "lesing", 5, "2019-20")
    assert stavanger.merknad is not None and "før den ble sammenslått" in stavanger.merknad
    # 3005 was new in 2020: a row under it is the merged Drammen, found under a former number
    drammen = references.find("3301", "nasjonale_prover", "lesing", 5, "2019-20")
    assert drammen.merknad == "Udirs tall under tidligere kommunenummer 3005"
