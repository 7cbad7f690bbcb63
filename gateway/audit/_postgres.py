"""The PostgreSQL store: production, shared by every gateway replica (each its own ``writer_id``).

A batch goes in with ``COPY`` (asyncpg's ``copy_records_to_table``) inside one transaction, which
commits with PostgreSQL's default ``synchronous_commit = on``: durable when ``record()`` returns.
All tables live in one schema (``?schema=`` in the DSN, default ``public``), which also lets tests
run side by side. asyncpg, socket and time-out errors become :class:`AuditUnavailable` here.

:meth:`PostgresStore.ping` (the readiness probe) is a committed write, and it heals what a restart
would: a schema without any audit table (the database or schema dropped and re-created) is migrated
again (``audit_schema_recreated``). A schema missing only some tables was damaged by hand and stays
unavailable (``schema_damaged``) until a person restores it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, cast

import asyncpg

from gateway.audit import _sql as sql
from gateway.audit._errors import AuditUnavailable
from gateway.audit._migrations import pending_migrations
from gateway.audit._model import (
    GENESIS_HASH,
    Anchor,
    AuditRecord,
    ChainHead,
    subjects_from_json,
    utc_iso,
)
from gateway.audit._query import AuditQuery
from gateway.logs import get_logger

__all__ = ["PostgresStore"]

_POOL_SIZE = 4
_log = get_logger("gateway.audit")
_TABLES_FOUND = "SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tablename = ANY($2)"


def _row(r: AuditRecord) -> tuple[object, ...]:
    """One record as the values of :data:`~gateway.audit._sql.INSERT_COLUMNS`, in order."""
    return sql.insert_values(r, occurred_at=r.occurred_at, fields_returned=list(r.fields_returned))


def _record(row: Any) -> AuditRecord:
    values = dict(row)
    values["fields_returned"] = tuple(values["fields_returned"])
    values["subjects"] = subjects_from_json(values["subjects"])
    return AuditRecord(**values)


@asynccontextmanager
async def _translated() -> AsyncIterator[None]:
    try:
        yield
    except asyncpg.UniqueViolationError as exc:
        raise AuditUnavailable("chain_conflict", f"PostgreSQL refused a duplicate: {exc}") from exc
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError) as exc:
        raise AuditUnavailable("store_error", f"PostgreSQL: {exc}") from exc


class PostgresStore:
    """An audit store in one PostgreSQL schema; see :class:`~gateway.audit._store.AuditStore`."""

    def __init__(
        self,
        dsn: str,
        *,
        schema: str = "public",
        migrate_to: int | None = None,
        timeout_s: float = 5.0,
    ) -> None:
        self._dsn = dsn
        self._schema = schema
        self._quoted_schema = f'"{schema}"'
        self._migrate_to = migrate_to
        self._timeout_s = timeout_s
        self._pool: Any = None
        self._statements: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"PostgresStore(schema={self._schema!r})"

    async def open(self) -> None:
        async with _translated():
            self._pool = await asyncpg.create_pool(
                self._dsn, min_size=1, max_size=_POOL_SIZE, timeout=self._timeout_s
            )
        try:
            await self._migrate()
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    async def ping(self) -> bool:
        """A committed write probe; re-creates a lost schema (see the module's docstring)."""
        recreated = await self._check_schema()
        async with _translated(), self._connection() as conn, conn.transaction():
            await conn.execute(self._sql(sql.TOUCH_SCHEMA), timeout=self._timeout_s)
        return recreated

    async def _check_schema(self) -> bool:
        """True when the schema was lost whole and re-created; raises when damaged in part."""
        async with _translated(), self._connection() as conn:
            rows = await conn.fetch(_TABLES_FOUND, self._schema, list(sql.SCHEMA_TABLES))
        missing = sorted(set(sql.SCHEMA_TABLES) - {row[0] for row in rows})
        if len(missing) == len(sql.SCHEMA_TABLES):
            _log.error("audit_schema_recreated", store=repr(self), cause="no audit table")
            await self._migrate()
            return True
        if missing:
            detail = f"schema {self._schema!r}: {', '.join(missing)} missing"
            raise AuditUnavailable("schema_damaged", detail)
        return False

    async def schema_version(self) -> int:
        rows = await self._fetch(sql.SCHEMA_VERSION)
        return int(rows[0][0])

    async def append(self, records: Sequence[AuditRecord]) -> None:
        rows, subjects = [_row(r) for r in records], sql.subject_rows(records)
        writer_id, prev_hash = records[0].writer_id, records[0].prev_hash
        async with _translated(), self._connection() as conn, conn.transaction():
            head = await conn.fetchval(self._sql(sql.HEAD_HASH), writer_id, writer_id, GENESIS_HASH)
            if head != prev_hash:
                raise AuditUnavailable("chain_conflict", f"chain {writer_id!r} moved on")
            await conn.copy_records_to_table(
                "audit_records",
                records=rows,
                columns=sql.INSERT_COLUMNS,
                schema_name=self._schema,
                timeout=self._timeout_s,
            )
            await conn.copy_records_to_table(
                "audit_subjects",
                records=subjects,
                columns=sql.SUBJECT_COLUMNS,
                schema_name=self._schema,
                timeout=self._timeout_s,
            )

    async def last_link(self, writer_id: str) -> ChainHead | None:
        rows = await self._fetch(sql.LAST_LINK, writer_id)
        return ChainHead(rows[0]["seq"], rows[0]["hash"]) if rows else None

    async def anchor(self, writer_id: str) -> Anchor | None:
        rows = await self._fetch(sql.LATEST_ANCHOR, writer_id)
        return Anchor(**dict(rows[0])) if rows else None

    async def search(
        self, query: AuditQuery, *, cursor: int | None, newest_first: bool, limit: int
    ) -> list[AuditRecord]:
        statement, params = sql.search_statement(
            query, cursor=cursor, newest_first=newest_first, limit=limit
        )
        return [_record(row) for row in await self._fetch(statement, *params)]

    async def chain_page(self, writer_id: str, *, after_seq: int, limit: int) -> list[AuditRecord]:
        rows = await self._fetch(sql.CHAIN_PAGE, writer_id, after_seq, limit)
        return [_record(row) for row in rows]

    async def seq_of_hash(self, writer_id: str, hash_: str) -> int | None:
        rows = await self._fetch(sql.SEQ_OF_HASH, writer_id, hash_)
        return int(rows[0][0]) if rows else None

    async def writers(self) -> list[str]:
        return [row[0] for row in await self._fetch(sql.WRITERS)]

    async def subject_index(
        self, writer_id: str, first_seq: int, last_seq: int
    ) -> set[tuple[int, str]]:
        rows = await self._fetch(sql.SUBJECT_INDEX, writer_id, first_seq, last_seq)
        return {(row[0], row[1]) for row in rows}

    async def legacy_until(self) -> datetime | None:
        rows = await self._fetch(sql.LEGACY_UNTIL)
        return cast(datetime | None, rows[0][0]) if rows else None

    async def purge_bounds(self, cutoff: datetime) -> dict[str, tuple[int | None, int]]:
        rows = await self._fetch(sql.PURGE_BOUNDS, cutoff)
        return {row[0]: (row[1], row[2]) for row in rows}

    async def purge(self, anchors: Sequence[Anchor]) -> int:
        deleted = 0
        async with _translated(), self._connection() as conn, conn.transaction():
            for a in anchors:
                await conn.execute(
                    self._sql(sql.INSERT_ANCHOR),
                    *(a.writer_id, a.seq, a.hash, a.purged_before, a.purged_at),
                    *(a.records_purged, a.mac),
                )
                await conn.execute(self._sql(sql.DELETE_SUBJECTS_PREFIX), a.writer_id, a.seq)
                status = await conn.execute(self._sql(sql.DELETE_PREFIX), a.writer_id, a.seq)
                deleted += int(status.split()[-1])
        return deleted

    # --- connections and statements ---------------------------------------------------------

    def _sql(self, statement: str) -> str:
        """The statement with this schema's table names and numbered placeholders (cached)."""
        cached = self._statements.get(statement)
        if cached is None:
            q = self._quoted_schema
            cached = sql.numbered(
                statement.format(
                    records=f"{q}.audit_records",
                    anchors=f"{q}.audit_anchors",
                    subjects=f"{q}.audit_subjects",
                    legacy=f"{q}.audit_legacy",
                    migrations=f"{q}.audit_schema_migrations",
                )
            )
            self._statements[statement] = cached
        return cached

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[Any]:
        if self._pool is None:
            raise AuditUnavailable("store_error", "the PostgreSQL audit store is not open")
        async with self._pool.acquire(timeout=self._timeout_s) as conn:
            yield conn

    async def _fetch(self, statement: str, *args: object) -> list[Any]:
        async with _translated(), self._connection() as conn:
            rows = await conn.fetch(self._sql(statement), *args, timeout=self._timeout_s)
        return cast(list[Any], rows)

    async def _migrate(self) -> None:
        async with _translated(), self._connection() as conn, conn.transaction():
            # Replicas starting together: one migrates, the others wait, then find nothing to do.
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", self._lock_name)
            await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {self._quoted_schema}")
            await conn.execute(self._sql(sql.CREATE_MIGRATIONS))
            current = await conn.fetchval(self._sql(sql.SCHEMA_VERSION))
            for step in pending_migrations(current, self._migrate_to):
                for statement in step.postgres:
                    await conn.execute(statement.format(schema=self._quoted_schema))
                applied_at = utc_iso(datetime.now(UTC))
                await conn.execute(
                    self._sql(sql.INSERT_MIGRATION), step.version, step.description, applied_at
                )

    @property
    def _lock_name(self) -> str:
        return f"lgsp-audit:{self._schema}"
