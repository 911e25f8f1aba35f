"""Parsers: every byte-level variant of the exporter, every cell state, headers, sniffing."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import NP_5_2025, NP_U_2025
from tallkit import formats
from tallkit.errors import InputError
from tallkit.formats import vocab
from tallkit.formats.cells import parse_cell, parse_cells

# -- cells ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("56 929", (56929.0, "ok")),
        ("60\u00a0728", (60728.0, "ok")),
        ("1\u202f234,5", (1234.5, "ok")),
        ("0,3", (0.3, "ok")),
        ("0,0", (0.0, "ok")),
        ("*", (None, "skjermet")),
        ("47*", (47.0, "skjermet_synlig")),
        ("", (None, "mangler")),
        ("  ", (None, "mangler")),
        (".", (None, "mangler")),
        ("-1,5", (-1.5, "ok")),
    ],
)
def test_cell_states(raw: str, expected: tuple[float | None, str]) -> None:
    assert parse_cell(raw) == expected


@pytest.mark.parametrize("raw", ["abc", "4,2,1", "12 34", "1.234.567", "*47", "n/a"])
def test_non_number_is_refused(raw: str) -> None:
    with pytest.raises(ValueError):
        parse_cell(raw)


@given(
    st.integers(min_value=0, max_value=10_000_000),
    st.integers(min_value=0, max_value=9),
    st.sampled_from([" ", "\u00a0", "\u202f"]),
)
def test_norwegian_number_round_trips(whole: int, tenth: int, space: str) -> None:
    grouped = f"{whole:,}".replace(",", space)
    value, status = parse_cell(f"{grouped},{tenth}")
    assert status == "ok"
    assert value == pytest.approx(whole + tenth / 10)


@given(
    st.lists(
        st.one_of(
            st.from_regex(r"\A-?\d{1,4}(,\d{1,2})?\*?\Z"), st.sampled_from(["", "*", ".", "x"])
        ),
        max_size=30,
    )
)
def test_vectorised_cells_agree_with_scalar(raws: list[str]) -> None:
    value, status, invalid = parse_cells(pl.col("raw"))
    frame = pl.DataFrame({"raw": raws}, schema={"raw": pl.String}).select(
        value=value, status=status, invalid=invalid
    )
    for raw, row in zip(raws, frame.iter_rows(named=True), strict=True):
        try:
            expected = parse_cell(raw)
        except ValueError:
            assert row["invalid"]
            continue
        assert not row["invalid"]
        assert (row["value"], row["status"]) == expected


# -- headers -------------------------------------------------------------------------------


def test_header_with_dots_in_labels_and_preliminary_year() -> None:
    path = vocab.parse_header(
        "Foreløpige tall 2025-26.Lesing.5. årstrinn.Alle eierformer.Gutt.Skalapoeng"
    )
    assert (
        path.skoleaar,
        path.forelopig,
        path.emne,
        path.trinn,
        path.eierform,
        path.kjonn,
        path.maal,
    ) == (
        "2025-26",
        True,
        "lesing",
        5,
        "alle",
        "gutt",
        "skalapoeng",
    )


def test_gsp_header() -> None:
    path = vocab.parse_header("2022-23.Alle eierformer.Alle kjønn.Grunnskolepoeng")
    assert (path.skoleaar, path.emne, path.trinn, path.maal) == ("2022-23", None, None, "poeng")


def test_unknown_measure_is_kept_with_its_label() -> None:
    path = vocab.parse_header(
        "2025-26.Regning.8. årstrinn.Alle eierformer.Alle kjønn.Andel på mestringsnivå 1 (pst.)"
    )
    assert path.maal == "Andel på mestringsnivå 1 (pst.)"
    assert not path.known_measure


@pytest.mark.parametrize(
    "header",
    [
        "2025-26.Lessing.5. årstrinn.Alle eierformer.Alle kjønn.Skalapoeng",
        "Lesing.5. årstrinn.Alle eierformer.Alle kjønn.Skalapoeng",
        "2025-26.Lesing.5. årstrinn.Alle eierformer.Alle kjønn",
    ],
)
def test_header_with_unknown_parts_is_refused(header: str) -> None:
    with pytest.raises(InputError, match="ukjent del"):
        vocab.parse_header(header)


_YEARS = st.builds(
    lambda y, p: ("Foreløpige tall " if p else "") + f"{y}-{(y + 1) % 100:02d}",
    st.integers(2014, 2040),
    st.booleans(),
)


@given(
    _YEARS,
    st.sampled_from(["Engelsk", "Lesing", "Regning"]),
    st.sampled_from([5, 8, 9]),
    st.sampled_from(list(vocab.OWNERSHIPS)),
    st.sampled_from(["Alle kjønn", "Gutt", "Jente"]),
    st.sampled_from(["Skalapoeng", "Usikkerhet", "Antall elever deltatt"]),
)
def test_any_vocabulary_header_parses_back(
    year: str, test: str, trinn: int, owner: str, gender: str, measure: str
) -> None:
    header = f"{year}.{test}.{trinn}. årstrinn.{owner.title()}.{gender}.{measure}"
    path = vocab.parse_header(header)
    assert path.skoleaar == year.split()[-1]
    assert path.forelopig == year.startswith("Foreløpige")
    assert (path.emne, path.trinn) == (test.lower(), trinn)
    assert path.eierform == vocab.OWNERSHIPS[owner]
    assert path.kjonn == vocab.GENDERS[gender.lower()]
    assert path.known_measure


# -- byte variants -------------------------------------------------------------------------


def _variant(
    tmp_path: Path, source: Path, *, bom: bool, crlf: bool, pipe: bool, sep_line: bool
) -> Path:
    text = source.read_bytes().decode("utf-16-le")
    lines = text.split("\n")
    assert lines[0].startswith("sep=")
    body = lines[1:]
    if pipe:
        body = [line.replace("\t", "|") for line in body]
    if sep_line:
        body = [("sep=|" if pipe else "sep=\t"), *body]
    joined = ("\r\n" if crlf else "\n").join(body)
    data = joined.encode("utf-16-le")
    if bom:
        data = b"\xff\xfe" + data
    out = tmp_path / f"variant_{bom}_{crlf}_{pipe}_{sep_line}.csv"
    out.write_bytes(data)
    return out


@pytest.mark.parametrize("bom", [True, False])
@pytest.mark.parametrize("crlf", [True, False])
@pytest.mark.parametrize(
    ("pipe", "sep_line"), [(False, True), (True, False), (False, False), (True, True)]
)
def test_every_exporter_byte_variant_gives_the_same_rows(
    tmp_path: Path, bom: bool, crlf: bool, pipe: bool, sep_line: bool
) -> None:
    original = formats.read(NP_U_2025).measures.drop("linje")
    variant = _variant(tmp_path, NP_U_2025, bom=bom, crlf=crlf, pipe=pipe, sep_line=sep_line)
    assert formats.read(variant).measures.drop("linje").equals(original)


def test_utf8_resaved_export_is_read_too(tmp_path: Path) -> None:
    copy = tmp_path / "utf8.csv"
    copy.write_bytes(NP_5_2025.read_bytes().decode("utf-16-le").encode("utf-8"))
    assert (
        formats.read(copy)
        .measures.drop("linje")
        .equals(formats.read(NP_5_2025).measures.drop("linje"))
    )


def _exporter(
    tmp_path: Path, header_tail: list[str], rows: list[list[str]], name: str = "x.csv"
) -> Path:
    units = "EnhetNivaa\tNasjonaltkode\tFylkekode\tKommunekode\tOrganisasjonsnummer\tNasjonalt\tFylke\tKommune\tEnhetNavn"
    lines = ["sep=\t", units + "\t" + "\t".join(header_tail)]
    lines += ["\t".join(r) for r in rows]
    path = tmp_path / name
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-16-le"))
    return path


_SCHOOL = [
    "4",
    "I",
    "99",
    "9901",
    "999999999",
    "Hele landet",
    "Testfylke",
    "Testby",
    "Prøveskolen ",
]


def test_screened_visible_number_is_kept_but_marked(tmp_path: Path) -> None:
    path = _exporter(
        tmp_path,
        ["2025-26.Lesing.5. årstrinn.Alle eierformer.Alle kjønn.Skalapoeng"],
        [[*_SCHOOL, "47*"]],
    )
    row = formats.read(path).measures.row(0, named=True)
    assert (row["verdi"], row["status"]) == (47.0, "skjermet_synlig")


def test_several_years_genders_and_unknown_measures_in_one_file(tmp_path: Path) -> None:
    header = [
        f"{year}.Regning.8. årstrinn.Alle eierformer.{gender}.{measure}"
        for year in ("2024-25", "Foreløpige tall 2025-26")
        for gender in ("Alle kjønn", "Gutt", "Jente")
        for measure in ("Skalapoeng", "Mestringsnivå 1")
    ]
    path = _exporter(tmp_path, header, [[*_SCHOOL, *["51"] * len(header)]])
    parsed = formats.read(path)
    assert parsed.measures.height == 12
    assert set(parsed.measures["kjonn"]) == {"alle", "gutt", "jente"}
    assert parsed.measures.filter(pl.col("skoleaar") == "2025-26")["forelopig"].all()
    assert parsed.unknown_measures == ["Mestringsnivå 1"]
    assert any("ukjente mål" in note for note in parsed.notes)


def test_gsp_export(tmp_path: Path) -> None:
    path = _exporter(
        tmp_path,
        [
            "2024-25.Alle eierformer.Alle kjønn.Grunnskolepoeng",
            "2024-25.Alle eierformer.Alle kjønn.Antall elever",
        ],
        [[*_SCHOOL, "42,8", "7 265"]],
    )
    parsed = formats.read(path, "gsp")
    assert parsed.kind == "gsp"
    assert sorted(parsed.measures.select("maal", "verdi").rows()) == [
        ("antall", 7265.0),
        ("poeng", 42.8),
    ]


def test_forced_type_that_does_not_fit_is_refused() -> None:
    with pytest.raises(InputError, match="ser ut som «np», ikke «gsp»"):
        formats.read(NP_5_2025, "gsp")


def test_eksportapi_csv_with_sniffed_delimiter(tmp_path: Path) -> None:
    header = "Skoleaarnavn;EnhetNivaa;Organisasjonsnummer;Kommunekode;Fylkekode;EnhetNavn;TrinnKode;Trinnnavn;EierformNavn;KjoennKode;Kjoenn;Spoersmaalgruppekode;Spoersmaalgruppe;Spoersmaalkode;Spoersmaalnavn;Score;Standardavvik;AntallBesvart"
    rows = [
        "2025-26;4;999999999;9901;99;Prøveskolen;7;7. trinn;Alle eierformer;A;Alle kjønn;EUIndeks_1380;Støtte fra lærerne;;Alle spørsmål;4,3;0,8;41",
        "2025-26;4;999999999;9901;99;Prøveskolen;10;10. trinn;Alle eierformer;A;Alle kjønn;EUIndeks_1380;Støtte fra lærerne;;Alle spørsmål;*;*;*",
    ]
    path = tmp_path / "eu.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    parsed = formats.read(path)
    assert parsed.kind == "eu"
    verdi = parsed.measures.filter(pl.col("maal") == "verdi").sort("trinn")
    assert verdi.select("emne", "trinn", "verdi", "status").rows() == [
        ("EUIndeks_1380", 7, 4.3, "ok"),
        ("EUIndeks_1380", 10, None, "skjermet"),
    ]


def test_file_fitting_no_kind_says_what_was_expected(tmp_path: Path) -> None:
    path = tmp_path / "handleliste.csv"
    path.write_text("vare;antall\nmelk;2\n", encoding="utf-8")
    with pytest.raises(
        InputError, match=r"ukjent filtype.*Forventet en eksport fra Udirs statistikkbank"
    ):
        formats.read(path)


def test_export_stamp_from_udir_file_name() -> None:
    assert (
        formats.export_stamp("2025-26_20260218-1045_Nasjonale_proever_5._trinn.csv")
        == "2026-02-18T10:45"
    )
    assert formats.export_stamp("nasjonale_prover.csv") is None
