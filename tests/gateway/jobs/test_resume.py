"""A worker killed with SIGKILL mid-job: a restarted worker finishes the job, losing no result row
and reporting none twice."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from gateway.jobs import JobStore, JobWorker, WorkerConfig
from tests.gateway.jobs.support import FakeVerifier, all_results, eventually, finished, new_job
from tests.gateway.jobs.test_worker import assert_exact_results

ROOT = Path(__file__).resolve().parents[3]
TOTAL = 4000


async def _start_victim(dsn: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.gateway.jobs.worker_process",
        dsn,
        cwd=ROOT,
        env={**os.environ, "LGSP_LOG_LEVEL": "error"},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


@pytest.mark.slow
async def test_sigkill_mid_job_then_restart_loses_and_duplicates_nothing(
    jobs_dsn: str, store: JobStore
) -> None:
    await new_job(store, "j1", TOTAL)
    victim = await _start_victim(jobs_dsn)
    try:

        async def well_under_way() -> bool:
            job = await store.get("j1")
            return job is not None and job.counts.done >= 500

        await eventually(well_under_way, timeout_s=30)
    finally:
        victim.send_signal(signal.SIGKILL)
        await victim.wait()
    at_kill = await store.get("j1")
    assert at_kill is not None
    assert 500 <= at_kill.counts.done < TOTAL, "killed mid-job"
    done_at_kill = {r.ordinal for r in await all_results(store, "j1")}
    assert len(done_at_kill) == at_kill.counts.done

    survivor = FakeVerifier()
    worker = JobWorker(
        store, survivor, WorkerConfig(worker_id="survivor", concurrency=8, idle_poll_s=0.05)
    )
    await worker.start()
    try:
        await finished(store, "j1")
    finally:
        await worker.close()

    await assert_exact_results(store, "j1", TOTAL)
    resumed = {ordinal for _job, ordinal in survivor.calls}
    assert resumed == set(range(1, TOTAL + 1)) - done_at_kill, "exactly the rows not yet reported"
    assert set(survivor.calls.values()) == {1}
