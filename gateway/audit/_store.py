"""The one store interface both back-ends implement, and the DSN that picks one.

``sqlite:///relative/path.sqlite3`` or ``sqlite:////absolute/path.sqlite3`` selects
:class:`~gateway.audit._sqlite.SqliteStore`; ``postgresql://…`` (optionally ``?schema=name``)
selects :class:`~gateway.audit._postgres.PostgresStore`. Every method raises
:class:`~gateway.audit.AuditUnavailable` when the store cannot answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Protocol

from gateway.audit._errors import AuditConfigError
from gateway.audit._model import GENESIS, Anchor, AuditRecord, ChainHead
from gateway.audit._postgres import PostgresStore
from gateway.audit._query import AuditQuery
from gateway.audit._sqlite import SqliteStore
from gateway.dsn import DsnError, postgres_target, sqlite_path

__all__ = ["AuditStore", "chain_head", "iter_chain", "open_store"]

_CHAIN_PAGE = 2000
_BEFORE_ALL = -(2**63)  # a tampered seq may be anything: read chains from the very bottom


class AuditStore(Protocol):
    async def open(self) -> None:
        """Connect and bring the schema to its version (migrations run here)."""

    async def close(self) -> None: ...

    async def ping(self) -> bool:
        """Prove the store takes a durable write now; re-create a schema lost whole.

        True when it had to re-create or reopen the store: chains continue from its new head.
        """

    async def schema_version(self) -> int: ...

    async def append(self, records: Sequence[AuditRecord]) -> None:
        """Store one writer's consecutive records in one durable transaction, all or none.

        Compare-and-append: unless the first record links to the chain's head as stored (its
        last record, else its purge anchor, else genesis), nothing is stored and
        ``AuditUnavailable("chain_conflict")`` is raised, so no failure or race leaves a gap.
        """

    async def last_link(self, writer_id: str) -> ChainHead | None:
        """The writer's highest-``seq`` record, if any is left."""

    async def anchor(self, writer_id: str) -> Anchor | None:
        """The writer's latest purge anchor, if it was ever purged."""

    async def search(
        self, query: AuditQuery, *, cursor: int | None, newest_first: bool, limit: int
    ) -> list[AuditRecord]: ...

    async def chain_page(
        self, writer_id: str, *, after_seq: int, limit: int
    ) -> list[AuditRecord]: ...

    async def seq_of_hash(self, writer_id: str, hash_: str) -> int | None: ...

    async def writers(self) -> list[str]: ...

    async def subject_index(
        self, writer_id: str, first_seq: int, last_seq: int
    ) -> set[tuple[int, str]]:
        """The writer's subject index rows for ``first_seq..last_seq``: ``(seq, subject_hmac)``."""

    async def legacy_until(self) -> datetime | None:
        """When the newest record written before subjects were kept was made (None: no such)."""

    async def purge_bounds(self, cutoff: datetime) -> dict[str, tuple[int | None, int]]:
        """Per writer: the first ``seq`` at or after ``cutoff`` (None if none) and the last."""

    async def purge(self, anchors: Sequence[Anchor]) -> int:
        """Record the anchors and delete each writer's records up to its anchor, and their
        subject index rows, atomically."""


async def chain_head(store: AuditStore, writer_id: str) -> ChainHead:
    """Where the writer's chain continues: its last record, else its purge anchor, else genesis."""
    head = await store.last_link(writer_id)
    if head is not None:
        return head
    anchor = await store.anchor(writer_id)
    return anchor.head if anchor is not None else GENESIS


async def iter_chain(
    store: AuditStore, writer_id: str, *, until_seq: int | None = None
) -> AsyncIterator[AuditRecord]:
    """The writer's records in ``seq`` order, page by page (memory stays flat)."""
    after = _BEFORE_ALL
    while page := await store.chain_page(writer_id, after_seq=after, limit=_CHAIN_PAGE):
        for record in page:
            if until_seq is not None and record.seq > until_seq:
                return
            yield record
        after = page[-1].seq


def open_store(dsn: str, *, migrate_to: int | None = None) -> AuditStore:
    """The store a DSN names (not yet opened)."""
    scheme = dsn.partition(":")[0].lower()
    try:
        if scheme == "sqlite":
            return SqliteStore(sqlite_path(dsn, "audit"), migrate_to=migrate_to)
        if scheme in ("postgresql", "postgres"):
            url, schema = postgres_target(dsn, "audit")
            return PostgresStore(url, schema=schema, migrate_to=migrate_to)
    except DsnError as exc:
        raise AuditConfigError(str(exc)) from exc
    raise AuditConfigError(
        f"unknown audit store {scheme!r}: use sqlite:///path/to/audit.sqlite3 or postgresql://…"
    )
