"""``lgsp contract …``: the contract suite's command line, for integration testers.

``run`` proves a gateway deployment ready (or not) and writes the reports; ``verify-ngsp`` checks
an NGSP endpoint against the XSDs and the token contract; ``diff-openapi`` lists the breaking
changes between two OpenAPI documents. Exit codes: 0 ready / conforming, 1 a check failed or a
break was found, 2 bad usage, 3 no failure but a required check could not run (incomplete).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from contracts.suite._context import Credentials, SuiteConfig
from contracts.suite._model import RunReport, Status
from contracts.suite._registry import CHECKS, Check
from contracts.suite._runner import run_suite
from contracts.suite.diff import diff_openapi
from contracts.suite.ngsp import NgspConfig, verify_ngsp
from contracts.suite.ngsp._checks import NGSP_CHECKS
from contracts.suite.reports import write_reports
from contracts.wire import RequestSuffix

__all__ = ["EXIT_FAILED", "EXIT_INCOMPLETE", "contract_app", "exit_code"]

EXIT_FAILED = 1
EXIT_INCOMPLETE = 3

contract_app = typer.Typer(
    help="Contract suite: go-live readiness of a gateway, NGSP conformance, OpenAPI breaks.",
    no_args_is_help=True,
)
_console = Console()
_STYLE = {Status.PASSED: "green", Status.FAILED: "bold red", Status.SKIPPED: "yellow"}
_ONLY_HELP = (
    "Run only this check (repeatable), after the checks producing what it needs; "
    "the report lists the selected ones."
)


def _credentials(value: str, option: str) -> Credentials:
    try:
        return Credentials.parse(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=option) from exc


def exit_code(report: RunReport) -> int:
    if report.failed:
        return EXIT_FAILED
    return EXIT_INCOMPLETE if report.missing_required else 0


@contract_app.command("run")
def run(
    gateway: Annotated[str, typer.Option(envvar="LGSP_CONTRACT_GATEWAY", help="Gateway base URL.")],
    client: Annotated[
        str,
        typer.Option(
            envvar="LGSP_CONTRACT_CLIENT",
            help="ID:SECRET of a portal client granted lookup, verify and household.",
        ),
    ],
    basic_client: Annotated[
        str | None,
        typer.Option(
            envvar="LGSP_CONTRACT_BASIC_CLIENT",
            help="ID:SECRET of a client without the sensitive field set (data minimisation).",
        ),
    ] = None,
    auditor: Annotated[
        str | None,
        typer.Option(
            envvar="LGSP_CONTRACT_AUDITOR", help="ID:SECRET of a client granted audit_read."
        ),
    ] = None,
    mock_admin: Annotated[
        str | None,
        typer.Option(
            envvar="LGSP_CONTRACT_MOCK_ADMIN",
            help="Mock national side base URL: "
            "targets are sampled from it and fault scenarios run through /__admin/.",
        ),
    ] = None,
    citizen: Annotated[
        str | None, typer.Option(help="A test citizen's number known to exist (without the mock).")
    ] = None,
    absent_citizen: Annotated[
        str | None, typer.Option(help="A well-formed number known not to exist (without the mock).")
    ] = None,
    purpose_code: Annotated[str, typer.Option(help="X-Purpose-Code (MaDVC) to send.")] = "1.001612",
    officer_id: Annotated[str, typer.Option(help="X-Officer-Id to send.")] = "contract-suite",
    report_dir: Annotated[Path, typer.Option(help="Where the reports go.")] = Path(
        "contract-report"
    ),
    timeout: Annotated[float, typer.Option(help="Seconds the suite waits for one answer.")] = 30.0,
    slow_call_ms: Annotated[
        float, typer.Option(help="Slowest acceptable successful call.")
    ] = 3000.0,
    admin_token: Annotated[
        str | None,
        typer.Option(
            envvar="LGSP_CONTRACT_ADMIN_TOKEN",
            help="The gateway's LGSP_ADMIN_TOKEN: the suite then turns maintenance on for a few "
            "seconds and off again (operations.maintenance-switch).",
        ),
    ] = None,
    only: Annotated[list[str] | None, typer.Option("--only", help=_ONLY_HELP)] = None,
) -> None:
    """Run every check against a deployment; write JUnit XML, Markdown and HTML reports."""
    _refuse_unknown(only, CHECKS)
    config = SuiteConfig(
        gateway_url=gateway.rstrip("/"),
        client=_credentials(client, "--client"),
        basic_client=_credentials(basic_client, "--basic-client") if basic_client else None,
        auditor=_credentials(auditor, "--auditor") if auditor else None,
        mock_admin_url=mock_admin.rstrip("/") if mock_admin else None,
        citizen=citizen,
        absent_citizen=absent_citizen,
        purpose_code=purpose_code,
        officer_id=officer_id,
        timeout_s=timeout,
        slow_call_ms=slow_call_ms,
        admin_token=admin_token,
    )
    report = run_suite(config, only=only or None)
    paths = write_reports(report, report_dir)
    _print_report(report)
    for kind, path in paths.items():
        _console.print(f"{kind:>8}: {path}")
    raise typer.Exit(exit_code(report))


def _refuse_unknown(only: list[str] | None, checks: Sequence[Check]) -> None:
    """A usage error (exit 2) naming every ``--only`` id the checklist does not hold."""
    unknown = sorted(set(only or ()) - {c.check_id for c in checks})
    if unknown:
        raise typer.BadParameter(f"no check with the id {', '.join(unknown)}", param_hint="--only")


def _print_report(report: RunReport) -> None:
    table = Table(title=f"LGSP contract suite {report.suite_version}: {report.target}")
    for column in ("concern", "check", "result", "reason"):
        table.add_column(column)
    for result in report.results:
        table.add_row(
            result.concern.value,
            result.check_id,
            f"[{_STYLE[result.status]}]{result.status.value}[/]",
            result.message,
        )
    _console.print(table)
    for notice in report.notices:
        _console.print(notice, style="yellow", markup=False, highlight=False, soft_wrap=True)
    _console.print(report.summary())
    style = "bold green" if report.ready else "bold red"
    _console.print(f"[{style}]{report.verdict}[/]")


@contract_app.command("verify-ngsp")
def verify_ngsp_command(
    url: Annotated[str, typer.Option(envvar="LGSP_NGSP_BASE_URL", help="NGSP base URL.")],
    key: Annotated[str, typer.Option(envvar="LGSP_NGSP_CONSUMER_KEY", help="Consumer key.")],
    secret: Annotated[
        str, typer.Option(envvar="LGSP_NGSP_CONSUMER_SECRET", help="Consumer secret.")
    ],
    citizen: Annotated[
        str | None, typer.Option(help="A test citizen known to exist (else sampled from the mock).")
    ] = None,
    absent_citizen: Annotated[
        str | None, typer.Option(help="A well-formed number known not to exist.")
    ] = None,
    mock_admin: Annotated[
        str | None, typer.Option(help="Mock admin base URL: samples citizens, expires tokens.")
    ] = None,
    population_path: Annotated[
        str, typer.Option(help="SOAP endpoint path.")
    ] = "/dancu/1.0/CongDan",
    token_path: Annotated[str, typer.Option(help="Token endpoint path.")] = "/token",  # noqa: S107 -- a URL path, not a secret
    request_suffix: Annotated[
        str,
        typer.Option(
            envvar="LGSP_NGSP_REQUEST_SUFFIX",
            help='Operation element suffix: "" or "Request" (as the gateway is configured).',
        ),
    ] = "",
    report_dir: Annotated[Path | None, typer.Option(help="Also write the reports here.")] = None,
    only: Annotated[list[str] | None, typer.Option("--only", help=_ONLY_HELP)] = None,
) -> None:
    """Check an NGSP endpoint (the mock or a real one) against the XSDs and the token contract."""
    _refuse_unknown(only, NGSP_CHECKS)
    config = NgspConfig(
        base_url=url.rstrip("/"),
        consumer_key=key,
        consumer_secret=secret,
        citizen=citizen,
        absent_citizen=absent_citizen,
        mock_admin_url=mock_admin.rstrip("/") if mock_admin else None,
        population_path=population_path,
        token_path=token_path,
        request_suffix=_suffix(request_suffix),
    )
    report = verify_ngsp(config, only=only or None)
    if report_dir is not None:
        for kind, path in write_reports(report, report_dir).items():
            _console.print(f"{kind:>8}: {path}")
    _print_report(report)
    raise typer.Exit(exit_code(report))


def _suffix(value: str) -> RequestSuffix:
    if value not in ("", "Request"):
        raise typer.BadParameter('--request-suffix must be "" or "Request"')
    return "Request" if value else ""


@contract_app.command("diff-openapi")
def diff_openapi_command(
    old: Annotated[Path, typer.Argument(help="The contract clients were built against.")],
    new: Annotated[Path, typer.Argument(help="The candidate OpenAPI document.")],
) -> None:
    """List what NEW takes away from clients of OLD; exit 1 when anything breaks."""
    documents = []
    for path in (old, new):
        try:
            documents.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, json.JSONDecodeError) as exc:
            raise typer.BadParameter(f"cannot read {path}: {exc}") from exc
    breaks = diff_openapi(documents[0], documents[1])
    for item in breaks:
        _console.print(str(item), markup=False, highlight=False)
    _console.print(f"{len(breaks)} breaking change(s)")
    raise typer.Exit(EXIT_FAILED if breaks else 0)
