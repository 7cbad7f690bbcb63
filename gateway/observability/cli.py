"""``lgsp maintenance on|off|status``: throw the maintenance switch through its flag file.

The file is ``LGSP_MAINTENANCE_FILE`` (or ``--file``); every replica reading that path answers
503 on data calls within a second or so of the change (docs/operations.md). Without a flag file
there is nothing a separate process can switch: use the admin endpoint of the running gateway.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gateway.cli_errors import fail
from gateway.cli_output import AsJson, print_json, print_table
from gateway.observability.maintenance import (
    DEFAULT_RETRY_AFTER_S,
    MaintenanceState,
    clear_flag,
    read_flag,
    write_flag,
)
from gateway.settings import Settings

__all__ = ["maintenance_app"]

maintenance_app = typer.Typer(
    help="Maintenance switch: 503 + Retry-After on data calls and /readyz.",
    no_args_is_help=True,
)

FileOption = Annotated[
    Path | None, typer.Option("--file", help="Flag file (default: LGSP_MAINTENANCE_FILE).")
]


def _flag_file(file: Path | None) -> Path:
    path = file or Settings().maintenance_file
    if path is None:
        fail(
            "no flag file: set LGSP_MAINTENANCE_FILE (the same path every replica reads) "
            "or pass --file; or use PUT /admin/maintenance on a running gateway",
            2,
        )
    return path


JsonOption = Annotated[bool, AsJson]


def _show(path: Path, state: MaintenanceState, as_json: bool) -> None:
    """The switch as a two-column table like the other commands (or JSON with --json)."""
    fields = {**state.as_dict(), "flag_file": str(path)}
    if as_json:
        print_json(fields)
        return
    print_table(("setting", "value"), list(fields.items()), title="Maintenance")


@maintenance_app.command()
def on(
    reason: Annotated[str | None, typer.Option(help="Shown in /readyz and logs.")] = None,
    retry_after: Annotated[
        int, typer.Option(min=1, help="Retry-After seconds sent to callers.")
    ] = DEFAULT_RETRY_AFTER_S,
    file: FileOption = None,
    as_json: JsonOption = False,
) -> None:
    """Turn maintenance on for every replica reading the flag file."""
    path = _flag_file(file)
    state = MaintenanceState.on(reason, retry_after)
    write_flag(path, state)
    _show(path, state, as_json)


@maintenance_app.command()
def off(file: FileOption = None, as_json: JsonOption = False) -> None:
    """Turn maintenance off (remove the flag file)."""
    path = _flag_file(file)
    clear_flag(path)
    _show(path, read_flag(path), as_json)


@maintenance_app.command()
def status(file: FileOption = None, as_json: JsonOption = False) -> None:
    """Print the switch as the flag file says."""
    path = _flag_file(file)
    _show(path, read_flag(path), as_json)
