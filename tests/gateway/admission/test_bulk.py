"""Bulk-job rows through admission control: a slot per row, or the worker backs off."""

from __future__ import annotations

from gateway.admission import Admission, AdmissionController, AdmittedRowVerifier
from gateway.jobs import Deferral, JobSpec, Outcome, RowInput, Verdict

SPEC = JobSpec("demo-portal", None, "1.001612", "officer-17")
ROW = RowInput(1, "054092000123")


class CountingVerifier:
    def __init__(self) -> None:
        self.rows = 0

    async def verify(self, job_id: str, spec: JobSpec, row: RowInput) -> Verdict | Deferral:
        self.rows += 1
        return Verdict(Outcome.MATCHED)


def admission(limit: int) -> Admission:
    return Admission(AdmissionController(limit, queue_max=4), 0.5, 1, 10.0, 30.0)


async def test_a_row_runs_in_a_bulk_slot_and_gives_it_back() -> None:
    gate, inner = admission(limit=2), CountingVerifier()
    verdict = await AdmittedRowVerifier(inner, gate).verify("job", SPEC, ROW)
    assert verdict == Verdict(Outcome.MATCHED)
    assert inner.rows == 1
    assert gate.controller.inflight == 0


async def test_a_row_is_deferred_and_the_worker_paused_while_the_gateway_is_full() -> None:
    """Nothing is sent, the pause stops further claims, and the try is not held against the row."""
    gate, inner = admission(limit=2), CountingVerifier()
    await gate.controller.acquire("portal", 1.0, wait_s=0.0)
    await gate.controller.acquire("portal", 1.0, wait_s=0.0)
    answer = await AdmittedRowVerifier(inner, gate).verify("job", SPEC, ROW)
    assert isinstance(answer, Deferral)
    assert answer.reason == "overloaded"
    assert answer.pause_worker
    assert not answer.counts_as_attempt
    assert inner.rows == 0
