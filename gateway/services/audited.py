"""Run one personal-data operation so that its audit record is committed before any answer leaves.

:func:`run_audited` calls the operation, then records the outcome (success or failure) and waits
for the durable commit. If the trail cannot take the record, the caller gets 503 and *no data*:
the gateway fails closed (design §2 step 6, Decree 13/2023).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from adapters.ngsp import CallContext
from gateway.audit import Announcement, AuditEvent, AuditUnavailable, Disclosure
from gateway.errors import ClientClosedRequest, ServiceUnavailable
from gateway.logs import get_logger
from gateway.problems import as_gateway_error
from gateway.runtime import Runtime
from gateway.services.inquiry import Inquiry
from gateway.tracing import tracer

__all__ = ["Answer", "Call", "run_audited"]

_log = get_logger("gateway.audit")


@dataclass(frozen=True, slots=True)
class Answer:
    """What an operation produced: the JSON body, the field names it discloses, and about whom
    (see :mod:`gateway.services.disclosures`; the number asked is always recorded)."""

    body: bytes
    fields_returned: tuple[str, ...]
    outcome: str = "success"
    status: int = 200  # what the endpoint will answer, for the audit record (202 for a job)
    disclosed: tuple[Disclosure, ...] = ()


Call = Callable[[CallContext], Awaitable[Answer]]


def _failure(exc: Exception) -> tuple[str, int, str]:
    """(outcome, status, problem code) for an exception about to become a problem response:
    the same translation the problem handler answers with (:mod:`gateway.problems`)."""
    problem = as_gateway_error(exc)
    if isinstance(problem, ClientClosedRequest):
        return "abandoned", problem.status, problem.code  # the caller went away mid-call
    status = problem.status
    if status >= 500:
        return "error", status, problem.code
    return ("not_found" if status == 404 else "rejected"), status, problem.code


@dataclass(slots=True)
class _Scope:
    """One audited operation in flight: the inquiry, its NGSP call context, and what it cost."""

    inquiry: Inquiry
    runtime: Runtime
    ctx: CallContext
    started: float
    announced: Announcement

    async def record(
        self,
        outcome: str,
        status: int,
        problem_code: str | None,
        fields: tuple[str, ...],
        disclosed: tuple[Disclosure, ...] = (),
    ) -> None:
        context = self.inquiry.context
        context.upstream_attempts = self.ctx.attempts
        context.upstream_ms = round(self.ctx.upstream_ms, 3)
        audit_started = time.perf_counter()
        try:
            event = self._event(outcome, status, problem_code, fields, disclosed)
            with tracer.start_as_current_span("audit.commit"):
                await self.runtime.audit.record(event, self.announced)
        except AuditUnavailable as exc:
            _log.error("audit_unavailable", request_id=context.request_id, reason=str(exc))
            raise ServiceUnavailable(
                "audit_unavailable",
                "The audit trail cannot record this request, so no personal data is served.",
                retry_after=5,
            ) from exc
        finally:
            context.audit_ms = round((time.perf_counter() - audit_started) * 1000, 3)

    def _event(
        self,
        outcome: str,
        status: int,
        problem_code: str | None,
        fields: tuple[str, ...],
        disclosed: tuple[Disclosure, ...],
    ) -> AuditEvent:
        inquiry = self.inquiry
        return AuditEvent(
            occurred_at=datetime.now(UTC),
            request_id=inquiry.context.request_id,
            client_id=inquiry.client.client_id,
            agency_code=inquiry.client.agency_code,
            officer_id=inquiry.purpose.officer_id,
            purpose_code=inquiry.purpose.code,
            case_id=inquiry.purpose.case_id,
            operation=inquiry.operation,
            subject_number=inquiry.asked,
            outcome=outcome,
            status=status,
            problem_code=problem_code,
            upstream_attempts=self.ctx.attempts,
            latency_ms=round((time.perf_counter() - self.started) * 1000, 3),
            fields_returned=fields,
            trace_id=inquiry.context.trace.trace_id,
            disclosed=disclosed,
        )


def call_context(inquiry: Inquiry) -> CallContext:
    """What the NGSP call carries: request id, purpose, agency and the trace to continue."""
    trace = inquiry.context.trace
    return CallContext(
        request_id=inquiry.context.request_id,
        purpose_code=inquiry.purpose.code,
        officer_id=inquiry.purpose.officer_id,
        agency_code=inquiry.client.agency_code,
        traceparent=trace.child_traceparent(),
        tracestate=trace.state,
    )


async def run_audited(inquiry: Inquiry, runtime: Runtime, call: Call) -> Answer:
    """Run ``call`` and commit its audit record, success or failure, before returning or raising."""
    announced = runtime.audit.announce()  # lets the trail batch this record with others
    scope = _Scope(inquiry, runtime, call_context(inquiry), time.perf_counter(), announced)
    try:
        try:
            answer = await call(scope.ctx)
        except Exception as exc:
            await scope.record(*_failure(exc), fields=())
            raise
        await scope.record(
            answer.outcome, answer.status, None, answer.fields_returned, answer.disclosed
        )
        return answer
    finally:
        announced.withdraw()  # idempotent; matters when cancelled before recording
