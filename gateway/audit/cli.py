"""``lgsp audit``: verify, search, subject, export and purge the audit trail from a terminal.

The store and key come from ``--dsn`` / ``LGSP_AUDIT_DSN`` and ``--hmac-key`` /
``LGSP_AUDIT_HMAC_KEY``; :func:`build_reader` is the one place that turns them into a reader, so
the gateway's settings object can be passed instead later. Tables for people, ``--json`` for
machines. Exit codes: 0 fine, 1 a chain does not verify, 2 bad input, 3 store unavailable.
Times are ISO 8601; a time without an offset is taken as UTC.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import orjson
import typer
from rich.console import Console
from rich.table import Table

from gateway.audit import (
    AuditConfigError,
    AuditPage,
    AuditQuery,
    AuditQueryError,
    AuditReader,
    AuditRecord,
    AuditUnavailable,
    PurgeReport,
    VerifyReport,
    open_audit_reader,
)
from gateway.cli_errors import fail
from gateway.cli_output import print_table
from gateway.dsn import DsnError, sqlite_path
from gateway.settings import DEV_AUDIT_KEY

__all__ = ["DEFAULT_DSN", "audit_app", "build_reader"]

T = TypeVar("T")
DEFAULT_DSN = "sqlite:///var/audit.sqlite3"
EXIT_BROKEN, EXIT_INPUT, EXIT_UNAVAILABLE = 1, 2, 3

audit_app = typer.Typer(
    name="audit",
    help="Verify, search, export and purge the audit trail of personal-data look-ups.",
    no_args_is_help=True,
)


class OperationChoice(StrEnum):
    """Every ``operation`` the gateway records: a typo is refused, not an empty result."""

    LOOKUP = "lookup"
    VERIFY = "verify"
    HOUSEHOLD = "household"
    VERIFY_BATCH = "verify_batch"
    VERIFY_BATCH_SUBMIT = "verify_batch_submit"
    VERIFY_BATCH_RESULTS = "verify_batch_results"


class OutcomeChoice(StrEnum):
    """Every ``outcome`` the gateway records (jobs' matched/mismatched become success/mismatch)."""

    SUCCESS = "success"
    MISMATCH = "mismatch"
    NOT_FOUND = "not_found"
    REJECTED = "rejected"
    ERROR = "error"
    FAILED = "failed"
    INVALID = "invalid"


class ExportFormatChoice(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"


Dsn = Annotated[
    str,
    typer.Option(
        "--dsn", envvar="LGSP_AUDIT_DSN", help="Audit store: sqlite:///… or postgresql://…"
    ),
]
HmacKey = Annotated[
    str | None,
    typer.Option(
        "--hmac-key",
        envvar="LGSP_AUDIT_HMAC_KEY",
        help="The gateway's audit HMAC key.",
        show_default=False,
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Machine-readable JSON output.")]
Since = Annotated[str | None, typer.Option(help="From this time on (ISO 8601, inclusive).")]
Until = Annotated[str | None, typer.Option(help="Before this time (ISO 8601, exclusive).")]
Client = Annotated[str | None, typer.Option("--client", help="Calling system's client id.")]
Agency = Annotated[str | None, typer.Option("--agency", help="Agency code of the client.")]
Officer = Annotated[str | None, typer.Option("--officer", help="Officer id (MaCanBo).")]
Purpose = Annotated[str | None, typer.Option("--purpose", help="Purpose code (MaDVC).")]
Operation = Annotated[OperationChoice | None, typer.Option("--operation", help="What was asked.")]
Outcome = Annotated[OutcomeChoice | None, typer.Option("--outcome", help="How it ended.")]
Limit = Annotated[int, typer.Option(min=1, max=1000, help="Records per page.")]
Cursor = Annotated[int | None, typer.Option(help="next_cursor of the previous page.")]


def build_reader(dsn: str, hmac_key: str | bytes) -> AuditReader:
    """The reader for a DSN and key as configured (a text key is taken as UTF-8)."""
    key = hmac_key.encode() if isinstance(hmac_key, str) else hmac_key
    return open_audit_reader(dsn, hmac_key=key)


@audit_app.command()
def verify(
    *,
    writer: Annotated[str | None, typer.Option(help="Only this writer's chain.")] = None,
    as_json: AsJson = False,
    dsn: Dsn = DEFAULT_DSN,
    hmac_key: HmacKey = None,
) -> None:
    """Recompute the hash chains; name the first modified, deleted or reordered record."""
    report = _run(dsn, hmac_key, lambda reader: reader.verify(writer))
    if as_json:
        _print_json(_verify_json(report))
    else:
        _print_verify(report)
    if not report.ok:
        raise typer.Exit(EXIT_BROKEN)


@audit_app.command()
def search(
    *,
    since: Since = None,
    until: Until = None,
    client: Client = None,
    agency: Agency = None,
    officer: Officer = None,
    purpose: Purpose = None,
    operation: Operation = None,
    outcome: Outcome = None,
    limit: Limit = 50,
    cursor: Cursor = None,
    oldest_first: Annotated[bool, typer.Option(help="Oldest records first.")] = False,
    as_json: AsJson = False,
    dsn: Dsn = DEFAULT_DSN,
    hmac_key: HmacKey = None,
) -> None:
    """List look-ups by time range, client, agency, officer, purpose, operation or outcome."""
    query = _query(
        since=since,
        until=until,
        client_id=client,
        agency_code=agency,
        officer_id=officer,
        purpose_code=purpose,
        operation=operation,
        outcome=outcome,
    )
    page = _run(
        dsn,
        hmac_key,
        lambda r: r.search(query, limit=limit, cursor=cursor, newest_first=not oldest_first),
    )
    _print_page(page, as_json, title="Audit records")


@audit_app.command()
def subject(
    number: Annotated[str, typer.Argument(help="The citizen's 12-digit id or 9-digit CMND.")],
    *,
    limit: Limit = 50,
    cursor: Cursor = None,
    as_json: AsJson = False,
    dsn: Dsn = DEFAULT_DSN,
    hmac_key: HmacKey = None,
) -> None:
    """Who looked this citizen up, when and why (newest first)."""
    page = _run(dsn, hmac_key, lambda r: r.subject(number, limit=limit, cursor=cursor))
    _print_page(page, as_json, title="Look-ups of this citizen")


@audit_app.command()
def export(
    *,
    fmt: Annotated[ExportFormatChoice, typer.Option("--format", help="csv or jsonl.")] = (
        ExportFormatChoice.JSONL
    ),
    output: Annotated[Path, typer.Option(help="File to write; '-' for standard output.")] = Path(
        "-"
    ),
    since: Since = None,
    until: Until = None,
    client: Client = None,
    agency: Agency = None,
    officer: Officer = None,
    purpose: Purpose = None,
    operation: Operation = None,
    outcome: Outcome = None,
    dsn: Dsn = DEFAULT_DSN,
    hmac_key: HmacKey = None,
) -> None:
    """Export matching records, oldest first, as CSV or JSON Lines."""
    query = _query(
        since=since,
        until=until,
        client_id=client,
        agency_code=agency,
        officer_id=officer,
        purpose_code=purpose,
        operation=operation,
        outcome=outcome,
    )
    if str(output) == "-":
        count = _run(dsn, hmac_key, lambda r: r.export(sys.stdout, fmt.value, query))
    else:
        with output.open("w", encoding="utf-8", newline="") as out:
            count = _run(dsn, hmac_key, lambda r: r.export(out, fmt.value, query))
    _stderr().print(f"exported {count} records")


@audit_app.command()
def purge(
    *,
    older_than: Annotated[
        str, typer.Option(help="Cutoff: an ISO 8601 time, or an age such as 365d.")
    ],
    export_to: Annotated[
        Path, typer.Option("--export", help="New JSON Lines file that archives what is purged.")
    ],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    as_json: AsJson = False,
    dsn: Dsn = DEFAULT_DSN,
    hmac_key: HmacKey = None,
) -> None:
    """Archive, then delete, records older than a cutoff; the chains stay verifiable."""
    cutoff = _parse_cutoff(older_than)
    if not yes:
        typer.confirm(f"Purge audit records older than {cutoff.isoformat()}?", abort=True)
    report = _run(dsn, hmac_key, lambda r: r.purge(cutoff, export_to))
    if as_json:
        _print_json(_purge_json(report))
    else:
        _print_purge(report)


# --- running --------------------------------------------------------------------------------


def _run(dsn: str, hmac_key: str | None, action: Callable[[AuditReader], Awaitable[T]]) -> T:
    """Open a reader, run ``action``, close it; failures become a message and an exit code."""
    if not hmac_key:
        if os.environ.get("LGSP_ENV", "dev") != "dev":
            _fail("no audit HMAC key: set LGSP_AUDIT_HMAC_KEY or pass --hmac-key", EXIT_INPUT)
        # The gateway itself falls back to the dev key in dev mode; so does its audit CLI.
        _stderr().print("note: no LGSP_AUDIT_HMAC_KEY: using the dev key, as the dev gateway does")
        hmac_key = DEV_AUDIT_KEY
    _require_existing_file(dsn)
    try:
        return asyncio.run(_with_reader(build_reader(dsn, hmac_key), action))
    except AuditUnavailable as exc:
        _fail(f"audit store unavailable: {exc.detail}", EXIT_UNAVAILABLE)
    except (AuditQueryError, AuditConfigError) as exc:
        _fail(str(exc), EXIT_INPUT)


def _require_existing_file(dsn: str) -> None:
    """A mistyped SQLite path would be created empty and verify as "ok": refuse it instead."""
    if not dsn.lower().startswith("sqlite:"):
        return
    try:
        path = sqlite_path(dsn, "audit")
    except DsnError as exc:
        _fail(str(exc), EXIT_INPUT)
    if not path.exists():
        _fail(f"no audit database at {path}: check --dsn / LGSP_AUDIT_DSN", EXIT_UNAVAILABLE)


async def _with_reader(reader: AuditReader, action: Callable[[AuditReader], Awaitable[T]]) -> T:
    async with reader:
        return await action(reader)


def _fail(message: str, code: int) -> NoReturn:
    fail(message, code)


def _stderr() -> Console:
    return Console(stderr=True)


# --- input ----------------------------------------------------------------------------------

_AGE = re.compile(r"(\d+)d")


def _parse_time(text: str, option: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(f"{text!r} is not an ISO 8601 time", param_hint=option) from exc
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _parse_cutoff(text: str) -> datetime:
    age = _AGE.fullmatch(text)
    if age:
        return datetime.now(UTC) - timedelta(days=int(age.group(1)))
    return _parse_time(text, "--older-than")


def _query(*, since: str | None, until: str | None, **equal_to: str | None) -> AuditQuery:
    try:
        return AuditQuery(
            since=None if since is None else _parse_time(since, "--since"),
            until=None if until is None else _parse_time(until, "--until"),
            **{name: None if v is None else str(v) for name, v in equal_to.items()},
        )
    except AuditQueryError as exc:
        raise typer.BadParameter(str(exc)) from exc


# --- output ---------------------------------------------------------------------------------


def _print_json(value: Any) -> None:
    typer.echo(orjson.dumps(value).decode())


def _print_page(page: AuditPage, as_json: bool, *, title: str) -> None:
    if as_json:
        records = [record.to_dict() for record in page.records]
        _print_json({"records": records, "next_cursor": page.next_cursor})
        return
    if sys.stdout.isatty():
        Console().print(_records_table(page.records, title))
    else:  # piped: one record per line, every cell whole (see gateway.cli_output)
        print_table(_TSV_COLUMNS, [_tsv_row(r) for r in page.records])
    if page.next_cursor is not None:
        typer.echo(f"more: --cursor {page.next_cursor}", err=not sys.stdout.isatty())


_TSV_COLUMNS = (
    "occurred_at",
    "agency_code",
    "client_id",
    "officer_id",
    "purpose_code",
    "case_id",
    "operation",
    "subject_masked",
    "fields_returned",
    "outcome",
    "status",
    "request_id",
)


def _tsv_row(r: AuditRecord) -> tuple[object, ...]:
    fields = ",".join(r.fields_returned)
    return (
        r.occurred_at.isoformat(),
        *(r.agency_code, r.client_id, r.officer_id, r.purpose_code, r.case_id, r.operation),
        *(r.subject_masked, fields, r.outcome, r.status, r.request_id),
    )


def _records_table(records: Iterable[AuditRecord], title: str) -> Table:
    table = Table(title=title, show_lines=True)
    for header in ("when (UTC)", "who", "why", "what", "outcome"):
        table.add_column(header, overflow="fold")
    for r in records:
        table.add_row(
            r.occurred_at.strftime("%Y-%m-%d\n%H:%M:%S"),
            "\n".join((r.agency_code or "-", r.client_id, r.officer_id or "-")),
            "\n".join((r.purpose_code or "-", r.case_id or "-")),
            "\n".join((f"{r.operation} {r.subject_masked or ''}", ", ".join(r.fields_returned))),
            f"{r.outcome} ({r.status})",
        )
    return table


def _verify_json(report: VerifyReport) -> dict[str, Any]:
    chains = [
        {
            "writer_id": chain.writer_id,
            "records_checked": chain.records_checked,
            "ok": chain.ok,
            "first_break": None if chain.first_break is None else _fields_of(chain.first_break),
        }
        for chain in report.chains
    ]
    return {"ok": report.ok, "records_checked": report.records_checked, "chains": chains}


def _fields_of(value: Any) -> dict[str, Any]:
    return {name: getattr(value, name) for name in value.__slots__}


def _print_verify(report: VerifyReport) -> None:
    table = Table(title="Audit chains")
    for header in ("writer", "records checked", "status", "first broken record"):
        table.add_column(header)
    for chain in report.chains:
        broken = chain.first_break
        where = "-" if broken is None else f"seq {broken.seq} (request {broken.request_id})"
        status = "[green]ok[/green]" if broken is None else f"[red]{broken.reason}[/red]"
        table.add_row(chain.writer_id, str(chain.records_checked), status, where)
        if broken is not None:
            table.add_row("", "", "", broken.detail)
    Console().print(table)


def _purge_json(report: PurgeReport) -> dict[str, Any]:
    return {
        "cutoff": report.cutoff.isoformat(),
        "export_path": str(report.export_path),
        "records_purged": report.records_purged,
        "anchors": [{"writer_id": a.writer_id, "seq": a.seq} for a in report.anchors],
    }


def _print_purge(report: PurgeReport) -> None:
    Console().print(
        f"purged {report.records_purged} records older than {report.cutoff.isoformat()} "
        f"from {len(report.anchors)} chains; archive: {report.export_path}"
    )
