"""What ``lgsp`` prints when a command fails: one line for a person, not a traceback.

:func:`run` calls the Typer app and turns any exception that escapes a command into
``lgsp: <what failed>: <why>; <what to do>`` on standard error, exit status 1; a bad option or
argument is ``lgsp: <the problem> (see `lgsp … --help`)``, exit status 2. Commands that know
their failure say it with :func:`fail`. The traceback appears only with ``lgsp --debug …`` or
``LGSP_LOG_LEVEL=debug``. Plain ``typer.echo``, never a rich console: a console wraps a long
message at 80 columns when standard error is not a terminal. Each message names where the
failure happened (the URL, the file, the store) and never a secret: DSNs are shown with their
password starred.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import NoReturn

import httpx
import typer

# Typer (0.27 and later) vendors its own click: its exceptions are not the `click` package's.
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError

from gateway.logs import redact_text

__all__ = ["debug_requested", "describe", "fail", "run"]

EXIT_FAILED = 1
EXIT_USAGE = 2


def debug_requested(argv: list[str]) -> bool:
    return "--debug" in argv or os.environ.get("LGSP_LOG_LEVEL", "").lower() == "debug"


def fail(message: str, code: int = EXIT_FAILED) -> NoReturn:
    """End the command with ``lgsp: <message>`` on standard error and exit status ``code``."""
    typer.echo(f"lgsp: {message}", err=True)
    raise typer.Exit(code)


def run(app: Callable[..., object], argv: list[str] | None = None) -> None:
    """Run ``app``; print an escaping failure as a message (or its traceback when debugging)."""
    argv = sys.argv if argv is None else argv
    try:
        status = app(args=argv[1:], prog_name="lgsp", standalone_mode=False)
    except NoArgsIsHelpError as exc:  # `lgsp jobs`: the group's help is the answer
        typer.echo(exc.format_message(), err=True)
        raise SystemExit(EXIT_USAGE) from None
    except UsageError as exc:
        where = f"`{exc.ctx.command_path} --help`" if exc.ctx is not None else "`lgsp --help`"
        typer.echo(f"lgsp: {exc.format_message()} (see {where})", err=True)
        raise SystemExit(EXIT_USAGE) from None
    except ClickException as exc:
        typer.echo(f"lgsp: {exc.format_message()}", err=True)
        raise SystemExit(exc.exit_code) from None
    except typer.Abort:
        # Ctrl-C, or a prompt that got no answer (no terminal): the option is the way out
        typer.echo("lgsp: aborted (a prompted value can be passed as an option)", err=True)
        raise SystemExit(EXIT_FAILED) from None
    except Exception as exc:
        if debug_requested(argv):
            raise
        typer.echo(f"lgsp: {describe(exc)}", err=True)
        raise SystemExit(EXIT_FAILED) from None
    raise SystemExit(status if isinstance(status, int) else 0)


def describe(exc: BaseException) -> str:
    """One line: what failed, where, and what to do about it when that is known."""
    if isinstance(exc, httpx.TimeoutException):
        return f"{_url(exc)} did not answer in time: is the gateway overloaded? (--url)"
    if isinstance(exc, httpx.TransportError):
        return (
            f"cannot reach {_url(exc)}: {_cause(exc)}; "
            "is the gateway running? (check --url / LGSP_GATEWAY_URL)"
        )
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{redact_text(str(exc.filename))}: {exc.strerror or exc}"
    return f"{type(exc).__name__}: {redact_text(_cause(exc))} (`lgsp --debug …` for the traceback)"


def _url(exc: httpx.RequestError) -> str:
    try:
        request = exc.request
    except RuntimeError:  # raised without a request attached
        return "the gateway"
    return redact_text(str(request.url.copy_with(query=None)))


def _cause(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
