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

from fastapi import Request

from adapters.ngsp import CallContext, NgspError
from gateway.api.deps import Purpose
from gateway.audit import Announcement, AuditEvent, AuditUnavailable, Disclosure
from gateway.errors import ClientClosedRequest, GatewayError, ServiceUnavailable, ngsp_status
from gateway.logs import get_logger
from gateway.observability.tracing import tracer
from gateway.runtime import Runtime
from gateway.security.clients import ClientRecord

__all__ = ["Answer", "run_audited"]

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


def _failure(exc: Exception) -> tuple[str, int, str]:
    """(outcome, status, problem code) for an exception about to become a problem response."""
    if isinstance(exc, ClientClosedRequest):
        return "abandoned", exc.status, exc.code  # the caller went away mid-call
    if isinstance(exc, GatewayError):
        outcome = "not_found" if exc.status == 404 else "rejected" if exc.status < 500 else "error"
        return outcome, exc.status, exc.code
    if isinstance(exc, NgspError):
        return "error", ngsp_status(exc)[0], exc.code
    return "error", 500, "internal_error"


@dataclass(slots=True)
class _Scope:
    """One audited operation in flight: who, why, on whom, and what the call cost."""

    request: Request
    runtime: Runtime
    client: ClientRecord
    purpose: Purpose
    operation: str
    subject: str | None
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
        state = self.request.state
        state.upstream_attempts = self.ctx.attempts
        state.upstream_ms = round(self.ctx.upstream_ms, 3)
        audit_started = time.perf_counter()
        try:
            event = self._event(outcome, status, problem_code, fields, disclosed)
            with tracer.start_as_current_span("audit.commit"):
                await self.runtime.audit.record(event, self.announced)
        except AuditUnavailable as exc:
            _log.error("audit_unavailable", request_id=state.request_id, reason=str(exc))
            raise ServiceUnavailable(
                "audit_unavailable",
                "The audit trail cannot record this request, so no personal data is served.",
                retry_after=5,
            ) from exc
        finally:
            state.audit_ms = round((time.perf_counter() - audit_started) * 1000, 3)

    def _event(
        self,
        outcome: str,
        status: int,
        problem_code: str | None,
        fields: tuple[str, ...],
        disclosed: tuple[Disclosure, ...],
    ) -> AuditEvent:
        state = self.request.state
        return AuditEvent(
            occurred_at=datetime.now(UTC),
            request_id=state.request_id,
            client_id=self.client.client_id,
            agency_code=self.client.agency_code,
            officer_id=self.purpose.officer_id,
            purpose_code=self.purpose.code,
            case_id=self.purpose.case_id,
            operation=self.operation,
            subject_number=self.subject,
            outcome=outcome,
            status=status,
            problem_code=problem_code,
            upstream_attempts=self.ctx.attempts,
            latency_ms=round((time.perf_counter() - self.started) * 1000, 3),
            fields_returned=fields,
            trace_id=state.trace.trace_id,
            disclosed=disclosed,
        )


async def run_audited(
    request: Request,
    runtime: Runtime,
    *,
    client: ClientRecord,
    purpose: Purpose,
    operation: str,
    subject: str | None,
    call: Callable[[CallContext], Awaitable[Answer]],
) -> Answer:
    """Run ``call`` and commit its audit record, success or failure, before returning or raising."""
    ctx = CallContext(
        request_id=request.state.request_id,
        purpose_code=purpose.code,
        officer_id=purpose.officer_id,
        agency_code=client.agency_code,
        traceparent=request.state.trace.child_traceparent(),
        tracestate=request.state.trace.state,
    )
    announced = runtime.audit.announce()  # lets the trail batch this record with others
    scope = _Scope(
        request, runtime, client, purpose, operation, subject, ctx, time.perf_counter(), announced
    )
    try:
        try:
            answer = await call(ctx)
        except Exception as exc:
            await scope.record(*_failure(exc), fields=())
            raise
        await scope.record(
            answer.outcome, answer.status, None, answer.fields_returned, answer.disclosed
        )
        return answer
    finally:
        announced.withdraw()  # idempotent; matters when cancelled before recording
