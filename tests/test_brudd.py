from tallkit.brudd import breaks_between


def test_np_trend_across_2022_is_marked() -> None:
    found = breaks_between("np", "2021-22", "2022-23")
    assert [b.first_year for b in found] == ["2022-23"]
    assert breaks_between("np", "2022-23", "2023-24") == []


def test_unit_reforms_apply_to_every_domain() -> None:
    assert [b.first_year for b in breaks_between("eu", "2019-20", "2020-21")] == ["2020-21"]
    assert [b.first_year for b in breaks_between("np", "2023-24", "2024-25")] == ["2024-25"]
