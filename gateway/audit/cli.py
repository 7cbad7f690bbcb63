"""``lgsp audit``: verify, search, subject, export and purge the audit trail from a terminal.

The store and key come from ``--dsn`` / ``LGSP_AUDIT_DSN`` and ``--hmac-key`` /
``LGSP_AUDIT_HMAC_KEY``; :func:`build_reader` is the one place that turns them into a reader, so
the gateway's settings object can be passed instead later. ``verify``, ``purge`` and ``subject``
also read the checkpoint directory (``LGSP_AUDIT_CHECKPOINT_DIR``), the signing key
(``LGSP_AUDIT_SIGNING_KEY`` or ``…_FILE``; dev falls back to the dev key) and ``verify`` earlier
public keys (``LGSP_AUDIT_TRUSTED_KEYS``). Tables for people, ``--json`` for machines. Exit
codes: 0 fine, 1 a chain does not verify or is incomplete, 2 bad input, 3 store unavailable (or,
for ``subject``, the view could not be recorded: then no history is shown).
Times are ISO 8601; a time without an offset is taken as UTC.

``subject`` is audited like the HTTP view of a citizen (docs/decisions/audit.md): before it prints,
it records ``audit.subject_view`` under the number asked, as client ``cli:<OS user>``, on a chain
of the run's own (:func:`gateway.instance.run_name`) whose head it signs.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import pwd
import re
import secrets
import sys
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import partial, wraps
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import orjson
import typer
from rich.console import Console
from rich.table import Table

from gateway.audit import (
    HISTORY_FIELD,
    MAX_CURSOR,
    SUBJECT_VIEW,
    AuditConfigError,
    AuditEvent,
    AuditOutcome,
    AuditPage,
    AuditQuery,
    AuditQueryError,
    AuditReader,
    AuditRecord,
    AuditUnavailable,
    ChainCompleteness,
    CheckpointLog,
    CheckpointSigner,
    PurgeReport,
    SubjectEntry,
    SubjectReport,
    TrustedKeys,
    VerifyReport,
    default_checkpoint_dir,
    dev_signer,
    load_signer,
    new_signing_key,
    open_audit_reader,
    verify_evidence,
)
from gateway.cli_errors import fail
from gateway.cli_output import print_table
from gateway.dsn import DsnError, sqlite_path
from gateway.instance import run_name
from gateway.logs import redact_text
from gateway.security.clients import Operation as Grant
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
    AUDIT_SUBJECT_VIEW = SUBJECT_VIEW


class ExportFormatChoice(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"


def _from_env(flag: str, envvar: str, description: str) -> Any:
    """An option that the environment usually sets: a key or a place the gateway shares."""
    return typer.Option(flag, envvar=envvar, help=description, show_default=False)


Dsn = Annotated[
    str,
    typer.Option(
        "--dsn", envvar="LGSP_AUDIT_DSN", help="Audit store: sqlite:///… or postgresql://…"
    ),
]
HmacKey = Annotated[
    str | None,
    _from_env("--hmac-key", "LGSP_AUDIT_HMAC_KEY", "The gateway's audit HMAC key."),
]
AsJson = Annotated[bool, typer.Option("--json", help="Machine-readable JSON output.")]
Since = Annotated[str | None, typer.Option(help="From this time on (ISO 8601, inclusive).")]
Until = Annotated[str | None, typer.Option(help="Before this time (ISO 8601, exclusive).")]
Client = Annotated[str | None, typer.Option("--client", help="Calling system's client id.")]
Agency = Annotated[str | None, typer.Option("--agency", help="Agency code of the client.")]
Officer = Annotated[str | None, typer.Option("--officer", help="Officer id (MaCanBo).")]
Purpose = Annotated[str | None, typer.Option("--purpose", help="Purpose code (MaDVC).")]
Operation = Annotated[OperationChoice | None, typer.Option("--operation", help="What was asked.")]
Outcome = Annotated[AuditOutcome | None, typer.Option("--outcome", help="How it ended.")]
Limit = Annotated[int, typer.Option(min=1, max=1000, help="Records per page.")]
CheckpointDir = Annotated[
    Path | None,
    _from_env(
        "--checkpoint-dir",
        "LGSP_AUDIT_CHECKPOINT_DIR",
        "Signed checkpoints (default: audit-checkpoints beside the SQLite file).",
    ),
]
SigningKey = Annotated[
    str | None,
    _from_env("--signing-key", "LGSP_AUDIT_SIGNING_KEY", "The checkpoint signing key (base64)."),
]
SigningKeyFile = Annotated[
    Path | None,
    _from_env("--signing-key-file", "LGSP_AUDIT_SIGNING_KEY_FILE", "File holding the signing key."),
]
TrustedKeyTexts = Annotated[
    str,
    typer.Option(
        "--trusted-keys",
        envvar="LGSP_AUDIT_TRUSTED_KEYS",
        help="Comma-separated base64 public keys whose checkpoints verify (old keys, auditors).",
    ),
]


@dataclass(frozen=True, slots=True)
class Witness:
    """Where the checkpoints are and which keys sign and verify them."""

    log: CheckpointLog
    signer: CheckpointSigner | None
    trusted: TrustedKeys


def witness_of(
    dsn: str,
    directory: Path | None,
    signing_key: str | None,
    signing_key_file: Path | None,
    trusted_keys: str,
) -> Witness:
    """The checkpoint options as configured; dev without a signing key uses the dev key."""
    signer = signer_of(signing_key, signing_key_file)
    try:
        trusted = TrustedKeys.from_texts(trusted_keys.split(","))
    except AuditConfigError as exc:
        _fail(str(exc), EXIT_INPUT)
    if signer is None and not trusted:
        _fail(
            "no key to check checkpoints with: "
            "set LGSP_AUDIT_SIGNING_KEY or LGSP_AUDIT_TRUSTED_KEYS",
            EXIT_INPUT,
        )
    return Witness(CheckpointLog(directory or default_checkpoint_dir(dsn)), signer, trusted)


def signer_of(signing_key: str | None, signing_key_file: Path | None) -> CheckpointSigner | None:
    """The signing key as configured; in dev without one, the dev key, as the dev gateway signs
    with it. None: production without a key (checkpoints can then be checked, not made)."""
    try:
        signer = load_signer(signing_key, signing_key_file)
    except AuditConfigError as exc:
        _fail(str(exc), EXIT_INPUT)
    if signer is None and os.environ.get("LGSP_ENV", "dev") == "dev":
        signer = dev_signer(DEV_AUDIT_KEY)
    return signer


Cursor = Annotated[
    int | None,
    typer.Option(min=0, max=MAX_CURSOR, help="next_cursor of the previous page."),
]


def build_reader(dsn: str, hmac_key: str | bytes, witness: Witness | None = None) -> AuditReader:
    """The reader for a DSN and key as configured (a text key is taken as UTF-8)."""
    key = hmac_key.encode() if isinstance(hmac_key, str) else hmac_key
    if witness is None:
        return open_audit_reader(dsn, hmac_key=key)
    return open_audit_reader(
        dsn, hmac_key=key, checkpoints=witness.log, signer=witness.signer, trusted=witness.trusted
    )


# The search filters, as options: (option's parameter, AuditQuery field, type and option).
_FILTERS = (
    ("since", "since", Since),
    ("until", "until", Until),
    ("client", "client_id", Client),
    ("agency", "agency_code", Agency),
    ("officer", "officer_id", Officer),
    ("purpose", "purpose_code", Purpose),
    ("operation", "operation", Operation),
    ("outcome", "outcome", Outcome),
)


def _filtered(command: Callable[..., None]) -> Callable[..., None]:
    """``command`` with the search filters as options in place of its ``query`` parameter, called
    with the :class:`AuditQuery` they make: ``search`` and ``export`` select records alike."""
    signature = inspect.signature(command, eval_str=True)
    options = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=hint)
        for name, _, hint in _FILTERS
    ]
    parameters: list[inspect.Parameter] = []
    for parameter in signature.parameters.values():
        parameters.extend(options if parameter.name == "query" else [parameter])

    @wraps(command)
    def with_query(**given: Any) -> None:
        filters = {field: given.pop(name) for name, field, _ in _FILTERS}
        command(query=_query(**filters), **given)

    with_query.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    with_query.__annotations__ = {p.name: p.annotation for p in parameters}
    return with_query


@audit_app.command()
def verify(
    *,
    writer: Annotated[str | None, typer.Option(help="Only this writer's chain.")] = None,
    as_json: AsJson = False,
    dsn: Dsn = DEFAULT_DSN,
    hmac_key: HmacKey = None,
    checkpoint_dir: CheckpointDir = None,
    signing_key: SigningKey = None,
    signing_key_file: SigningKeyFile = None,
    trusted_keys: TrustedKeyTexts = "",
) -> None:
    """Recompute the hash chains; name the first modified, deleted or reordered record, and
    check each chain against its signed checkpoints (cut tail, deleted chain, replaced tail)."""
    witness = partial(witness_of, dsn, checkpoint_dir, signing_key, signing_key_file, trusted_keys)
    report = _run(dsn, hmac_key, lambda reader: reader.verify(writer), witness)
    if as_json:
        _print_json(_verify_json(report))
    else:
        _print_verify(report)
    if not report.ok:
        raise typer.Exit(EXIT_BROKEN)


@audit_app.command()
@_filtered
def search(
    *,
    query: AuditQuery,
    limit: Limit = 50,
    cursor: Cursor = None,
    oldest_first: Annotated[bool, typer.Option(help="Oldest records first.")] = False,
    as_json: AsJson = False,
    dsn: Dsn = DEFAULT_DSN,
    hmac_key: HmacKey = None,
) -> None:
    """List look-ups by time range, client, agency, officer, purpose, operation or outcome."""
    page = _run(
        dsn,
        hmac_key,
        lambda r: _keyed(
            r, lambda: r.search(query, limit=limit, cursor=cursor, newest_first=not oldest_first)
        ),
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
    checkpoint_dir: CheckpointDir = None,
    signing_key: SigningKey = None,
    signing_key_file: SigningKeyFile = None,
) -> None:
    """Who looked this citizen up, when, why and what they saw (newest first).

    Either of the person's numbers finds every record that disclosed anything about them: asked
    about, as a household member, or as a relative named in a record. The view is recorded in
    the trail before anything is printed (it shows on the next view); if it cannot be, the
    command fails and shows no history.
    """
    view = _View(number, run_name("cli", datetime.now(UTC)), time.perf_counter())
    signer = signer_of(signing_key, signing_key_file)
    if signer is None:
        _stderr().print("note: no LGSP_AUDIT_SIGNING_KEY: this view's record is left unsigned")
    log = CheckpointLog(checkpoint_dir or default_checkpoint_dir(dsn))
    witness = partial(Witness, log, signer, TrustedKeys([]))
    report = _run(dsn, hmac_key, lambda r: view.recorded(r, limit, cursor, dsn), witness)
    _print_subject(report, as_json)


@dataclass(frozen=True, slots=True)
class _View:
    """One run of ``lgsp audit subject``: whose history, under which writer id, since when."""

    number: str
    writer_id: str
    started: float

    async def recorded(
        self, reader: AuditReader, limit: int, cursor: int | None, dsn: str
    ) -> SubjectReport:
        """The history, once the view of it is committed: read, record, then hand over, as the
        HTTP view does; when the record cannot be written, nothing is handed over."""
        report = await _keyed(
            reader, lambda: reader.subject(self.number, limit=limit, cursor=cursor)
        )
        try:
            await reader.record_once(self._event(), self.writer_id)
        except AuditUnavailable as exc:
            where = redact_text(dsn)
            detail = f"cannot record this view in {where}: {exc.detail}; no history shown"
            raise AuditUnavailable(exc.reason, detail) from exc
        return report

    def _event(self) -> AuditEvent:
        """What the view is recorded as: the HTTP view's record, with the OS user as client and
        officer and the command's exit status, 0, where an HTTP status would stand."""
        viewer = f"cli:{_os_user()}"
        return AuditEvent(
            occurred_at=datetime.now(UTC),
            request_id=secrets.token_hex(16),
            client_id=viewer,
            agency_code=None,
            officer_id=viewer,
            purpose_code=Grant.AUDIT_READ.value,
            case_id=None,
            operation=SUBJECT_VIEW,
            subject_number=self.number,
            outcome=AuditOutcome.SUCCESS.value,
            status=0,
            problem_code=None,
            upstream_attempts=0,
            latency_ms=round((time.perf_counter() - self.started) * 1000, 3),
            fields_returned=(HISTORY_FIELD,),
        )


def _os_user() -> str:
    """Who runs the command as the OS knows them (the effective uid's account), not ``$USER``,
    which anyone can set; a uid without an account (in a container) is named by its number."""
    uid = os.geteuid()
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid{uid}"


@audit_app.command()
@_filtered
def export(
    *,
    fmt: Annotated[ExportFormatChoice, typer.Option("--format", help="csv or jsonl.")] = (
        ExportFormatChoice.JSONL
    ),
    output: Annotated[Path, typer.Option(help="File to write; '-' for standard output.")] = Path(
        "-"
    ),
    query: AuditQuery,
    evidence: Annotated[
        Path | None,
        typer.Option(
            "--evidence",
            help="Write a signed evidence directory instead (checked by verify-evidence).",
            show_default=False,
        ),
    ] = None,
    dsn: Dsn = DEFAULT_DSN,
    hmac_key: HmacKey = None,
    checkpoint_dir: CheckpointDir = None,
    signing_key: SigningKey = None,
    signing_key_file: SigningKeyFile = None,
) -> None:
    """Export matching records, oldest first, as CSV or JSON Lines, or as signed evidence."""
    if evidence is not None:
        witness = partial(witness_of, dsn, checkpoint_dir, signing_key, signing_key_file, "")
        count = _run(dsn, hmac_key, lambda r: r.export_evidence(evidence, query), witness)
        _stderr().print(f"exported {count} records as evidence to {evidence}")
        return
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
    checkpoint_dir: CheckpointDir = None,
    signing_key: SigningKey = None,
    signing_key_file: SigningKeyFile = None,
) -> None:
    """Archive, then delete, records older than a cutoff; the chains stay verifiable and a signed
    checkpoint says what was purged."""
    cutoff = _parse_cutoff(older_than)
    witness = partial(witness_of, dsn, checkpoint_dir, signing_key, signing_key_file, "")
    if not yes:
        typer.confirm(f"Purge audit records older than {cutoff.isoformat()}?", abort=True)
    report = _run(dsn, hmac_key, lambda r: r.purge(cutoff, export_to), witness)
    if as_json:
        _print_json(_purge_json(report))
    else:
        _print_purge(report)


@audit_app.command("verify-evidence")
def verify_evidence_command(
    directory: Annotated[Path, typer.Argument(help="A directory from export --evidence.")],
    *,
    public_key: Annotated[
        list[str],
        typer.Option(
            "--public-key", help="A trusted public key (base64); repeat for rotated keys."
        ),
    ],
    as_json: AsJson = False,
) -> None:
    """Check signed evidence offline: no database, no HMAC key, only public keys."""
    try:
        trusted = TrustedKeys.from_texts(public_key)
    except AuditConfigError as exc:
        _fail(str(exc), EXIT_INPUT)
    report = verify_evidence(directory, trusted)
    if as_json:
        _print_json({"ok": report.ok, **_fields_of(report)})
    elif report.ok:
        Console().print(
            f"[green]ok[/green]: {report.records} records, "
            f"{report.checkpoints_matched} signed checkpoints matched"
        )
    else:
        for problem in report.problems:
            Console().print(f"[red]fail[/red]: {problem}")
    if not report.ok:
        raise typer.Exit(EXIT_BROKEN)


@audit_app.command()
def keygen() -> None:
    """Print a new checkpoint signing key and its public key (keep the first one secret)."""
    private = new_signing_key()
    public = CheckpointSigner.from_text(private).public_text()
    typer.echo(f"LGSP_AUDIT_SIGNING_KEY={private}")
    typer.echo(
        f"public key (give to auditors; add to LGSP_AUDIT_TRUSTED_KEYS on rotation): {public}"
    )


# --- running --------------------------------------------------------------------------------


def _run(
    dsn: str,
    hmac_key: str | None,
    action: Callable[[AuditReader], Awaitable[T]],
    witness: Callable[[], Witness] | None = None,
) -> T:
    """Open a reader, run ``action``, close it; failures become a message and an exit code."""
    if not hmac_key:
        if os.environ.get("LGSP_ENV", "dev") != "dev":
            _fail("no audit HMAC key: set LGSP_AUDIT_HMAC_KEY or pass --hmac-key", EXIT_INPUT)
        # The gateway itself falls back to the dev key in dev mode; so does its audit CLI.
        _stderr().print("note: no LGSP_AUDIT_HMAC_KEY: using the dev key, as the dev gateway does")
        hmac_key = DEV_AUDIT_KEY
    _require_existing_file(dsn)
    try:
        reader = build_reader(dsn, hmac_key, None if witness is None else witness())
        return asyncio.run(_with_reader(reader, action))
    except AuditUnavailable as exc:
        _fail(f"audit store unavailable: {exc.detail}", EXIT_UNAVAILABLE)
    except (AuditQueryError, AuditConfigError) as exc:
        _fail(str(exc), EXIT_INPUT)


async def _keyed(reader: AuditReader, action: Callable[[], Awaitable[T]]) -> T:
    """``action``'s answer, once the key is known to be the trail's: another key finds nobody."""
    if await reader.key_matches() is False:
        raise AuditConfigError(
            "the HMAC key does not match this audit trail (its records' MACs do not verify): "
            "every search would come back empty; check LGSP_AUDIT_HMAC_KEY or --hmac-key"
        )
    return await action()


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


def _print_subject(report: SubjectReport, as_json: bool) -> None:
    if as_json:
        _print_json(report.to_dict())
        return
    Console().print(_subject_table(report.entries))
    if report.next_cursor is not None:
        Console().print(f"more: --cursor {report.next_cursor}")
    if report.note is not None:
        Console().print(f"note: {report.note}")


def _subject_table(entries: Iterable[SubjectEntry]) -> Table:
    table = Table(title="Disclosures of this citizen", show_lines=True)
    for header in ("when (UTC)", "who", "why", "what", "about them", "outcome"):
        table.add_column(header, overflow="fold")
    for entry in entries:
        r = entry.record
        role = entry.role if entry.relation is None else f"{entry.role} ({entry.relation})"
        table.add_row(
            r.occurred_at.strftime("%Y-%m-%d\n%H:%M:%S"),
            "\n".join((r.agency_code or "-", r.client_id, r.officer_id or "-")),
            "\n".join((r.purpose_code or "-", r.case_id or "-")),
            f"{r.operation} {r.subject_masked or ''}",
            "\n".join(
                (
                    role + (" [before subjects were kept]" if entry.legacy else ""),
                    ", ".join(entry.fields) or "-",
                )
            ),
            f"{r.outcome} ({r.status})",
        )
    return table


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
    complete = [
        {
            "writer_id": c.writer_id,
            "ok": c.ok,
            "checkpoints": c.checkpoints,
            "signed_seq": c.signed_seq,
            "uncovered": c.uncovered,
            "gaps": [_fields_of(gap) for gap in c.gaps],
        }
        for c in report.completeness
    ]
    return {
        "ok": report.ok,
        "records_checked": report.records_checked,
        "chains": chains,
        "completeness": complete,
    }


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
    if report.completeness:
        Console().print(_completeness_table(report.completeness))


def _completeness_table(verdicts: Iterable[ChainCompleteness]) -> Table:
    table = Table(title="Completeness against signed checkpoints")
    for header in ("writer", "signed up to", "status", "missing or replaced"):
        table.add_column(header, overflow="fold")
    for v in verdicts:
        signed = (
            "-" if v.signed_seq is None else f"seq {v.signed_seq} ({v.checkpoints} checkpoints)"
        )
        if v.ok:
            note = "" if v.uncovered is None else "not yet signed: seq {}-{}".format(*v.uncovered)
            table.add_row(v.writer_id, signed, "[green]ok[/green]", note)
        for gap in v.gaps:
            where = f"seq {gap.first_seq}-{gap.last_seq}: {gap.detail}"
            table.add_row(v.writer_id, signed, f"[red]{gap.kind}[/red]", where)
    return table


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
