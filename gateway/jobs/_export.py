"""The result file: one CSV line per input row, safe to open in a spreadsheet.

Columns ``row,number,outcome,reason``; ``row`` is the input's data-row number (1 = the first row
after the header). The file starts with a UTF-8 BOM so spreadsheet programs read it as UTF-8.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (or their full-width
forms) would be run as a formula by a spreadsheet (CSV injection, OWASP): such a cell gets a
leading apostrophe, which spreadsheets show as text. Only ``number`` ever echoes what the upload
held; every other cell is a fixed code, escaped all the same.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from gateway.jobs._model import RowResult

__all__ = ["BOM", "RESULT_COLUMNS", "escape_cell", "header_bytes", "result_lines"]

BOM = "\ufeff".encode()
RESULT_COLUMNS = ("row", "number", "outcome", "reason")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def escape_cell(text: str) -> str:
    """``text`` as a spreadsheet will show it, never as a formula it would run."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _lines(rows: Iterable[Iterable[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows([escape_cell(cell) for cell in row] for row in rows)
    return buffer.getvalue().encode()


def header_bytes() -> bytes:
    return BOM + _lines([RESULT_COLUMNS])


def result_lines(results: Iterable[RowResult]) -> bytes:
    return _lines((str(r.ordinal), r.number, r.outcome.value, r.reason) for r in results)
