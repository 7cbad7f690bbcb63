"""``lgsp``: the command line for running and operating the gateway.

``lgsp serve`` runs the gateway, ``lgsp mock`` the simulated national side, ``lgsp dev`` both at
once for a laptop (what ``make run`` calls).
"""

from __future__ import annotations

import importlib.metadata
import json
import multiprocessing
import os
import signal
import socket
import sys
import time
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from fastapi import FastAPI

from contracts.admin_eras.cli import admin_units_app
from contracts.suite.cli import contract_app
from gateway.audit.cli import audit_app
from gateway.cli_errors import debug_requested, run
from gateway.jobs.cli import jobs_app, verify_batch
from gateway.logs import configure_logging
from gateway.observability.cli import maintenance_app
from gateway.security.cli import clients_app
from gateway.settings import Settings, SettingsError, load_settings

__all__ = ["app", "main"]

# Rich tracebacks of locals are for developers; a failing command prints one line (cli_errors).
app = typer.Typer(
    help="LGSP population-data gateway.", no_args_is_help=True, pretty_exceptions_enable=False
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"lgsp {importlib.metadata.version('lgsp-gateway')}")
        raise typer.Exit


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version, exit."
        ),
    ] = False,
    debug: Annotated[
        bool,
        typer.Option("--debug", help="Show the traceback of a failure (LGSP_LOG_LEVEL=debug)."),
    ] = False,
) -> None:
    """LGSP population-data gateway."""


def _settings_or_exit(**overrides: object) -> Settings:
    """The settings, or exit 2 with a stderr line per problem (the variable, never its value)."""
    try:
        return load_settings(**overrides)
    except SettingsError as exc:
        for problem in exc.problems:
            typer.echo(f"lgsp: refusing to start: {problem}", err=True)
        raise typer.Exit(2) from None


def _serve_gateway(settings: Settings, workers: int = 1) -> None:
    from gateway.serve import WorkersRefused, serve

    try:
        serve(settings, workers)
    except WorkersRefused as exc:
        typer.echo(f"lgsp serve: {exc}", err=True)
        raise typer.Exit(2) from None


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (LGSP_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (LGSP_PORT).")] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, max=64, help="Worker processes (LGSP_WORKERS); 2+ need Redis limits."),
    ] = None,
) -> None:
    """Run the gateway (settings from LGSP_* variables and .env)."""
    given = {"host": host, "port": port}  # built once: the options override the variables
    settings = _settings_or_exit(**{name: value for name, value in given.items() if value})
    _serve_gateway(settings, workers or settings.workers)


def _serve_mock(host: str, port: int) -> None:
    from mocks.app import create_mock_app
    from mocks.settings import MockSettings

    mock_settings = MockSettings(host=host, port=port)
    uvicorn.run(create_mock_app(mock_settings), host=host, port=port, log_level="warning")


_NGSP_URL = "LGSP_NGSP_BASE_URL"
_MOCK_START_S = 15.0


def _wait_until_listening(process: BaseProcess, host: str, port: int) -> None:
    """Poll until the mock accepts connections (no fixed sleep: a slow machine gets longer, a
    fast one starts at once); a mock that died or never listens ends ``lgsp dev`` with why."""
    deadline = time.monotonic() + _MOCK_START_S
    while time.monotonic() < deadline:
        if not process.is_alive():
            typer.echo(f"lgsp dev: the mock national side exited ({process.exitcode}).", err=True)
            raise typer.Exit(1)
        try:
            socket.create_connection((host, port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    process.terminate()
    typer.echo(
        f"lgsp dev: the mock is not listening on {host}:{port} after {_MOCK_START_S:.0f} s; "
        "is the port taken? Try --mock-port.",
        err=True,
    )
    raise typer.Exit(1)


BANNER = """
  LGSP gateway (dev)      http://{host}:{port}          API docs: http://{host}:{port}/docs
  Mock national side      {ngsp}   sample: {ngsp}/__admin/citizens/sample?n=5
  Demo portal client      client_id=demo-portal  client_secret=demo-secret
  Basic / auditor (dev)   demo-basic:demo-basic-secret   demo-auditor:demo-auditor-secret
  Readiness check         make contract   (the contract suite against this stack)
  Audit store             {audit}
  Stop with Ctrl-C.
"""


@app.command()
def dev(
    port: Annotated[int, typer.Option(help="Gateway port.")] = 8000,
    mock_port: Annotated[int, typer.Option(help="Mock national side port.")] = 9000,
) -> None:
    """Run the mock national side and the gateway together, on the embedded defaults."""
    # The mock unless LGSP_NGSP_BASE_URL names another national side (passed, not put into
    # the environment: nothing else in this process should see a changed environment).
    mock_url = {} if _NGSP_URL in os.environ else {"ngsp_base_url": f"http://127.0.0.1:{mock_port}"}
    settings = _settings_or_exit(port=port, **mock_url)
    os.makedirs("var", exist_ok=True)
    mock = multiprocessing.Process(target=_serve_mock, args=("127.0.0.1", mock_port), daemon=True)
    mock.start()
    _wait_until_listening(mock, "127.0.0.1", mock_port)
    typer.echo(
        BANNER.format(
            host=settings.host, port=port, ngsp=settings.ngsp_base_url, audit=settings.audit_dsn
        )
    )
    # uvicorn re-raises the SIGTERM it caught once it has shut down; by default that would end
    # this process before `finally`, leaving the mock child serving. Exit through Python instead.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        _serve_gateway(settings)
    finally:
        mock.terminate()
        mock.join(5)


def _exit_on_sigterm(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


@app.command()
def openapi(
    output: Annotated[
        Path | None, typer.Option(help="Write here instead of standard output.")
    ] = None,
) -> None:
    """Print the gateway's OpenAPI document (make openapi commits it to contracts/openapi/)."""
    from gateway.app import create_app

    text = openapi_json(create_app(Settings()))
    if output is None:
        typer.echo(text)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")


def openapi_json(application: FastAPI) -> str:
    """The schema as stable, reviewable JSON (sorted keys, indented, trailing newline)."""
    return json.dumps(application.openapi(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


app.add_typer(clients_app, name="clients")
app.add_typer(audit_app, name="audit", help="Verify, search, export and purge the audit trail.")
app.add_typer(maintenance_app, name="maintenance")
app.add_typer(jobs_app, name="jobs")
app.add_typer(contract_app, name="contract")
app.add_typer(admin_units_app, name="admin-units")
app.command("verify-batch")(verify_batch)


def _mount_optional() -> None:
    try:
        from mocks.cli import mock_app
    except ImportError:  # the mock is a development companion; production images may omit it
        return
    app.add_typer(mock_app, name="mock", help="The simulated national side (NGSP + population).")


_mount_optional()


def configure_cli_logging(argv: list[str]) -> None:
    """A command's own output is stdout (often ``--json``, piped): the log lines the stores it
    opens may write go to stderr, warnings and worse only unless ``--debug``. ``serve`` and
    ``dev`` configure logging again from their settings. Done by the entry point, not the app's
    callback, so that running the app in process (tests) leaves the process's logging alone."""
    configure_logging("debug" if debug_requested(argv) else "warning")


def main() -> None:
    """The ``lgsp`` entry point: the app, with failures as messages (see gateway.cli_errors)."""
    configure_cli_logging(sys.argv)
    run(app, sys.argv)


if __name__ == "__main__":
    main()
