"""Citizen numbers: the 12-digit personal identification number and the legacy 9-digit CMND.

The personal id (số định danh cá nhân, Decree 137/2015/NĐ-CP art. 13, Circular 07/2016/TT-BCA
art. 7) reads ``PPP C YY RRRRRR``: the birth-registration province (GSO code with a leading zero),
a century-and-sex digit, the last two digits of the birth year, and six random digits. It has no
check digit, so structure is all that can be validated. A CMND is nine digits with no structure we
may rely on.

Parsing is strict on purpose: only ASCII digits are accepted (``int()`` and ``str.isdigit()`` also
accept Arabic-Indic or full-width digits, which the national side never sends).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from contracts.admin_units import province_codes

__all__ = [
    "NUMBER_PATTERN",
    "CitizenNumber",
    "InvalidNumber",
    "NumberKind",
    "birth_year_of",
    "century_sex_digit",
    "mask_number",
    "parse_number",
    "year_of",
]

_ASCII_DIGITS = re.compile(r"[0-9]+")


class NumberKind(StrEnum):
    PERSONAL_ID = "personal_id"
    CMND = "cmnd"


class InvalidNumber(ValueError):
    """The text is not a valid citizen number; ``code`` is a stable machine-readable reason."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True, slots=True)
class CitizenNumber:
    """A validated citizen number: a 12-digit personal id or a 9-digit CMND."""

    value: str
    kind: NumberKind

    @property
    def province_code(self) -> str | None:
        """Two-digit GSO province of birth registration, for personal ids only."""
        return self.value[1:3] if self.kind is NumberKind.PERSONAL_ID else None

    @property
    def is_male(self) -> bool | None:
        return int(self.value[3]) % 2 == 0 if self.kind is NumberKind.PERSONAL_ID else None

    @property
    def birth_year(self) -> int | None:
        if self.kind is not NumberKind.PERSONAL_ID:
            return None
        return birth_year_of(self.value)

    @property
    def masked(self) -> str:
        return mask_number(self.value)


def birth_year_of(personal_id: str) -> int:
    """Birth year encoded in a 12-digit personal id: 1900 + 100·⌊C/2⌋ + YY."""
    return year_of(int(personal_id[3]), int(personal_id[4:6]))


def year_of(century_sex: int, yy: int) -> int:
    """The year the century-and-sex digit C and the two year digits YY encode."""
    return 1900 + 100 * (century_sex // 2) + yy


def century_sex_digit(year: int, *, male: bool) -> int:
    """The digit C a personal id carries for a birth in ``year``: even for men, odd for women."""
    return 2 * ((year - 1900) // 100) + (0 if male else 1)


def parse_number(text: str, *, today: date | None = None) -> CitizenNumber:
    """Validate ``text`` as a personal id (12 digits) or a CMND (9 digits).

    Raises :class:`InvalidNumber` with code ``number_not_digits``, ``number_length``,
    ``unknown_province`` or ``birth_year_in_future``.
    """
    if not _ASCII_DIGITS.fullmatch(text):
        raise InvalidNumber("number_not_digits", "A citizen number has ASCII digits 0-9 only.")
    if len(text) == 9:
        return CitizenNumber(text, NumberKind.CMND)
    if len(text) != 12:
        raise InvalidNumber(
            "number_length",
            "A citizen number has 12 digits (personal id) or 9 digits (CMND).",
        )
    _check_personal_id_structure(text, today or date.today())
    return CitizenNumber(text, NumberKind.PERSONAL_ID)


def _check_personal_id_structure(text: str, today: date) -> None:
    if text[0] != "0" or text[1:3] not in province_codes():
        raise InvalidNumber(
            "unknown_province",
            "The first three digits must be a province code of birth registration (001-096).",
        )
    if birth_year_of(text) > today.year:
        raise InvalidNumber(
            "birth_year_in_future", "The century and year digits give a birth year in the future."
        )


def _number_pattern() -> str:
    """The syntax :func:`parse_number` accepts, as a regular expression for the OpenAPI.

    Province and century digit are in it; the birth year's "not in the future" is not, as a
    pattern cannot follow the calendar (that one answers 422 ``birth_year_in_future``).
    """
    provinces = "|".join(sorted(province_codes()))
    return rf"^(0({provinces})[0-3][0-9]{{8}}|[0-9]{{9}})$"


NUMBER_PATTERN = _number_pattern()


def mask_number(value: str) -> str:
    """Keep the first three and last two digits: ``054*******89``, as public clients do."""
    if len(value) <= 5:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 5) + value[-2:]
