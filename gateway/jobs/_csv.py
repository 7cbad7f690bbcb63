"""Reading an uploaded register as a stream: bytes in, one parsed row at a time out.

Memory stays flat whatever the file's size: bytes are decoded incrementally (UTF-8, with or without
a BOM), cut at the last *record* boundary seen so far (a newline outside quotes: RFC 4180 quotes
come in pairs, so a newline after an even number of quote characters ends a record), and only
those complete records are handed to the standard ``csv`` parser. A record that never ends within
:data:`MAX_RECORD_CHARS` makes the file unreadable (``csv_record_too_large``).

Bytes that are not UTF-8 do not stop the file: they are kept as lone surrogates
(``surrogateescape``) and the row that holds them is reported ``encoding_invalid``.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import AsyncIterable, AsyncIterator, Iterator
from dataclasses import dataclass

from gateway.jobs._errors import CsvFormatError
from gateway.jobs._model import RowInput, RowResult
from gateway.jobs._rows import FieldPositions, parse_row

__all__ = ["DELIMITERS", "MAX_RECORD_CHARS", "ColumnMap", "read_records", "read_rows"]

MAX_RECORD_CHARS = 1_000_000
DELIMITERS = {",": ",", ";": ";", "tab": "\t"}

# A cell as long as a whole record is a bad *row* (reported with its reason), not a bad file:
# lift the csv module's 128 KiB cell limit to the record limit that already bounds memory.
csv.field_size_limit(max(csv.field_size_limit(), MAX_RECORD_CHARS))


@dataclass(frozen=True, slots=True)
class ColumnMap:
    """Which header names hold which field; the optional ones are used only when present.

    A name given explicitly (``required``) must exist in the header; the defaults are the canonical
    names, so a file whose header already says ``number,full_name,birth_date,sex`` needs no mapping.
    """

    number: str = "number"
    full_name: str = "full_name"
    birth_date: str = "birth_date"
    birth_year: str = "birth_year"
    sex: str = "sex"
    required: frozenset[str] = frozenset({"number"})

    def positions(self, header: list[str]) -> FieldPositions:
        index: dict[str, int] = {}
        for position, name in enumerate(header):
            index.setdefault(_header_key(name), position)
        found = {field: index.get(_header_key(getattr(self, field))) for field in _OPTIONAL}
        number = index.get(_header_key(self.number))
        missing = [getattr(self, field) for field in _OPTIONAL if field in self.required]
        missing = [name for name in missing if _header_key(name) not in index]
        if number is None or missing:
            names = ([self.number] if number is None else []) + missing
            raise CsvFormatError(
                f"The header has no column named {', '.join(names)}.", code="csv_missing_column"
            )
        return FieldPositions(number=number, **found)


_OPTIONAL = ("full_name", "birth_date", "birth_year", "sex")


def _header_key(name: str) -> str:
    return name.strip().casefold()


def _record_boundary(text: str) -> int:
    """Index just past the last newline that ends a record in ``text``; 0 if there is none."""
    end = len(text)
    while (newline := text.rfind("\n", 0, end)) >= 0:
        if text.count('"', 0, newline) % 2 == 0:
            return newline + 1
        end = newline
    return 0


def _parse(text: str, delimiter: str) -> Iterator[list[str]]:
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    except csv.Error as exc:
        raise CsvFormatError(
            f"The file cannot be read as CSV: {exc}.", code="csv_unreadable"
        ) from exc


async def read_records(
    chunks: AsyncIterable[bytes], delimiter: str = ","
) -> AsyncIterator[list[str]]:
    """Every CSV record of the byte stream, in order; blank lines are skipped."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="surrogateescape")
    pending = ""
    async for chunk in chunks:
        pending += decoder.decode(chunk)
        cut = _record_boundary(pending)
        if cut == 0 and len(pending) > MAX_RECORD_CHARS:
            raise CsvFormatError(
                "A record runs on for over a million characters: an unbalanced quote?",
                code="csv_record_too_large",
            )
        for record in _parse(pending[:cut], delimiter):
            if record:
                yield record
        pending = pending[cut:]
    pending += decoder.decode(b"", final=True)
    for record in _parse(pending, delimiter):
        if record:
            yield record


async def read_rows(
    chunks: AsyncIterable[bytes], columns: ColumnMap, delimiter: str = ","
) -> AsyncIterator[RowInput | RowResult]:
    """Each data row parsed: a row to verify, or its ``invalid`` result (see ``_rows``)."""
    records = read_records(chunks, delimiter)
    header = await anext(records, None)
    if header is None:
        raise CsvFormatError("The file is empty: a header line is required.", code="csv_empty")
    where = columns.positions(header)
    ordinal = 0
    async for record in records:
        ordinal += 1
        yield parse_row(ordinal, record, where)
