"""``LGSP_AUDIT_DSN=none:``: no audit trail at all, for benchmarks that measure what audit costs.

Refused in production by :class:`~gateway.settings.Settings`; in dev, starting it logs
``audit_disabled`` at warning level so nobody mistakes a benchmark set-up for a serving one. The
store keeps nothing and answers every query with nothing; the trail records nothing and returns at
once. Everything else on the request path (sealing aside) runs as usual.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from gateway.audit._errors import AuditUnavailable
from gateway.audit._model import Anchor, AuditEvent, AuditRecord, ChainHead
from gateway.audit._query import AuditQuery
from gateway.audit._seal import AuditKeys
from gateway.audit._trail import Announcement, AuditTrail
from gateway.logs import get_logger

__all__ = ["DISABLED_DSN", "DisabledAuditTrail", "NullStore", "is_disabled_dsn"]

DISABLED_DSN = "none:"
_log = get_logger("gateway.audit")


def is_disabled_dsn(dsn: str) -> bool:
    return dsn.strip().lower() in ("none:", "none://")


class NullStore:
    """An audit store that keeps nothing: every read is empty, every write is dropped."""

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def ping(self) -> bool:
        return False

    async def schema_version(self) -> int:
        return 0

    async def append(self, records: Sequence[AuditRecord]) -> None:
        return None

    async def last_link(self, writer_id: str) -> ChainHead | None:
        return None

    async def anchor(self, writer_id: str) -> Anchor | None:
        return None

    async def search(
        self, query: AuditQuery, *, cursor: int | None, newest_first: bool, limit: int
    ) -> list[AuditRecord]:
        return []

    async def chain_page(self, writer_id: str, *, after_seq: int, limit: int) -> list[AuditRecord]:
        return []

    async def seq_of_hash(self, writer_id: str, hash_: str) -> int | None:
        return None

    async def writers(self) -> list[str]:
        return []

    async def subject_index(
        self, writer_id: str, first_seq: int, last_seq: int
    ) -> set[tuple[int, str]]:
        return set()

    async def legacy_until(self) -> datetime | None:
        return None

    async def purge_bounds(self, cutoff: datetime) -> dict[str, tuple[int | None, int]]:
        return {}

    async def purge(self, anchors: Sequence[Anchor]) -> int:
        return 0


class DisabledAuditTrail(AuditTrail):
    """A trail that records nothing: no queue, no sealing, no store."""

    def __init__(self, *, writer_id: str) -> None:
        super().__init__(NullStore(), AuditKeys(b"audit-disabled-no-key"), writer_id=writer_id)

    async def start(self) -> None:
        self._accepting = True
        _log.warning(
            "audit_disabled",
            writer_id=self.writer_id,
            detail="LGSP_AUDIT_DSN=none: look-ups leave no audit record (benchmarks only)",
        )

    async def close(self) -> None:
        self._accepting = False

    def announce(self) -> Announcement:
        return Announcement(None)  # nothing is batched, so nothing needs counting

    async def record(self, event: AuditEvent, announced: Announcement | None = None) -> None:
        await self.ping()

    async def ping(self) -> None:
        if not self._accepting:
            raise AuditUnavailable("writer_stopped", "the audit writer is not running")
