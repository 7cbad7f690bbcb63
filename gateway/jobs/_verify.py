"""Verifying one register row against the national database, audited like a single look-up.

Which national operation answers a row depends on the details it gives (docs/jobs.md):

1. name **and** birth date (or year), sex optional: the verify operation
   (``XacThucThongTinCongDan``) can judge it and answers only ``TonTai`` true/false, disclosing
   nothing; in a register being cleaned most rows match, so most rows cost one call. Only when
   the national side does not confirm the row does a look-up (``TraCuuThongTinCongDan``) tell
   ``not_found`` from ``mismatched`` and name the details that differ;
2. any other subset (only a name, only a birth date, only sex, name and sex, birth date and sex):
   the verify operation refuses it (it needs both name and birth date), so one look-up, compared
   in the gateway by the same rule as the interactive verify (``gateway.services.matching``);
3. only a number: a pure existence check, one look-up.

A looked-up record is compared in memory and dropped, never stored or returned. Names are compared
under the ``exact`` strategy (docs/matching.md).

Every upstream call takes a slot from the job pacer (the configured upstream rate). The row's
audit record (operation ``verify_batch``, the job's client, officer and purpose, the number as a
keyed hash, no fields returned) is committed before its outcome is handed back; when the trail
cannot record, the row is deferred and the worker pauses: nothing is reported unaudited.

Adapter failures: an open circuit or refused credentials pause the worker (every row would fail
the same way); link failures the retry policy could not mend defer the row for another attempt;
anything else the national side refuses fails the row with the error's code.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Protocol

from adapters.ngsp import CallContext, CircuitOpen, NgspError, UpstreamAuthError
from contracts.models import Citizen, Sex
from gateway.audit import AuditEvent, AuditUnavailable, Disclosure
from gateway.errors import ngsp_status
from gateway.jobs._model import Deferral, JobSpec, Outcome, RowInput, Verdict
from gateway.jobs._pacer import Pacer
from gateway.services.matching import Details, FieldResult, Strategy, compare_details
from gateway.tracing import tracer

__all__ = [
    "AUDIT_OPERATION",
    "AuditSink",
    "NgspRowVerifier",
    "PopulationLink",
    "differences",
    "explain",
]


AUDIT_OPERATION = "verify_batch"
_AUTH_PAUSE_S = 30.0
_AUDIT_PAUSE_S = 5.0
_RETRY_DELAY_S = 5.0
_TRANSIENT_CODES = frozenset({"upstream_deadline_exceeded", "upstream_retry_budget_exhausted"})
_AUDIT_OUTCOMES = {"matched": "success", "mismatched": "mismatch", "not_found": "not_found"}
_AUDIT_STATUS = {"not_found": (404, "citizen_not_found")}
_ABSENT = Verdict(Outcome.NOT_FOUND)
_MATCHED = Verdict(Outcome.MATCHED)


class PopulationLink(Protocol):
    """The two adapter calls a job needs (``adapters.ngsp.NgspClient`` has them)."""

    async def lookup_citizen(self, number: str, ctx: CallContext) -> Citizen | None: ...

    async def verify_citizen(
        self,
        number: str,
        ctx: CallContext,
        *,
        full_name: str | None = None,
        birth_date: date | None = None,
        birth_year: int | None = None,
        sex: int | None = None,
    ) -> bool: ...


class AuditSink(Protocol):
    async def record(self, event: AuditEvent) -> None: ...


@dataclass(slots=True)
class _Calls:
    """The upstream calls of one row: their contexts (ids sent as MaYeuCau) and what they cost."""

    job_id: str
    spec: JobSpec
    row: RowInput
    contexts: list[CallContext]
    citizen: Citizen | None = None  # the record a look-up returned (compared, then dropped)

    def context(self, suffix: str) -> CallContext:
        ctx = CallContext(
            request_id=f"{self.job_id}.{self.row.ordinal}.{suffix}",
            purpose_code=self.spec.purpose_code,
            officer_id=self.spec.officer_id,
            agency_code=self.spec.agency_code,
        )
        self.contexts.append(ctx)
        return ctx

    @property
    def attempts(self) -> int:
        return sum(ctx.attempts for ctx in self.contexts)


_REASONS = {
    "full_name": "full_name_mismatch",
    "date_of_birth": "birth_date_mismatch",
    "sex": "sex_mismatch",
}
_SEXES = {1: Sex.MALE, 2: Sex.FEMALE}


def _details(row: RowInput) -> Details:
    birth = row.birth_date.isoformat() if row.birth_date else None
    if birth is None and row.birth_year is not None:
        birth = str(row.birth_year)
    sex = None if row.sex is None else _SEXES.get(row.sex, Sex.UNKNOWN)
    return Details(row.full_name, birth, sex)


def differences(row: RowInput, citizen: Citizen) -> list[str]:
    """The reason codes of the given details that differ from the record, in column order."""
    fields = compare_details(_details(row), citizen, Strategy.EXACT).model_dump()
    return [_REASONS[name] for name, verdict in fields.items() if verdict == FieldResult.MISMATCH]


def explain(row: RowInput, citizen: Citizen) -> str:
    """Why the national side did not confirm a row: the differing details, or ``not_confirmed``."""
    return "+".join(differences(row, citizen)) or "not_confirmed"


def _national_verify_can_answer(row: RowInput) -> bool:
    """XacThucThongTinCongDan needs HoVaTen and NgayThangNamSinh; sex is optional."""
    has_birth = row.birth_date is not None or row.birth_year is not None
    return row.full_name is not None and has_birth


class NgspRowVerifier:
    """The worker's :class:`~gateway.jobs.RowVerifier` on the real adapter and audit trail."""

    def __init__(self, link: PopulationLink, audit: AuditSink, pacer: Pacer) -> None:
        self._link = link
        self._audit = audit
        self._pacer = pacer

    async def verify(self, job_id: str, spec: JobSpec, row: RowInput) -> Verdict | Deferral:
        # Rows run in the worker, long after the submitting request: each row is a trace of its
        # own, naming the submission's trace id so operators can go from one to the other.
        attributes = {"lgsp.job_id": job_id, "lgsp.submission_trace_id": spec.trace_id or ""}
        with tracer.start_as_current_span("jobs.row", attributes=attributes) as span:
            result = await self._verify(job_id, spec, row)
            if isinstance(result, Verdict):
                span.set_attribute("lgsp.job_row_outcome", str(result.outcome))
            return result

    async def _verify(self, job_id: str, spec: JobSpec, row: RowInput) -> Verdict | Deferral:
        calls = _Calls(job_id, spec, row, [])
        started = time.perf_counter()
        try:
            verdict = await self._ask(calls)
        except NgspError as exc:
            return await self._failed(calls, exc, started)
        status, problem = _AUDIT_STATUS.get(verdict.outcome, (200, None))
        disclosed = _disclosed(calls, verdict)
        deferral = await self._record(
            calls, verdict.outcome, status, problem, started, disclosed=disclosed
        )
        return deferral or verdict

    async def _ask(self, calls: _Calls) -> Verdict:
        row = calls.row
        if _national_verify_can_answer(row):
            if await self._confirmed(calls):
                return Verdict(Outcome.MATCHED)
            citizen = await self._look_up(calls)
            return Verdict(Outcome.MISMATCHED, explain(row, citizen)) if citizen else _ABSENT
        citizen = await self._look_up(calls)
        if citizen is None:
            return _ABSENT
        if not _details(row).given:
            return Verdict(Outcome.MATCHED, "number_only")
        differing = differences(row, citizen)
        return Verdict(Outcome.MISMATCHED, "+".join(differing)) if differing else _MATCHED

    async def _confirmed(self, calls: _Calls) -> bool:
        row = calls.row
        await self._pacer.acquire()
        return await self._link.verify_citizen(
            row.number,
            calls.context("v"),
            full_name=row.full_name,
            birth_date=row.birth_date,
            birth_year=row.birth_year,
            sex=row.sex,
        )

    async def _look_up(self, calls: _Calls) -> Citizen | None:
        """The record, kept on ``calls`` so the audit record can name whom it disclosed."""
        await self._pacer.acquire()
        calls.citizen = await self._link.lookup_citizen(calls.row.number, calls.context("l"))
        return calls.citizen

    async def _failed(self, calls: _Calls, exc: NgspError, started: float) -> Verdict | Deferral:
        if calls.attempts:  # the national side was asked: that is processing, so it is audited
            deferral = await self._record(calls, "error", ngsp_status(exc)[0], exc.code, started)
            if deferral is not None:
                return deferral
        if isinstance(exc, CircuitOpen):
            return Deferral(exc.code, exc.retry_after, pause_worker=True, counts_as_attempt=False)
        if isinstance(exc, UpstreamAuthError):
            return Deferral(exc.code, _AUTH_PAUSE_S, pause_worker=True, counts_as_attempt=False)
        if exc.retryable or exc.code in _TRANSIENT_CODES:
            return Deferral(exc.code, _RETRY_DELAY_S)
        return Verdict(Outcome.FAILED, exc.code)

    async def _record(
        self,
        calls: _Calls,
        outcome: str,
        status: int,
        problem: str | None,
        started: float,
        *,
        disclosed: tuple[Disclosure, ...] = (),
    ) -> Deferral | None:
        """Commit the row's audit record; a deferral (and a pause) if the trail cannot."""
        try:
            event = _event(calls, outcome, status, problem, started, disclosed=disclosed)
            await self._audit.record(event)
        except AuditUnavailable:
            return Deferral("audit_unavailable", _AUDIT_PAUSE_S, True, counts_as_attempt=False)
        return None


def _disclosed(calls: _Calls, verdict: Verdict) -> tuple[Disclosure, ...]:
    """The row's person under every number known (the one given; both once a look-up ran), with
    the verdict on each detail given: confirming or denying a detail discloses it."""
    if verdict.outcome not in (Outcome.MATCHED, Outcome.MISMATCHED):
        return ()  # not found: the number given alone, which the record always names
    row, citizen = calls.row, calls.citizen
    differing = verdict.reason.split("+") if verdict.outcome is Outcome.MISMATCHED else []
    fields = tuple(
        f"{name}:{'mismatch' if f'{name}_mismatch' in differing else 'match'}"
        for name in _details_given(row)
    )
    known = [row.number, *([] if citizen is None else [citizen.personal_id, citizen.cmnd])]
    numbers = dict.fromkeys(n for n in known if n)
    return tuple(Disclosure(n, "subject", fields or ("existence:confirmed",)) for n in numbers)


def _details_given(row: RowInput) -> list[str]:
    given = {
        "full_name": row.full_name,
        "birth_date": row.birth_date or row.birth_year,
        "sex": row.sex,
    }
    return [name for name, value in given.items() if value is not None]


def _event(
    calls: _Calls,
    outcome: str,
    status: int,
    problem: str | None,
    started: float,
    *,
    disclosed: tuple[Disclosure, ...],
) -> AuditEvent:
    spec = calls.spec
    return AuditEvent(
        occurred_at=datetime.now(UTC),
        request_id=f"{calls.job_id}.{calls.row.ordinal}",
        client_id=spec.client_id,
        agency_code=spec.agency_code,
        officer_id=spec.officer_id,
        purpose_code=spec.purpose_code,
        case_id=spec.case_id,
        operation=AUDIT_OPERATION,
        subject_number=calls.row.number,
        outcome=_AUDIT_OUTCOMES.get(outcome, outcome),
        status=status,
        problem_code=problem,
        upstream_attempts=calls.attempts,
        latency_ms=round((time.perf_counter() - started) * 1000, 3),
        fields_returned=(),
        trace_id=spec.trace_id,
        disclosed=disclosed,
    )
