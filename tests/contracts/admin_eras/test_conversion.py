"""The two eras of administrative units, over the whole vendored table (issue 17).

Properties are checked for every code the table holds, not a sample: every old commune maps to at
least one new unit, every new unit has at least one old one, and converting there and back always
contains the start. Hypothesis then checks the flags and names on random codes of both eras.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.admin_eras import Unit, convert, tables, unit

OLD_CODES = sorted(tables().old_to_new)
NEW_CODES = sorted(tables().new_units)


def test_the_table_has_the_official_counts() -> None:
    """34 provinces and 3,321 wards/communes/special zones since 01/7/2025; 63 provinces before."""
    assert len(tables().new_provinces) == 34
    assert len(NEW_CODES) == 3321
    assert len(tables().old_provinces) == 63


def test_every_old_code_maps_to_at_least_one_new_code() -> None:
    missing = [code for code in OLD_CODES if not convert(code, "2021").candidates]  # type: ignore[union-attr]
    assert missing == []


def test_every_new_code_has_at_least_one_old_code() -> None:
    missing = [code for code in NEW_CODES if not convert(code, "2025").candidates]  # type: ignore[union-attr]
    assert missing == []


def _holds(units: tuple[Unit, ...], code: str) -> bool:
    """``code`` is one of ``units``, or their district (a special zone made of a whole district)."""
    return any(code in (u.code, u.district_code) for u in units)


def test_round_trips_contain_the_start() -> None:
    """old → each new candidate → its old units holds the old code again, and the other way."""
    broken = []
    for code in OLD_CODES:
        forward = convert(code, "2021")
        assert forward is not None
        for new in forward.candidates:
            back = convert(new.code, "2025")
            if back is None or not _holds(back.candidates, code):
                broken.append((code, new.code))
    for code in NEW_CODES:
        forward = convert(code, "2025")
        assert forward is not None
        for old in forward.candidates:
            back = convert(old.code, "2021")
            if back is None or code not in {u.code for u in back.candidates}:
                broken.append((code, old.code))
    assert broken == []


def test_phuong_9_of_tuy_hoa_went_to_two_new_wards_partly() -> None:
    """The README's example: 22024 (2021, Phú Yên 54) → 22015 and 22045 in Đắk Lắk (66)."""
    conversion = convert("22024", "2021")
    assert conversion is not None
    assert conversion.unit.name == "Phường 9"
    assert conversion.unit.province_code == "54"
    assert [(u.code, u.province_code) for u in conversion.candidates] == [
        ("22015", "66"),
        ("22045", "66"),
    ]
    assert conversion.partial is True


def test_phuong_tuy_hoa_lists_every_old_ward_merged_into_it() -> None:
    conversion = convert("22015", "2025")
    assert conversion is not None
    assert conversion.unit.name == "Phường Tuy Hòa"
    codes = [u.code for u in conversion.candidates]
    assert codes == ["22015", "22018", "22024", "22030", "22033", "22036", "22312", "22315"]
    assert all(u.era == "2021" and u.district_code for u in conversion.candidates)


def test_one_code_two_places() -> None:
    """22015 is old Phường 1 of Tuy Hoà and new Phường Tuy Hòa: the era decides."""
    old, new = unit("22015", "2021"), unit("22015", "2025")
    assert old is not None
    assert new is not None
    assert (old.name, old.province_code, old.district_code) == ("Phường 1", "54", "555")
    assert (new.name, new.province_code, new.district_code) == ("Phường Tuy Hòa", "66", None)


def test_phu_yen_is_now_part_of_dak_lak() -> None:
    conversion = convert("54", "2021")
    assert conversion is not None
    assert [u.code for u in conversion.candidates] == ["66"]
    assert conversion.partial is False
    assert {u.code for u in convert("66", "2025").candidates} == {"54", "66"}  # type: ignore[union-attr]


def test_special_zones_of_whole_districts_come_from_the_district() -> None:
    conversion = convert("11948", "2025")
    assert conversion is not None
    (district,) = conversion.candidates
    assert (district.level, district.code) == ("district", "318")


@pytest.mark.parametrize("code", ["", "1", "99", "999", "99999", "abcde"])
def test_unknown_codes_are_none_in_both_eras(code: str) -> None:
    assert convert(code, "2021") is None
    assert convert(code, "2025") is None


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(OLD_CODES) | st.sampled_from(NEW_CODES), st.sampled_from(["2021", "2025"]))
def test_conversions_are_named_and_flagged_consistently(code: str, era: str) -> None:
    conversion = convert(code, era)  # type: ignore[arg-type]
    if conversion is None:
        assert unit(code, era) is None  # type: ignore[arg-type]
        return
    assert conversion.unit.name
    assert conversion.other_era != era
    assert all(u.era == conversion.other_era and u.name for u in conversion.candidates)
    if era == "2021" and len(conversion.candidates) > 1:
        assert conversion.partial
    if era == "2025":
        assert all(u.district_code for u in conversion.candidates)  # old units have districts
    else:
        assert all(u.district_code is None for u in conversion.candidates)
