"""The worker on each store: every row verified once, outcomes checkpointed, failures bounded."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from gateway.jobs import (
    Deferral,
    JobState,
    JobStore,
    JobWorker,
    Outcome,
    WorkerConfig,
    open_job_store,
)
from tests.gateway.jobs.support import (
    FakeVerifier,
    all_results,
    eventually,
    expected_outcome,
    finished,
    holds,
    new_job,
)

FAST: dict[str, Any] = {
    "worker_id": "w1",
    "concurrency": 4,
    "flush_interval_s": 0.02,
    "idle_poll_s": 0.05,
    "retry_delay_s": 0.0,
}


@asynccontextmanager
async def running(
    store: JobStore,
    verifier: FakeVerifier,
    *,
    clock: Callable[[], float] = time.monotonic,
    **config: Any,
) -> AsyncIterator[JobWorker]:
    """A started worker with quick test timings (``config`` overrides them)."""
    worker = JobWorker(store, verifier, WorkerConfig(**(FAST | config)), clock=clock)
    await worker.start()
    try:
        yield worker
    finally:
        await worker.close()


async def assert_exact_results(store: JobStore, job_id: str, total: int) -> None:
    """One result per input row, in order, each the outcome its row should have."""
    results = await all_results(store, job_id)
    assert [r.ordinal for r in results] == list(range(1, total + 1))
    assert all(r.outcome is expected_outcome(r.ordinal) for r in results)
    job = await store.get(job_id)
    assert job is not None
    assert job.state is JobState.COMPLETED
    expected = Counter(expected_outcome(n) for n in range(1, total + 1))
    assert {o: job.counts.of(o) for o in expected} == dict(expected)
    assert job.counts.done == total


async def test_a_job_runs_to_completion_with_each_row_verified_once(store: JobStore) -> None:
    await new_job(store, "j1", 500)
    verifier = FakeVerifier()
    async with running(store, verifier):
        await finished(store, "j1")
    await assert_exact_results(store, "j1", 500)
    assert set(verifier.calls.values()) == {1}
    assert len(verifier.calls) == 500


async def test_a_transient_failure_is_tried_again(store: JobStore) -> None:
    await new_job(store, "j1", 3)
    verifier = FakeVerifier(deferrals={2: [Deferral("upstream_timeout", 0.0)]})
    async with running(store, verifier):
        await finished(store, "j1")
    await assert_exact_results(store, "j1", 3)
    assert verifier.calls["j1", 2] == 2


async def test_a_row_that_keeps_failing_ends_failed_after_max_attempts(store: JobStore) -> None:
    await new_job(store, "j1", 3)
    timeouts = [Deferral("upstream_timeout", 0.0) for _ in range(5)]
    verifier = FakeVerifier(deferrals={2: timeouts})
    async with running(store, verifier, max_attempts=3):
        job = await finished(store, "j1")
    assert verifier.calls["j1", 2] == 3
    assert job.counts.failed == 1
    results = {r.ordinal: r for r in await all_results(store, "j1")}
    assert (results[2].outcome, results[2].reason) == (Outcome.FAILED, "upstream_timeout")


async def test_a_pause_stops_claiming_until_it_ends(store: JobStore) -> None:
    """An open circuit (or a down audit trail) holds the whole worker, not just the row."""
    now = [1000.0]
    await new_job(store, "j1", 1)
    pause = Deferral("upstream_circuit_open", 60.0, pause_worker=True, counts_as_attempt=False)
    verifier = FakeVerifier(deferrals={1: [pause]})
    async with running(store, verifier, clock=lambda: now[0]) as worker:
        await eventually(lambda: _called(verifier, ("j1", 1)))
        await new_job(store, "j2", 3)
        worker.wake()

        async def still_queued() -> bool:
            job = await store.get("j2")
            return job is not None and job.state is JobState.QUEUED

        await holds(still_queued, for_s=0.3)
        now[0] += 61
        worker.wake()
        await finished(store, "j2")
    await assert_exact_results(store, "j2", 3)


async def _called(verifier: FakeVerifier, key: tuple[str, int]) -> bool:
    return verifier.calls[key] > 0


async def test_a_defect_in_the_verifier_fails_the_row_not_the_worker(store: JobStore) -> None:
    class Broken(FakeVerifier):
        async def verify(self, job_id, spec, row):  # type: ignore[no-untyped-def]
            if row.ordinal == 2:
                self.calls[job_id, row.ordinal] += 1
                raise RuntimeError("bug")
            return await super().verify(job_id, spec, row)

    await new_job(store, "j1", 3)
    async with running(store, Broken(), max_attempts=2):
        job = await finished(store, "j1")
    results = {r.ordinal: r for r in await all_results(store, "j1")}
    assert (results[2].outcome, results[2].reason) == (Outcome.FAILED, "internal_error")
    assert job.counts.done == 3


async def test_closing_gives_unfinished_rows_back_at_once(store: JobStore) -> None:
    """A replica shutting down hands its rows to the next worker without waiting for leases."""
    await new_job(store, "j1", 300)
    first = FakeVerifier(latency_s=0.002)
    async with running(store, first, lease_s=3600):

        async def some_done() -> bool:
            job = await store.get("j1")
            return job is not None and job.counts.done >= 40

        await eventually(some_done)
    second = FakeVerifier()
    async with running(store, second, lease_s=3600):
        await finished(store, "j1")
    await assert_exact_results(store, "j1", 300)
    assert not set(first.calls) & set(second.calls)  # no row verified by both


async def test_two_workers_on_postgresql_share_one_job_without_duplicates(
    postgres_jobs_dsn: str,
) -> None:
    stores = [open_job_store(postgres_jobs_dsn) for _ in range(2)]
    for store in stores:
        await store.open()
    try:
        await new_job(stores[0], "shared", 3000)
        verifiers = [FakeVerifier(latency_s=0.001), FakeVerifier(latency_s=0.001)]
        async with (
            running(stores[0], verifiers[0], claim_size=16),
            running(stores[1], verifiers[1], claim_size=16, worker_id="w2"),
        ):
            await finished(stores[0], "shared")
        await assert_exact_results(stores[0], "shared", 3000)
        one, two = (set(v.calls) for v in verifiers)
        assert one, "the first worker took part"
        assert two, "the second worker took part"
        assert not one & two, "no row was verified by both workers"
        assert len(one) + len(two) == 3000
        assert all(count == 1 for v in verifiers for count in v.calls.values())
    finally:
        for store in stores:
            await store.close()
