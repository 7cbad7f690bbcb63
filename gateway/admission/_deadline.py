"""A request's deadline: how long its caller will wait, from its own header or the default.

A portal says how long it will wait with ``X-Request-Timeout`` (or ``Request-Timeout``): seconds,
a decimal number such as ``2.5``. The gateway caps it by ``request_timeout_max_s`` and uses
``request_timeout_default_s`` when none is sent. The deadline bounds the time a request may queue
for admission and the overall deadline of its NGSP call, so no work continues for an answer the
caller has stopped waiting for (gRPC deadline propagation).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header
from starlette.requests import Request

from gateway.errors import InvalidInput

__all__ = ["DECLARED_TIMEOUT", "TIMEOUT_HEADERS", "RequestDeadline", "request_deadline"]

TIMEOUT_HEADERS = ("x-request-timeout", "request-timeout")
_MAX_TEXT = 16  # "3600.000" is plenty; longer is noise, not a number worth parsing


@dataclass(frozen=True, slots=True)
class RequestDeadline:
    """The moment (on ``clock``) the caller stops waiting."""

    at: float
    clock: Callable[[], float] = time.monotonic

    def remaining(self) -> float:
        return max(0.0, self.at - self.clock())


def _parse_seconds(text: str) -> float:
    try:
        seconds = float(text) if len(text) <= _MAX_TEXT else math.nan
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise InvalidInput(
            "invalid_request_timeout",
            "X-Request-Timeout must be a positive number of seconds, such as 2.5.",
        )
    return seconds


def request_deadline(
    request: Request,
    *,
    default_s: float,
    max_s: float,
    clock: Callable[[], float] = time.monotonic,
) -> RequestDeadline:
    """The deadline this request carries (capped), or the default one."""
    seconds = default_s
    for name in TIMEOUT_HEADERS:
        text = request.headers.get(name)
        if text is not None:
            seconds = _parse_seconds(text.strip())
            break
    return RequestDeadline(clock() + min(seconds, max_s), clock)


async def _declared(
    _timeout: Annotated[
        str | None,
        Header(
            alias="X-Request-Timeout",
            description="Seconds you will wait for the answer, e.g. 2.5 (capped by the gateway). "
            "Bounds queueing and the national call; `Request-Timeout` is read too.",
            examples=["2.5"],
        ),
    ] = None,
) -> None:
    """Declares the header in the OpenAPI document; :func:`request_deadline` reads it."""


DECLARED_TIMEOUT = Depends(_declared)
