"""``lgsp clients``: manage the portal client registry (the YAML file of ``LGSP_CLIENTS_FILE``).

A new or rotated secret is printed once and never stored in clear; a running gateway picks up
every change at its next request (the registry reloads when the file changes).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console

from gateway.cli_errors import fail
from gateway.cli_output import AsJson, print_json, print_table
from gateway.security.clients import (
    ClientRecord,
    ClientRegistry,
    FieldSet,
    Operation,
    hash_secret,
    new_secret,
)
from gateway.security.secret_hash import is_fast
from gateway.settings import Settings

__all__ = ["clients_app"]

clients_app = typer.Typer(help="Manage portal clients (LGSP_CLIENTS_FILE).", no_args_is_help=True)
_console = Console()

FileOption = Annotated[
    Path | None,
    typer.Option("--file", help="Clients file; default LGSP_CLIENTS_FILE or var/clients.yaml."),
]


def _registry(path: Path | None) -> ClientRegistry:
    return ClientRegistry(path or Settings().clients_file or Path("var/clients.yaml"))


def _split(values: str) -> frozenset[str]:
    return frozenset(v.strip() for v in values.split(",") if v.strip())


def _replace(registry: ClientRegistry, client_id: str, **changes: object) -> ClientRecord:
    clients = registry.all()
    current = next((c for c in clients if c.client_id == client_id), None)
    if current is None:
        _console.print(f"[red]no client {client_id!r}[/red]")
        raise typer.Exit(1)
    updated = current.model_copy(update=changes)
    registry.save([updated if c.client_id == client_id else c for c in clients])
    return updated


def _show_secret(client_id: str, secret: str) -> None:
    _console.print(f"client_id:     {client_id}\nclient_secret: {secret}")
    _console.print("[yellow]The secret is shown once and is not stored; keep it now.[/yellow]")


@clients_app.command("add")
def add(
    client_id: Annotated[str, typer.Argument(help="Lower-case id, e.g. dvc-phuyen.")],
    name: Annotated[str, typer.Option(help="Human name of the calling system.")],
    agency: Annotated[str, typer.Option(help="Agency code (QCVN 102), e.g. 000.00.00.H45.")],
    operations: Annotated[
        str,
        typer.Option(help="Comma list of: lookup, verify, household, verify_batch, audit_read."),
    ] = "lookup,verify",
    field_set: Annotated[FieldSet, typer.Option(help="basic, full or sensitive.")] = FieldSet.BASIC,
    verify: Annotated[str, typer.Option(help="Verify strategies: exact[,normalised].")] = "exact",
    purposes: Annotated[
        str | None, typer.Option(help="Comma list of allowed procedure codes (default: any).")
    ] = None,
    rate: Annotated[float, typer.Option(help="Requests per second.")] = 20.0,
    burst: Annotated[int, typer.Option(help="Bucket size.")] = 40,
    file: FileOption = None,
) -> None:
    """Register a calling system and print its secret (once)."""
    registry = _registry(file)
    if registry.get(client_id) is not None:
        _console.print(f"[red]client {client_id!r} exists; use rotate-secret[/red]")
        raise typer.Exit(1)
    secret = new_secret()
    try:
        record = ClientRecord(
            client_id=client_id,
            name=name,
            agency_code=agency,
            secret_hash=hash_secret(secret),
            operations=frozenset(Operation(op) for op in _split(operations)),
            field_set=field_set,
            verify_strategies=_split(verify),
            purpose_codes=_split(purposes) if purposes else None,
            rate_per_s=rate,
            burst=burst,
        )
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        fail(f"invalid client: {problems}", 2)
    except ValueError as exc:
        fail(f"invalid client: {exc}", 2)
    registry.save([*registry.all(), record])
    _show_secret(client_id, secret)


@clients_app.command("list")
def list_clients(file: FileOption = None, as_json: Annotated[bool, AsJson] = False) -> None:
    """Show every client and its grants (never secrets)."""
    clients = _registry(file).all()
    if as_json:
        print_json({"clients": [_public(c) for c in clients]})
        return
    headers = (
        "client_id",
        "name",
        "agency",
        "enabled",
        "operations",
        "fields",
        "rate/s",
        "secret form",
    )
    rows = [
        (
            c.client_id,
            c.name,
            c.agency_code,
            "yes" if c.enabled else "no",
            ",".join(sorted(c.operations)),
            c.field_set.value,
            f"{c.rate_per_s:g} (burst {c.burst})",
            _secret_form(c),
        )
        for c in clients
    ]
    print_table(headers, rows)


def _secret_form(c: ClientRecord) -> str:
    # Old Argon2id entries cost the gateway ~200 ms per first check: rotate them.
    return "hmac" if is_fast(c.secret_hash) else "argon2id: rotate-secret"


def _public(c: ClientRecord) -> dict[str, object]:
    """A client for --json: its grants and secret form, never its secret hash."""
    return {
        "client_id": c.client_id,
        "name": c.name,
        "agency_code": c.agency_code,
        "enabled": c.enabled,
        "operations": sorted(c.operations),
        "field_set": c.field_set.value,
        "rate_per_s": c.rate_per_s,
        "burst": c.burst,
        "secret_form": _secret_form(c),
    }


@clients_app.command("rotate-secret")
def rotate_secret(client_id: str, file: FileOption = None) -> None:
    """Issue a new secret; tokens issued with the old one stop working at once."""
    registry = _registry(file)
    current = registry.get(client_id)
    secret = new_secret()
    version = (current.secret_version + 1) if current else 1
    _replace(registry, client_id, secret_hash=hash_secret(secret), secret_version=version)
    _show_secret(client_id, secret)


@clients_app.command("disable")
def disable(client_id: str, file: FileOption = None) -> None:
    """Stop a client at once: its tokens are refused and it cannot get new ones."""
    _replace(_registry(file), client_id, enabled=False)
    _console.print(f"client {client_id} disabled")


@clients_app.command("enable")
def enable(client_id: str, file: FileOption = None) -> None:
    """Let a disabled client get tokens again."""
    _replace(_registry(file), client_id, enabled=True)
    _console.print(f"client {client_id} enabled")
