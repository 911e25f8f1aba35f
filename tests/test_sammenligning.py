"""The registry of kommune numbers (tallkit/sammenligning.py, data/kommuneendringer.csv and
data/kommuner_2024.csv: SSB's classification 131) and the comparison groups.

The oracle for the renumberings is independent of our reading of SSB's change table: pairs
of (2016 number, number from 2024) copied by hand from lauriejh/regtools'
tests/testthat/_snaps/harmonize_municipality_codes.md (built from SSB's master list of
kommune changes, not from the Klass change table). regtools also maps mergers, which we do
not; those pairs must show up as an area change instead.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tallkit import sammenligning
from tallkit.config import load_settings
from tallkit.errors import UsageError

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
    with pytest.raises(UsageError, match="1515 Herøy .Møre og Romsdal., 1818 Herøy"):
        load_settings(config=config)
    config.write_text('[sammenligning]\nkommuner = ["Bergen", "0219"]\n', encoding="utf-8")
    assert load_settings(config=config).comparison == ("4601", "3201")
