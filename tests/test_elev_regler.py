"""The pupil load's verdict per row («feil» in queries/intern/elev_last.sql) against the column
rules written out independently in Python (tallkit.formats.elev, which names the bad line).

The load first tries one combined pattern that only ever says «valid», and leaves every other
row to the column checks; these tests look for a row where the shortcut and the rules disagree.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tallkit import formats, store
from tallkit.formats.elev import _FNR_INSIDE, _RULES
from tallkit.personvern import PseudonymKey

# The NUDB register layout, as in bench/ingest.py; None marks a column tallkit does not read
# (the school is ORGNRBED: ORGNR is its owner).
LAYOUT = {
    "SNR_NUDB": "elev_id",
    "AARGANG": "aargang",
    "ORGNR": None,
    "ORGNRBED": "orgnr",
    "SKOLEKOM": "kommunenr",
    "SKOLEFYLKE": None,
    "SKOLETYPE": None,
    "AVGIVERSKOLE_ORGNR": None,
    "AVGIVERSKOLE_ORGNRBED": "avgiverskole",
    "DELTATTSTATUS": "deltatt",
    "PROVE": "prove",
    "MESTRINGSNIVAA": "mestringsnivaa",
    "POENG": None,
    "OPPGAVESETT": None,
    "ANDELPOENG": None,
    "GRUPPENUMMER": "gruppe",
    "SKALAPOENG": "skalapoeng",
}
COLUMNS = tuple(name for name in LAYOUT.values() if name is not None)
FNR = "01011385776"
# Valid values and near misses for each column (no «;», quote or line break: one CSV field each).
VALUES = {
    "elev_id": ["A1", "X15C3FD1813", "x" * 64, "x" * 65, "", f"{FNR[:6]} {FNR[6:]}"],
    "aargang": [
        *("202409", "202403", "202412", "202413", "202400", "199909", "20240", "2024099"),
        *("", "20240a", "٢٠٢٤٠٩", " 202409 "),
    ],
    "orgnr": [
        *("974123456", "97412345", "9741234567", "97412345a", "٩٧٤١٢٣٤٥٦", " 974123456"),
        *("", FNR, "+97412345"),
    ],
    "kommunenr": ["", "0301", "301", "03011", "abcd", "٠٣٠١", FNR],
    "avgiverskole": ["", "974123456", "97412345", f"{FNR[:6]}-{FNR[6:]}", "97412345x"],
    "deltatt": ["D", "d", "F", "I1", "ABC", "ABCD", "", "Ø", "-"],
    "prove": ["NPLES08", "nples05", "NPENG05", "NPREG09", "NPLES07", "NPXXX05", "", "NPLES5"],
    "mestringsnivaa": ["", ".", "1", "3", "4", "5", "6", "0", "٣", "11"],
    "gruppe": [
        *("", "8A", "1", "x" * 10, "x" * 11, "x" * 40, "x" * 41, "a\tb", "Ø1", FNR),
        f"klasse {FNR}",
    ],
    "skalapoeng": [
        *("", ".", "52", "0", "150", "151", "-0", "-5", "1 000", "52,5", "52.5", "999"),
        *("0150", "1e2", "٥٢", "150,0", "150,1"),
    ],
}
GOOD = {
    "elev_id": "A1",
    "aargang": "202409",
    "orgnr": "974123456",
    "kommunenr": "0301",
    "avgiverskole": "974654321",
    "deltatt": "D",
    "prove": "NPLES08",
    "mestringsnivaa": "3",
    "gruppe": "8A",
    "skalapoeng": "52",
}


@st.composite
def rows(draw: st.DrawFn) -> dict[str, str]:
    """A valid row with up to two columns drawn from the near misses: a row with many bad
    columns is refused by the first of them and says little about the others."""
    changed = draw(st.lists(st.sampled_from(COLUMNS), max_size=2, unique=True))
    return {**GOOD, **{name: draw(st.sampled_from(VALUES[name])) for name in changed}}


def rules_say_valid(row: dict[str, str]) -> bool:
    """The rules of tallkit.formats.elev, in Python, for one NUDB row."""
    value = {name: text.strip() for name, text in row.items()}
    for name in ("orgnr", "gruppe", "avgiverskole", "kommunenr"):
        if _FNR_INSIDE.search(value[name]):
            return False
    # NUDB has no school year column: an empty AARGANG leaves nothing to take the year from
    if value["aargang"] == "" or not _RULES["aargang"](value["aargang"]):
        return False
    for name in ("elev_id", "orgnr", "kommunenr", "avgiverskole", "gruppe", "prove"):
        if not _RULES[name](value[name]):
            return False
    for name in ("deltatt", "skalapoeng", "mestringsnivaa"):
        if not _RULES[name](value[name]):
            return False
    level = value["mestringsnivaa"]
    # 5. trinn has three mastery levels
    return not (value["prove"].upper().endswith("05") and level not in ("", ".", "1", "2", "3"))


@contextmanager
def loaded(rows: list[dict[str, str]]) -> Iterator[list[str | None]]:
    """Load ``rows`` as one NUDB file inside a transaction that is rolled back; yield «feil»
    per row in file order."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "elever.csv"
        lines = [";".join(LAYOUT)] + [
            ";".join("1" if name is None else row[name] for name in LAYOUT.values()) for row in rows
        ]
        path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))
        load = formats.read(path, "auto").pupils
        assert load is not None
        with store.open_store(Path(folder) / "db.duckdb", create=True) as opened:
            opened.con.begin()
            # the verdicts themselves, not the file's refusal that follows from them
            opened._check_pupils = lambda kilde_id: None  # type: ignore[assignment,method-assign,return-value]
            opened._write_pupils(load, 1, PseudonymKey(b"k" * 32), None)
            verdicts = opened.con.execute(
                "select feil from lager.elevresultat order by rowid"
            ).fetchall()
            opened.con.rollback()
        yield [verdict for (verdict,) in verdicts]


@given(st.lists(rows(), min_size=1, max_size=40))
def test_the_load_accepts_exactly_the_rows_the_column_rules_accept(
    rows: list[dict[str, str]],
) -> None:
    with loaded(rows) as verdicts:
        assert [verdict is None for verdict in verdicts] == [rules_say_valid(r) for r in rows]


def test_every_near_miss_alone_in_a_valid_row_gets_the_rules_verdict() -> None:
    rows = [{**GOOD, name: value} for name in COLUMNS for value in VALUES[name]]
    with loaded(rows) as verdicts:
        for row, verdict in zip(rows, verdicts, strict=True):
            assert (verdict is None) == rules_say_valid(row), (row, verdict)


@pytest.mark.parametrize("name", sorted(set(COLUMNS) - {"elev_id"}))
def test_one_bad_column_in_an_otherwise_valid_row_is_named(name: str) -> None:
    good = GOOD
    bad = {**good, name: next(v for v in VALUES[name] if v and not _RULES[name](v.strip()))}
    with loaded([good, bad]) as verdicts:
        assert verdicts[0] is None
        assert verdicts[1] is not None
        assert re.fullmatch(rf"(fnr:)?{name}", verdicts[1])
