"""The one logger configuration: structlog, JSON in production, console on a terminal in dev.

Every event passes :func:`guard_personal_data` last before rendering: 9- and 12-digit runs are
masked wherever they appear, passwords in URLs are starred, and keys known to carry personal data
are dropped, so no log line can hold a citizen's number, name or birth date in clear
(Decree 13/2023; design §2 step 7). Standard-library records (uvicorn, asyncio, libraries) go
through the same guard and renderer by a root handler, so a traceback cannot slip past it.

Loggers are cached on first use (the fast path, design §7), which makes two things matter:

* :func:`configure_logging` may run many times in one process (every ``create_app`` calls it, and
  tests build many apps). It keeps **one processor list** and edits it in place, as
  ``structlog.testing.capture_logs`` does, so a logger cached under an earlier configuration still
  sees the current processors, and ``capture_logs`` sees every event.
* The output stream is looked up when each line is written, not when a logger is first used, so a
  cached logger never writes to a stream a test has since closed or swapped.

The level is fixed in the cached wrapper class: one process, one level.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any, Literal

import orjson
import structlog

from contracts.ids import mask_number

__all__ = [
    "PERSONAL_KEYS",
    "LogFormat",
    "StderrLogger",
    "configure_logging",
    "get_logger",
    "guard_personal_data",
    "redact_text",
    "wants_console",
]

LogFormat = Literal["json", "console", "auto"]

PERSONAL_KEYS = frozenset(
    {
        # a citizen's identity
        "personal_id",
        "cmnd",
        "number",
        "subject",
        "subject_number",
        "disclosed",  # an audit event's data subjects, numbers in clear
        "full_name",
        "name",
        "family_name",
        "given_name",
        "middle_name",
        "date_of_birth",
        "birth_date",
        "birth_year",
        # where they live and who they live with
        "address",
        "permanent_address",
        "current_address",
        "hometown",
        "birth_registration_place",
        "father",
        "mother",
        "spouse",
        "representative",
        "household_head",
        "household_book_number",
        "members",
        # whole records
        "citizen",
        "household",
    }
)
# Runs of exactly 9 or 12 digits not embedded in longer digit runs (ids, CMNDs).
_NUMBER_RUN = re.compile(r"(?<!\d)(\d{12}|\d{9})(?!\d)")
# Ids we generate or validate as hex (request ids, W3C trace context): a decimal run inside one is
# chance, not a citizen's number, and masking it would break the correlation the id is for.
_ID_KEYS = frozenset({"request_id", "trace_id", "span_id", "traceparent"})
_HEX_ID = re.compile(r"[0-9a-f]{16,32}|00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}")
# user:password@ in a URL or DSN (postgresql://gw:secret@db/audit): keep the user, star the rest.
_URL_PASSWORD = re.compile(r"(://[^/@:\s]*):[^/@\s]+@")
_STDLIB_HANDLER = "lgsp"
# uvicorn's default logging config gives these their own unguarded handlers and stops propagation
# (``uvicorn --factory``, or a uvicorn.Config made in the same process): take them back.
_RECLAIMED_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")
# request_completed is the access log; these libraries' per-request INFO lines only repeat it.
_QUIET_LOGGERS = {"uvicorn.access": logging.WARNING, "httpx": logging.WARNING}
_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}


def _mask_text(text: str) -> str:
    masked = _NUMBER_RUN.sub(lambda match: mask_number(match.group(1)), text)
    return _URL_PASSWORD.sub(r"\1:***@", masked) if "@" in masked else masked


def redact_text(text: str) -> str:
    """``text`` as the log guard would write it: personal numbers masked, URL passwords starred."""
    return _mask_text(text)


def _mask_value(value: Any) -> Any:
    if isinstance(value, str):
        return _mask_text(value) if len(value) >= 9 else value
    if isinstance(value, int) and not isinstance(value, bool) and len(str(abs(value))) in (9, 12):
        return mask_number(str(value))
    if isinstance(value, dict):
        return {k: _mask_value(v) for k, v in value.items() if k not in PERSONAL_KEYS}
    if isinstance(value, list | tuple | set | frozenset):
        return [_mask_value(v) for v in value]
    return value


def _is_hex_id(key: str, value: Any) -> bool:
    return key in _ID_KEYS and isinstance(value, str) and _HEX_ID.fullmatch(value) is not None


def guard_personal_data(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Drop personal keys and mask every 9/12-digit number and URL password in the values.

    Hex request and trace ids are left whole; a caller's own request id in another form is
    masked like any other value.
    """
    return {
        k: v if _is_hex_id(k, v) else _mask_value(v)
        for k, v in event_dict.items()
        if k not in PERSONAL_KEYS
    }


def _json_default(value: object) -> str:
    return str(value)


def _render_json(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> bytes:
    return orjson.dumps(event_dict, default=_json_default, option=orjson.OPT_APPEND_NEWLINE)


def _render_json_text(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> str:
    return orjson.dumps(event_dict, default=_json_default).decode()


class StderrLogger:
    """Writes each rendered line (JSON bytes or console text) to the *current* ``sys.stderr``.

    structlog's own Bytes/PrintLogger hold the stream they were made with, and a cached logger
    keeps it for good; this one looks ``sys.stderr`` up at each write, so a logger first used
    while a test swapped the stream never writes to a closed one later. The renderer decides the
    type, so one logger serves both formats and a reconfiguration never mismatches them.
    """

    __slots__ = ("name",)

    def __init__(self, name: str | None = None) -> None:
        self.name = name

    def msg(self, message: bytes | str) -> None:
        stream = sys.stderr
        if isinstance(message, bytes):
            stream.buffer.write(message)
        else:
            stream.write(message + "\n")
        stream.flush()

    log = debug = info = warn = warning = msg
    error = err = critical = fatal = exception = failure = msg


def _stderr_logger(*args: Any) -> StderrLogger:
    return StderrLogger(args[0] if args else None)


class _CurrentStderr:
    """For the standard-library handler: the text stream ``sys.stderr`` is at each write."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


_TRACEBACK = "Traceback (most recent call last):"


def _fold_traceback_text(record: logging.LogRecord) -> bool:
    """A message that *is* a traceback (uvicorn logs a failed start-up's that way) becomes its
    last line: the failure itself was already said in one line (``gateway_start_failed``)."""
    message = record.getMessage()
    if message.startswith(_TRACEBACK):
        last = message.rstrip().rsplit("\n", 1)[-1].strip()
        record.msg, record.args = f"{last} (LGSP_LOG_LEVEL=debug for the traceback)", ()
    return True


def _stdlib_handler(console: bool, level: int = logging.INFO) -> logging.Handler:
    """Standard-library records (uvicorn, asyncio, libraries) through the same guard and format."""
    renderer: Any = structlog.dev.ConsoleRenderer() if console else _render_json_text
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.stdlib.add_logger_name,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            guard_personal_data,
            renderer,
        ],
    )
    handler = logging.StreamHandler(_CurrentStderr())
    handler.setFormatter(formatter)
    handler.set_name(_STDLIB_HANDLER)
    if level > logging.DEBUG:
        handler.addFilter(_fold_traceback_text)
    return handler


def _route_stdlib(level: int, console: bool) -> None:
    root = logging.getLogger()
    for handler in [h for h in root.handlers if h.get_name() == _STDLIB_HANDLER]:
        root.removeHandler(handler)
    root.addHandler(_stdlib_handler(console, level))
    root.setLevel(level)
    for name in _RECLAIMED_LOGGERS:
        reclaimed = logging.getLogger(name)
        reclaimed.handlers.clear()
        reclaimed.propagate = True
        reclaimed.setLevel(logging.NOTSET)
    for name, quiet_level in _QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(max(level, quiet_level))


# The one processor list, edited in place by every configuration (see the module docstring).
_PROCESSORS: list[Any] = []
_configured: tuple[int, bool] | None = None


def _processors(console: bool) -> list[Any]:
    renderer: Any = structlog.dev.ConsoleRenderer() if console else _render_json
    return [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        guard_personal_data,
        renderer,
    ]


def wants_console(fmt: LogFormat) -> bool:
    """``auto`` means coloured console output on a terminal, JSON lines everywhere else."""
    return fmt == "console" or (fmt == "auto" and sys.stderr.isatty())


def configure_logging(level: str = "info", fmt: LogFormat = "auto") -> None:
    """Configure structlog for this process; calling it again is safe (see the module docstring).

    A call that changes nothing leaves the configuration alone, so building an app inside
    ``capture_logs`` does not undo the capture.
    """
    global _configured  # noqa: PLW0603 -- structlog's configuration is process-wide by nature
    wanted = (_LEVELS.get(level, logging.INFO), wants_console(fmt))
    _route_stdlib(*wanted)  # always: someone (uvicorn) may have rerouted the standard library
    if wanted == _configured and structlog.get_config()["processors"] is _PROCESSORS:
        return
    _PROCESSORS[:] = _processors(console=wanted[1])
    structlog.configure(
        processors=_PROCESSORS,
        wrapper_class=structlog.make_filtering_bound_logger(wanted[0]),
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=True,
    )
    _configured = wanted


def get_logger(name: str) -> Any:
    """A logger for ``name`` (the module's role, e.g. ``gateway.request``), lazily bound."""
    return structlog.get_logger(name)
