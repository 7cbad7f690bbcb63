"""The job store contract, on SQLite and on PostgreSQL: the guarantees the worker relies on."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from gateway.jobs import (
    Completion,
    JobConfigError,
    JobState,
    JobStore,
    Outcome,
    RowResult,
    open_job_store,
)
from tests.gateway.jobs.support import SPEC, all_results, inputs, new_job, numbered

LATER = datetime.now(UTC) + timedelta(hours=1)
EARLIER = datetime.now(UTC) - timedelta(hours=1)


async def test_a_job_receives_its_rows_then_is_queued(store: JobStore) -> None:
    receiving = await store.create_job("j1", SPEC)
    assert receiving.state is JobState.RECEIVING
    bad = RowResult(3, "12345", Outcome.INVALID, "number_length")
    await store.add_rows("j1", inputs(1, 2), [bad])
    queued = await store.seal("j1")
    assert queued.state is JobState.QUEUED
    assert (queued.counts.total, queued.counts.invalid, queued.counts.done) == (3, 1, 1)
    assert queued.spec == SPEC
    assert await all_results(store, "j1") == [bad]


async def test_a_job_of_only_invalid_rows_is_completed_when_sealed(store: JobStore) -> None:
    await store.create_job("j1", SPEC)
    await store.add_rows("j1", [], [RowResult(1, "x", Outcome.INVALID, "number_not_digits")])
    job = await store.seal("j1")
    assert job.state is JobState.COMPLETED
    assert job.finished_at is not None


async def test_a_job_still_receiving_is_never_claimed(store: JobStore) -> None:
    await store.create_job("j1", SPEC)
    await store.add_rows("j1", inputs(1, 5), [])
    assert await store.claim(limit=10, lease_s=30) is None


async def test_claims_lease_rows_in_order_and_start_the_job(store: JobStore) -> None:
    await new_job(store, "j1", 3)
    first = await store.claim(limit=2, lease_s=30)
    second = await store.claim(limit=2, lease_s=30)
    assert first is not None
    assert second is not None
    assert [r.ordinal for r in first.rows] == [1, 2]
    assert [r.ordinal for r in second.rows] == [3]
    assert first.claim_id != second.claim_id
    assert first.rows[0].number == numbered(1)
    assert first.rows[0].full_name == "Người 1"
    assert first.spec == SPEC
    assert await store.claim(limit=2, lease_s=30) is None  # every row is leased
    job = await store.get("j1")
    assert job is not None
    assert job.state is JobState.RUNNING
    assert job.started_at is not None


async def test_the_oldest_active_job_is_served_first(store: JobStore) -> None:
    await new_job(store, "older", 2)
    await new_job(store, "newer", 2)
    claim = await store.claim(limit=10, lease_s=30)
    assert claim is not None
    assert claim.job_id == "older"


async def test_completions_move_rows_to_results_and_finish_the_job(store: JobStore) -> None:
    await new_job(store, "j1", 3)
    claim = await store.claim(limit=3, lease_s=30)
    assert claim is not None
    outcomes = [Outcome.MATCHED, Outcome.MISMATCHED, Outcome.NOT_FOUND]
    reasons = ["", "sex_mismatch", ""]
    done = [
        Completion(claim.key(row), outcome, reason)
        for row, outcome, reason in zip(claim.rows, outcomes, reasons, strict=True)
    ]
    assert await store.complete(done[:2]) == 2
    running = await store.get("j1")
    assert running is not None
    assert running.state is JobState.RUNNING
    assert await store.complete(done[2:]) == 1
    job = await store.get("j1")
    assert job is not None
    assert job.state is JobState.COMPLETED
    assert job.finished_at is not None
    counts = job.counts
    assert (counts.matched, counts.mismatched, counts.not_found, counts.done) == (1, 1, 1, 3)
    assert await all_results(store, "j1") == [
        RowResult(1, numbered(1), Outcome.MATCHED),
        RowResult(2, numbered(2), Outcome.MISMATCHED, "sex_mismatch"),
        RowResult(3, numbered(3), Outcome.NOT_FOUND),
    ]


async def test_a_lapsed_lease_passes_the_row_on_and_fences_the_old_claim(
    store: JobStore,
) -> None:
    """The worker that lost its lease cannot store a result: each row is reported once."""
    await new_job(store, "j1", 2)
    stale = await store.claim(limit=2, lease_s=0)
    fresh = await store.claim(limit=2, lease_s=30)
    assert stale is not None
    assert fresh is not None
    assert [r.ordinal for r in fresh.rows] == [1, 2]
    late = [Completion(stale.key(r), Outcome.FAILED, "upstream_timeout") for r in stale.rows]
    assert await store.complete(late) == 0
    assert (
        await store.complete([Completion(fresh.key(r), Outcome.MATCHED) for r in fresh.rows]) == 2
    )
    assert await store.complete(late) == 0
    results = await all_results(store, "j1")
    assert [(r.ordinal, r.outcome) for r in results] == [(1, Outcome.MATCHED), (2, Outcome.MATCHED)]
    job = await store.get("j1")
    assert job is not None
    assert job.counts.done == 2
    assert job.counts.failed == 0


async def test_extending_a_lease_keeps_the_rows(store: JobStore) -> None:
    await new_job(store, "j1", 2)
    claim = await store.claim(limit=2, lease_s=0)
    assert claim is not None
    await store.extend([claim.key(r) for r in claim.rows], 60)
    assert await store.claim(limit=2, lease_s=30) is None


async def test_released_rows_return_after_their_delay_with_the_attempt_counted(
    store: JobStore,
) -> None:
    await new_job(store, "j1", 2)
    claim = await store.claim(limit=2, lease_s=30)
    assert claim is not None
    first, second = (claim.key(r) for r in claim.rows)
    await store.release([first], delay_s=0, count_attempt=True)
    await store.release([second], delay_s=60, count_attempt=True)
    again = await store.claim(limit=2, lease_s=30)
    assert again is not None
    assert [(r.ordinal, r.attempts) for r in again.rows] == [(1, 1)]
    assert await store.complete([Completion(first, Outcome.MATCHED)]) == 0  # released: fenced


async def test_cancel_reports_every_unverified_row_as_skipped(store: JobStore) -> None:
    await new_job(store, "j1", 4)
    claim = await store.claim(limit=2, lease_s=30)
    assert claim is not None
    assert await store.complete([Completion(claim.key(claim.rows[0]), Outcome.MATCHED)]) == 1
    job = await store.cancel("j1")
    assert job.state is JobState.CANCELLED
    assert job.finished_at is not None
    assert (job.counts.matched, job.counts.skipped, job.counts.done) == (1, 3, 4)
    in_flight = Completion(claim.key(claim.rows[1]), Outcome.MATCHED)
    assert await store.complete([in_flight]) == 0
    results = await all_results(store, "j1")
    assert [(r.ordinal, r.outcome, r.reason) for r in results] == [
        (1, Outcome.MATCHED, ""),
        (2, Outcome.SKIPPED, "job_cancelled"),
        (3, Outcome.SKIPPED, "job_cancelled"),
        (4, Outcome.SKIPPED, "job_cancelled"),
    ]
    assert await store.claim(limit=10, lease_s=30) is None
    assert (await store.cancel("j1")).counts == job.counts  # a second cancel changes nothing


async def test_erase_deletes_rows_and_results_but_keeps_the_counts(store: JobStore) -> None:
    await new_job(store, "j1", 3)
    job = await store.erase("j1")
    assert job.erased_at is not None
    assert job.state is JobState.CANCELLED
    assert job.counts.skipped == 3
    assert await all_results(store, "j1") == []


async def test_purge_erases_expired_jobs_and_drops_abandoned_uploads(store: JobStore) -> None:
    await new_job(store, "done", 1)
    await store.cancel("done")
    await new_job(store, "active", 1)
    await store.create_job("abandoned", SPEC)
    await store.add_rows("abandoned", inputs(1, 3), [])
    assert await store.purge(finished_before=EARLIER, abandoned_before=EARLIER) == 0
    assert await store.purge(finished_before=LATER, abandoned_before=LATER) == 2
    done = await store.get("done")
    assert done is not None
    assert done.erased_at is not None
    assert await all_results(store, "done") == []
    assert await store.get("abandoned") is None
    active = await store.get("active")
    assert active is not None
    assert active.erased_at is None


async def test_discard_forgets_a_failed_upload(store: JobStore) -> None:
    await store.create_job("j1", SPEC)
    await store.add_rows("j1", inputs(1, 3), [RowResult(4, "x", Outcome.INVALID, "number_length")])
    await store.discard("j1")
    assert await store.get("j1") is None
    assert await all_results(store, "j1") == []


async def test_a_client_lists_only_its_own_jobs_newest_first(store: JobStore) -> None:
    await new_job(store, "first", 1)
    await new_job(store, "theirs", 1, replace(SPEC, client_id="other-portal"))
    await new_job(store, "second", 1)
    listed = await store.jobs_of("demo-portal", limit=10)
    assert [job.id for job in listed] == ["second", "first"]
    assert [job.id for job in await store.jobs_of("other-portal", limit=10)] == ["theirs"]


@pytest.mark.parametrize(
    "dsn",
    [
        pytest.param("mysql://x", id="unknown-scheme"),
        pytest.param("sqlite:///:memory:", id="sqlite-memory"),
        pytest.param("sqlite://relative", id="sqlite-without-path"),
        pytest.param("postgresql://h/db?schema=Bad-Name", id="bad-schema"),
    ],
)
def test_unusable_dsns_are_refused(dsn: str) -> None:
    with pytest.raises(JobConfigError):
        open_job_store(dsn)
