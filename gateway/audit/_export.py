"""Exports: the trail as CSV (for spreadsheets) or JSON Lines (for tools, and purge archives).

Both carry every stored column, hashes included, so an exported slice can be checked later; neither
can carry a clear subject number, because the store never had one.
"""

from __future__ import annotations

import csv
from collections.abc import AsyncIterator
from typing import Literal, TextIO

import orjson

from gateway.audit._model import RECORD_COLUMNS, AuditRecord

__all__ = ["ExportFormat", "jsonl_line", "write_export"]

ExportFormat = Literal["csv", "jsonl"]


async def write_export(records: AsyncIterator[AuditRecord], out: TextIO, fmt: ExportFormat) -> int:
    """Write every record to ``out``; return how many were written."""
    if fmt == "csv":
        return await _write_csv(records, out)
    return await _write_jsonl(records, out)


async def _write_jsonl(records: AsyncIterator[AuditRecord], out: TextIO) -> int:
    count = 0
    async for record in records:
        out.write(jsonl_line(record))
        count += 1
    return count


async def _write_csv(records: AsyncIterator[AuditRecord], out: TextIO) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(RECORD_COLUMNS)
    count = 0
    async for record in records:
        writer.writerow(_csv_values(record))
        count += 1
    return count


def jsonl_line(record: AuditRecord) -> str:
    return orjson.dumps(record.to_dict(), option=orjson.OPT_APPEND_NEWLINE).decode()


def _csv_values(record: AuditRecord) -> list[object]:
    values = record.to_dict()
    values["fields_returned"] = ";".join(record.fields_returned)
    values["subjects"] = record.subjects_json()  # the canonical form the chain's MAC covers
    return ["" if value is None else value for value in values.values()]
