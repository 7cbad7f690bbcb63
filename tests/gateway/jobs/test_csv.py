"""Reading an uploaded register as a stream: encodings, record boundaries, column mapping."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import pytest

from gateway.jobs import ColumnMap, CsvFormatError, Outcome, RowInput, RowResult, _csv, read_rows

REGISTER = (
    "number,full_name,birth_date,sex\n"
    '054092000123,"Nguyễn Văn An",22/11/1992,nam\n'
    '221234567,"Trần, Thị\nBình",1985,2\n'
    "\n"
    "12345,Lê Văn C,,\n"
)


async def chunks(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def rows_of(
    data: bytes, size: int = 4096, columns: ColumnMap | None = None, delimiter: str = ","
) -> list[RowInput | RowResult]:
    return [row async for row in read_rows(chunks(data, size), columns or ColumnMap(), delimiter)]


@pytest.mark.parametrize(
    ("prefix", "newline"),
    [
        pytest.param(b"", "\n", id="utf8-lf"),
        pytest.param(b"\xef\xbb\xbf", "\n", id="utf8-bom-lf"),
        pytest.param(b"\xef\xbb\xbf", "\r\n", id="utf8-bom-crlf"),
    ],
)
@pytest.mark.parametrize("size", [1, 3, 7, 4096], ids=lambda n: f"chunks-of-{n}")
async def test_rows_read_the_same_whatever_the_chunking(
    prefix: bytes, newline: str, size: int
) -> None:
    """Chunk edges inside a multi-byte letter or a quoted newline never change the rows."""
    data = prefix + REGISTER.replace("\n", newline).replace("Thị" + newline, "Thị\n").encode()
    rows = await rows_of(data, size)
    assert rows == [
        RowInput(1, "054092000123", "Nguyễn Văn An", date(1992, 11, 22), None, 1),
        RowInput(2, "221234567", "Trần, Thị\nBình", None, 1985, 2),
        RowResult(3, "12345", Outcome.INVALID, "number_length"),
    ]


async def test_columns_are_mapped_by_name_ignoring_case_and_order() -> None:
    """A province's own header names, in any order and case, map onto the fields."""
    data = b"Ngay Sinh;SO DINH DANH;Ho Ten\n1992-11-22;054092000123;An\n"
    columns = ColumnMap(
        number="so dinh danh",
        full_name="ho ten",
        birth_date="ngay sinh",
        required=frozenset({"number", "full_name", "birth_date"}),
    )
    rows = await rows_of(data, columns=columns, delimiter=";")
    assert rows == [RowInput(1, "054092000123", "An", date(1992, 11, 22))]


async def test_optional_columns_absent_from_the_header_are_simply_not_used() -> None:
    rows = await rows_of(b"number\n054092000123\n")
    assert rows == [RowInput(1, "054092000123")]


@pytest.mark.parametrize(
    ("data", "columns", "code"),
    [
        pytest.param(b"", ColumnMap(), "csv_empty", id="empty-file"),
        pytest.param(b"\xef\xbb\xbf", ColumnMap(), "csv_empty", id="only-a-bom"),
        pytest.param(b"id,name\n1,x\n", ColumnMap(), "csv_missing_column", id="no-number-column"),
        pytest.param(
            b"number\n054092000123\n",
            ColumnMap(sex="gioi_tinh", required=frozenset({"number", "sex"})),
            "csv_missing_column",
            id="mapped-column-missing",
        ),
    ],
)
async def test_an_unreadable_file_is_refused_as_a_whole(
    data: bytes, columns: ColumnMap, code: str
) -> None:
    with pytest.raises(CsvFormatError) as caught:
        await rows_of(data, columns=columns)
    assert caught.value.code == code


async def test_a_record_that_never_ends_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """An unbalanced quote would otherwise make the reader hold the rest of the file."""
    monkeypatch.setattr(_csv, "MAX_RECORD_CHARS", 1000)
    data = b'number,full_name\n054092000123,"open quote\n' + b"054092000123,x\n" * 200
    with pytest.raises(CsvFormatError) as caught:
        await rows_of(data, size=64)
    assert caught.value.code == "csv_record_too_large"


async def test_bytes_that_are_not_utf8_spoil_only_their_row() -> None:
    data = b"number,full_name\n054092000123,Nguy\xe1n\n221234567,An\n"
    rows = await rows_of(data)
    assert rows == [
        RowResult(1, "054092000123", Outcome.INVALID, "encoding_invalid"),
        RowInput(2, "221234567", "An"),
    ]


async def test_an_undecodable_number_is_echoed_with_replacement_characters() -> None:
    rows = await rows_of(b"number\n05409\xff2000123\n")
    assert rows == [RowResult(1, "05409\ufffd2000123", Outcome.INVALID, "encoding_invalid")]


async def test_a_huge_cell_spoils_only_its_row() -> None:
    rows = await rows_of(b"number,full_name\n054092000123," + b"x" * 200_000 + b"\n221234567,An\n")
    assert rows == [
        RowResult(1, "054092000123", Outcome.INVALID, "full_name_too_long"),
        RowInput(2, "221234567", "An"),
    ]


async def test_a_short_record_reads_its_missing_cells_as_empty() -> None:
    rows = await rows_of(b"full_name,number\nAn\n")
    assert rows == [RowResult(1, "", Outcome.INVALID, "number_missing")]
