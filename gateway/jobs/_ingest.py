"""Loading an upload into the store as it streams in, a batch at a time.

The job exists in state ``receiving`` while rows arrive, so no worker starts on half a file; it is
sealed (queued) only when the last row is stored, and discarded if the upload fails half-way (a
bad file, a client that hung up, too many rows). A gateway that dies mid-upload leaves a
``receiving`` job that housekeeping drops later.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterable

from gateway.jobs._errors import JobError, TooManyRows
from gateway.jobs._model import Job, JobSpec, RowInput, RowResult
from gateway.jobs._store import JobStore

__all__ = ["ingest"]

BATCH_ROWS = 2000


async def ingest(
    store: JobStore,
    job_id: str,
    spec: JobSpec,
    rows: AsyncIterable[RowInput | RowResult],
    *,
    max_rows: int,
) -> Job:
    """Store every row of the upload under a new job and queue it."""
    await store.create_job(job_id, spec)
    try:
        await _load(store, job_id, rows, max_rows)
    except BaseException:
        with contextlib.suppress(JobError):  # if the store is down too, housekeeping drops it
            await asyncio.shield(store.discard(job_id))
        raise
    return await store.seal(job_id)


async def _load(
    store: JobStore, job_id: str, rows: AsyncIterable[RowInput | RowResult], max_rows: int
) -> None:
    pending: list[RowInput] = []
    invalid: list[RowResult] = []
    async for row in rows:
        if row.ordinal > max_rows:
            raise TooManyRows(f"A job holds at most {max_rows} rows; split the file.")
        if isinstance(row, RowResult):
            invalid.append(row)
        else:
            pending.append(row)
        if len(pending) + len(invalid) >= BATCH_ROWS:
            await store.add_rows(job_id, pending, invalid)
            pending, invalid = [], []
    await store.add_rows(job_id, pending, invalid)
