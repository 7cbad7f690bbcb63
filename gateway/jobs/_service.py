"""The jobs side of a running gateway: the store, this process's worker, and the operations the
HTTP router offers (submit, view, cancel, erase, download), each scoped to the calling client.

A client sees only its own jobs: any other id is "not found", so job ids reveal nothing.
"""

from __future__ import annotations

import asyncio
import secrets
from collections import Counter
from collections.abc import AsyncIterable, AsyncIterator, Callable

from gateway.instance import instance_name
from gateway.jobs._csv import ColumnMap, read_rows
from gateway.jobs._errors import JobError, JobNotFound, JobStateError
from gateway.jobs._export import header_bytes, result_lines
from gateway.jobs._ingest import ingest
from gateway.jobs._model import ACTIVE_STATES, Job, JobCensus, JobSpec, JobState
from gateway.jobs._pacer import Pacer
from gateway.jobs._store import JobStore, open_job_store
from gateway.jobs._verify import AuditSink, NgspRowVerifier, PopulationLink
from gateway.jobs._worker import JobWorker, RowVerifier, WorkerConfig
from gateway.settings import Settings

__all__ = ["JobService", "open_job_service"]

_RESULT_PAGE = 5000
_LIST_LIMIT = 100
_PROBE_JOB_ID = "readiness-probe"  # no job has this id: a cheap read that must answer None


class JobService:
    def __init__(self, store: JobStore, worker: JobWorker | None, *, max_rows: int) -> None:
        self.store = store
        self.worker = worker
        self.max_rows = max_rows
        self.census: JobCensus | None = None  # the last one taken (metrics scrapes refresh it)

    async def start(self) -> None:
        await self.store.open()
        if self.worker is not None:
            await self.worker.start()

    async def close(self) -> None:
        if self.worker is not None:
            await self.worker.close()
        await self.store.close()

    async def refresh_census(self, timeout_s: float = 2.0) -> JobCensus | None:
        """Take a new census for the metrics; on failure keep the last (the scrape must answer)."""
        try:
            async with asyncio.timeout(timeout_s):
                self.census = await self.store.census()
        except (JobError, TimeoutError):
            pass  # the readiness probe reports the store; the metrics show the last census
        return self.census

    def rows_stored(self) -> Counter[str]:
        """Rows this process's worker settled and stored, by outcome (empty without a worker)."""
        return Counter() if self.worker is None else self.worker.stored

    async def ping(self) -> None:
        """Raise JobStoreUnavailable unless the job store answers a read now (``/readyz``)."""
        await self.store.get(_PROBE_JOB_ID)

    async def submit(
        self,
        spec: JobSpec,
        chunks: AsyncIterable[bytes],
        columns: ColumnMap,
        delimiter: str = ",",
    ) -> Job:
        """Read the upload into a new job and queue it; raises on an unreadable file."""
        job_id = secrets.token_hex(16)
        rows = read_rows(chunks, columns, delimiter)
        job = await ingest(self.store, job_id, spec, rows, max_rows=self.max_rows)
        if self.worker is not None and job.state in ACTIVE_STATES:
            self.worker.wake()
        return job

    async def job_for(self, client_id: str, job_id: str) -> Job:
        job = await self.store.get(job_id)
        if job is None or job.spec.client_id != client_id:
            raise JobNotFound("No verification job with this id for this client.")
        return job

    async def jobs_of(self, client_id: str) -> list[Job]:
        return await self.store.jobs_of(client_id, limit=_LIST_LIMIT)

    async def cancel(self, client_id: str, job_id: str) -> Job:
        job = await self.job_for(client_id, job_id)
        if job.state is JobState.CANCELLED:
            return job
        if job.state not in ACTIVE_STATES:
            raise JobStateError(
                f"The job is {job.state}; it cannot be cancelled.", code="job_finished"
            )
        return await self.store.cancel(job_id)

    async def erase(self, client_id: str, job_id: str) -> Job:
        job = await self.job_for(client_id, job_id)
        if job.state is JobState.RECEIVING:
            raise JobStateError("The job is still receiving its upload.", code="job_receiving")
        return await self.store.erase(job_id)

    async def results_of(self, client_id: str, job_id: str) -> Job:
        """The job, once its result file can be downloaded."""
        job = await self.job_for(client_id, job_id)
        if job.erased_at is not None:
            raise JobStateError("The job's results were erased.", code="job_erased")
        if not job.finished:
            raise JobStateError(
                f"The job is {job.state}; results come when it is finished.",
                code="job_not_finished",
            )
        return job

    async def result_csv(self, job_id: str) -> AsyncIterator[bytes]:
        """The result file, a page of rows at a time (memory does not grow with the job)."""
        yield header_bytes()
        after = 0
        while page := await self.store.results(job_id, after=after, limit=_RESULT_PAGE):
            yield result_lines(page)
            after = page[-1].ordinal


def open_job_service(
    settings: Settings,
    link: PopulationLink,
    audit: AuditSink,
    *,
    gate: Callable[[RowVerifier], RowVerifier] | None = None,
) -> JobService:
    """The jobs side as the settings describe it (not started: ``await start()``).

    ``gate`` wraps the row verifier (admission control: rows yield to interactive look-ups).
    """
    store = open_job_store(settings.jobs_dsn)
    worker = None
    if settings.jobs_worker:
        verifier: RowVerifier = NgspRowVerifier(
            link, audit, Pacer(settings.jobs_upstream_rate_per_s)
        )
        if gate is not None:
            verifier = gate(verifier)
        config = WorkerConfig(
            worker_id=instance_name(),
            concurrency=settings.jobs_concurrency,
            lease_s=settings.jobs_lease_s,
            retention_s=settings.jobs_retention_hours * 3600,
        )
        worker = JobWorker(store, verifier, config)
    return JobService(store, worker, max_rows=settings.jobs_max_rows)
