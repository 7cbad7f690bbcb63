"""``lgsp verify-batch FILE`` and ``lgsp jobs …``: bulk verification from a portal's command line.

These commands talk to a *running* gateway over HTTP, as a portal would (base URL and client
credentials from options or ``LGSP_GATEWAY_URL`` / ``LGSP_PORTAL_CLIENT_ID`` /
``LGSP_PORTAL_CLIENT_SECRET``): ``verify-batch`` uploads the register, shows a progress bar with
the outcome counts and the ETA while the gateway works, and downloads the result file. Ctrl-C only
stops watching: the job goes on, and ``lgsp jobs watch ID`` picks it up again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn
from rich.table import Table

from gateway.cli_output import AsJson, print_json, print_table
from gateway.jobs._portal import PortalClient, PortalError, Purpose

__all__ = ["jobs_app", "verify_batch"]

T = TypeVar("T")
jobs_app = typer.Typer(
    help="Bulk verification jobs on a running gateway (see docs/jobs.md).", no_args_is_help=True
)
_console = Console(stderr=True)
_FINISHED = frozenset({"completed", "cancelled"})
_COUNTS = ("matched", "mismatched", "not_found", "invalid", "failed", "skipped")

GatewayUrl = Annotated[
    str, typer.Option("--url", envvar="LGSP_GATEWAY_URL", help="Base URL of the gateway.")
]
ClientId = Annotated[
    str, typer.Option("--client-id", envvar="LGSP_PORTAL_CLIENT_ID", help="Portal client id.")
]
ClientSecret = Annotated[
    str,
    typer.Option(
        "--client-secret",
        envvar="LGSP_PORTAL_CLIENT_SECRET",
        prompt=True,
        hide_input=True,
        help="Portal client secret (prompted for when not given).",
    ),
]
PurposeCode = Annotated[
    str, typer.Option("--purpose", envvar="LGSP_PURPOSE_CODE", help="MaDVC, e.g. 1.001612.")
]
OfficerId = Annotated[
    str, typer.Option("--officer", envvar="LGSP_OFFICER_ID", help="MaCanBo: who asks.")
]
CaseId = Annotated[str | None, typer.Option("--case", help="Dossier / case id.")]
JobId = Annotated[str, typer.Argument(help="The job id.")]
PollInterval = Annotated[float, typer.Option(min=0.2, help="Seconds between progress polls.")]
Column = Annotated[str | None, typer.Option(help="Header name of this column.")]


class DelimiterChoice(StrEnum):
    """The field separators the gateway reads (``gateway.jobs.DELIMITERS``)."""

    COMMA = ","
    SEMICOLON = ";"
    TAB = "tab"


def _fail(exc: PortalError) -> typer.Exit:
    typer.echo(f"lgsp: {exc.status} {exc.code}: {exc.detail}", err=True)  # one line, never wrapped
    return typer.Exit(1)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-:--:--"
    whole = int(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def _counts(progress: dict[str, Any]) -> str:
    return "  ".join(f"{name} {progress[name]}" for name in _COUNTS if progress[name])


def watch(portal: PortalClient, job_id: str, poll_interval_s: float) -> dict[str, Any]:
    """Poll the job with a progress bar until it is finished; the last view of it."""
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description:<9}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.percentage:>5.1f}%  ETA {task.fields[eta]}  {task.fields[counts]}"),
    )
    job = portal.job(job_id)  # before the bar: a wrong id or a dead gateway is one clean line
    with Progress(*columns, console=_console) as bar:
        task = bar.add_task("queued", total=None, eta=_duration(None), counts="")
        while True:
            progress = job["progress"]
            bar.update(
                task,
                description=job["state"],
                total=progress["total"],
                completed=progress["done"],
                eta=_duration(progress["eta_s"]),
                counts=_counts(progress),
            )
            if job["state"] in _FINISHED:
                return job
            time.sleep(poll_interval_s)  # polling a remote job: there is nothing else to do
            job = portal.job(job_id)


def _summary(job: dict[str, Any]) -> Table:
    title = f"Job {job['id']}: {job['state']}"
    table = Table(title=title, min_width=len(title) + 2)
    table.add_column("outcome")
    table.add_column("rows", justify="right")
    for name in ("total", *_COUNTS):
        table.add_row(name, str(job["progress"][name]))
    return table


def _finish(portal: PortalClient, job: dict[str, Any], output: Path) -> None:
    _console.print(_summary(job))
    rows = portal.download(job["id"], output)
    _console.print(f"Results: {output} ({rows} rows)", soft_wrap=True)  # a path is never cut
    if job["state"] != "completed":
        raise typer.Exit(2)


def _watch_then_finish(portal: PortalClient, job_id: str, output: Path, poll: float) -> None:
    try:
        job = watch(portal, job_id, poll)
    except KeyboardInterrupt:
        _console.print(f"Stopped watching; the job goes on. Resume: lgsp jobs watch {job_id}")
        raise typer.Exit(130) from None
    _finish(portal, job, output)


def verify_batch(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="The register (UTF-8 CSV).")
    ],
    *,
    purpose: PurposeCode,
    officer: OfficerId,
    client_secret: ClientSecret,
    case: CaseId = None,
    url: GatewayUrl = "http://127.0.0.1:8000",
    client_id: ClientId = "demo-portal",
    number_column: Column = None,
    full_name_column: Column = None,
    birth_date_column: Column = None,
    birth_year_column: Column = None,
    sex_column: Column = None,
    delimiter: Annotated[
        DelimiterChoice, typer.Option(help="Field separator.")
    ] = DelimiterChoice.COMMA,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Result file (default FILE.results.csv).")
    ] = None,
    wait: Annotated[bool, typer.Option(help="Watch the job and download its results.")] = True,
    poll_interval: PollInterval = 1.0,
) -> None:
    """Verify a whole register against the national database through a running gateway."""
    mapping = {
        "number_column": number_column,
        "full_name_column": full_name_column,
        "birth_date_column": birth_date_column,
        "birth_year_column": birth_year_column,
        "sex_column": sex_column,
    }
    params = {name: value for name, value in mapping.items() if value}
    params["delimiter"] = delimiter.value
    target = output or file.with_name(file.name + ".results.csv")

    def submit(portal: PortalClient) -> None:
        job = portal.submit(file, params)
        _console.print(f"Job {job['id']} accepted: {job['progress']['total']} rows")
        if not wait:
            typer.echo(job["id"])
            return
        _watch_then_finish(portal, job["id"], target, poll_interval)

    _ask(url, client_id, client_secret, submit, Purpose(purpose, officer, case))


def _ask(
    url: str,
    client_id: str,
    secret: str,
    call: Callable[[PortalClient], T],
    purpose: Purpose | None = None,
) -> T:
    """``call`` with a portal client: every command reports a refusal the same way (one line)."""
    with PortalClient(url, client_id, secret, purpose) as portal:
        try:
            return call(portal)
        except PortalError as exc:
            raise _fail(exc) from exc


@jobs_app.command("list")
def list_jobs(
    *,
    client_secret: ClientSecret,
    url: GatewayUrl = "http://127.0.0.1:8000",
    client_id: ClientId = "demo-portal",
    as_json: Annotated[bool, AsJson] = False,
) -> None:
    """This client's jobs, newest first (TSV when not on a terminal)."""
    jobs = _ask(url, client_id, client_secret, PortalClient.jobs)
    if as_json:
        print_json({"jobs": jobs})
        return
    rows = [
        (j["id"], j["state"], j["created_at"], j["progress"]["done"], j["progress"]["total"])
        for j in jobs
    ]
    print_table(("id", "state", "created", "done", "total"), rows)


@jobs_app.command("watch")
def watch_job(
    job_id: JobId,
    *,
    purpose: PurposeCode,
    officer: OfficerId,
    client_secret: ClientSecret,
    url: GatewayUrl = "http://127.0.0.1:8000",
    client_id: ClientId = "demo-portal",
    output: Annotated[Path, typer.Option("--output", "-o", help="Result file.")] = Path(
        "results.csv"
    ),
    poll_interval: PollInterval = 1.0,
) -> None:
    """Watch a job to its end, then download its result file."""

    def watch_and_finish(portal: PortalClient) -> None:
        _watch_then_finish(portal, job_id, output, poll_interval)

    _ask(url, client_id, client_secret, watch_and_finish, Purpose(purpose, officer))


@jobs_app.command("status")
def job_status(
    job_id: JobId,
    *,
    client_secret: ClientSecret,
    url: GatewayUrl = "http://127.0.0.1:8000",
    client_id: ClientId = "demo-portal",
    as_json: Annotated[bool, AsJson] = False,
) -> None:
    """A job's state and counts."""
    job = _ask(url, client_id, client_secret, lambda portal: portal.job(job_id))
    if as_json:
        print_json(job)
        return
    progress = job["progress"]
    typer.echo(f"Job {job['id']}: {job['state']}")
    print_table(("outcome", "rows"), [(name, progress[name]) for name in ("total", *_COUNTS)])
    typer.echo(f"{progress['percent']}% done, ETA {_duration(progress['eta_s'])}")


def _job_action(
    act: Callable[[PortalClient, str], T], report: Callable[[str, T], None], doc: str
) -> Callable[..., None]:
    """A command that changes one job by its id and reports what the gateway answered: cancel
    and erase take the same options and differ only in the call and the report."""

    def command(
        job_id: JobId,
        *,
        client_secret: ClientSecret,
        url: GatewayUrl = "http://127.0.0.1:8000",
        client_id: ClientId = "demo-portal",
    ) -> None:
        report(job_id, _ask(url, client_id, client_secret, lambda portal: act(portal, job_id)))

    command.__doc__ = doc  # the command's help text
    return command


def _report_cancelled(_job_id: str, job: dict[str, Any]) -> None:
    Console().print(_summary(job))


def _report_erased(job_id: str, _answer: None) -> None:
    _console.print(f"Job {job_id} erased.")


cancel_job = jobs_app.command("cancel")(
    _job_action(
        PortalClient.cancel,
        _report_cancelled,
        "Cancel a job; rows not yet verified are reported as skipped.",
    )
)


@jobs_app.command("results")
def job_results(
    job_id: JobId,
    *,
    purpose: PurposeCode,
    officer: OfficerId,
    client_secret: ClientSecret,
    output: Annotated[Path, typer.Option("--output", "-o", help="Result file.")],
    url: GatewayUrl = "http://127.0.0.1:8000",
    client_id: ClientId = "demo-portal",
) -> None:
    """Download a finished job's result file."""

    def download(portal: PortalClient) -> int:
        return portal.download(job_id, output)

    rows = _ask(url, client_id, client_secret, download, Purpose(purpose, officer))
    _console.print(f"Results: {output} ({rows} rows)", soft_wrap=True)  # a path is never cut


erase_job = jobs_app.command("erase")(
    _job_action(
        PortalClient.erase,
        _report_erased,
        "Erase a job's rows and results now (cancelling it if it still runs).",
    )
)
