"""Request context for every HTTP call: request id, W3C trace context, and the completion event.

A pure ASGI middleware (no ``BaseHTTPMiddleware``: it costs a task and a queue per request). It
accepts a well-formed ``X-Request-ID`` or makes one, echoes it on every answer, accepts or starts a
W3C ``traceparent``, binds both ids to structlog's context variables so every event logged while
the request runs carries them, and ends with exactly one ``request_completed`` event built from
what the handlers left in ``request.state`` (client, purpose, problem code, upstream attempts and
time, audit time), plus the breaker's state for calls that reached the adapter. The same facts
feed the request metrics.
"""

from __future__ import annotations

import re
import secrets
import time
from contextlib import AbstractContextManager
from typing import Any

import structlog
from opentelemetry import trace as otel_trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.errors import send_problem
from gateway.logs import get_logger
from gateway.observability import Observability, RequestSample
from gateway.observability.tracing import tracer

__all__ = ["RequestContextMiddleware", "TraceContext"]

_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
_TRACESTATE_MAX = 512  # W3C: at most 32 members; longer headers may be dropped
_PROPAGATOR = TraceContextTextMapPropagator()
_STATE_FIELDS = (
    "client_id",
    "agency_code",
    "purpose_code",
    "operation",
    "problem_code",
    "upstream_attempts",
    "upstream_ms",
    "audit_ms",
)


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


def _server_span(scope: Scope, trace: TraceContext) -> AbstractContextManager[otel_trace.Span]:
    """The request's span, continuing the caller's trace (a no-op unless traces are exported)."""
    carrier: dict[str, str] = {}
    if trace.parent_id is not None:  # the caller's valid traceparent (and tracestate), as sent
        carrier["traceparent"] = f"00-{trace.trace_id}-{trace.parent_id}-{trace.flags}"
        if trace.state:
            carrier["tracestate"] = trace.state
    span = tracer.start_span(
        scope["method"], context=_PROPAGATOR.extract(carrier), kind=otel_trace.SpanKind.SERVER
    )
    if span.is_recording():
        trace.adopt(span)
    return otel_trace.use_span(span, end_on_exit=True)


def _end_server_span(
    span: otel_trace.Span, scope: Scope, state: dict[str, Any], status: int
) -> None:
    if not span.is_recording():
        return
    route = _route_template(scope)
    if route is not None:
        span.update_name(f"{scope['method']} {route}")
        span.set_attribute("http.route", route)
    span.set_attribute("http.request.method", scope["method"])
    span.set_attribute("http.response.status_code", status)
    for name in ("client_id", "operation", "problem_code", "upstream_attempts"):
        if state.get(name) is not None:
            span.set_attribute(f"lgsp.{name}", state[name])
    if status >= 500:
        span.set_status(otel_trace.StatusCode.ERROR)


def _route_template(scope: Scope) -> str | None:
    """The matched route as documented (``/api/v1/citizens/{number}``): never the raw path,
    which holds a citizen's number, and without a path convertor's name."""
    matched = scope.get("route")
    return getattr(matched, "path_format", None) or getattr(matched, "path", None)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, observability: Observability | None = None) -> None:
        self.app = app
        self.observability = observability
        self.log = get_logger("gateway.request")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        offered = _header(scope, b"x-request-id")
        request_id = (
            offered if offered and _REQUEST_ID.fullmatch(offered) else secrets.token_hex(16)
        )
        trace = TraceContext(_header(scope, b"traceparent"), _header(scope, b"tracestate"))
        state: dict[str, Any] = scope.setdefault("state", {})
        state.update(request_id=request_id, trace=trace)
        status = 500
        started_answer = False

        async def send_with_context(message: Message) -> None:
            nonlocal status, started_answer
            if message["type"] == "http.response.start":
                status, started_answer = message["status"], True
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = request_id
                headers["traceparent"] = trace.child_traceparent()
            await send(message)

        with (
            _server_span(scope, trace) as span,
            structlog.contextvars.bound_contextvars(
                request_id=request_id, trace_id=trace.trace_id, span_id=trace.span_id
            ),
        ):
            try:
                if offered is not None and offered != request_id:
                    await _bad_request_id(scope, send_with_context)
                    state["problem_code"] = "invalid_request_id"
                else:
                    await self.app(scope, receive, send_with_context)
            except Exception:
                # Answer the 500 here, inside the context, so it carries X-Request-ID like every
                # other answer; ServerErrorMiddleware further out sees it sent and only logs.
                state.setdefault("problem_code", "internal_error")
                if not started_answer:
                    await _internal_error(scope, send_with_context)
                raise
            finally:
                self._completed(scope, state, status, time.perf_counter() - started)
                _end_server_span(span, scope, state, status)

    def _completed(self, scope: Scope, state: dict[str, Any], status: int, seconds: float) -> None:
        # path_format: the template without convertors ("{number}", not "{number:citizen_number}")
        route = _route_template(scope) or "unmatched"
        fields = {name: state[name] for name in _STATE_FIELDS if state.get(name) is not None}
        if "operation" in fields and self.observability is not None:
            fields["breaker_state"] = self.observability.breaker_state()
        self.log.info(
            "request_completed",
            request_id=state["request_id"],
            trace_id=state["trace"].trace_id,
            method=scope["method"],
            route=route,
            status=status,
            latency_ms=round(seconds * 1000, 3),
            **fields,
        )
        if self.observability is not None:
            self.observability.metrics.observe_request(
                _sample(route, scope["method"], status, seconds, state)
            )


def _seconds(milliseconds: float | None) -> float | None:
    return None if milliseconds is None else milliseconds / 1000


def _sample(
    route: str, method: str, status: int, seconds: float, state: dict[str, Any]
) -> RequestSample:
    attempts = state.get("upstream_attempts") or 0
    return RequestSample(
        route=route,
        method=method,
        status=status,
        client=state.get("client_id") or "anonymous",
        seconds=seconds,
        operation=state.get("operation"),
        problem_code=state.get("problem_code"),
        upstream_seconds=_seconds(state.get("upstream_ms")) if attempts else None,
        audit_seconds=_seconds(state.get("audit_ms")),
    )


async def _bad_request_id(scope: Scope, send: Send) -> None:
    detail = "X-Request-ID must be 1-64 characters of A-Z a-z 0-9 . _ : -"
    await send_problem(
        send,
        scope,
        status=400,
        code="invalid_request_id",
        title="Malformed request",
        detail=detail,
        layer="client",
    )


async def _internal_error(scope: Scope, send: Send) -> None:
    detail = "An unexpected error occurred."
    await send_problem(
        send,
        scope,
        status=500,
        code="internal_error",
        title="Internal error",
        detail=detail,
        layer="gateway",
    )
