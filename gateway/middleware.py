"""Request context for every HTTP call: request id, W3C trace context, and the completion event.

A pure ASGI middleware (no ``BaseHTTPMiddleware``: it costs a task and a queue per request). It
accepts a well-formed ``X-Request-ID`` or makes one, echoes it on every answer, accepts or starts a
W3C ``traceparent``, binds both ids to structlog's context variables so every event logged while
the request runs carries them, and ends with exactly one ``request_completed`` event built from
the request's typed :class:`~gateway.context.RequestContext` (client, purpose, problem code,
upstream attempts and time, audit time), plus the breaker's state for calls that reached the
adapter. The same facts feed the request metrics.
"""

from __future__ import annotations

import re
import secrets
import time
from contextlib import AbstractContextManager

import structlog
from opentelemetry import trace as otel_trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.context import RequestContext, TraceContext, open_context
from gateway.errors import send_problem
from gateway.logs import get_logger
from gateway.observability import Observability, RequestSample
from gateway.tracing import tracer

__all__ = ["RequestContextMiddleware", "TraceContext"]

_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
_PROPAGATOR = TraceContextTextMapPropagator()


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
    span: otel_trace.Span, scope: Scope, context: RequestContext, status: int
) -> None:
    if not span.is_recording():
        return
    route = _route_template(scope)
    if route is not None:
        span.update_name(f"{scope['method']} {route}")
        span.set_attribute("http.route", route)
    span.set_attribute("http.request.method", scope["method"])
    span.set_attribute("http.response.status_code", status)
    facts = context.log_fields()
    for name in ("client_id", "operation", "problem_code", "upstream_attempts"):
        if name in facts:
            span.set_attribute(f"lgsp.{name}", facts[name])
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
        context = open_context(scope, request_id, trace)
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
                    context.problem_code = "invalid_request_id"
                else:
                    await self.app(scope, receive, send_with_context)
            except Exception:
                # Answer the 500 here, inside the context, so it carries X-Request-ID like every
                # other answer; ServerErrorMiddleware further out sees it sent and only logs.
                context.problem_code = context.problem_code or "internal_error"
                if not started_answer:
                    await _internal_error(scope, send_with_context)
                raise
            finally:
                self._completed(scope, context, status, time.perf_counter() - started)
                _end_server_span(span, scope, context, status)

    def _completed(
        self, scope: Scope, context: RequestContext, status: int, seconds: float
    ) -> None:
        # path_format: the template without convertors ("{number}", not "{number:citizen_number}")
        route = _route_template(scope) or "unmatched"
        fields = context.log_fields()
        if "operation" in fields and self.observability is not None:
            fields["breaker_state"] = self.observability.breaker_state()
        self.log.info(
            "request_completed",
            request_id=context.request_id,
            trace_id=context.trace.trace_id,
            method=scope["method"],
            route=route,
            status=status,
            latency_ms=round(seconds * 1000, 3),
            **fields,
        )
        if self.observability is not None:
            self.observability.metrics.observe_request(
                _sample(route, scope["method"], status, seconds, context)
            )


def _seconds(milliseconds: float | None) -> float | None:
    return None if milliseconds is None else milliseconds / 1000


def _sample(
    route: str, method: str, status: int, seconds: float, context: RequestContext
) -> RequestSample:
    attempts = context.upstream_attempts or 0
    return RequestSample(
        route=route,
        method=method,
        status=status,
        client=context.client_id or "anonymous",
        seconds=seconds,
        operation=context.operation,
        problem_code=context.problem_code,
        upstream_seconds=_seconds(context.upstream_ms) if attempts else None,
        audit_seconds=_seconds(context.audit_ms),
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
