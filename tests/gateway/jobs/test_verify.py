"""Verifying one row through the adapter: which calls, which outcome, which audit record."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest

from adapters.ngsp import CallContext, CircuitOpen, NgspError, UpstreamFault, UpstreamTimeout
from contracts.models import Citizen, Sex
from gateway.audit import AuditEvent, AuditUnavailable
from gateway.jobs import Deferral, NgspRowVerifier, Outcome, Pacer, RowInput, Verdict, explain
from tests.gateway.jobs.support import SPEC

NUMBER = "054092000123"
AN = Citizen(
    personal_id=NUMBER, full_name="Nguyễn Văn An", sex=Sex.MALE, date_of_birth="1992-11-22"
)
FULL_ROW = RowInput(5, NUMBER, "NGUYỄN  văn an", date(1992, 11, 22), None, 1)


@dataclass
class FakeLink:
    people: dict[str, Citizen] = field(default_factory=lambda: {NUMBER: AN})
    confirms: bool = True
    error: NgspError | None = None
    calls: list[tuple[str, CallContext, dict[str, Any]]] = field(default_factory=list)

    async def _answer(self, operation: str, ctx: CallContext, details: dict[str, Any]) -> None:
        self.calls.append((operation, ctx, details))
        if isinstance(self.error, CircuitOpen):
            raise self.error
        ctx.attempts += 1
        if self.error is not None:
            raise self.error

    async def verify_citizen(self, number: str, ctx: CallContext, **details: Any) -> bool:
        await self._answer("verify", ctx, details)
        return self.confirms

    async def lookup_citizen(self, number: str, ctx: CallContext) -> Citizen | None:
        await self._answer("lookup", ctx, {})
        return self.people.get(number)


@dataclass
class FakeAudit:
    down: bool = False
    events: list[AuditEvent] = field(default_factory=list)

    async def record(self, event: AuditEvent) -> None:
        if self.down:
            raise AuditUnavailable("store_error", "disk full")
        self.events.append(event)


class CountingPacer(Pacer):
    def __init__(self) -> None:
        super().__init__(1e9)
        self.slots = 0

    async def acquire(self) -> None:
        self.slots += 1


async def verify(
    link: FakeLink, row: RowInput = FULL_ROW, audit: FakeAudit | None = None
) -> tuple[Verdict | Deferral, FakeAudit, int]:
    audit = audit or FakeAudit()
    pacer = CountingPacer()
    answer = await NgspRowVerifier(link, audit, pacer).verify("job1", SPEC, row)
    return answer, audit, pacer.slots


async def test_a_confirmed_row_costs_one_verify_call() -> None:
    link = FakeLink(confirms=True)
    answer, _audit, slots = await verify(link)
    assert answer == Verdict(Outcome.MATCHED)
    assert [(op, d) for op, _, d in link.calls] == [
        (
            "verify",
            {
                "full_name": "NGUYỄN  văn an",
                "birth_date": date(1992, 11, 22),
                "birth_year": None,
                "sex": 1,
            },
        )
    ]
    assert slots == 1


async def test_the_row_is_audited_under_the_jobs_purpose() -> None:
    _, audit, _ = await verify(FakeLink(confirms=True))
    [event] = audit.events
    assert (event.operation, event.outcome, event.status) == ("verify_batch", "success", 200)
    assert (event.client_id, event.officer_id, event.purpose_code, event.case_id) == (
        SPEC.client_id,
        SPEC.officer_id,
        SPEC.purpose_code,
        SPEC.case_id,
    )
    assert event.subject_number == NUMBER
    assert event.request_id == "job1.5"
    assert event.upstream_attempts == 1
    assert event.fields_returned == ()


async def test_an_unconfirmed_row_is_looked_up_to_tell_why() -> None:
    link = FakeLink(confirms=False)
    row = RowInput(5, NUMBER, "Nguyễn Văn Ân", date(1992, 11, 23), None, 2)
    answer, audit, slots = await verify(link, row)
    assert answer == Verdict(
        Outcome.MISMATCHED, "full_name_mismatch+birth_date_mismatch+sex_mismatch"
    )
    assert [op for op, _, _ in link.calls] == ["verify", "lookup"]
    assert [ctx.request_id for _, ctx, _ in link.calls] == ["job1.5.v", "job1.5.l"]
    assert slots == 2
    [event] = audit.events
    assert (event.outcome, event.upstream_attempts) == ("mismatch", 2)


async def test_an_unknown_number_is_not_found() -> None:
    answer, audit, _ = await verify(FakeLink(people={}, confirms=False))
    assert answer == Verdict(Outcome.NOT_FOUND)
    [event] = audit.events
    assert (event.outcome, event.status, event.problem_code) == (
        "not_found",
        404,
        "citizen_not_found",
    )


async def test_a_number_only_row_is_one_existence_look_up() -> None:
    link = FakeLink()
    answer, _, slots = await verify(link, RowInput(1, NUMBER))
    assert answer == Verdict(Outcome.MATCHED, "number_only")
    assert [op for op, _, _ in link.calls] == ["lookup"]
    assert slots == 1


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        pytest.param(RowInput(1, NUMBER, "nguyễn văn an"), "not_confirmed", id="same-but-refused"),
        pytest.param(RowInput(1, NUMBER, "Nguyen Van An"), "full_name_mismatch", id="no-accents"),
        pytest.param(RowInput(1, NUMBER, birth_year=1992), "not_confirmed", id="year-agrees"),
        pytest.param(RowInput(1, NUMBER, birth_year=1993), "birth_date_mismatch", id="year"),
        pytest.param(RowInput(1, NUMBER, sex=2), "sex_mismatch", id="sex"),
    ],
)
def test_explain_names_the_differing_details(row: RowInput, reason: str) -> None:
    assert explain(row, AN) == reason


NAME, BORN = "NGUYỄN VĂN AN", date(1992, 11, 22)


@pytest.mark.parametrize(
    ("row", "calls", "verdict"),
    [
        pytest.param(
            RowInput(1, NUMBER, NAME, BORN), ["verify"], Verdict(Outcome.MATCHED), id="name+date"
        ),
        pytest.param(
            RowInput(1, NUMBER, NAME, birth_year=1992, sex=1),
            ["verify"],
            Verdict(Outcome.MATCHED),
            id="name+year+sex",
        ),
        pytest.param(RowInput(1, NUMBER, NAME), ["lookup"], Verdict(Outcome.MATCHED), id="name"),
        pytest.param(
            RowInput(1, NUMBER, birth_date=BORN), ["lookup"], Verdict(Outcome.MATCHED), id="date"
        ),
        pytest.param(
            RowInput(1, NUMBER, birth_year=1992), ["lookup"], Verdict(Outcome.MATCHED), id="year"
        ),
        pytest.param(RowInput(1, NUMBER, sex=1), ["lookup"], Verdict(Outcome.MATCHED), id="sex"),
        pytest.param(
            RowInput(1, NUMBER, NAME, sex=2),
            ["lookup"],
            Verdict(Outcome.MISMATCHED, "sex_mismatch"),
            id="name+sex",
        ),
        pytest.param(
            RowInput(1, NUMBER, "Nguyễn Văn Ân", birth_year=1993, sex=1),
            ["verify", "lookup"],
            Verdict(Outcome.MISMATCHED, "full_name_mismatch+birth_date_mismatch"),
            id="name+year+sex-two-differ",
        ),
        pytest.param(
            RowInput(1, NUMBER, birth_date=date(1992, 11, 23), sex=1),
            ["lookup"],
            Verdict(Outcome.MISMATCHED, "birth_date_mismatch"),
            id="date+sex",
        ),
    ],
)
async def test_each_subset_of_details_goes_to_the_operation_that_can_judge_it(
    row: RowInput, calls: list[str], verdict: Verdict
) -> None:
    """XacThucThongTinCongDan needs name and birth date; any other subset is one look-up."""
    link = FakeLink(confirms=verdict.outcome is Outcome.MATCHED)
    answer, audit, slots = await verify(link, row)
    assert (answer, [op for op, _, _ in link.calls], slots) == (verdict, calls, len(calls))
    [event] = audit.events
    assert (event.operation, event.fields_returned) == ("verify_batch", ())
    assert event.upstream_attempts == len(calls)


async def test_an_audit_trail_that_cannot_record_defers_the_row_and_pauses() -> None:
    """Nothing is reported unaudited: the row waits, and so does the worker."""
    answer, _, _ = await verify(FakeLink(), audit=FakeAudit(down=True))
    assert isinstance(answer, Deferral)
    assert (answer.reason, answer.pause_worker, answer.counts_as_attempt) == (
        "audit_unavailable",
        True,
        False,
    )


async def test_an_open_circuit_pauses_without_an_audit_record() -> None:
    """Nothing reached the national side, so there is no processing to record."""
    answer, audit, _ = await verify(FakeLink(error=CircuitOpen(12.0)))
    assert answer == Deferral(
        "upstream_circuit_open", 12.0, pause_worker=True, counts_as_attempt=False
    )
    assert audit.events == []


async def test_a_link_failure_is_audited_and_the_row_deferred() -> None:
    answer, audit, _ = await verify(FakeLink(error=UpstreamTimeout("slow")))
    assert isinstance(answer, Deferral)
    assert (answer.reason, answer.pause_worker, answer.counts_as_attempt) == (
        "upstream_timeout",
        False,
        True,
    )
    [event] = audit.events
    assert (event.outcome, event.status, event.problem_code) == ("error", 504, "upstream_timeout")


async def test_a_refused_request_fails_the_row() -> None:
    fault = UpstreamFault("Client", "302", "DATA_TYPE_INVALID")
    answer, audit, _ = await verify(FakeLink(error=fault))
    assert answer == Verdict(Outcome.FAILED, "upstream_fault")
    assert [e.outcome for e in audit.events] == ["error"]


async def test_a_row_discloses_the_person_under_every_number_with_its_verdicts() -> None:
    """Asked by CMND, the looked-up record's personal id is named too; so is each detail judged."""
    cmnd = "221234567"
    link = FakeLink(people={cmnd: AN.model_copy(update={"cmnd": cmnd})}, confirms=False)
    row = RowInput(5, cmnd, "Nguyễn Văn Ân", None, 1992, None)
    _, audit, _ = await verify(link, row)
    [event] = audit.events
    assert [(d.number, d.role) for d in event.disclosed] == [(cmnd, "subject"), (NUMBER, "subject")]
    assert event.disclosed[0].fields == ("full_name:mismatch", "birth_date:match")


async def test_a_confirmed_row_discloses_only_the_number_given() -> None:
    """The national verify names no other number: nothing is looked up just to learn one."""
    _, audit, _ = await verify(FakeLink(confirms=True))
    [event] = audit.events
    assert [d.number for d in event.disclosed] == [NUMBER]
    assert event.disclosed[0].fields == ("full_name:match", "birth_date:match", "sex:match")
