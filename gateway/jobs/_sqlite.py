"""The SQLite job store: the embedded default, one file in WAL mode for one gateway process.

Every sqlite3 call runs in the store's own single thread (a connection belongs to the thread that
made it, and a commit must never block the event loop). Writes use ``BEGIN IMMEDIATE`` so a second
process on the same file (a restarted gateway while the old one dies) waits instead of failing
half-way. ``synchronous=NORMAL``: in WAL mode a killed process loses nothing that was committed;
only a power cut may roll back the last checkpoints, and those rows are then verified again
(never duplicated, because results are keyed by row). Times are seconds since 1970 (UTC).

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
from typing import TypeVar

from gateway.jobs._errors import JobConfigError, JobNotFound, JobStoreUnavailable
from gateway.jobs._model import (
    ACTIVE_STATES,
    Claim,
    Completion,
    Job,
    JobCensus,
    JobSpec,
    JobState,
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

__all__ = ["SqliteJobStore"]

T = TypeVar("T")
_BUSY_TIMEOUT_S = 10.0
_DONE_SUM = "matched + mismatched + not_found + invalid + failed + skipped"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS verification_jobs (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    agency_code TEXT,
    purpose_code TEXT NOT NULL,
    officer_id TEXT NOT NULL,
    case_id TEXT,
    request_id TEXT,
    trace_id TEXT,
    state TEXT NOT NULL,
    total INTEGER NOT NULL DEFAULT 0,
    matched INTEGER NOT NULL DEFAULT 0,
    mismatched INTEGER NOT NULL DEFAULT 0,
    not_found INTEGER NOT NULL DEFAULT 0,
    invalid INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    skipped INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL,
    erased_at REAL
);
CREATE INDEX IF NOT EXISTS verification_jobs_by_client
    ON verification_jobs (client_id, created_at);
CREATE INDEX IF NOT EXISTS verification_jobs_by_state
    ON verification_jobs (state, created_at);
CREATE TABLE IF NOT EXISTS verification_job_inputs (
    job_id TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    details BLOB NOT NULL,
    number BLOB NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    claim_id TEXT,
    lease_until REAL NOT NULL DEFAULT 0,
    PRIMARY KEY (job_id, ordinal)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS verification_job_results (
    job_id TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    number BLOB NOT NULL,
    outcome TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (job_id, ordinal)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS verification_job_keys (
    job_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    key BLOB NOT NULL,
    PRIMARY KEY (job_id, kind)
);
"""


def _moment(seconds: float | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def _seconds(moment: datetime) -> float:
    return moment.timestamp()


def _input_values(keys: JobKeys, row: RowInput) -> tuple[object, ...]:
    number = keys.seal_number(row.ordinal, row.number)
    return (keys.job_id, row.ordinal, keys.seal_details(row), number)


class SqliteJobStore:
    """A job store in one SQLite file; see :class:`~gateway.jobs.JobStore`."""

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time) -> None:
        self._path = path
        self._clock = clock
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
        return await loop.run_in_executor(self._executor, _translated, work, conn)

    async def open(self) -> None:
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="jobs-sqlite")
        loop = asyncio.get_running_loop()
        self._conn = await loop.run_in_executor(self._executor, _connect, self._path)

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
        columns = ("id", *SPEC_COLUMNS, "state", "created_at")
        values = (job_id, *(getattr(spec, n) for n in SPEC_COLUMNS), "receiving", self._clock())

        def work(conn: sqlite3.Connection) -> Job:
            with _write(conn):
                conn.execute(
                    f"INSERT INTO verification_jobs ({', '.join(columns)}) "  # noqa: S608
                    f"VALUES ({', '.join('?' * len(columns))})",
                    values,
                )
                conn.executemany(
                    "INSERT INTO verification_job_keys (job_id, kind, key) VALUES (?, ?, ?)",
                    [(job_id, kind.value, new_key()) for kind in KeyKind],
                )
            return _job(conn, job_id)

        return await self._run(work)

    async def add_rows(
        self, job_id: str, rows: Sequence[RowInput], invalid: Sequence[RowResult]
    ) -> None:
        def work(conn: sqlite3.Connection) -> None:
            with _write(conn):
                keys = _keys(conn, job_id)
                conn.executemany(
                    "INSERT INTO verification_job_inputs (job_id, ordinal, details, number) "
                    "VALUES (?, ?, ?, ?)",
                    [_input_values(keys, row) for row in rows],
                )
                _insert_results(conn, keys, invalid)
                conn.execute(
                    "UPDATE verification_jobs SET total = total + ?, invalid = invalid + ? "
                    "WHERE id = ?",
                    (len(rows) + len(invalid), len(invalid), job_id),
                )

        await self._run(work)

    async def seal(self, job_id: str) -> Job:
        def work(conn: sqlite3.Connection) -> Job:
            with _write(conn):
                conn.execute(
                    "UPDATE verification_jobs SET state = 'queued' "
                    "WHERE id = ? AND state = 'receiving'",
                    (job_id,),
                )
                ended = _finish_if_done(conn, job_id, self._clock())
            _shred_if(conn, ended)
            return _job(conn, job_id)

        return await self._run(work)

    async def discard(self, job_id: str) -> None:
        def work(conn: sqlite3.Connection) -> None:
            with _write(conn):
                _delete_job(conn, job_id)
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
            return census_from_rows(conn.execute(CENSUS_SQL).fetchall(), _moment)

        return await self._run(work)

    async def jobs_of(self, client_id: str, *, limit: int) -> list[Job]:
        def work(conn: sqlite3.Connection) -> list[Job]:
            rows = conn.execute(
                f"SELECT {', '.join(JOB_COLUMNS)} FROM verification_jobs "  # noqa: S608
                "WHERE client_id = ? ORDER BY created_at DESC, id LIMIT ?",
                (client_id, limit),
            ).fetchall()
            return [job_from_row(row, _moment) for row in rows]

        return await self._run(work)

    async def results(self, job_id: str, *, after: int, limit: int) -> list[RowResult]:
        def work(conn: sqlite3.Connection) -> list[RowResult]:
            rows = conn.execute(
                "SELECT ordinal, number, outcome, reason FROM verification_job_results "
                "WHERE job_id = ? AND ordinal > ? ORDER BY ordinal LIMIT ?",
                (job_id, after, limit),
            ).fetchall()
            if not rows:
                return []
            keys = _keys(conn, job_id)
            return [RowResult(o, keys.open_number(o, n), Outcome(out), r) for o, n, out, r in rows]

        return await self._run(work)

    # --- the worker's side ---------------------------------------------------------------

    async def claim(self, *, limit: int, lease_s: float) -> Claim | None:
        claim_id = secrets.token_hex(8)

        def work(conn: sqlite3.Connection) -> Claim | None:
            now = self._clock()
            with _write(conn):
                for job in _active_jobs(conn):
                    rows = _lease(conn, job.id, claim_id, limit, now=now, until=now + lease_s)
                    if rows:
                        _mark_running(conn, job.id, now)
                        return Claim(job.id, claim_id, job.spec, rows)
            return None

        return await self._run(work)

    async def extend(self, keys: Sequence[RowKey], lease_s: float) -> None:
        def work(conn: sqlite3.Connection) -> None:
            until = self._clock() + lease_s
            with _write(conn):
                conn.executemany(
                    "UPDATE verification_job_inputs SET lease_until = ? "
                    "WHERE job_id = ? AND ordinal = ? AND claim_id = ?",
                    [(until, k.job_id, k.ordinal, k.claim_id) for k in keys],
                )

        await self._run(work)

    async def release(self, keys: Sequence[RowKey], *, delay_s: float, count_attempt: bool) -> None:
        def work(conn: sqlite3.Connection) -> None:
            until = self._clock() + delay_s
            with _write(conn):
                conn.executemany(
                    "UPDATE verification_job_inputs "
                    "SET claim_id = NULL, lease_until = ?, attempts = attempts + ? "
                    "WHERE job_id = ? AND ordinal = ? AND claim_id = ?",
                    [(until, int(count_attempt), k.job_id, k.ordinal, k.claim_id) for k in keys],
                )

        await self._run(work)

    async def complete(self, completions: Sequence[Completion]) -> int:
        def work(conn: sqlite3.Connection) -> int:
            now = self._clock()
            ended = False
            with _write(conn):
                accepted = [(c.key.job_id, c.outcome.value) for c in completions if _move(conn, c)]
                for job_id, tally in counter_updates(accepted).items():
                    _add_counts(conn, job_id, tally)
                    ended = _finish_if_done(conn, job_id, now) or ended
            _shred_if(conn, ended)
            return len(accepted)

        return await self._run(work)

    # --- ending a job ----------------------------------------------------------------------

    async def cancel(self, job_id: str) -> Job:
        def work(conn: sqlite3.Connection) -> Job:
            with _write(conn):
                ended = _cancel(conn, _job(conn, job_id), self._clock())
            _shred_if(conn, ended)
            return _job(conn, job_id)

        return await self._run(work)

    async def erase(self, job_id: str) -> Job:
        def work(conn: sqlite3.Connection) -> Job:
            now = self._clock()
            with _write(conn):
                _cancel(conn, _job(conn, job_id), now)
                _erase(conn, job_id, now)
            _shred_if(conn, ended=True)
            return _job(conn, job_id)

        return await self._run(work)

    async def purge(self, *, finished_before: datetime, abandoned_before: datetime) -> int:
        def work(conn: sqlite3.Connection) -> int:
            now = self._clock()
            with _write(conn):
                expired = conn.execute(
                    "SELECT id FROM verification_jobs WHERE finished_at < ? AND erased_at IS NULL",
                    (_seconds(finished_before),),
                ).fetchall()
                abandoned = conn.execute(
                    "SELECT id FROM verification_jobs WHERE state = 'receiving' AND created_at < ?",
                    (_seconds(abandoned_before),),
                ).fetchall()
                for (job_id,) in expired:
                    _erase(conn, job_id, now)
                for (job_id,) in abandoned:
                    _delete_job(conn, job_id)
            _shred_if(conn, ended=bool(expired or abandoned))
            return len(expired) + len(abandoned)

        return await self._run(work)


# --- statements (run in the store's thread) ------------------------------------------------


def _connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    _owner_only(path)
    conn = sqlite3.connect(
        path, timeout=_BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=True
    )
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA secure_delete=FAST")  # zero deleted cells where it costs no extra I/O
    conn.execute("PRAGMA temp_store=MEMORY")  # no temp file on disk
    conn.executescript(_SCHEMA)
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
    found = dict(
        conn.execute(
            "SELECT kind, key FROM verification_job_keys WHERE job_id = ?", (job_id,)
        ).fetchall()
    )
    return JobKeys(job_id, found.get(KeyKind.INPUTS.value), found.get(KeyKind.RESULTS.value))


def _destroy_keys(conn: sqlite3.Connection, job_id: str, *kinds: KeyKind) -> None:
    # Overwrite first so the cell's bytes are gone even where a delete only unlinks them.
    names = [kind.value for kind in kinds]
    marks = ", ".join("?" * len(names))
    conn.execute(
        "UPDATE verification_job_keys SET key = zeroblob(length(key)) "  # noqa: S608
        f"WHERE job_id = ? AND kind IN ({marks})",
        (job_id, *names),
    )
    conn.execute(
        f"DELETE FROM verification_job_keys WHERE job_id = ? AND kind IN ({marks})",  # noqa: S608
        (job_id, *names),
    )


def _shred_if(conn: sqlite3.Connection, ended: bool) -> None:
    """After a key was destroyed: copy the WAL into the file and cut the WAL to zero bytes, so
    the key survives in no older frame. Best effort: a busy reader only delays it to the next."""
    if ended:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _translated(work: Callable[[sqlite3.Connection], T], conn: sqlite3.Connection) -> T:
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
    row = conn.execute(
        f"SELECT {', '.join(JOB_COLUMNS)} FROM verification_jobs WHERE id = ?",  # noqa: S608
        (job_id,),
    ).fetchone()
    if row is None:
        raise JobNotFound(f"no job {job_id}")
    return job_from_row(row, _moment)


def _active_jobs(conn: sqlite3.Connection) -> list[Job]:
    rows = conn.execute(
        f"SELECT {', '.join(JOB_COLUMNS)} FROM verification_jobs "  # noqa: S608
        "WHERE state IN ('queued', 'running') ORDER BY created_at, id"
    ).fetchall()
    return [job_from_row(row, _moment) for row in rows]


def _lease(
    conn: sqlite3.Connection, job_id: str, claim_id: str, limit: int, *, now: float, until: float
) -> tuple[RowInput, ...]:
    rows = conn.execute(
        "UPDATE verification_job_inputs SET claim_id = ?, lease_until = ? "
        "WHERE job_id = ? AND ordinal IN (SELECT ordinal FROM verification_job_inputs "
        "WHERE job_id = ? AND lease_until < ? ORDER BY ordinal LIMIT ?) "
        "RETURNING ordinal, details, attempts",
        (claim_id, until, job_id, job_id, now, limit),
    ).fetchall()
    if not rows:
        return ()
    keys = _keys(conn, job_id)
    opened = (keys.open_details(ordinal, details, tries) for ordinal, details, tries in rows)
    return tuple(sorted(opened, key=lambda r: r.ordinal))


def _mark_running(conn: sqlite3.Connection, job_id: str, now: float) -> None:
    conn.execute(
        "UPDATE verification_jobs SET state = 'running', started_at = ? "
        "WHERE id = ? AND state = 'queued'",
        (now, job_id),
    )


def _move(conn: sqlite3.Connection, completion: Completion) -> bool:
    """Move one still-claimed row from inputs to results; False if the claim no longer holds."""
    key = completion.key
    gone = conn.execute(
        "DELETE FROM verification_job_inputs WHERE job_id = ? AND ordinal = ? AND claim_id = ? "
        "RETURNING number",
        (key.job_id, key.ordinal, key.claim_id),
    ).fetchone()
    if gone is None:
        return False
    conn.execute(
        "INSERT INTO verification_job_results (job_id, ordinal, number, outcome, reason) "
        "VALUES (?, ?, ?, ?, ?)",
        (key.job_id, key.ordinal, gone[0], completion.outcome.value, completion.reason),
    )
    return True


def _insert_results(conn: sqlite3.Connection, keys: JobKeys, results: Sequence[RowResult]) -> None:
    conn.executemany(
        "INSERT INTO verification_job_results (job_id, ordinal, number, outcome, reason) "
        "VALUES (?, ?, ?, ?, ?)",
        [
            (
                keys.job_id,
                r.ordinal,
                keys.seal_number(r.ordinal, r.number),
                r.outcome.value,
                r.reason,
            )
            for r in results
        ],
    )


def _add_counts(conn: sqlite3.Connection, job_id: str, tally: dict[str, int]) -> None:
    # Column names come from the Outcome enum only (counter_updates validates them).
    assignments = ", ".join(f"{outcome} = {outcome} + ?" for outcome in tally)
    conn.execute(
        f"UPDATE verification_jobs SET {assignments} WHERE id = ?",  # noqa: S608
        (*tally.values(), job_id),
    )


def _finish_if_done(conn: sqlite3.Connection, job_id: str, now: float) -> bool:
    """Complete the job if every row has its outcome (then its inputs key is destroyed)."""
    finished = conn.execute(
        "UPDATE verification_jobs SET state = 'completed', finished_at = ? "  # noqa: S608
        f"WHERE id = ? AND state IN ('queued', 'running') AND total = {_DONE_SUM}",
        (now, job_id),
    ).rowcount
    if finished:
        _destroy_keys(conn, job_id, KeyKind.INPUTS)
    return bool(finished)


def _cancel(conn: sqlite3.Connection, job: Job, now: float) -> bool:
    if job.state not in ACTIVE_STATES:
        return False
    skipped = conn.execute(
        "INSERT INTO verification_job_results (job_id, ordinal, number, outcome, reason) "
        "SELECT job_id, ordinal, number, 'skipped', 'job_cancelled' "
        "FROM verification_job_inputs WHERE job_id = ?",
        (job.id,),
    ).rowcount
    conn.execute("DELETE FROM verification_job_inputs WHERE job_id = ?", (job.id,))
    conn.execute(
        "UPDATE verification_jobs SET state = ?, finished_at = ?, skipped = skipped + ? "
        "WHERE id = ?",
        (JobState.CANCELLED.value, now, skipped, job.id),
    )
    _destroy_keys(conn, job.id, KeyKind.INPUTS)
    return True


def _erase(conn: sqlite3.Connection, job_id: str, now: float) -> None:
    conn.execute("DELETE FROM verification_job_inputs WHERE job_id = ?", (job_id,))
    conn.execute("DELETE FROM verification_job_results WHERE job_id = ?", (job_id,))
    _destroy_keys(conn, job_id, *KeyKind)
    conn.execute(
        "UPDATE verification_jobs SET erased_at = ? WHERE id = ? AND erased_at IS NULL",
        (now, job_id),
    )


def _delete_job(conn: sqlite3.Connection, job_id: str) -> None:
    conn.execute("DELETE FROM verification_job_inputs WHERE job_id = ?", (job_id,))
    conn.execute("DELETE FROM verification_job_results WHERE job_id = ?", (job_id,))
    _destroy_keys(conn, job_id, *KeyKind)
    conn.execute("DELETE FROM verification_jobs WHERE id = ?", (job_id,))
