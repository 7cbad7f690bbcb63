"""Citizen numbers: what is a valid personal id or CMND, and how it is masked."""

from __future__ import annotations

from datetime import date

import pytest

from contracts.ids import InvalidNumber, NumberKind, mask_number, parse_number


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        pytest.param("026092008262", NumberKind.PERSONAL_ID, id="personal-id-12-digits"),
        pytest.param("221234567", NumberKind.CMND, id="cmnd-9-digits"),
    ],
)
def test_valid_numbers_parse_with_their_kind(text: str, kind: NumberKind) -> None:
    """A 12-digit id with a known province and a 9-digit CMND are accepted."""
    assert parse_number(text).kind is kind


def test_personal_id_decodes_province_sex_and_birth_year() -> None:
    """The worked example of domain.md: Vĩnh Phúc (026), male, born 1992."""
    number = parse_number("026092008262")
    assert (number.province_code, number.is_male, number.birth_year) == ("26", True, 1992)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        pytest.param("05409200012", "number_length", id="11-digits"),
        pytest.param("0540920001234", "number_length", id="13-digits"),
        pytest.param("05409200012a", "number_not_digits", id="letter"),
        pytest.param("٠٥٤٠٩٢٠٠٠١٢٣", "number_not_digits", id="arabic-indic-digits"),
        pytest.param("０５４０９２０００１２３", "number_not_digits", id="full-width-digits"),
        pytest.param("", "number_not_digits", id="empty"),
        pytest.param("099092000123", "unknown_province", id="province-099-unknown"),
        pytest.param("154092000123", "unknown_province", id="no-leading-zero"),
        pytest.param("054399000123", "birth_year_in_future", id="born-2099"),
    ],
)
def test_invalid_numbers_are_refused_with_a_stable_code(text: str, code: str) -> None:
    """Each kind of bad number has its own code, so portals can tell users what is wrong."""
    with pytest.raises(InvalidNumber) as caught:
        parse_number(text, today=date(2026, 11, 27))
    assert caught.value.code == code


def test_unicode_digits_that_int_accepts_are_still_refused() -> None:
    """``int()`` accepts Arabic-Indic digits; the gateway must not."""
    text = "٠٥٤٠٩٢٠٠٠١٢٣"
    assert int(text) == 54092000123
    with pytest.raises(InvalidNumber):
        parse_number(text)


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        pytest.param("054092000189", "054*******89", id="personal-id"),
        pytest.param("221234567", "221****67", id="cmnd"),
    ],
)
def test_mask_keeps_three_leading_and_two_trailing_digits(value: str, masked: str) -> None:
    assert mask_number(value) == masked
