"""The PostgreSQL job store: shared by several gateway replicas, each running a worker.

Replicas share one job by claiming rows with ``SELECT … FOR UPDATE SKIP LOCKED`` (PostgreSQL's own
queue primitive: two claims never wait for each other and never take the same row) and a lease;
the clock is the database's ``now()``, so hosts with skewed clocks agree on when a lease ends.
Transactions that change a job's counters or move its rows (complete, cancel) lock the job's row
first, in job-id order, so they serialise per job and cannot deadlock each other. Rows go in with
``COPY``. All tables live in one schema (``?schema=`` in the DSN, default ``public``).

Personal data is sealed under the job's keys (:mod:`gateway.jobs._sealing`) before it is sent to
the server, so dead tuples, WAL segments and backups hold only ciphertext. A destroyed key's row
is deleted and the small key table vacuumed at once, so the dead row version leaves the table
file (once no older transaction can still see it: a long query or a pg_dump delays that). WAL
segments keep it until they are recycled (docs/jobs.md says so): PostgreSQL cannot overwrite in
place.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime

import asyncpg

from gateway.jobs._errors import JobConfigError, JobNotFound, JobStoreUnavailable
from gateway.jobs._model import (
    ACTIVE_STATES,
    Claim,
    Completion,
    Job,
    JobCensus,
    JobSpec,
    Outcome,
    RowInput,
    RowKey,
    RowResult,
)
from gateway.jobs._schema import (
    CENSUS_SQL,
    JOB_COLUMNS,
    SPEC_COLUMNS,
    census_from_rows,
    counter_updates,
    job_from_row,
)
from gateway.jobs._sealing import OLD_LAYOUT, JobKeys, KeyKind, new_key

__all__ = ["PostgresJobStore"]

_POOL_SIZE = 4
_SCHEMA_LOCK = 0x4C475350_4A4F4253  # "LGSPJOBS": one replica at a time creates the tables
_DONE_SUM = "matched + mismatched + not_found + invalid + failed + skipped"
_JOB_SELECT = f"SELECT {', '.join(JOB_COLUMNS)} FROM verification_jobs"  # noqa: S608
_INPUT_COLUMNS = ("job_id", "ordinal", "details", "number")
_RESULT_COLUMNS = ("job_id", "ordinal", "number", "outcome", "reason")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS verification_jobs (
    id text PRIMARY KEY,
    client_id text NOT NULL,
    agency_code text,
    purpose_code text NOT NULL,
    officer_id text NOT NULL,
    case_id text,
    request_id text,
    trace_id text,
    state text NOT NULL,
    total bigint NOT NULL DEFAULT 0,
    matched bigint NOT NULL DEFAULT 0,
    mismatched bigint NOT NULL DEFAULT 0,
    not_found bigint NOT NULL DEFAULT 0,
    invalid bigint NOT NULL DEFAULT 0,
    failed bigint NOT NULL DEFAULT 0,
    skipped bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz,
    finished_at timestamptz,
    erased_at timestamptz
);
CREATE INDEX IF NOT EXISTS verification_jobs_by_client
    ON verification_jobs (client_id, created_at);
CREATE INDEX IF NOT EXISTS verification_jobs_by_state
    ON verification_jobs (state, created_at);
CREATE TABLE IF NOT EXISTS verification_job_inputs (
    job_id text NOT NULL,
    ordinal bigint NOT NULL,
    details bytea NOT NULL,
    number bytea NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    claim_id text,
    lease_until timestamptz NOT NULL DEFAULT 'epoch',
    PRIMARY KEY (job_id, ordinal)
);
CREATE TABLE IF NOT EXISTS verification_job_results (
    job_id text NOT NULL,
    ordinal bigint NOT NULL,
    number bytea NOT NULL,
    outcome text NOT NULL,
    reason text NOT NULL,
    PRIMARY KEY (job_id, ordinal)
);
CREATE TABLE IF NOT EXISTS verification_job_keys (
    job_id text NOT NULL,
    kind text NOT NULL,
    key bytea NOT NULL,
    PRIMARY KEY (job_id, kind)
);
"""


def _moment(value: datetime | None) -> datetime | None:
    return value


def _key_arrays(keys: Sequence[RowKey]) -> tuple[list[str], list[int], list[str]]:
    return [k.job_id for k in keys], [k.ordinal for k in keys], [k.claim_id for k in keys]


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
            await conn.execute(_SCHEMA)
            sealed = await conn.fetchval(
                "SELECT count(*) FROM information_schema.columns WHERE table_schema = $1 "
                "AND table_name = 'verification_job_inputs' AND column_name = 'details'",
                self._schema,
            )
        if not sealed:
            await self.close()
            raise JobConfigError(OLD_LAYOUT)

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    # --- receiving an upload -------------------------------------------------------------

    async def create_job(self, job_id: str, spec: JobSpec) -> Job:
        columns = ("id", *SPEC_COLUMNS, "state")
        marks = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
        async with self._conn(write=True) as conn:
            await conn.execute(
                f"INSERT INTO verification_jobs ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608
                job_id,
                *(getattr(spec, name) for name in SPEC_COLUMNS),
                "receiving",
            )
            await conn.executemany(
                "INSERT INTO verification_job_keys (job_id, kind, key) VALUES ($1, $2, $3)",
                [(job_id, kind.value, new_key()) for kind in KeyKind],
            )
            return await _job(conn, job_id)

    async def add_rows(
        self, job_id: str, rows: Sequence[RowInput], invalid: Sequence[RowResult]
    ) -> None:
        async with self._conn(write=True) as conn:
            keys = await _keys(conn, job_id)
            inputs = [
                (job_id, r.ordinal, keys.seal_details(r), keys.seal_number(r.ordinal, r.number))
                for r in rows
            ]
            results = [
                (
                    job_id,
                    r.ordinal,
                    keys.seal_number(r.ordinal, r.number),
                    r.outcome.value,
                    r.reason,
                )
                for r in invalid
            ]
            if inputs:
                await conn.copy_records_to_table(
                    "verification_job_inputs", records=inputs, columns=_INPUT_COLUMNS
                )
            if results:
                await conn.copy_records_to_table(
                    "verification_job_results", records=results, columns=_RESULT_COLUMNS
                )
            await conn.execute(
                "UPDATE verification_jobs SET total = total + $2, invalid = invalid + $3 "
                "WHERE id = $1",
                job_id,
                len(inputs) + len(results),
                len(results),
            )

    async def seal(self, job_id: str) -> Job:
        async with self._conn(write=True) as conn:
            await conn.execute(
                "UPDATE verification_jobs SET state = 'queued' "
                "WHERE id = $1 AND state = 'receiving'",
                job_id,
            )
            ended = await _finish_if_done(conn, job_id)
            job = await _job(conn, job_id)
        await self._shred_if(ended)
        return job

    async def discard(self, job_id: str) -> None:
        async with self._conn(write=True) as conn:
            await _delete_job(conn, job_id)
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
            row = await conn.fetchrow(f"{_JOB_SELECT} WHERE id = $1", job_id)
        return None if row is None else job_from_row(tuple(row), _moment)

    async def census(self) -> JobCensus:
        async with self._conn() as conn:
            rows = await conn.fetch(CENSUS_SQL)
        return census_from_rows((tuple(row) for row in rows), _moment)

    async def jobs_of(self, client_id: str, *, limit: int) -> list[Job]:
        async with self._conn() as conn:
            rows = await conn.fetch(
                f"{_JOB_SELECT} WHERE client_id = $1 ORDER BY created_at DESC, id LIMIT $2",
                client_id,
                limit,
            )
        return [job_from_row(tuple(row), _moment) for row in rows]

    async def results(self, job_id: str, *, after: int, limit: int) -> list[RowResult]:
        async with self._conn() as conn:
            rows = await conn.fetch(
                "SELECT ordinal, number, outcome, reason FROM verification_job_results "
                "WHERE job_id = $1 AND ordinal > $2 ORDER BY ordinal LIMIT $3",
                job_id,
                after,
                limit,
            )
            keys = await _keys(conn, job_id) if rows else JobKeys(job_id, None, None)
        return [
            RowResult(
                r["ordinal"],
                keys.open_number(r["ordinal"], r["number"]),
                Outcome(r["outcome"]),
                r["reason"],
            )
            for r in rows
        ]

    # --- the worker's side ---------------------------------------------------------------

    async def claim(self, *, limit: int, lease_s: float) -> Claim | None:
        async with self._conn() as conn:
            active = await conn.fetch(
                f"{_JOB_SELECT} WHERE state IN ('queued', 'running') ORDER BY created_at, id"
            )
        for row in active:
            job = job_from_row(tuple(row), _moment)
            claim = await self._claim_from(job, limit, lease_s)
            if claim is not None:
                return claim
        return None

    async def _claim_from(self, job: Job, limit: int, lease_s: float) -> Claim | None:
        claim_id = secrets.token_hex(8)
        async with self._conn(write=True) as conn:
            if job.state != "running":
                await conn.execute(
                    "UPDATE verification_jobs SET state = 'running', started_at = now() "
                    "WHERE id = $1 AND state = 'queued'",
                    job.id,
                )
            rows = await conn.fetch(
                "WITH picked AS (SELECT ordinal FROM verification_job_inputs "
                "WHERE job_id = $1 AND lease_until < now() ORDER BY ordinal LIMIT $2 "
                "FOR UPDATE SKIP LOCKED) "
                "UPDATE verification_job_inputs AS i "
                "SET claim_id = $3, lease_until = now() + make_interval(secs => $4) "
                "FROM picked WHERE i.job_id = $1 AND i.ordinal = picked.ordinal "
                "RETURNING i.ordinal, i.details, i.attempts",
                job.id,
                limit,
                claim_id,
                lease_s,
            )
            if not rows:
                return None
            keys = await _keys(conn, job.id)
        opened = (keys.open_details(r["ordinal"], r["details"], r["attempts"]) for r in rows)
        inputs = tuple(sorted(opened, key=lambda r: r.ordinal))
        return Claim(job.id, claim_id, job.spec, inputs)

    async def extend(self, keys: Sequence[RowKey], lease_s: float) -> None:
        async with self._conn(write=True) as conn:
            await conn.execute(
                "UPDATE verification_job_inputs AS i "
                "SET lease_until = now() + make_interval(secs => $4) "
                "FROM unnest($1::text[], $2::bigint[], $3::text[]) AS k(job_id, ordinal, claim_id) "
                "WHERE i.job_id = k.job_id AND i.ordinal = k.ordinal AND i.claim_id = k.claim_id",
                *_key_arrays(keys),
                lease_s,
            )

    async def release(self, keys: Sequence[RowKey], *, delay_s: float, count_attempt: bool) -> None:
        async with self._conn(write=True) as conn:
            await conn.execute(
                "UPDATE verification_job_inputs AS i SET claim_id = NULL, "
                "lease_until = now() + make_interval(secs => $4), attempts = attempts + $5 "
                "FROM unnest($1::text[], $2::bigint[], $3::text[]) AS k(job_id, ordinal, claim_id) "
                "WHERE i.job_id = k.job_id AND i.ordinal = k.ordinal AND i.claim_id = k.claim_id",
                *_key_arrays(keys),
                delay_s,
                int(count_attempt),
            )

    async def complete(self, completions: Sequence[Completion]) -> int:
        if not completions:
            return 0
        job_ids, ordinals, claim_ids = _key_arrays([c.key for c in completions])
        async with self._conn(write=True) as conn:
            await _lock_jobs(conn, sorted(set(job_ids)))
            accepted = await conn.fetch(
                "WITH batch AS (SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], "
                "$4::text[], $5::text[]) AS b(job_id, ordinal, claim_id, outcome, reason)), "
                "moved AS (DELETE FROM verification_job_inputs AS i USING batch AS b "
                "WHERE i.job_id = b.job_id AND i.ordinal = b.ordinal AND i.claim_id = b.claim_id "
                "RETURNING i.job_id, i.ordinal, i.number, b.outcome, b.reason) "
                "INSERT INTO verification_job_results (job_id, ordinal, number, outcome, reason) "
                "SELECT job_id, ordinal, number, outcome, reason FROM moved "
                "RETURNING job_id, outcome",
                job_ids,
                ordinals,
                claim_ids,
                [c.outcome.value for c in completions],
                [c.reason for c in completions],
            )
            tallies = counter_updates((r["job_id"], r["outcome"]) for r in accepted)
            ended = False
            for job_id, tally in tallies.items():
                await _add_counts(conn, job_id, tally)
                ended = await _finish_if_done(conn, job_id) or ended
        await self._shred_if(ended)
        return len(accepted)

    # --- ending a job ----------------------------------------------------------------------

    async def cancel(self, job_id: str) -> Job:
        async with self._conn(write=True) as conn:
            ended = await _cancel(conn, await _locked_job(conn, job_id))
            job = await _job(conn, job_id)
        await self._shred_if(ended)
        return job

    async def erase(self, job_id: str) -> Job:
        async with self._conn(write=True) as conn:
            await _cancel(conn, await _locked_job(conn, job_id))
            await _erase(conn, job_id)
            job = await _job(conn, job_id)
        await self._shred_if(ended=True)
        return job

    async def purge(self, *, finished_before: datetime, abandoned_before: datetime) -> int:
        async with self._conn(write=True) as conn:
            expired = await conn.fetch(
                "SELECT id FROM verification_jobs WHERE finished_at < $1 AND erased_at IS NULL "
                "ORDER BY id FOR UPDATE",
                finished_before,
            )
            abandoned = await conn.fetch(
                "SELECT id FROM verification_jobs WHERE state = 'receiving' AND created_at < $1 "
                "ORDER BY id FOR UPDATE",
                abandoned_before,
            )
            for row in expired:
                await _erase(conn, row["id"])
            for row in abandoned:
                await _delete_job(conn, row["id"])
        await self._shred_if(ended=bool(expired or abandoned))
        return len(expired) + len(abandoned)


# --- statements ----------------------------------------------------------------------------


async def _job(conn: asyncpg.Connection, job_id: str) -> Job:
    row = await conn.fetchrow(f"{_JOB_SELECT} WHERE id = $1", job_id)
    if row is None:
        raise JobNotFound(f"no job {job_id}")
    return job_from_row(tuple(row), _moment)


async def _locked_job(conn: asyncpg.Connection, job_id: str) -> Job:
    row = await conn.fetchrow(f"{_JOB_SELECT} WHERE id = $1 FOR UPDATE", job_id)
    if row is None:
        raise JobNotFound(f"no job {job_id}")
    return job_from_row(tuple(row), _moment)


async def _lock_jobs(conn: asyncpg.Connection, job_ids: list[str]) -> None:
    await conn.execute(
        "SELECT id FROM verification_jobs WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE",
        job_ids,
    )


async def _add_counts(conn: asyncpg.Connection, job_id: str, tally: dict[str, int]) -> None:
    # Column names come from the Outcome enum only (counter_updates validates them).
    assignments = ", ".join(
        f"{outcome} = {outcome} + ${i}" for i, outcome in enumerate(tally, start=2)
    )
    await conn.execute(
        f"UPDATE verification_jobs SET {assignments} WHERE id = $1",  # noqa: S608
        job_id,
        *tally.values(),
    )


async def _keys(conn: asyncpg.Connection, job_id: str) -> JobKeys:
    rows = await conn.fetch("SELECT kind, key FROM verification_job_keys WHERE job_id = $1", job_id)
    found = {r["kind"]: bytes(r["key"]) for r in rows}
    return JobKeys(job_id, found.get(KeyKind.INPUTS.value), found.get(KeyKind.RESULTS.value))


async def _destroy_keys(conn: asyncpg.Connection, job_id: str, *kinds: KeyKind) -> None:
    names = [kind.value for kind in kinds]
    await conn.execute(
        "DELETE FROM verification_job_keys WHERE job_id = $1 AND kind = ANY($2::text[])",
        job_id,
        names,
    )


async def _finish_if_done(conn: asyncpg.Connection, job_id: str) -> bool:
    finished = await conn.fetchval(
        "UPDATE verification_jobs SET state = 'completed', finished_at = now() "  # noqa: S608
        f"WHERE id = $1 AND state IN ('queued', 'running') AND total = {_DONE_SUM} RETURNING id",
        job_id,
    )
    if finished is None:
        return False
    await _destroy_keys(conn, job_id, KeyKind.INPUTS)
    return True


async def _cancel(conn: asyncpg.Connection, job: Job) -> bool:
    if job.state not in ACTIVE_STATES:
        return False
    status = await conn.execute(
        "WITH gone AS (DELETE FROM verification_job_inputs WHERE job_id = $1 "
        "RETURNING job_id, ordinal, number) "
        "INSERT INTO verification_job_results (job_id, ordinal, number, outcome, reason) "
        "SELECT job_id, ordinal, number, 'skipped', 'job_cancelled' FROM gone",
        job.id,
    )
    skipped = int(status.rsplit(" ", 1)[-1])  # "INSERT 0 <rows>"
    await conn.execute(
        "UPDATE verification_jobs SET state = 'cancelled', finished_at = now(), "
        "skipped = skipped + $2 WHERE id = $1",
        job.id,
        skipped,
    )
    await _destroy_keys(conn, job.id, KeyKind.INPUTS)
    return True


async def _erase(conn: asyncpg.Connection, job_id: str) -> None:
    await conn.execute("DELETE FROM verification_job_inputs WHERE job_id = $1", job_id)
    await conn.execute("DELETE FROM verification_job_results WHERE job_id = $1", job_id)
    await _destroy_keys(conn, job_id, *KeyKind)
    await conn.execute(
        "UPDATE verification_jobs SET erased_at = now() WHERE id = $1 AND erased_at IS NULL",
        job_id,
    )


async def _delete_job(conn: asyncpg.Connection, job_id: str) -> None:
    await conn.execute("DELETE FROM verification_job_inputs WHERE job_id = $1", job_id)
    await conn.execute("DELETE FROM verification_job_results WHERE job_id = $1", job_id)
    await _destroy_keys(conn, job_id, *KeyKind)
    await conn.execute("DELETE FROM verification_jobs WHERE id = $1", job_id)
