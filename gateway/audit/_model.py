"""What the trail holds: the in-memory event a request hands over and the record a store keeps.

An :class:`AuditEvent` may carry the subject's number in clear, and only ever lives in memory. The
:class:`AuditRecord` a store keeps has a keyed hash (HMAC) and a masked form of that number in its
place, plus its position in its writer's hash chain (``writer_id``, ``seq``, ``prev_hash``,
``hash``). :data:`RECORD_COLUMNS` is the one column order that stores, exports and the chain use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = [
    "GENESIS",
    "GENESIS_HASH",
    "RECORD_COLUMNS",
    "Anchor",
    "AuditEvent",
    "AuditRecord",
    "ChainHead",
    "epoch_micros",
    "utc_iso",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
GENESIS_HASH = "0" * 64
"""The ``prev_hash`` of a writer's first record when nothing was ever purged."""


def utc_iso(moment: datetime) -> str:
    """The one text form of a time in the trail: UTC, microseconds, ``+00:00``."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def epoch_micros(moment: datetime) -> int:
    """A time as whole microseconds since 1970-01-01 UTC: what the chain's MAC covers."""
    return (moment - _EPOCH) // _MICROSECOND


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One look-up as the request path saw it; ``subject_number`` is never stored in clear."""

    occurred_at: datetime
    request_id: str
    client_id: str
    agency_code: str | None
    officer_id: str | None
    purpose_code: str | None
    case_id: str | None
    operation: str
    subject_number: str | None
    outcome: str
    status: int
    problem_code: str | None
    upstream_attempts: int
    latency_ms: float
    fields_returned: tuple[str, ...]
    trace_id: str | None = None

    def __post_init__(self) -> None:
        if self.occurred_at.tzinfo is None:
            raise ValueError("AuditEvent.occurred_at must be timezone-aware (UTC)")

    def __repr__(self) -> str:  # the clear number must not reach a log line through repr()
        return f"AuditEvent(request_id={self.request_id!r}, operation={self.operation!r})"


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One stored row of the trail; ``id`` is the store's key (None before it is stored)."""

    writer_id: str
    seq: int
    occurred_at: datetime
    request_id: str
    client_id: str
    agency_code: str | None
    officer_id: str | None
    purpose_code: str | None
    case_id: str | None
    operation: str
    subject_hmac: str | None
    subject_masked: str | None
    outcome: str
    status: int
    problem_code: str | None
    upstream_attempts: int
    latency_ms: float
    fields_returned: tuple[str, ...]
    trace_id: str | None
    prev_hash: str
    hash: str
    id: int | None = None

    def chained_values(self) -> list[Any]:
        """The values the chain's MAC covers: everything but the store key and ``seq``.

        ``seq`` is only a locator: the order of a chain is carried by ``prev_hash``, which lets
        verification tell a reordered record (its predecessor exists elsewhere) from a deleted one.
        """
        return [
            self.writer_id,
            epoch_micros(self.occurred_at),
            self.request_id,
            self.client_id,
            self.agency_code,
            self.officer_id,
            self.purpose_code,
            self.case_id,
            self.operation,
            self.subject_hmac,
            self.subject_masked,
            self.outcome,
            self.status,
            self.problem_code,
            self.upstream_attempts,
            self.latency_ms,
            list(self.fields_returned),
            self.trace_id,
        ]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping in :data:`RECORD_COLUMNS` order (exports, ``--json``, HTTP)."""
        values = {name: getattr(self, name) for name in RECORD_COLUMNS}
        values["occurred_at"] = utc_iso(self.occurred_at)
        values["fields_returned"] = list(self.fields_returned)
        return values


RECORD_COLUMNS: tuple[str, ...] = (
    "id",
    "writer_id",
    "seq",
    "occurred_at",
    "request_id",
    "client_id",
    "agency_code",
    "officer_id",
    "purpose_code",
    "case_id",
    "operation",
    "subject_hmac",
    "subject_masked",
    "outcome",
    "status",
    "problem_code",
    "upstream_attempts",
    "latency_ms",
    "fields_returned",
    "trace_id",
    "prev_hash",
    "hash",
)


@dataclass(frozen=True, slots=True)
class ChainHead:
    """Where a writer's chain ends: the next record gets ``seq + 1`` and links to ``hash``."""

    seq: int
    hash: str


GENESIS = ChainHead(0, GENESIS_HASH)


@dataclass(frozen=True, slots=True)
class Anchor:
    """What a purge leaves behind: the last purged record's position and hash, sealed by a MAC."""

    writer_id: str
    seq: int
    hash: str
    purged_before: datetime
    purged_at: datetime
    records_purged: int
    mac: str

    def sealed_values(self) -> list[Any]:
        return [
            "anchor",
            self.writer_id,
            self.seq,
            self.hash,
            epoch_micros(self.purged_before),
            epoch_micros(self.purged_at),
            self.records_purged,
        ]

    @property
    def head(self) -> ChainHead:
        return ChainHead(self.seq, self.hash)
