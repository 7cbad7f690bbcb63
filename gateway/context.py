"""The typed per-request context: the one object the request path writes and the middleware reads.

The request-context middleware opens a :class:`RequestContext` for every HTTP call (its request
id and W3C trace context); dependencies, the audited services and the problem handler fill in
what they learn (client, purpose, operation, problem code, upstream and audit time); at the end
the middleware logs and measures it. This is the only module that touches ``request.state``
(starlette keeps it in ``scope["state"]``), so every field has one name and one type.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

from opentelemetry import trace as otel_trace
from starlette.requests import HTTPConnection
from starlette.types import Scope

__all__ = ["RequestContext", "TraceContext", "context_of", "open_context", "scope_context"]

_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
_TRACESTATE_MAX = 512  # W3C: at most 32 members; longer headers may be dropped
_KEY = "lgsp_context"


class TraceContext:
    """W3C trace context: keep the caller's trace id and state, make a span id for our own hop.

    When OpenTelemetry exports traces, :meth:`adopt` takes the ids of the request's server span,
    so log lines, the answer's ``traceparent`` and the exported spans name the same span.
    """

    __slots__ = ("flags", "parent_id", "span_id", "state", "trace_id")

    def __init__(self, header: str | None, state: str | None = None) -> None:
        match = _TRACEPARENT.fullmatch(header or "")
        if match and match.group(1) != "0" * 32 and match.group(2) != "0" * 16:
            self.trace_id, self.parent_id, self.flags = match.groups()
            self.state = state if state and len(state) <= _TRACESTATE_MAX else None
        else:
            self.trace_id, self.parent_id, self.flags = secrets.token_hex(16), None, "01"
            self.state = None  # tracestate without a valid traceparent is meaningless (W3C §3.3)
        self.span_id = secrets.token_hex(8)

    def adopt(self, span: otel_trace.Span) -> None:
        context = span.get_span_context()
        if context.is_valid:
            self.trace_id = format(context.trace_id, "032x")
            self.span_id = format(context.span_id, "016x")
            self.flags = format(int(context.trace_flags), "02x")

    def child_traceparent(self) -> str:
        """The header for the NGSP call: same trace, our span as its parent."""
        return f"00-{self.trace_id}-{self.span_id}-{self.flags}"


@dataclass(slots=True)
class RequestContext:
    """What one HTTP request has learnt about itself, for its log line, metrics and span."""

    request_id: str
    trace: TraceContext
    client_id: str | None = None
    agency_code: str | None = None
    purpose_code: str | None = None
    operation: str | None = None
    problem_code: str | None = None
    upstream_attempts: int | None = None
    upstream_ms: float | None = None
    audit_ms: float | None = None

    def log_fields(self) -> dict[str, Any]:
        """The facts known so far, in the order the ``request_completed`` line shows them."""
        fields = {
            "client_id": self.client_id,
            "agency_code": self.agency_code,
            "purpose_code": self.purpose_code,
            "operation": self.operation,
            "problem_code": self.problem_code,
            "upstream_attempts": self.upstream_attempts,
            "upstream_ms": self.upstream_ms,
            "audit_ms": self.audit_ms,
        }
        return {name: value for name, value in fields.items() if value is not None}


def open_context(scope: Scope, request_id: str, trace: TraceContext) -> RequestContext:
    """Start the context of a new request (the middleware's job)."""
    context = RequestContext(request_id, trace)
    scope.setdefault("state", {})[_KEY] = context
    return context


def scope_context(scope: Scope) -> RequestContext | None:
    """The request's context, if the request-context middleware opened one."""
    context = scope.get("state", {}).get(_KEY)
    return context if isinstance(context, RequestContext) else None


def context_of(connection: HTTPConnection) -> RequestContext:
    """The request's context; an app mounted without the middleware (a unit test) gets an
    anonymous one, so handlers never branch on whether it exists."""
    context = scope_context(connection.scope)
    if context is None:
        context = open_context(connection.scope, "", TraceContext(None))
    return context
