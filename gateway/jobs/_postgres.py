"""The PostgreSQL job store: shared by several gateway replicas, each running a worker.

Replicas share one job by claiming rows with ``SELECT … FOR UPDATE SKIP LOCKED`` (PostgreSQL's own
queue primitive: two claims never wait for each other and never take the same row) and a lease;
the clock is the database's ``now()``, so hosts with skewed clocks agree on when a lease ends.
Transactions that change a job's counters or move its rows (complete, cancel) lock the job's row
first, in job-id order, so they serialise per job and cannot deadlock each other. Rows go in with
``COPY``. All tables live in one schema (``?schema=`` in the DSN, default ``public``).
The statements both stores run are in :mod:`gateway.jobs._sql`; only what PostgreSQL does its own
way is here: the pool, ``COPY``, completing a batch and cancelling in one statement each.

Personal data is sealed under the job's keys (:mod:`gateway.jobs._sealing`) before it is sent to
the server, so dead tuples, WAL segments and backups hold only ciphertext. A destroyed key's row
is deleted and the small key table vacuumed at once, so the dead row version leaves the table
file (once no older transaction can still see it: a long query or a pg_dump delays that). WAL
segments keep it until they are recycled (docs/jobs.md says so): PostgreSQL cannot overwrite in
place.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

import asyncpg

from gateway.jobs import _sql as sql
from gateway.jobs._errors import JobConfigError, JobNotFound, JobStoreUnavailable
from gateway.jobs._model import ACTIVE_STATES, Claim
from gateway.jobs._sealing import OLD_LAYOUT, JobKeys, KeyKind

if TYPE_CHECKING:
    from gateway.jobs._model import Completion, Job, JobCensus, JobSpec, RowInput, RowKey, RowResult

__all__ = ["PostgresJobStore"]

_POOL_SIZE = 4
_SCHEMA_LOCK = 0x4C475350_4A4F4253  # "LGSPJOBS": one replica at a time creates the tables
_q = sql.POSTGRES.render
_SEALED_LAYOUT = (
    "SELECT count(*) FROM information_schema.columns WHERE table_schema = $1 "
    "AND table_name = 'verification_job_inputs' AND column_name = 'details'"
)
_LOCK_JOBS = "SELECT id FROM verification_jobs WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE"
# Completing a batch is one statement: the claimed rows leave the inputs and enter the results.
_MOVE = (
    "WITH batch AS (SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], "
    "$4::text[], $5::text[]) AS b(job_id, ordinal, claim_id, outcome, reason)), "
    "moved AS (DELETE FROM verification_job_inputs AS i USING batch AS b "
    "WHERE i.job_id = b.job_id AND i.ordinal = b.ordinal AND i.claim_id = b.claim_id "
    "RETURNING i.job_id, i.ordinal, i.number, b.outcome, b.reason) "
    "INSERT INTO verification_job_results (job_id, ordinal, number, outcome, reason) "
    "SELECT job_id, ordinal, number, outcome, reason FROM moved "
    "RETURNING job_id, outcome"
)
_SKIP_REMAINING = (
    "WITH gone AS (DELETE FROM verification_job_inputs WHERE job_id = $1 "
    "RETURNING job_id, ordinal, number) "
    "INSERT INTO verification_job_results (job_id, ordinal, number, outcome, reason) "
    "SELECT job_id, ordinal, number, 'skipped', 'job_cancelled' FROM gone"
)


def _moment(value: datetime | None) -> datetime | None:
    return value


class PostgresJobStore:
    """A job store in one PostgreSQL schema; see :class:`~gateway.jobs.JobStore`."""

    def __init__(self, dsn: str, *, schema: str = "public") -> None:
        self._dsn = dsn
        self._schema = schema
        self._pool: asyncpg.Pool | None = None

    def __repr__(self) -> str:
        return f"PostgresJobStore(schema={self._schema!r})"

    @asynccontextmanager
    async def _conn(self, *, write: bool = False) -> AsyncIterator[asyncpg.Connection]:
        if self._pool is None:
            raise JobStoreUnavailable("the PostgreSQL job store is not open")
        try:
            async with self._pool.acquire() as conn:
                if not write:
                    yield conn
                    return
                async with conn.transaction():
                    yield conn
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError) as exc:
            raise JobStoreUnavailable(f"PostgreSQL: {exc}") from exc

    async def open(self) -> None:
        try:
            self._pool = await asyncpg.create_pool(
                self._dsn,
                min_size=1,
                max_size=_POOL_SIZE,
                server_settings={"search_path": self._schema},
            )
        except (asyncpg.PostgresError, OSError, TimeoutError) as exc:
            raise JobStoreUnavailable(f"PostgreSQL: {exc}") from exc
        async with self._conn(write=True) as conn:
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _SCHEMA_LOCK)
            await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{self._schema}"')
            await conn.execute(_q(sql.SCHEMA))
            sealed = await conn.fetchval(_SEALED_LAYOUT, self._schema)
        if not sealed:
            await self.close()
            raise JobConfigError(OLD_LAYOUT)

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    # --- receiving an upload -------------------------------------------------------------

    async def create_job(self, job_id: str, spec: JobSpec) -> Job:
        async with self._conn(write=True) as conn:
            await conn.execute(_q(sql.INSERT_JOB), *sql.job_values(job_id, spec))
            await conn.executemany(_q(sql.INSERT_KEY), sql.new_key_rows(job_id))
            return await _job(conn, job_id)

    async def add_rows(
        self, job_id: str, rows: Sequence[RowInput], invalid: Sequence[RowResult]
    ) -> None:
        async with self._conn(write=True) as conn:
            keys = await _keys(conn, job_id)
            inputs = [sql.input_values(keys, r) for r in rows]
            results = [sql.result_values(keys, r) for r in invalid]
            if inputs:
                await conn.copy_records_to_table(
                    "verification_job_inputs", records=inputs, columns=sql.INPUT_COLUMNS
                )
            if results:
                await conn.copy_records_to_table(
                    "verification_job_results", records=results, columns=sql.RESULT_COLUMNS
                )
            await conn.execute(_q(sql.ADD_ROWS), len(inputs) + len(results), len(results), job_id)

    async def seal(self, job_id: str) -> Job:
        async def queue(conn: asyncpg.Connection) -> bool:
            await conn.execute(_q(sql.QUEUE), job_id)
            return await _finish_if_done(conn, job_id)

        return await self._change(job_id, queue)

    async def discard(self, job_id: str) -> None:
        async with self._conn(write=True) as conn:
            await _forget(conn, job_id, sql.DELETE_JOB)
        await self._shred_if(ended=True)

    async def _shred_if(self, ended: bool) -> None:
        """After a key was destroyed: vacuum the key table, so its dead row leaves the file.
        Best effort: a failure leaves the next one (or autovacuum) to do it."""
        if not ended:
            return
        try:
            async with self._conn() as conn:
                await conn.execute("VACUUM verification_job_keys")
        except JobStoreUnavailable:
            return

    # --- reading -------------------------------------------------------------------------

    async def get(self, job_id: str) -> Job | None:
        async with self._conn() as conn:
            rows = await _fetch(conn, sql.JOB, job_id)
        return sql.job_from_row(rows[0], _moment) if rows else None

    async def census(self) -> JobCensus:
        async with self._conn() as conn:
            rows = await _fetch(conn, sql.CENSUS)
        return sql.census_from_rows(rows, _moment)

    async def jobs_of(self, client_id: str, *, limit: int) -> list[Job]:
        async with self._conn() as conn:
            rows = await _fetch(conn, sql.JOBS_OF, client_id, limit)
        return [sql.job_from_row(row, _moment) for row in rows]

    async def results(self, job_id: str, *, after: int, limit: int) -> list[RowResult]:
        async with self._conn() as conn:
            rows = await _fetch(conn, sql.RESULTS, job_id, after, limit)
            keys = await _keys(conn, job_id) if rows else JobKeys(job_id, None, None)
        return sql.results_from_rows(keys, rows)

    # --- the worker's side ---------------------------------------------------------------

    async def claim(self, *, limit: int, lease_s: float) -> Claim | None:
        async with self._conn() as conn:
            active = await _fetch(conn, sql.ACTIVE_JOBS)
        for row in active:
            job = sql.job_from_row(row, _moment)
            claim = await self._claim_from(job, limit, lease_s)
            if claim is not None:
                return claim
        return None

    async def _claim_from(self, job: Job, limit: int, lease_s: float) -> Claim | None:
        claim_id = secrets.token_hex(8)
        async with self._conn(write=True) as conn:
            if job.state != "running":
                await conn.execute(_q(sql.MARK_RUNNING), job.id)
            rows = await _fetch(conn, sql.LEASE, job.id, limit, claim_id, lease_s, job.id)
            if not rows:
                return None
            keys = await _keys(conn, job.id)
        opened = (keys.open_details(ordinal, details, tries) for ordinal, details, tries in rows)
        inputs = tuple(sorted(opened, key=lambda r: r.ordinal))
        return Claim(job.id, claim_id, job.spec, inputs)

    async def extend(self, keys: Sequence[RowKey], lease_s: float) -> None:
        async with self._conn(write=True) as conn:
            await conn.executemany(_q(sql.EXTEND), sql.extend_rows(keys, lease_s))

    async def release(self, keys: Sequence[RowKey], *, delay_s: float, count_attempt: bool) -> None:
        async with self._conn(write=True) as conn:
            await conn.executemany(
                _q(sql.RELEASE), sql.release_rows(keys, delay_s, count_attempt=count_attempt)
            )

    async def complete(self, completions: Sequence[Completion]) -> int:
        if not completions:
            return 0
        keys = [c.key for c in completions]
        job_ids = [k.job_id for k in keys]
        async with self._conn(write=True) as conn:
            await conn.execute(_LOCK_JOBS, sorted(set(job_ids)))
            accepted = await conn.fetch(
                _MOVE,
                job_ids,
                [k.ordinal for k in keys],
                [k.claim_id for k in keys],
                [c.outcome.value for c in completions],
                [c.reason for c in completions],
            )
            tallies = sql.counter_updates((r["job_id"], r["outcome"]) for r in accepted)
            ended = False
            for job_id, tally in tallies.items():
                await conn.execute(_q(sql.add_counts(tally)), *tally.values(), job_id)
                ended = await _finish_if_done(conn, job_id) or ended
        await self._shred_if(ended)
        return len(accepted)

    # --- ending a job ----------------------------------------------------------------------

    async def cancel(self, job_id: str) -> Job:
        async def cancel(conn: asyncpg.Connection) -> bool:
            return await _cancel(conn, await _job(conn, job_id, sql.LOCKED_JOB))

        return await self._change(job_id, cancel)

    async def erase(self, job_id: str) -> Job:
        async def erase(conn: asyncpg.Connection) -> bool:
            await _cancel(conn, await _job(conn, job_id, sql.LOCKED_JOB))
            await _forget(conn, job_id, sql.MARK_ERASED)
            return True

        return await self._change(job_id, erase)

    async def _change(
        self, job_id: str, change: Callable[[asyncpg.Connection], Awaitable[bool]]
    ) -> Job:
        """Run ``change`` in one transaction, then shred if it ended the job (it says so)."""
        async with self._conn(write=True) as conn:
            ended = await change(conn)
            job = await _job(conn, job_id)
        await self._shred_if(ended)
        return job

    async def purge(self, *, finished_before: datetime, abandoned_before: datetime) -> int:
        async with self._conn(write=True) as conn:
            expired = await _fetch(conn, sql.EXPIRED, finished_before)
            abandoned = await _fetch(conn, sql.ABANDONED, abandoned_before)
            for (job_id,) in expired:
                await _forget(conn, job_id, sql.MARK_ERASED)
            for (job_id,) in abandoned:
                await _forget(conn, job_id, sql.DELETE_JOB)
        await self._shred_if(ended=bool(expired or abandoned))
        return len(expired) + len(abandoned)


# --- statements ----------------------------------------------------------------------------


async def _fetch(conn: asyncpg.Connection, statement: str, *args: object) -> list[tuple[Any, ...]]:
    """The rows of a shared statement (see :mod:`gateway.jobs._sql`), as tuples."""
    return [tuple(row) for row in await conn.fetch(_q(statement), *args)]


async def _job(conn: asyncpg.Connection, job_id: str, statement: str = sql.JOB) -> Job:
    rows = await _fetch(conn, statement, job_id)
    if not rows:
        raise JobNotFound(f"no job {job_id}")
    return sql.job_from_row(rows[0], _moment)


async def _keys(conn: asyncpg.Connection, job_id: str) -> JobKeys:
    return sql.job_keys(job_id, await _fetch(conn, sql.KEYS, job_id))


async def _destroy_keys(conn: asyncpg.Connection, job_id: str, *kinds: KeyKind) -> None:
    await conn.executemany(_q(sql.DESTROY_KEY), sql.key_rows(job_id, kinds))


async def _finish_if_done(conn: asyncpg.Connection, job_id: str) -> bool:
    finished = await conn.fetchval(_q(sql.FINISH), job_id)
    if finished is None:
        return False
    await _destroy_keys(conn, job_id, KeyKind.INPUTS)
    return True


async def _cancel(conn: asyncpg.Connection, job: Job) -> bool:
    if job.state not in ACTIVE_STATES:
        return False
    status = await conn.execute(_SKIP_REMAINING, job.id)
    skipped = int(status.rsplit(" ", 1)[-1])  # "INSERT 0 <rows>"
    await conn.execute(_q(sql.CANCELLED), skipped, job.id)
    await _destroy_keys(conn, job.id, KeyKind.INPUTS)
    return True


async def _forget(conn: asyncpg.Connection, job_id: str, last: str) -> None:
    """Delete the job's rows and results and destroy its keys, then run ``last`` on the job:
    :data:`~gateway.jobs._sql.MARK_ERASED` keeps its counts, ``DELETE_JOB`` removes it."""
    await conn.execute(_q(sql.DELETE_INPUTS), job_id)
    await conn.execute(_q(sql.DELETE_RESULTS), job_id)
    await _destroy_keys(conn, job_id, *KeyKind)
    await conn.execute(_q(last), job_id)
