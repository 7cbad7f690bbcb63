"""Personal data at rest: after a job ends, no byte the store left on disk gives a row's details.

Real jobs (completed, cancelled, SIGKILLed and resumed, erased) run on SQLite and PostgreSQL with
planted names, birth dates and numbers. Then every byte of every file the store wrote is read
(SQLite: the database, ``-wal``, ``-shm`` and anything else in its directory; PostgreSQL: every
relation file of the job tables, their indexes and TOAST, after a ``CHECKPOINT``) and searched
for the planted values in clear, and for the job's destroyed keys: a sealed copy left anywhere
must stay unreadable (on PostgreSQL: in no relation file after the store's VACUUM of the key
table; WAL segments are out of reach, see docs/jobs.md).
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import stat
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from gateway.jobs import (
    JobConfigError,
    JobStore,
    JobStoreUnavailable,
    JobWorker,
    RowInput,
    WorkerConfig,
    open_job_store,
)
from gateway.jobs._sealing import JobKeys, new_key
from tests.gateway.jobs.support import SPEC, FakeVerifier, eventually, finished, numbered
from tests.gateway.jobs.test_resume import _start_victim

ROWS = 300
WORKER = WorkerConfig(worker_id="w", concurrency=8, idle_poll_s=0.05, flush_interval_s=0.05)


@dataclass(frozen=True)
class Planted:
    """The personal values of a job's rows, in every form the store could have written them."""

    values: tuple[bytes, ...]

    def hits(self, data: bytes) -> int:
        return sum(1 for value in self.values if value in data)


def _birth_date(ordinal: int) -> date:
    return date(1950, 1, 1) + timedelta(days=ordinal * 37)


def planted_rows(job_index: int) -> tuple[list[RowInput], Planted]:
    rows = [
        RowInput(
            ordinal=n,
            number=numbered(job_index * 10_000 + n),
            full_name=f"Trịnh Thị Gieo Mầm {job_index:02d}{n:04d}",
            birth_date=_birth_date(n),
            birth_year=_birth_date(n).year,
            sex=1 + n % 2,
        )
        for n in range(1, ROWS + 1)
    ]
    values: list[bytes] = []
    for row in rows:
        assert row.full_name is not None
        assert row.birth_date is not None
        values += [row.number.encode(), row.full_name.encode()]
        values += [
            row.birth_date.isoformat().encode(),
            row.birth_date.strftime("%d/%m/%Y").encode(),
        ]
    return rows, Planted(tuple(values))


async def submit(store: JobStore, job_id: str, rows: list[RowInput]) -> None:
    await store.create_job(job_id, SPEC)
    await store.add_rows(job_id, rows, [])
    await store.seal(job_id)


# --- what is on disk ------------------------------------------------------------------------


async def disk_files(dsn: str) -> dict[str, bytes]:
    """Every file the store wrote, by name, with its bytes."""
    if dsn.startswith("sqlite"):
        return _folder_files(Path(dsn.removeprefix("sqlite:///")).parent)
    base, _, schema = dsn.partition("?schema=")
    conn = await asyncpg.connect(base)
    try:
        await conn.execute("CHECKPOINT")  # shared buffers to the relation files
        rows = await conn.fetch(
            "SELECT c.relname, pg_relation_filepath(c.oid) AS path FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 "
            "UNION ALL SELECT t.relname, pg_relation_filepath(t.oid) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_class t "
            "ON t.oid = c.reltoastrelid WHERE n.nspname = $1",
            schema,
        )
        files = {}
        for row in rows:
            if row["path"] is not None:
                files[row["relname"]] = await conn.fetchval(
                    "SELECT pg_read_binary_file($1)", row["path"]
                )
        return files
    finally:
        await conn.close()


def _folder_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def _modes(folder: Path) -> dict[str, int]:
    return {p.name: stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()}


async def live_keys(dsn: str, job_id: str) -> dict[str, bytes]:
    """The job's keys as the store holds them now (read straight from the table)."""
    query = "SELECT kind, key FROM verification_job_keys WHERE job_id = "
    if dsn.startswith("sqlite"):
        with sqlite3.connect(dsn.removeprefix("sqlite:///")) as conn:
            return {k: bytes(v) for k, v in conn.execute(query + "?", (job_id,)).fetchall()}
    base, _, schema = dsn.partition("?schema=")
    conn = await asyncpg.connect(base, server_settings={"search_path": schema})
    try:
        return {r["kind"]: bytes(r["key"]) for r in await conn.fetch(query + "$1", job_id)}
    finally:
        await conn.close()


async def files_without_keys(
    store: JobStore, dsn: str, destroyed: list[bytes]
) -> tuple[dict[str, bytes], list[str]]:
    """The store's files, and those still holding a destroyed key's bytes.

    PostgreSQL's VACUUM cannot remove a dead row that a transaction begun earlier may still see
    (here: other sessions' tests on the same server; in production a long query or a pg_dump),
    so on PostgreSQL the store's own vacuum is repeated, as its next key destruction would, for
    a bounded time. Without the store's vacuum, or without key destruction, this never clears.
    """
    deadline = time.monotonic() + 10
    while True:
        files = await disk_files(dsn)
        where = [name for name, data in files.items() for key in destroyed if key in data]
        if not where or dsn.startswith("sqlite") or time.monotonic() > deadline:
            return files, where
        await store._shred_if(ended=True)  # type: ignore[attr-defined]  # the store's next vacuum
        await asyncio.sleep(0.2)


async def assert_nothing_readable(
    store: JobStore, dsn: str, planted: Planted, destroyed: list[bytes]
) -> None:
    """No planted value in clear in any file; no destroyed key in any file (or live row)."""
    files, where = await files_without_keys(store, dsn, destroyed)
    assert files, "the store wrote files"
    clear = {name: planted.hits(data) for name, data in files.items() if planted.hits(data)}
    assert not clear, f"personal values in clear: {clear} (counts per file)"
    assert not where, f"a destroyed key's bytes are still in {where}"
    remaining = set(destroyed)
    for job_keys in [
        await live_keys(dsn, job) for job in ("done", "cancelled", "erased", "k", "expired")
    ]:
        assert not remaining & set(job_keys.values()), "a destroyed key is still a live row"


# --- the jobs -------------------------------------------------------------------------------


async def run_to_end(store: JobStore, job_id: str) -> None:
    worker = JobWorker(store, FakeVerifier(), WORKER)
    await worker.start()
    try:
        await finished(store, job_id)
    finally:
        await worker.close()


async def test_completed_job_leaves_no_details_and_no_inputs_key(
    jobs_dsn: str, store: JobStore
) -> None:
    """Once a job completes, its inputs key is gone; results keep the number, sealed."""
    rows, planted = planted_rows(1)
    await submit(store, "done", rows)
    keys = await live_keys(jobs_dsn, "done")
    assert set(keys) == {"inputs", "results"}
    await run_to_end(store, "done")
    await assert_nothing_readable(store, jobs_dsn, planted, [keys["inputs"]])
    assert set(await live_keys(jobs_dsn, "done")) == {"results"}, "results stay downloadable"


async def test_cancelled_job_leaves_no_details(jobs_dsn: str, store: JobStore) -> None:
    """Cancelling mid-job destroys the inputs key of the rows never verified."""
    rows, planted = planted_rows(2)
    await submit(store, "cancelled", rows)
    keys = await live_keys(jobs_dsn, "cancelled")
    worker = JobWorker(store, FakeVerifier(latency_s=0.01), WORKER)
    await worker.start()
    try:

        async def some_done() -> bool:
            job = await store.get("cancelled")
            return job is not None and job.counts.done >= 20

        await eventually(some_done)
        job = await store.cancel("cancelled")
    finally:
        await worker.close()
    assert 0 < job.counts.skipped < ROWS, "cancelled mid-job"
    await assert_nothing_readable(store, jobs_dsn, planted, [keys["inputs"]])


async def test_erased_job_leaves_nothing_and_no_key(jobs_dsn: str, store: JobStore) -> None:
    """Erasing a finished job destroys the results key too: no sealed number opens again."""
    rows, planted = planted_rows(3)
    await submit(store, "erased", rows)
    keys = await live_keys(jobs_dsn, "erased")
    await run_to_end(store, "erased")
    await store.erase("erased")
    assert set(await live_keys(jobs_dsn, "erased")) == set(), "no key is left"
    await assert_nothing_readable(store, jobs_dsn, planted, list(keys.values()))


@pytest.mark.slow
async def test_sigkilled_and_resumed_job_leaves_no_details(jobs_dsn: str, store: JobStore) -> None:
    """A worker killed mid-job: the key survives the crash (the job resumes), then dies with it."""
    rows, planted = planted_rows(4)
    rows = rows + [RowInput(n, numbered(40_000 + n), "x") for n in range(ROWS + 1, ROWS + 1500)]
    await submit(store, "k", rows)
    keys = await live_keys(jobs_dsn, "k")
    victim = await _start_victim(jobs_dsn)
    try:

        async def under_way() -> bool:
            job = await store.get("k")
            return job is not None and job.counts.done >= 200

        await eventually(under_way, timeout_s=30)
    finally:
        victim.send_signal(signal.SIGKILL)
        await victim.wait()
    same = await live_keys(jobs_dsn, "k") == keys  # compared, never printed: key material
    assert same, "the key outlives the crash"
    await run_to_end(store, "k")
    await assert_nothing_readable(store, jobs_dsn, planted, [keys["inputs"]])


async def test_sqlite_files_are_owner_only(tmp_path: Path) -> None:
    """The database and its -wal and -shm are created 0600 (they hold sealed rows and keys)."""
    store = open_job_store(f"sqlite:///{tmp_path / 'jobs.sqlite3'}")
    await store.open()
    try:
        rows, _ = planted_rows(5)
        await submit(store, "m", rows[:5])
        modes = _modes(tmp_path)
        assert set(modes) >= {"jobs.sqlite3", "jobs.sqlite3-wal", "jobs.sqlite3-shm"}
        assert set(modes.values()) == {0o600}, modes
    finally:
        await store.close()


def test_a_sealed_row_moved_to_another_job_does_not_open() -> None:
    """Sealed values are bound to job and row: copying one across jobs yields no details."""
    key = new_key()
    rows, _ = planted_rows(6)
    sealed = JobKeys("a", key, key).seal_details(rows[0])
    with pytest.raises(JobStoreUnavailable):
        JobKeys("b", key, key).open_details(rows[0].ordinal, sealed, 0)
    with pytest.raises(JobStoreUnavailable):
        JobKeys("a", new_key(), key).open_details(rows[0].ordinal, sealed, 0)
    assert JobKeys("a", key, key).open_details(rows[0].ordinal, sealed, 0) == rows[0]


async def test_a_store_with_the_old_clear_text_layout_is_refused(tmp_path: Path) -> None:
    """A store from before sealing is not silently written into: start-up says what to do."""
    path = tmp_path / "jobs.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE verification_job_inputs (job_id TEXT, ordinal INTEGER, number TEXT, "
            "full_name TEXT, PRIMARY KEY (job_id, ordinal))"
        )
    conn.close()
    store = open_job_store(f"sqlite:///{path}")
    with pytest.raises(JobConfigError, match="drop the verification_job_"):
        await store.open()
    await store.close()


async def test_expired_job_leaves_nothing_and_no_key(jobs_dsn: str, store: JobStore) -> None:
    """Retention (purge) destroys the results key like an erase does."""
    rows, planted = planted_rows(7)
    await submit(store, "expired", rows)
    keys = await live_keys(jobs_dsn, "expired")
    await run_to_end(store, "expired")
    later = datetime.now(UTC) + timedelta(days=1)
    assert await store.purge(finished_before=later, abandoned_before=later) == 1
    assert set(await live_keys(jobs_dsn, "expired")) == set(), "no key is left"
    await assert_nothing_readable(store, jobs_dsn, planted, list(keys.values()))
