"""A job worker process with the fake verifier, run until killed: the SIGKILL test's victim.

``python -m tests.gateway.jobs.worker_process DSN`` from the repository root.
"""

from __future__ import annotations

import asyncio
import sys

from gateway.jobs import JobWorker, WorkerConfig, open_job_store
from tests.gateway.jobs.support import FakeVerifier

CONFIG = WorkerConfig(
    worker_id="victim",
    concurrency=4,
    lease_s=1.0,
    flush_size=25,
    flush_interval_s=0.05,
    idle_poll_s=0.05,
)


async def main(dsn: str) -> None:
    store = open_job_store(dsn)
    await store.open()
    worker = JobWorker(store, FakeVerifier(latency_s=0.004), CONFIG)
    await worker.start()
    await asyncio.Event().wait()  # until SIGKILL: no clean shutdown, by design


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
