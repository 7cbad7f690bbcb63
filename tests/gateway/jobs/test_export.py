"""The result file: columns, encoding, and escaping of cells a spreadsheet would run."""

from __future__ import annotations

import pytest

from gateway.jobs import Outcome, RowResult, escape_cell
from gateway.jobs._export import header_bytes, result_lines


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        pytest.param('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")', id="equals"),
        pytest.param("+1+2", "'+1+2", id="plus"),
        pytest.param("-2+3", "'-2+3", id="minus"),
        pytest.param("@SUM(A1)", "'@SUM(A1)", id="at"),
        pytest.param("\t=1", "'\t=1", id="tab"),
        pytest.param("\r=1", "'\r=1", id="carriage-return"),
        pytest.param("＝1+1", "'＝1+1", id="full-width-equals"),
        pytest.param("054092000123", "054092000123", id="number-untouched"),
        pytest.param("a=b", "a=b", id="equals-inside-untouched"),
        pytest.param("", "", id="empty"),
    ],
)
def test_formula_cells_are_escaped(cell: str, shown: str) -> None:
    assert escape_cell(cell) == shown


def test_header_starts_with_a_bom_for_spreadsheets() -> None:
    assert header_bytes() == b"\xef\xbb\xbfrow,number,outcome,reason\r\n"


def test_result_lines_escape_and_quote_the_echoed_number() -> None:
    lines = result_lines(
        [
            RowResult(1, "054092000123", Outcome.MATCHED),
            RowResult(2, '=cmd|" /C calc"!A0', Outcome.INVALID, "number_not_digits"),
            RowResult(3, "221234567", Outcome.MISMATCHED, "full_name_mismatch+sex_mismatch"),
        ]
    )
    assert lines.decode().split("\r\n") == [
        "1,054092000123,matched,",
        '2,"\'=cmd|"" /C calc""!A0",invalid,number_not_digits',
        "3,221234567,mismatched,full_name_mismatch+sex_mismatch",
        "",
    ]
