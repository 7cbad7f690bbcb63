"""What one register row means: the accepted forms of each field and the reason codes."""

from __future__ import annotations

from datetime import date

import pytest

from gateway.jobs import Outcome, RowInput, RowResult
from gateway.jobs._rows import FieldPositions, parse_row

ALL = FieldPositions(number=0, full_name=1, birth_date=2, birth_year=3, sex=4)
NUMBER = "054092000123"


def row(
    number: str = NUMBER, name: str = "", born: str = "", year: str = "", sex: str = ""
) -> list[str]:
    return [number, name, born, year, sex]


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        pytest.param(row(), RowInput(1, NUMBER), id="number-only"),
        pytest.param(row(" 221234567 "), RowInput(1, "221234567"), id="cmnd-trimmed"),
        pytest.param(row(name=" Nguyễn Văn An "), RowInput(1, NUMBER, "Nguyễn Văn An"), id="name"),
        pytest.param(
            row(born="1992-11-22"), RowInput(1, NUMBER, birth_date=date(1992, 11, 22)), id="iso"
        ),
        pytest.param(
            row(born="2/3/1992"), RowInput(1, NUMBER, birth_date=date(1992, 3, 2)), id="d/m/yyyy"
        ),
        pytest.param(
            row(born="19921122"), RowInput(1, NUMBER, birth_date=date(1992, 11, 22)), id="compact"
        ),
        pytest.param(row(born="1992"), RowInput(1, NUMBER, birth_year=1992), id="year-in-date"),
        pytest.param(row(year="1992"), RowInput(1, NUMBER, birth_year=1992), id="year-column"),
        pytest.param(
            row(born="1992-11-22", year="1992"),
            RowInput(1, NUMBER, birth_date=date(1992, 11, 22)),
            id="date-and-agreeing-year",
        ),
        pytest.param(row(sex="Nam"), RowInput(1, NUMBER, sex=1), id="sex-nam"),
        pytest.param(row(sex="NỮ"), RowInput(1, NUMBER, sex=2), id="sex-nu-accented"),
        pytest.param(row(sex="nu"), RowInput(1, NUMBER, sex=2), id="sex-nu-plain"),
        pytest.param(row(sex="Female"), RowInput(1, NUMBER, sex=2), id="sex-female"),
        pytest.param(row(sex="1"), RowInput(1, NUMBER, sex=1), id="sex-code"),
    ],
)
def test_accepted_forms(record: list[str], expected: RowInput) -> None:
    assert parse_row(1, record, ALL) == expected


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        pytest.param(row(""), "number_missing", id="number-missing"),
        pytest.param(row("54092000123"), "number_length", id="leading-zero-dropped"),
        pytest.param(row("05409200012a"), "number_not_digits", id="letter-in-number"),
        pytest.param(row("０５４０９２０００１２３"), "number_not_digits", id="full-width-digits"),
        pytest.param(row("099092000123"), "unknown_province", id="unknown-province"),
        pytest.param(row("054299000123"), "birth_year_in_future", id="born-2099"),
        pytest.param(row(name="x" * 201), "full_name_too_long", id="name-too-long"),
        pytest.param(row(born="31/02/1992"), "birth_date_invalid", id="no-31-february"),
        pytest.param(row(born="22.11.1992"), "birth_date_invalid", id="dotted-date"),
        pytest.param(row(born="2999"), "birth_date_invalid", id="future-year"),
        pytest.param(row(year="92"), "birth_year_invalid", id="two-digit-year"),
        pytest.param(row(born="1992-11-22", year="1991"), "birth_year_conflict", id="conflict"),
        pytest.param(row(sex="x"), "sex_invalid", id="unknown-sex"),
    ],
)
def test_reason_codes(record: list[str], reason: str) -> None:
    result = parse_row(7, record, ALL)
    assert result == RowResult(7, record[0].strip(), Outcome.INVALID, reason)


def test_an_invalid_row_echoes_at_most_64_characters_of_its_number() -> None:
    result = parse_row(1, row("=" + "1" * 100), ALL)
    assert isinstance(result, RowResult)
    assert len(result.number) == 64


def test_repr_masks_the_number() -> None:
    """A row that reaches a log line through repr() cannot leak the number."""
    assert NUMBER not in repr(RowInput(1, NUMBER, "An"))
    assert NUMBER not in repr(RowResult(1, NUMBER, Outcome.MATCHED))
