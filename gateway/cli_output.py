"""How ``lgsp`` prints lists and records: a table for people, TSV or JSON for programs.

On a terminal, a rich table whose cells fold instead of being cut (an id is never ``dvc-phuy…``).
When standard output is not a terminal (a pipe, a file), plain tab-separated values with one
header line, nothing cut or wrapped, ready for ``cut``/``awk``. ``--json`` prints the records as
JSON whatever standard output is.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import orjson
import typer
from rich.console import Console
from rich.table import Table

__all__ = ["AsJson", "print_json", "print_table"]

AsJson = typer.Option("--json", help="Machine-readable JSON output.")


def print_json(value: Any) -> None:
    typer.echo(orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode())


def print_table(
    headers: Sequence[str], rows: Sequence[Sequence[object]], *, title: str | None = None
) -> None:
    """The rows as a table on a terminal, else as TSV (see the module docstring)."""
    cells = [[_text(value) for value in row] for row in rows]
    if not sys.stdout.isatty():
        typer.echo("\t".join(headers))
        for row in cells:
            typer.echo("\t".join(_tsv_cell(value) for value in row))
        return
    table = Table(title=title)
    for header in headers:
        table.add_column(header, overflow="fold")
    for row in cells:
        table.add_row(*row)
    Console().print(table)


def _text(value: object) -> str:
    return "-" if value is None else str(value)


def _tsv_cell(value: str) -> str:
    return value.replace("\t", " ").replace("\r", " ").replace("\n", " ")
