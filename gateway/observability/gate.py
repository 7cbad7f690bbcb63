"""The maintenance gate: while maintenance is on, data calls answer 503 with Retry-After.

An app-wide FastAPI dependency rather than a middleware, so it runs after routing: the refused
request's ``request_completed`` line and metrics carry its route template like any other. Only
the data API (``/api/``) is closed, and before authentication, so every caller gets the same
answer: tokens, ``/healthz``, ``/readyz`` (which says "maintenance" itself), ``/metrics`` and the
admin endpoint keep answering, so operators can watch the gateway and switch maintenance off.
The answer is the usual problem (``code: maintenance``, ``layer: gateway``) with Retry-After.
"""

from __future__ import annotations

from fastapi import Request

from gateway.errors import ServiceUnavailable

__all__ = ["DATA_PREFIXES", "refuse_during_maintenance"]

DATA_PREFIXES = ("/api/",)


async def refuse_during_maintenance(request: Request) -> None:
    if not request.scope["path"].startswith(DATA_PREFIXES):
        return
    state = request.app.state.observability.maintenance.state()
    if state.enabled:
        raise ServiceUnavailable(
            "maintenance",
            "The gateway is in maintenance; no personal data is served. Retry later.",
            retry_after=state.retry_after_s,
        )
