"""The NGSP client: one call to the national population database, in canonical models.

``NgspClient`` knows only a base URL, consumer credentials and a path, so the same build talks to
the mock or to a real NGSP. Each public method builds the SOAP request once (MaYeuCau = the
gateway's request id, the same on every attempt) and runs it through the resilience stack::

    deadline (whole call) ─▶ retry policy + budget ─▶ breaker ─▶ attempt time-out ─▶ token ─▶ POST

then maps the answer or the failure into ``contracts`` models or the adapter's error tree.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from functools import partial
from typing import Generic, TypeVar, cast

import httpx
from opentelemetry import propagate, trace
from pydantic import ValidationError
from tenacity import RetryCallState

from adapters.ngsp import soap
from adapters.ngsp._errors import (
    DeadlineExceeded,
    NgspError,
    UpstreamAuthError,
    UpstreamConnectError,
    UpstreamFault,
    UpstreamHTTPError,
    UpstreamProtocolError,
    UpstreamRecordError,
    UpstreamRejected,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from adapters.ngsp.breaker import CircuitBreaker
from adapters.ngsp.budget import RetryBudget
from adapters.ngsp.clock import Clock, Deadline, SystemClock
from adapters.ngsp.config import NgspConfig
from adapters.ngsp.observer import NgspObserver, NullObserver
from adapters.ngsp.retry import RetryPolicy
from adapters.ngsp.token import TokenManager
from adapters.ngsp.transport import HttpAnswer, post
from contracts.models import Citizen, Household

__all__ = ["CallContext", "NgspClient", "NgspConfig", "counts_against_breaker"]

# The OpenTelemetry API: a no-op until the gateway installs the SDK (gateway/tracing.py).
_tracer = trace.get_tracer("lgsp.adapters.ngsp")

_T = TypeVar("_T")

_TRANSIENT_STATUSES = frozenset({429, 502, 503, 504})
_DELAY_SECONDS = re.compile(r"[0-9]{1,9}")


@dataclass(slots=True)
class CallContext:
    """Who asks and why (sent on the wire), plus what the call cost (filled in by the client).

    ``attempts`` counts the SOAP requests actually sent (a 401 replay included), so it matches
    the national side's journal; ``upstream_ms`` is the time spent in them. ``deadline_s`` is the
    caller's remaining time, when it has one: the call's overall deadline is the shorter of it
    and the configured ``deadline_s``, so no attempt outlives the caller's patience.
    """

    request_id: str
    purpose_code: str
    officer_id: str
    agency_code: str | None = None
    traceparent: str | None = None
    tracestate: str | None = None
    deadline_s: float | None = None
    attempts: int = 0
    upstream_ms: float = 0.0
    extra_headers: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class _Call(Generic[_T]):
    """One logical call and its progress through the attempts."""

    operation: str
    body: bytes
    ctx: CallContext
    deadline: Deadline
    parse: Callable[[bytes], _T]
    attempt: int = 0


def counts_against_breaker(exc: BaseException) -> bool:
    """Failures that say the national side is unhealthy.

    Not failures: our own invalid requests (Client faults, other 4xx), credentials problems, and
    429, which asks us to slow down (the backoff and the budget do that) rather than stop.
    """
    if isinstance(exc, UpstreamHTTPError):
        return exc.status != 429
    if isinstance(exc, UpstreamFault):
        return exc.fault_class == "Server"
    if isinstance(exc, UpstreamRejected):
        return exc.status >= 500
    if isinstance(exc, UpstreamRecordError):  # one unusable record, not an unhealthy service
        return False
    return isinstance(exc, UpstreamUnavailable | UpstreamProtocolError)


class NgspClient:
    def __init__(
        self,
        config: NgspConfig,
        http: httpx.AsyncClient,
        tokens: TokenManager | None = None,
        *,
        observer: NgspObserver | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.config = config
        self._http = http
        self._clock = clock or SystemClock()
        self._observer = observer or NullObserver()
        self.tokens = tokens or TokenManager(
            http,
            config.token_url,
            config.consumer_key,
            config.consumer_secret,
            refresh_margin_s=config.token_refresh_margin_s,
            timeout_s=config.attempt_timeout_s,
            clock=self._clock,
            observer=self._observer,
        )
        self._retry = RetryPolicy(
            max_attempts=config.max_attempts,
            backoff_initial_s=config.backoff_initial_s,
            backoff_max_s=config.backoff_max_s,
            min_attempt_s=config.min_attempt_s,
        )
        self._budget = RetryBudget(
            self._clock,
            ratio=config.retry_budget_ratio,
            min_per_s=config.retry_budget_min_per_s,
            window_s=config.retry_budget_window_s,
        )
        self._breaker = CircuitBreaker(
            self._clock,
            is_failure=counts_against_breaker,
            failure_threshold=config.breaker_failure_threshold,
            failure_rate=config.breaker_failure_rate,
            min_calls=config.breaker_min_calls,
            window_s=config.breaker_window_s,
            open_s=config.breaker_open_s,
            on_transition=self._observer.on_breaker_transition,
        )

    @property
    def breaker(self) -> CircuitBreaker:
        """The circuit breaker, for ``/readyz`` and metrics: ``state`` and ``retry_after``."""
        return self._breaker

    async def lookup_citizen(self, number: str, ctx: CallContext) -> Citizen | None:
        """The citizen with this personal id or CMND; None when the database has no such citizen."""
        request = self._request(soap.Operation.LOOKUP, number, ctx)
        return await self._call(request, ctx, partial(soap.parse_lookup, number=number))

    async def verify_citizen(
        self,
        number: str,
        ctx: CallContext,
        *,
        full_name: str | None = None,
        birth_date: date | None = None,
        birth_year: int | None = None,
        sex: int | None = None,
    ) -> bool:
        """Whether the national side confirms a citizen with these details (``TonTai``)."""
        request = self._request(
            soap.Operation.VERIFY,
            number,
            ctx,
            full_name=full_name,
            birth_date=birth_date,
            birth_year=birth_year,
            sex=sex,
        )
        return await self._call(request, ctx, soap.parse_verify)

    async def household(self, number: str, ctx: CallContext) -> Household | None:
        """The household of the citizen with this number; None when there is none."""
        request = self._request(soap.Operation.HOUSEHOLD, number, ctx)
        return await self._call(request, ctx, partial(soap.parse_household, number=number))

    def _request(
        self,
        operation: str,
        number: str,
        ctx: CallContext,
        **subject: str | date | int | None,
    ) -> soap.SoapRequest:
        return soap.SoapRequest(
            operation=operation,
            request_id=ctx.request_id,
            purpose_code=ctx.purpose_code,
            integration_code=self.config.integration_code,
            officer_id=ctx.officer_id,
            agency_code=ctx.agency_code,
            number=number,
            **subject,  # type: ignore[arg-type]
        )

    # ------------------------------------------------------------ the resilience stack

    async def _call(
        self, request: soap.SoapRequest, ctx: CallContext, parse: Callable[[bytes], _T]
    ) -> _T:
        call = _Call(
            operation=request.operation,
            body=soap.build_request(request, self.config.request_suffix),
            ctx=ctx,
            deadline=Deadline(self._clock, _overall_deadline_s(self.config.deadline_s, ctx)),
            parse=parse,
        )
        retrying = self._retry.retrying(
            self._clock, call.deadline, self._budget, lambda state: self._report_retry(call, state)
        )
        try:
            result = cast(_T, await retrying(self._attempt, call))
        except NgspError as exc:
            self._observer.on_attempt(call.operation, call.attempt, _outcome(exc), None)
            raise
        outcome = "not_found" if result is None else "ok"
        self._observer.on_attempt(call.operation, call.attempt, outcome, None)
        return result

    def _report_retry(self, call: _Call[_T], state: RetryCallState) -> None:
        failure = state.outcome.exception() if state.outcome is not None else None
        outcome = _outcome(failure) if isinstance(failure, NgspError) else "error"
        self._observer.on_attempt(call.operation, call.attempt, outcome, state.upcoming_sleep)

    async def _attempt(self, call: _Call[_T]) -> _T:
        call.attempt += 1
        with _tracer.start_as_current_span(
            "ngsp.attempt",
            kind=trace.SpanKind.CLIENT,
            attributes={"lgsp.ngsp.operation": call.operation, "lgsp.ngsp.attempt": call.attempt},
            record_exception=False,  # exception messages are ours, but keep spans to codes
        ) as span:
            try:
                result = await self._guarded_attempt(call)
            except NgspError as exc:
                span.set_attribute("lgsp.ngsp.outcome", _outcome(exc))
                span.set_status(trace.StatusCode.ERROR, exc.code)
                raise
            span.set_attribute("lgsp.ngsp.outcome", "not_found" if result is None else "ok")
            return result

    async def _guarded_attempt(self, call: _Call[_T]) -> _T:
        timeout = min(self.config.attempt_timeout_s, call.deadline.remaining())
        if timeout <= 0:
            raise DeadlineExceeded("no time left for an attempt")
        with self._breaker.guard():
            if call.attempt == 1:
                self._budget.record_request()
            content = await self._timed_exchange(call, limit_s=timeout)
            return _parsed(call.parse, content)

    async def _timed_exchange(self, call: _Call[_T], *, limit_s: float) -> bytes:
        started = self._clock.now()
        try:
            async with self._clock.timeout(limit_s):
                return await self._authorized_exchange(call, limit_s=limit_s)
        except TimeoutError as exc:
            raise UpstreamTimeout(f"{call.operation} attempt exceeded {limit_s:.2f}s") from exc
        finally:
            call.ctx.upstream_ms += (self._clock.now() - started) * 1000

    async def _authorized_exchange(self, call: _Call[_T], *, limit_s: float) -> bytes:
        token = await self.tokens.get()
        response = await self._post(call, token, limit_s=limit_s)
        if response.status_code == 401:  # revoked or expired early: refresh once and replay
            self.tokens.invalidate(token)
            response = await self._post(call, await self.tokens.get(), limit_s=limit_s)
            if response.status_code == 401:
                raise UpstreamAuthError("NGSP rejected a freshly issued token")
        return _content_or_raise(response)

    async def _post(self, call: _Call[_T], token: str, *, limit_s: float) -> HttpAnswer:
        call.ctx.attempts += 1
        try:
            return await post(
                self._http, self.config.population_url, call.body, _headers(call, token), limit_s
            )
        except httpx.TimeoutException as exc:
            raise UpstreamTimeout(f"{call.operation} attempt timed out") from exc
        except httpx.TransportError as exc:
            reason = f"{call.operation} transport failure: {type(exc).__name__}"
            raise UpstreamConnectError(reason) from exc


def _overall_deadline_s(configured_s: float, ctx: CallContext) -> float:
    return configured_s if ctx.deadline_s is None else min(configured_s, ctx.deadline_s)


def _headers(call: _Call[_T], token: str) -> dict[str, str]:
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "text/xml; charset=utf-8",
        "SOAPAction": f'"{call.operation}"',
        **call.ctx.extra_headers,
    }
    if trace.get_current_span().is_recording():  # exported traces: the attempt span is the parent
        propagate.inject(headers)
    elif call.ctx.traceparent:
        headers["traceparent"] = call.ctx.traceparent
        if call.ctx.tracestate:
            headers["tracestate"] = call.ctx.tracestate
    return headers


def _outcome(exc: NgspError) -> str:
    status = getattr(exc, "status", None)
    return exc.code if status is None else f"{exc.code}_{status}"


def _content_or_raise(response: HttpAnswer) -> bytes:
    status = response.status_code
    if status == 200:
        return response.content
    if status == 500 and (fault := soap.parse_fault_if_any(response.content)) is not None:
        raise fault
    if status in _TRANSIENT_STATUSES:
        raise UpstreamHTTPError(status, _retry_after(response))
    raise UpstreamRejected(status)


def _retry_after(response: HttpAnswer, now: datetime | None = None) -> float | None:
    """Seconds to wait from ``Retry-After``: delay-seconds or an HTTP-date (RFC 9110 §10.2.3)."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if _DELAY_SECONDS.fullmatch(value):
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None  # unreadable: fall back to the backoff schedule
    if when.tzinfo is None:  # RFC 9110 dates are GMT; "-0000" parses as naive
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _parsed(parse: Callable[[bytes], _T], content: bytes) -> _T:
    try:
        return parse(content)
    except ValidationError as exc:
        # Never echo the values: they are personal data. Field locations are enough to debug.
        fields = sorted({".".join(str(p) for p in error["loc"]) for error in exc.errors()})
        reason = f"record does not fit the canonical model at {', '.join(fields)}"
        raise UpstreamRecordError(reason) from exc
