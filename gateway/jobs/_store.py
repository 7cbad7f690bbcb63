"""The one job-store interface both back-ends implement, and the DSN that picks one.

``sqlite:///relative/path.sqlite3`` or ``sqlite:////absolute/path.sqlite3`` selects
:class:`~gateway.jobs._sqlite.SqliteJobStore` (the embedded default: one gateway process);
``postgresql://…`` (optionally ``?schema=name``) selects
:class:`~gateway.jobs._postgres.PostgresJobStore`, which several gateway replicas share.

The guarantees every store gives, which the worker's no-loss / no-duplicate promise rests on:

- a row's result is stored at most once: results are keyed by ``(job_id, ordinal)`` and a row moves
  from *inputs* to *results* in one transaction;
- a write about a claimed row (complete, release, extend) takes effect only while that claim still
  holds it, so a worker whose lease ran out cannot overwrite the worker that took the row over;
- a lease that ends (a crashed or killed worker) makes its rows claimable again.

Every method raises :class:`~gateway.jobs.JobStoreUnavailable` when the store cannot answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from gateway.dsn import DsnError, postgres_target, sqlite_path
from gateway.jobs._errors import JobConfigError
from gateway.jobs._model import (
    Claim,
    Completion,
    Job,
    JobCensus,
    JobSpec,
    RowInput,
    RowKey,
    RowResult,
)
from gateway.jobs._postgres import PostgresJobStore
from gateway.jobs._sqlite import SqliteJobStore

__all__ = ["JobStore", "open_job_store"]


class JobStore(Protocol):
    async def open(self) -> None:
        """Connect and create the tables if they are missing."""

    async def close(self) -> None: ...

    async def create_job(self, job_id: str, spec: JobSpec) -> Job:
        """A new job in state ``receiving``: its rows are still arriving."""

    async def add_rows(
        self, job_id: str, rows: Sequence[RowInput], invalid: Sequence[RowResult]
    ) -> None:
        """Rows to verify and rows already finished as ``invalid``, in one transaction."""

    async def seal(self, job_id: str) -> Job:
        """Every row is in: the job is queued (or completed at once if no row needs verifying)."""

    async def discard(self, job_id: str) -> None:
        """Forget a job whose upload failed, rows and all."""

    async def get(self, job_id: str) -> Job | None: ...

    async def census(self) -> JobCensus:
        """How many jobs are in each state, rows per outcome, when the oldest running began."""

    async def jobs_of(self, client_id: str, *, limit: int) -> list[Job]:
        """The client's jobs, newest first."""

    async def claim(self, *, limit: int, lease_s: float) -> Claim | None:
        """Lease up to ``limit`` unleased rows of the oldest active job that has some."""

    async def extend(self, keys: Sequence[RowKey], lease_s: float) -> None:
        """Push the lease of rows still held by their claim ``lease_s`` from now."""

    async def complete(self, completions: Sequence[Completion]) -> int:
        """Store the outcomes of rows still held by their claim; the number accepted."""

    async def release(self, keys: Sequence[RowKey], *, delay_s: float, count_attempt: bool) -> None:
        """Give rows back, claimable again after ``delay_s``."""

    async def cancel(self, job_id: str) -> Job:
        """Finish an active job now: every row not yet verified becomes ``skipped``."""

    async def erase(self, job_id: str) -> Job:
        """Delete every row and result of the job (cancelling it first if it is active)."""

    async def results(self, job_id: str, *, after: int, limit: int) -> list[RowResult]:
        """Result rows with ``ordinal > after``, in order."""

    async def purge(self, *, finished_before: datetime, abandoned_before: datetime) -> int:
        """Erase jobs finished before the first time and drop uploads abandoned before the
        second; the number of jobs touched."""


def open_job_store(dsn: str) -> JobStore:
    """The store a DSN names (not yet opened)."""
    scheme = dsn.partition(":")[0].lower()
    try:
        if scheme == "sqlite":
            return SqliteJobStore(sqlite_path(dsn, "job"))
        if scheme in ("postgresql", "postgres"):
            url, schema = postgres_target(dsn, "job")
            return PostgresJobStore(url, schema=schema)
    except DsnError as exc:
        raise JobConfigError(str(exc)) from exc
    raise JobConfigError(
        f"unknown job store {scheme!r}: use sqlite:///path/to/jobs.sqlite3 or postgresql://…"
    )
