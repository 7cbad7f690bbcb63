"""The one logger configuration: structlog, JSON in production, console on a terminal in dev.

Every event passes :func:`guard_personal_data` last before rendering: 9- and 12-digit runs are
masked wherever they appear, and keys known to carry personal data are dropped, so no log line can
hold a citizen's number, name or birth date in clear (Decree 13/2023; design §2 step 7).
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

__all__ = ["PERSONAL_KEYS", "configure_logging", "get_logger", "guard_personal_data"]

PERSONAL_KEYS = frozenset(
    {
        "personal_id",
        "cmnd",
        "number",
        "full_name",
        "name",
        "date_of_birth",
        "birth_date",
        "birth_year",
        "family_name",
        "given_name",
        "middle_name",
        "address",
    }
)
# Runs of exactly 9 or 12 digits not embedded in longer digit runs (ids, CMNDs).
_NUMBER_RUN = re.compile(r"(?<!\d)(\d{12}|\d{9})(?!\d)")
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING}


def _mask_text(text: str) -> str:
    return _NUMBER_RUN.sub(lambda match: mask_number(match.group(1)), text)


def _mask_value(value: Any) -> Any:
    if isinstance(value, str):
        return _mask_text(value) if len(value) >= 9 else value
    if isinstance(value, int) and not isinstance(value, bool) and len(str(abs(value))) in (9, 12):
        return mask_number(str(value))
    if isinstance(value, dict):
        return {k: _mask_value(v) for k, v in value.items() if k not in PERSONAL_KEYS}
    if isinstance(value, list | tuple):
        return [_mask_value(v) for v in value]
    return value


def guard_personal_data(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Drop personal keys and mask every 9/12-digit number in the remaining values."""
    return {k: _mask_value(v) for k, v in event_dict.items() if k not in PERSONAL_KEYS}


def _json_default(value: object) -> str:
    return str(value)


def _render_json(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> bytes:
    return orjson.dumps(event_dict, default=_json_default, option=orjson.OPT_APPEND_NEWLINE)


def configure_logging(
    level: str = "info", fmt: Literal["json", "console", "auto"] = "auto"
) -> None:
    """Configure structlog once per process; ``auto`` = console on a terminal, JSON otherwise."""
    console = fmt == "console" or (fmt == "auto" and sys.stderr.isatty())
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        guard_personal_data,
    ]
    if console:
        processors = [*shared, structlog.dev.ConsoleRenderer()]
        factory: Any = structlog.PrintLoggerFactory(sys.stderr)
    else:
        processors = [*shared, _render_json]
        factory = structlog.BytesLoggerFactory(sys.stderr.buffer)
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(_LEVELS.get(level, logging.ERROR)),
        logger_factory=factory,
        cache_logger_on_first_use=True,
    )


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)
