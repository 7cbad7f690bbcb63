"""Shared helpers for the job tests: a job spec, rows, fakes of the verifier, polling."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from gateway.jobs import (
    Deferral,
    Job,
    JobSpec,
    JobStore,
    Outcome,
    RowInput,
    RowResult,
    Verdict,
)

SPEC = JobSpec(
    client_id="demo-portal",
    agency_code="000.00.00.H45",
    purpose_code="1.001612",
    officer_id="officer-17",
    case_id="case-1",
)
OUTCOME_CYCLE = (Outcome.MATCHED, Outcome.MISMATCHED, Outcome.NOT_FOUND, Outcome.MATCHED)


def numbered(ordinal: int) -> str:
    """A valid, distinct 12-digit personal id for each ordinal (Phú Yên, born 1992)."""
    return f"054092{ordinal:06d}"


def inputs(first: int, last: int) -> list[RowInput]:
    return [RowInput(n, numbered(n), f"Người {n}") for n in range(first, last + 1)]


def expected_outcome(ordinal: int) -> Outcome:
    """What the fake verifier answers for a row: fixed by its ordinal."""
    return OUTCOME_CYCLE[ordinal % len(OUTCOME_CYCLE)]


async def new_job(store: JobStore, job_id: str, rows: int, spec: JobSpec = SPEC) -> Job:
    await store.create_job(job_id, spec)
    for first in range(1, rows + 1, 1000):
        await store.add_rows(job_id, inputs(first, min(rows, first + 999)), [])
    return await store.seal(job_id)


async def all_results(store: JobStore, job_id: str) -> list[RowResult]:
    results: list[RowResult] = []
    while page := await store.results(
        job_id, after=results[-1].ordinal if results else 0, limit=500
    ):
        results.extend(page)
    return results


async def eventually(
    check: Callable[[], Awaitable[bool]], *, timeout_s: float = 20.0, every_s: float = 0.02
) -> None:
    """Poll ``check`` until it is true; fail after the deadline (no blind sleeps in tests)."""
    deadline = time.monotonic() + timeout_s
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout_s}s")
        await asyncio.sleep(every_s)


async def holds(check: Callable[[], Awaitable[bool]], *, for_s: float) -> None:
    """Assert ``check`` stays true for ``for_s`` seconds (a bounded check that nothing happens)."""
    deadline = time.monotonic() + for_s
    while time.monotonic() < deadline:
        assert await check()
        await asyncio.sleep(0.02)


async def finished(store: JobStore, job_id: str) -> Job:
    async def check() -> bool:
        job = await store.get(job_id)
        return job is not None and job.finished

    await eventually(check)
    job = await store.get(job_id)
    assert job is not None
    return job


@dataclass
class FakeVerifier:
    """Answers by ordinal; records every call; optional latency and scripted deferrals."""

    latency_s: float = 0.0
    deferrals: dict[int, list[Deferral]] = field(default_factory=dict)
    calls: Counter[tuple[str, int]] = field(default_factory=Counter)

    async def verify(self, job_id: str, spec: JobSpec, row: RowInput) -> Verdict | Deferral:
        self.calls[job_id, row.ordinal] += 1
        if self.latency_s:
            await asyncio.sleep(self.latency_s)  # simulated upstream time, not a wait for state
        if script := self.deferrals.get(row.ordinal):
            return script.pop(0)
        return Verdict(expected_outcome(row.ordinal))
