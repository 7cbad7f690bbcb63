"""The SQLite job store: the embedded default, one file in WAL mode for one gateway process.

Every sqlite3 call runs in the store's own single thread (a connection belongs to the thread that
made it, and a commit must never block the event loop). Writes use ``BEGIN IMMEDIATE`` so a second
process on the same file (a restarted gateway while the old one dies) waits instead of failing
half-way. ``synchronous=NORMAL``: in WAL mode a killed process loses nothing that was committed;
only a power cut may roll back the last checkpoints, and those rows are then verified again
(never duplicated, because results are keyed by row). Times are seconds since 1970 (UTC); the
shared statements (:mod:`gateway.jobs._sql`) read the current one from ``now()``, which this store
defines as its clock read once per unit of work.

Personal data is sealed under the job's keys (:mod:`gateway.jobs._sealing`) before it reaches the
file. The file and its ``-wal``/``-shm`` companions are created 0600. A destroyed key is first
overwritten in place with zeros (same size, so SQLite rewrites the cell where it lies), then
deleted, and the WAL is checkpointed and truncated, so the key's bytes are left in no frame or page
of any of the three files (tests/gateway/jobs/test_at_rest.py reads them all). Temporary tables and
sorts stay in memory (``temp_store=MEMORY``): no temp file is ever written.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from gateway.jobs import _sql as sql
from gateway.jobs._errors import JobConfigError, JobNotFound, JobStoreUnavailable
from gateway.jobs._model import ACTIVE_STATES, Claim
from gateway.jobs._sealing import OLD_LAYOUT, KeyKind

if TYPE_CHECKING:
    from gateway.jobs._model import Completion, Job, JobCensus, JobSpec, RowInput, RowKey, RowResult
    from gateway.jobs._sealing import JobKeys

__all__ = ["SqliteJobStore"]

T = TypeVar("T")
_BUSY_TIMEOUT_S = 10.0
_q = sql.SQLITE.render
# Overwrite first so the cell's bytes are gone even where a delete only unlinks them.
_ZERO_KEY = (
    "UPDATE verification_job_keys SET key = zeroblob(length(key)) WHERE job_id = ? AND kind = ?"
)
_SKIP_REMAINING = (
    "INSERT INTO verification_job_results (job_id, ordinal, number, outcome, reason)"
    " SELECT job_id, ordinal, number, 'skipped', 'job_cancelled'"
    " FROM verification_job_inputs WHERE job_id = ?"
)
_TAKE = (
    "DELETE FROM verification_job_inputs WHERE job_id = ? AND ordinal = ? AND claim_id = ?"
    " RETURNING number"
)


def _moment(seconds: float | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


class _WorkClock:
    """``now()`` in this store's SQL: the store's clock read once per unit of work, as PostgreSQL's
    ``now()`` is its transaction's start, so all that one change writes carries the same time."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._at = clock()

    def start(self) -> None:
        self._at = self._clock()

    def __call__(self) -> float:
        return self._at


class SqliteJobStore:
    """A job store in one SQLite file; see :class:`~gateway.jobs.JobStore`."""

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time) -> None:
        self._path = path
        self._now = _WorkClock(clock)
        self._executor: ThreadPoolExecutor | None = None
        self._conn: sqlite3.Connection | None = None

    def __repr__(self) -> str:
        return f"SqliteJobStore({str(self._path)!r})"

    # --- plumbing ------------------------------------------------------------------------

    async def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        if self._executor is None or self._conn is None:
            raise JobStoreUnavailable("the SQLite job store is not open")
        conn = self._conn
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, _translated, work, conn, self._now)

    async def open(self) -> None:
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="jobs-sqlite")
        loop = asyncio.get_running_loop()
        self._conn = await loop.run_in_executor(self._executor, _connect, self._path, self._now)

    async def close(self) -> None:
        if self._executor is None:
            return
        conn, self._conn = self._conn, None
        if conn is not None:
            await asyncio.get_running_loop().run_in_executor(self._executor, conn.close)
        self._executor.shutdown(wait=True)
        self._executor = None

    # --- receiving an upload -------------------------------------------------------------

    async def create_job(self, job_id: str, spec: JobSpec) -> Job:
        def work(conn: sqlite3.Connection) -> Job:
            with _write(conn):
                conn.execute(_q(sql.INSERT_JOB), sql.job_values(job_id, spec))
                conn.executemany(_q(sql.INSERT_KEY), sql.new_key_rows(job_id))
            return _job(conn, job_id)

        return await self._run(work)

    async def add_rows(
        self, job_id: str, rows: Sequence[RowInput], invalid: Sequence[RowResult]
    ) -> None:
        def work(conn: sqlite3.Connection) -> None:
            with _write(conn):
                keys = _keys(conn, job_id)
                conn.executemany(_q(sql.INSERT_INPUT), [sql.input_values(keys, r) for r in rows])
                conn.executemany(
                    _q(sql.INSERT_RESULT), [sql.result_values(keys, r) for r in invalid]
                )
                conn.execute(_q(sql.ADD_ROWS), (len(rows) + len(invalid), len(invalid), job_id))

        await self._run(work)

    async def seal(self, job_id: str) -> Job:
        def queue(conn: sqlite3.Connection) -> bool:
            conn.execute(_q(sql.QUEUE), (job_id,))
            return _finish_if_done(conn, job_id)

        return await self._change(job_id, queue)

    async def discard(self, job_id: str) -> None:
        def work(conn: sqlite3.Connection) -> None:
            with _write(conn):
                _forget(conn, job_id, sql.DELETE_JOB)
            _shred_if(conn, ended=True)

        await self._run(work)

    # --- reading -------------------------------------------------------------------------

    async def get(self, job_id: str) -> Job | None:
        def work(conn: sqlite3.Connection) -> Job | None:
            try:
                return _job(conn, job_id)
            except JobNotFound:
                return None

        return await self._run(work)

    async def census(self) -> JobCensus:
        def work(conn: sqlite3.Connection) -> JobCensus:
            return sql.census_from_rows(conn.execute(_q(sql.CENSUS)).fetchall(), _moment)

        return await self._run(work)

    async def jobs_of(self, client_id: str, *, limit: int) -> list[Job]:
        def work(conn: sqlite3.Connection) -> list[Job]:
            rows = conn.execute(_q(sql.JOBS_OF), (client_id, limit)).fetchall()
            return [sql.job_from_row(row, _moment) for row in rows]

        return await self._run(work)

    async def results(self, job_id: str, *, after: int, limit: int) -> list[RowResult]:
        def work(conn: sqlite3.Connection) -> list[RowResult]:
            rows = conn.execute(_q(sql.RESULTS), (job_id, after, limit)).fetchall()
            if not rows:
                return []
            return sql.results_from_rows(_keys(conn, job_id), rows)

        return await self._run(work)

    # --- the worker's side ---------------------------------------------------------------

    async def claim(self, *, limit: int, lease_s: float) -> Claim | None:
        claim_id = secrets.token_hex(8)

        def work(conn: sqlite3.Connection) -> Claim | None:
            with _write(conn):
                for job in _active_jobs(conn):
                    rows = _lease(conn, job.id, claim_id, limit, lease_s)
                    if rows:
                        conn.execute(_q(sql.MARK_RUNNING), (job.id,))
                        return Claim(job.id, claim_id, job.spec, rows)
            return None

        return await self._run(work)

    async def extend(self, keys: Sequence[RowKey], lease_s: float) -> None:
        def work(conn: sqlite3.Connection) -> None:
            with _write(conn):
                conn.executemany(_q(sql.EXTEND), sql.extend_rows(keys, lease_s))

        await self._run(work)

    async def release(self, keys: Sequence[RowKey], *, delay_s: float, count_attempt: bool) -> None:
        rows = sql.release_rows(keys, delay_s, count_attempt=count_attempt)

        def work(conn: sqlite3.Connection) -> None:
            with _write(conn):
                conn.executemany(_q(sql.RELEASE), rows)

        await self._run(work)

    async def complete(self, completions: Sequence[Completion]) -> int:
        def work(conn: sqlite3.Connection) -> int:
            ended = False
            with _write(conn):
                accepted = [(c.key.job_id, c.outcome.value) for c in completions if _move(conn, c)]
                for job_id, tally in sql.counter_updates(accepted).items():
                    conn.execute(_q(sql.add_counts(tally)), (*tally.values(), job_id))
                    ended = _finish_if_done(conn, job_id) or ended
            _shred_if(conn, ended)
            return len(accepted)

        return await self._run(work)

    # --- ending a job ----------------------------------------------------------------------

    async def cancel(self, job_id: str) -> Job:
        return await self._change(job_id, lambda conn: _cancel(conn, _job(conn, job_id)))

    async def erase(self, job_id: str) -> Job:
        def erase(conn: sqlite3.Connection) -> bool:
            _cancel(conn, _job(conn, job_id))
            _forget(conn, job_id, sql.MARK_ERASED)
            return True

        return await self._change(job_id, erase)

    async def _change(self, job_id: str, change: Callable[[sqlite3.Connection], bool]) -> Job:
        """Run ``change`` in one write transaction, then shred if it ended the job (it says so)."""

        def work(conn: sqlite3.Connection) -> Job:
            with _write(conn):
                ended = change(conn)
            _shred_if(conn, ended)
            return _job(conn, job_id)

        return await self._run(work)

    async def purge(self, *, finished_before: datetime, abandoned_before: datetime) -> int:
        def work(conn: sqlite3.Connection) -> int:
            with _write(conn):
                expired = _ids(conn, sql.EXPIRED, finished_before)
                abandoned = _ids(conn, sql.ABANDONED, abandoned_before)
                for job_id in expired:
                    _forget(conn, job_id, sql.MARK_ERASED)
                for job_id in abandoned:
                    _forget(conn, job_id, sql.DELETE_JOB)
            _shred_if(conn, ended=bool(expired or abandoned))
            return len(expired) + len(abandoned)

        return await self._run(work)


# --- statements (run in the store's thread) ------------------------------------------------


def _connect(path: Path, now: _WorkClock) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    _owner_only(path)
    conn = sqlite3.connect(
        path, timeout=_BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=True
    )
    conn.create_function("now", 0, now)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA secure_delete=FAST")  # zero deleted cells where it costs no extra I/O
    conn.execute("PRAGMA temp_store=MEMORY")  # no temp file on disk
    conn.executescript(_q(sql.SCHEMA))
    columns = {row[1] for row in conn.execute("PRAGMA table_info(verification_job_inputs)")}
    if "details" not in columns:
        conn.close()
        raise JobConfigError(OLD_LAYOUT)
    return conn


def _owner_only(path: Path) -> None:
    """Create the file 0600 (SQLite gives -wal and -shm the database's mode) or tighten it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(fd)
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if name.exists():
            name.chmod(0o600)


def _keys(conn: sqlite3.Connection, job_id: str) -> JobKeys:
    return sql.job_keys(job_id, conn.execute(_q(sql.KEYS), (job_id,)).fetchall())


def _destroy_keys(conn: sqlite3.Connection, job_id: str, *kinds: KeyKind) -> None:
    rows = sql.key_rows(job_id, kinds)
    conn.executemany(_ZERO_KEY, rows)
    conn.executemany(_q(sql.DESTROY_KEY), rows)


def _shred_if(conn: sqlite3.Connection, ended: bool) -> None:
    """After a key was destroyed: copy the WAL into the file and cut the WAL to zero bytes, so
    the key survives in no older frame. Best effort: a busy reader only delays it to the next."""
    if ended:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _translated(
    work: Callable[[sqlite3.Connection], T], conn: sqlite3.Connection, now: _WorkClock
) -> T:
    now.start()
    try:
        return work(conn)
    except (sqlite3.Error, OSError) as exc:
        raise JobStoreUnavailable(f"SQLite: {exc}") from exc


@contextmanager
def _write(conn: sqlite3.Connection) -> Iterator[None]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _job(conn: sqlite3.Connection, job_id: str) -> Job:
    row = conn.execute(_q(sql.JOB), (job_id,)).fetchone()
    if row is None:
        raise JobNotFound(f"no job {job_id}")
    return sql.job_from_row(row, _moment)


def _active_jobs(conn: sqlite3.Connection) -> list[Job]:
    rows = conn.execute(_q(sql.ACTIVE_JOBS)).fetchall()
    return [sql.job_from_row(row, _moment) for row in rows]


def _ids(conn: sqlite3.Connection, statement: str, before: datetime) -> list[str]:
    return [job_id for (job_id,) in conn.execute(_q(statement), (before.timestamp(),))]


def _lease(
    conn: sqlite3.Connection, job_id: str, claim_id: str, limit: int, lease_s: float
) -> tuple[RowInput, ...]:
    rows = conn.execute(_q(sql.LEASE), (job_id, limit, claim_id, lease_s, job_id)).fetchall()
    if not rows:
        return ()
    keys = _keys(conn, job_id)
    opened = (keys.open_details(ordinal, details, tries) for ordinal, details, tries in rows)
    return tuple(sorted(opened, key=lambda r: r.ordinal))


def _move(conn: sqlite3.Connection, completion: Completion) -> bool:
    """Move one still-claimed row from inputs to results; False if the claim no longer holds."""
    key = completion.key
    gone = conn.execute(_TAKE, (key.job_id, key.ordinal, key.claim_id)).fetchone()
    if gone is None:
        return False
    outcome = (completion.outcome.value, completion.reason)
    conn.execute(_q(sql.INSERT_RESULT), (key.job_id, key.ordinal, gone[0], *outcome))
    return True


def _finish_if_done(conn: sqlite3.Connection, job_id: str) -> bool:
    """Complete the job if every row has its outcome (then its inputs key is destroyed)."""
    finished = conn.execute(_q(sql.FINISH), (job_id,)).fetchall()
    if finished:
        _destroy_keys(conn, job_id, KeyKind.INPUTS)
    return bool(finished)


def _cancel(conn: sqlite3.Connection, job: Job) -> bool:
    if job.state not in ACTIVE_STATES:
        return False
    skipped = conn.execute(_SKIP_REMAINING, (job.id,)).rowcount
    conn.execute(_q(sql.DELETE_INPUTS), (job.id,))
    conn.execute(_q(sql.CANCELLED), (skipped, job.id))
    _destroy_keys(conn, job.id, KeyKind.INPUTS)
    return True


def _forget(conn: sqlite3.Connection, job_id: str, last: str) -> None:
    """Delete the job's rows and results and destroy its keys, then run ``last`` on the job:
    :data:`~gateway.jobs._sql.MARK_ERASED` keeps its counts, ``DELETE_JOB`` removes it."""
    conn.execute(_q(sql.DELETE_INPUTS), (job_id,))
    conn.execute(_q(sql.DELETE_RESULTS), (job_id,))
    _destroy_keys(conn, job_id, *KeyKind)
    conn.execute(_q(last), (job_id,))
