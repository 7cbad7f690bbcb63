"""The SQLite store: the default, one file in WAL mode with ``synchronous=FULL``.

Every sqlite3 call of a store runs in that store's own single thread: a sqlite3 connection belongs
to the thread that made it, and a commit's fsync must never block the event loop. FULL (not NORMAL)
because in WAL mode NORMAL skips the fsync at commit, so a power cut could lose records whose
answers already left; group commit is what keeps FULL cheap. Times are stored as microseconds
since 1970 UTC (sortable integers); ``fields_returned`` as a JSON array.

:meth:`SqliteStore.ping` (the readiness probe) is a committed write, and it heals what a restart
would: a file deleted or replaced under the open connection is reopened, and a file without any
audit table is migrated again (``audit_schema_recreated``). A file missing only some tables is
damaged by hand and stays unavailable (``schema_damaged``) until a person restores it.

The ``-shm`` file (WAL index) is memory-mapped by SQLite: if something shrinks it under the open
connection, the next access to the lost pages kills the process with SIGBUS, before any log line.
So every call first checks the file has not shrunk (one ``stat``, about a microsecond) and refuses
with ``audit_store_fault`` instead; that connection stays refused until a restart re-creates the
index. ``locking_mode=EXCLUSIVE`` (no shared index at all) was rejected: it would lock the audit
reader and ``lgsp audit`` out of the file while the gateway runs.
"""

from __future__ import annotations

import asyncio
import functools
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import orjson

from gateway.audit import _sql as sql
from gateway.audit._errors import AuditUnavailable
from gateway.audit._migrations import pending_migrations
from gateway.audit._model import (
    GENESIS_HASH,
    RECORD_COLUMNS,
    Anchor,
    AuditRecord,
    ChainHead,
    epoch_micros,
    subjects_from_json,
    utc_iso,
)
from gateway.audit._query import AuditQuery
from gateway.logs import get_logger

__all__ = ["SqliteStore"]

T = TypeVar("T")
_log = get_logger("gateway.audit")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_BUSY_TIMEOUT_S = 5.0
_NAMES = {
    "records": "audit_records",
    "anchors": "audit_anchors",
    "subjects": "audit_subjects",
    "legacy": "audit_legacy",
    "migrations": "audit_schema_migrations",
}


def _q(statement: str) -> str:
    return statement.format(**_NAMES)


def _moment(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def _row(r: AuditRecord) -> tuple[object, ...]:
    """One record as the values of :data:`~gateway.audit._sql.INSERT_COLUMNS`, in order."""
    fields = orjson.dumps(r.fields_returned).decode()
    return sql.insert_values(r, occurred_at=epoch_micros(r.occurred_at), fields_returned=fields)


def _record(row: Sequence[Any]) -> AuditRecord:
    values = dict(zip(RECORD_COLUMNS, row, strict=True))
    values["occurred_at"] = _moment(values["occurred_at"])
    values["fields_returned"] = tuple(orjson.loads(values["fields_returned"]))
    values["subjects"] = subjects_from_json(values["subjects"])
    return AuditRecord(**values)


def _anchor(row: Sequence[Any]) -> Anchor:
    writer_id, seq, hash_, purged_before, purged_at, records_purged, mac = row
    return Anchor(
        writer_id, seq, hash_, _moment(purged_before), _moment(purged_at), records_purged, mac
    )


def _anchor_row(a: Anchor) -> tuple[object, ...]:
    purged_before, purged_at = epoch_micros(a.purged_before), epoch_micros(a.purged_at)
    return (a.writer_id, a.seq, a.hash, purged_before, purged_at, a.records_purged, a.mac)


def _db_param(value: object) -> object:
    return epoch_micros(value) if isinstance(value, datetime) else value


def _translated(call: Callable[[], T]) -> T:
    try:
        return call()
    except sqlite3.IntegrityError as exc:
        raise AuditUnavailable("chain_conflict", f"SQLite refused a duplicate: {exc}") from exc
    except (sqlite3.Error, OSError) as exc:
        raise AuditUnavailable("store_error", f"SQLite: {exc}") from exc


class SqliteStore:
    """An audit store in one SQLite file; see :class:`~gateway.audit._store.AuditStore`."""

    def __init__(self, path: Path, *, migrate_to: int | None = None) -> None:
        self._path = path
        self._migrate_to = migrate_to
        self._executor: ThreadPoolExecutor | None = None
        self._conn: sqlite3.Connection | None = None
        self._identity: tuple[int, int] | None = None  # (device, inode) of the file opened
        self._shm_size = 0  # the largest -shm size seen: it never shrinks under a live connection

    def __repr__(self) -> str:
        return f"SqliteStore({str(self._path)!r})"

    async def open(self) -> None:
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="lgsp-audit-sqlite")
        try:
            await self._call(self._connect)
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            await asyncio.get_running_loop().run_in_executor(executor, self._disconnect)
            executor.shutdown(wait=False)

    async def ping(self) -> bool:
        """A committed write probe; reopens a replaced file and re-creates a lost schema."""
        return await self._call(self._probe)

    async def schema_version(self) -> int:
        rows = await self._call(self._fetchall, _q(sql.SCHEMA_VERSION), ())
        return int(rows[0][0])

    async def append(self, records: Sequence[AuditRecord]) -> None:
        first = records[0]
        rows, subjects = [_row(r) for r in records], sql.subject_rows(records)
        await self._call(self._append, first.writer_id, first.prev_hash, rows, subjects)

    async def last_link(self, writer_id: str) -> ChainHead | None:
        rows = await self._call(self._fetchall, _q(sql.LAST_LINK), (writer_id,))
        return ChainHead(rows[0][0], rows[0][1]) if rows else None

    async def anchor(self, writer_id: str) -> Anchor | None:
        rows = await self._call(self._fetchall, _q(sql.LATEST_ANCHOR), (writer_id,))
        return _anchor(rows[0]) if rows else None

    async def search(
        self, query: AuditQuery, *, cursor: int | None, newest_first: bool, limit: int
    ) -> list[AuditRecord]:
        statement, params = sql.search_statement(
            query, cursor=cursor, newest_first=newest_first, limit=limit
        )
        rows = await self._call(self._fetchall, _q(statement), [_db_param(p) for p in params])
        return [_record(row) for row in rows]

    async def chain_page(self, writer_id: str, *, after_seq: int, limit: int) -> list[AuditRecord]:
        rows = await self._call(self._fetchall, _q(sql.CHAIN_PAGE), (writer_id, after_seq, limit))
        return [_record(row) for row in rows]

    async def seq_of_hash(self, writer_id: str, hash_: str) -> int | None:
        rows = await self._call(self._fetchall, _q(sql.SEQ_OF_HASH), (writer_id, hash_))
        return int(rows[0][0]) if rows else None

    async def writers(self) -> list[str]:
        rows = await self._call(self._fetchall, _q(sql.WRITERS), ())
        return [row[0] for row in rows]

    async def subject_index(
        self, writer_id: str, first_seq: int, last_seq: int
    ) -> set[tuple[int, str]]:
        params = (writer_id, first_seq, last_seq)
        rows = await self._call(self._fetchall, _q(sql.SUBJECT_INDEX), params)
        return {(seq, hmac_) for seq, hmac_ in rows}

    async def legacy_until(self) -> datetime | None:
        rows = await self._call(self._fetchall, _q(sql.LEGACY_UNTIL), ())
        return _moment(rows[0][0]) if rows and rows[0][0] is not None else None

    async def purge_bounds(self, cutoff: datetime) -> dict[str, tuple[int | None, int]]:
        rows = await self._call(self._fetchall, _q(sql.PURGE_BOUNDS), (epoch_micros(cutoff),))
        return {writer: (first_kept, last) for writer, first_kept, last in rows}

    async def purge(self, anchors: Sequence[Anchor]) -> int:
        return await self._call(self._purge, anchors)

    # --- the store thread ------------------------------------------------------------------

    async def _call(self, function: Callable[..., T], *args: Any) -> T:
        if self._executor is None:
            raise AuditUnavailable("store_error", "the SQLite audit store is not open")
        call = functools.partial(_translated, functools.partial(self._guarded, function, *args))
        return await asyncio.get_running_loop().run_in_executor(self._executor, call)

    def _guarded(self, function: Callable[..., T], *args: Any) -> T:
        """Refuse before touching a shrunk WAL index: SIGBUS is a death without a word."""
        self._check_wal_index()
        result = function(*args)
        self._shm_size = max(self._shm_size, _size(self._shm_path) or 0)
        return result

    def _check_wal_index(self) -> None:
        size = _size(self._shm_path)
        if size is not None and size < self._shm_size:
            cause = f"{self._shm_path.name} shrank from {self._shm_size} to {size} bytes"
            _log.critical("audit_store_fault", store=str(self._path), cause=cause)
            raise AuditUnavailable("store_error", f"{cause}: restart the gateway")

    @property
    def _shm_path(self) -> Path:
        return self._path.with_name(self._path.name + "-shm")

    @property
    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise sqlite3.OperationalError("the audit database is not connected")
        return self._conn

    def _connect(self) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        created = not self._path.exists()
        conn = sqlite3.connect(self._path, timeout=_BUSY_TIMEOUT_S, isolation_level=None)
        if created:  # personal data: owner only (SQLite gives -wal and -shm the same mode)
            self._path.chmod(0o600)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA wal_autocheckpoint = 10000")
        # A 16 MiB page cache and no memory map: the trail only grows, and a map of the whole
        # file counted ~226 MiB into the gateway's RSS on a 1M-row job (docs/performance.md).
        conn.execute("PRAGMA cache_size = -16384")
        conn.execute("PRAGMA mmap_size = 0")
        self._conn = conn
        self._identity = _file_identity(self._path)
        self._migrate()

    def _disconnect(self) -> None:
        self._shm_size = 0
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        conn = self._db
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.rollback()
            raise

    def _fetchall(self, statement: str, params: Sequence[object]) -> list[Any]:
        return self._db.execute(statement, params).fetchall()

    def _append(
        self,
        writer_id: str,
        prev_hash: str,
        rows: list[tuple[object, ...]],
        subjects: list[tuple[str, int, str]],
    ) -> None:
        with self._transaction() as conn:
            head = conn.execute(_q(sql.HEAD_HASH), (writer_id, writer_id, GENESIS_HASH)).fetchone()
            if head[0] != prev_hash:
                raise AuditUnavailable("chain_conflict", f"chain {writer_id!r} moved on")
            conn.executemany(_q(sql.INSERT_RECORD), rows)
            conn.executemany(_q(sql.INSERT_SUBJECT), subjects)

    def _purge(self, anchors: Sequence[Anchor]) -> int:
        deleted = 0
        with self._transaction() as conn:
            for a in anchors:
                conn.execute(_q(sql.INSERT_ANCHOR), _anchor_row(a))
                conn.execute(_q(sql.DELETE_SUBJECTS_PREFIX), (a.writer_id, a.seq))
                deleted += conn.execute(_q(sql.DELETE_PREFIX), (a.writer_id, a.seq)).rowcount
        return deleted

    def _probe(self) -> bool:
        reopened = _file_identity(self._path) != self._identity
        if reopened:
            _log.error("audit_store_reopened", store=str(self._path), cause="file replaced")
            self._disconnect()
            self._connect()
        recreated = self._check_schema()
        with self._transaction() as conn:
            # SQLite skips an UPDATE that rewrites identical bytes, so the shared TOUCH_SCHEMA
            # would prove nothing here: the probe counts in the header's spare user_version.
            probes = conn.execute("PRAGMA user_version").fetchone()[0]
            conn.execute(f"PRAGMA user_version = {(probes + 1) % 2**31}")
        return reopened or recreated

    def _check_schema(self) -> bool:
        """True when the schema was lost whole and re-created; raises when damaged in part."""
        found = self._fetchall("SELECT name FROM sqlite_master WHERE type = 'table'", ())
        missing = sorted(set(sql.SCHEMA_TABLES) - {row[0] for row in found})
        if len(missing) == len(sql.SCHEMA_TABLES):
            _log.error("audit_schema_recreated", store=str(self._path), cause="no audit table")
            self._migrate()
            return True
        if missing:
            raise AuditUnavailable("schema_damaged", f"{self._path}: {', '.join(missing)} missing")
        return False

    def _migrate(self) -> None:
        with self._transaction() as conn:
            conn.execute(_q(sql.CREATE_MIGRATIONS))
            current = conn.execute(_q(sql.SCHEMA_VERSION)).fetchone()[0]
            for step in pending_migrations(current, self._migrate_to):
                for statement in step.sqlite:
                    conn.execute(statement)
                applied_at = utc_iso(datetime.now(UTC))
                conn.execute(_q(sql.INSERT_MIGRATION), (step.version, step.description, applied_at))


def _file_identity(path: Path) -> tuple[int, int] | None:
    try:
        status = os.stat(path)
    except FileNotFoundError:
        return None
    return status.st_dev, status.st_ino


def _size(path: Path) -> int | None:
    try:
        return os.stat(path).st_size
    except FileNotFoundError:  # deleted: the open mapping still holds the old pages
        return None
