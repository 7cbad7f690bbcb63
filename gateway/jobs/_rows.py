"""What one register row means: the number checked, the optional details read, or a reason why not.

The rules a province's register is read with (each failure is a per-row reason code, never fatal):

- number: 12-digit personal id or 9-digit CMND, by the same rules as single look-ups
  (``number_missing``, ``number_not_digits``, ``number_length``, ``unknown_province``,
  ``birth_year_in_future``). A number whose leading zero a spreadsheet dropped fails
  ``number_length``.
- full name: any text up to 200 characters (``full_name_too_long``).
- birth date: ``yyyy-mm-dd``, ``dd/mm/yyyy`` (Vietnamese registers), ``yyyymmdd``, or a year
  ``yyyy`` when the day is unknown (``birth_date_invalid``); a separate year column ``yyyy``
  (``birth_year_invalid``) must agree with a full date when both are given
  (``birth_year_conflict``).
- sex: ``1``/``2``, ``nam``/``nữ`` (with or without diacritics), ``male``/``female``, ``m``/``f``
  (``sex_invalid``).
- bytes that are not UTF-8 in a used column: ``encoding_invalid``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from contracts.ids import InvalidNumber, parse_number
from gateway.jobs._model import Outcome, RowInput, RowResult

__all__ = ["FieldPositions", "parse_row"]

MAX_NAME_LENGTH = 200
MAX_ECHO_LENGTH = 64  # an invalid "number" is echoed in the result file, cut to this length
_SEX = {"1": 1, "nam": 1, "male": 1, "m": 1, "2": 2, "nữ": 2, "nu": 2, "female": 2, "f": 2}
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_DMY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_YEAR = re.compile(r"\d{4}")
_UNDECODABLE = re.compile("[\udc80-\udcff]")  # what surrogateescape left for non-UTF-8 bytes


class _BadRow(ValueError):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True, slots=True)
class FieldPositions:
    """Where each field sits in a record (column index), None when the file has no such column."""

    number: int
    full_name: int | None = None
    birth_date: int | None = None
    birth_year: int | None = None
    sex: int | None = None


def _cell(record: Sequence[str], position: int | None) -> str | None:
    if position is None or position >= len(record):
        return None
    text = record[position].strip()
    if _UNDECODABLE.search(text):
        raise _BadRow("encoding_invalid")
    return text or None


def parse_row(ordinal: int, record: Sequence[str], where: FieldPositions) -> RowInput | RowResult:
    """The row to verify, or its ``invalid`` result with the first reason found."""
    try:
        return _checked(ordinal, record, where)
    except _BadRow as exc:
        return RowResult(ordinal, _echo(record, where.number), Outcome.INVALID, exc.code)


def _echo(record: Sequence[str], position: int) -> str:
    """The number cell as given, cut short, with undecodable bytes shown as U+FFFD."""
    text = record[position].strip()[:MAX_ECHO_LENGTH] if position < len(record) else ""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _checked(ordinal: int, record: Sequence[str], where: FieldPositions) -> RowInput:
    number = _number(_cell(record, where.number))
    birth_date, year_from_date = _birth_date(_cell(record, where.birth_date))
    birth_year = _birth_year(_cell(record, where.birth_year), birth_date, year_from_date)
    return RowInput(
        ordinal=ordinal,
        number=number,
        full_name=_full_name(_cell(record, where.full_name)),
        birth_date=birth_date,
        birth_year=birth_year,
        sex=_sex(_cell(record, where.sex)),
    )


def _number(text: str | None) -> str:
    if text is None:
        raise _BadRow("number_missing")
    try:
        return parse_number(text).value
    except InvalidNumber as exc:
        raise _BadRow(exc.code) from exc


def _full_name(text: str | None) -> str | None:
    if text is not None and len(text) > MAX_NAME_LENGTH:
        raise _BadRow("full_name_too_long")
    return text


def _birth_date(text: str | None) -> tuple[date | None, int | None]:
    """A full date, or only a year; ``(None, None)`` when the cell is empty."""
    if text is None:
        return None, None
    if _YEAR.fullmatch(text):
        return None, _plausible_year(text, "birth_date_invalid")
    for pattern, order in ((_ISO, (0, 1, 2)), (_DMY, (2, 1, 0)), (_COMPACT, (0, 1, 2))):
        if match := pattern.fullmatch(text):
            parts = match.groups()
            return _date(*(int(parts[i]) for i in order)), None
    raise _BadRow("birth_date_invalid")


def _date(year: int, month: int, day: int) -> date:
    try:
        value = date(year, month, day)
    except ValueError as exc:
        raise _BadRow("birth_date_invalid") from exc
    if value > date.today() or year < 1850:
        raise _BadRow("birth_date_invalid")
    return value


def _plausible_year(text: str, code: str) -> int:
    year = int(text)
    if not 1850 <= year <= date.today().year:
        raise _BadRow(code)
    return year


def _birth_year(text: str | None, birth_date: date | None, from_date: int | None) -> int | None:
    if text is None:
        return None if birth_date is not None else from_date
    if not _YEAR.fullmatch(text):
        raise _BadRow("birth_year_invalid")
    year = _plausible_year(text, "birth_year_invalid")
    known = birth_date.year if birth_date is not None else from_date
    if known is not None and known != year:
        raise _BadRow("birth_year_conflict")
    return None if birth_date is not None else year


def _sex(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return _SEX[unicodedata.normalize("NFC", text).casefold()]
    except KeyError as exc:
        raise _BadRow("sex_invalid") from exc
