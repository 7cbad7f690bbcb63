"""What the trail holds: the in-memory event a request hands over and the record a store keeps.

An :class:`AuditEvent` may carry citizens' numbers in clear, and only ever lives in memory. The
:class:`AuditRecord` a store keeps has a keyed hash (HMAC) and a masked form of each number in its
place, plus its position in its writer's hash chain (``writer_id``, ``seq``, ``prev_hash``,
``hash``). :data:`RECORD_COLUMNS` is the one column order that stores, exports and the chain use.

Data subjects: an event lists a :class:`Disclosure` for every number the answer disclosed or
confirmed something about (the number asked, the person's other number, household members,
relatives named in the record); its record keeps them as :class:`RecordSubject` values. A record
written before subjects were kept has ``subjects = None``: it knows only the number asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import orjson

__all__ = [
    "GENESIS",
    "GENESIS_HASH",
    "RECORD_COLUMNS",
    "ROLES",
    "Anchor",
    "AuditEvent",
    "AuditOutcome",
    "AuditRecord",
    "ChainHead",
    "Disclosure",
    "RecordSubject",
    "epoch_micros",
    "subjects_from_json",
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


class AuditOutcome(StrEnum):
    """Every outcome the gateway records; a search accepts only these, so a typo is refused
    rather than answered with an empty page. Bulk rows matched/mismatched are success/mismatch."""

    SUCCESS = "success"
    MISMATCH = "mismatch"
    NOT_FOUND = "not_found"
    REJECTED = "rejected"
    ERROR = "error"
    FAILED = "failed"
    INVALID = "invalid"
    ABANDONED = "abandoned"  # the caller closed the connection mid-call


ROLES = ("subject", "household_member", "relative")
"""How a data subject figures in an answer: asked about (by either of their numbers), a member of
the household returned, or a relative named inside the record returned. Every ``subject`` entry
of one record is the same person: the subject view relies on it to tie a person's two numbers."""


@dataclass(frozen=True, slots=True)
class Disclosure:
    """One number whose holder the answer disclosed (or confirmed) ``fields`` about, in clear.

    ``relation`` says which relative (``father``, ``mother``, ``spouse``...) or the member's
    relation code in a household; None for the subject asked about.
    """

    number: str
    role: str
    fields: tuple[str, ...]
    relation: str | None = None

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"unknown data-subject role {self.role!r}")

    def __repr__(self) -> str:  # the clear number must not reach a log line through repr()
        return f"Disclosure(role={self.role!r}, fields={self.fields!r})"


@dataclass(frozen=True, slots=True)
class RecordSubject:
    """A data subject as stored: keyed hash and masked form of the number, role, fields."""

    hmac: str
    masked: str
    role: str
    relation: str | None
    fields: tuple[str, ...]

    def chained(self) -> list[Any]:
        """The canonical form the chain's MAC covers (and the stored JSON): a fixed-order list."""
        return [self.hmac, self.masked, self.role, self.relation, list(self.fields)]

    @classmethod
    def from_chained(cls, values: list[Any]) -> RecordSubject:
        hmac_, masked, role, relation, fields = values
        return cls(hmac_, masked, role, relation, tuple(fields))

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject_hmac": self.hmac,
            "subject_masked": self.masked,
            "role": self.role,
            "relation": self.relation,
            "fields": list(self.fields),
        }


@dataclass(frozen=True, slots=True)
class _Processing:
    """What a record of one processing says both before and after sealing: when, who asked
    (client, agency, officer), why (purpose, case), what (operation) and how it ended."""

    occurred_at: datetime
    request_id: str
    client_id: str
    agency_code: str | None
    officer_id: str | None
    purpose_code: str | None
    case_id: str | None
    operation: str
    outcome: str
    status: int
    problem_code: str | None
    upstream_attempts: int
    latency_ms: float
    fields_returned: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AuditEvent(_Processing):
    """One look-up as the request path saw it; ``subject_number`` is never stored in clear."""

    subject_number: str | None
    trace_id: str | None = None
    disclosed: tuple[Disclosure, ...] = ()
    """Who else (or under which other number) the answer was about; the number asked is added
    by sealing, so a failed or not-found look-up needs nothing here."""

    def __post_init__(self) -> None:
        if self.occurred_at.tzinfo is None:
            raise ValueError("AuditEvent.occurred_at must be timezone-aware (UTC)")

    def __repr__(self) -> str:  # the clear number must not reach a log line through repr()
        return f"AuditEvent(request_id={self.request_id!r}, operation={self.operation!r})"


@dataclass(frozen=True, slots=True)
class AuditRecord(_Processing):
    """One stored row of the trail; ``id`` is the store's key (None before it is stored)."""

    writer_id: str
    seq: int
    subject_hmac: str | None
    subject_masked: str | None
    trace_id: str | None
    prev_hash: str
    hash: str
    id: int | None = None
    subjects: tuple[RecordSubject, ...] | None = None  # None: written before subjects were kept

    @property
    def legacy(self) -> bool:
        """Written before the trail kept every data subject: it knows only the number asked."""
        return self.subjects is None

    def subjects_json(self) -> str | None:
        """The stored form of ``subjects`` (canonical JSON), None for a legacy record."""
        if self.subjects is None:
            return None
        return orjson.dumps([s.chained() for s in self.subjects]).decode()

    def chained_values(self) -> list[Any]:
        """The values the chain's MAC covers: everything but the store key and ``seq``.

        ``seq`` is only a locator: the order of a chain is carried by ``prev_hash``, which lets
        verification tell a reordered record (its predecessor exists elsewhere) from a deleted one.
        A record with subjects has them as one more, last value; a legacy record keeps the form it
        was sealed in, so it still verifies (and emptying a new record's subjects breaks its MAC).
        """
        values = self._common_values()
        if self.subjects is not None:
            values.append([s.chained() for s in self.subjects])
        return values

    def _common_values(self) -> list[Any]:
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
        values["subjects"] = None if self.subjects is None else [s.to_dict() for s in self.subjects]
        return values


def subjects_from_json(text: str | None) -> tuple[RecordSubject, ...] | None:
    """The inverse of :meth:`AuditRecord.subjects_json`.

    Text that is not what sealing wrote (someone edited the column) reads as one unreadable
    subject rather than an exception, so verification reports the record as modified (its MAC
    cannot match) instead of stopping at it.
    """
    if text is None:
        return None
    try:
        return tuple(RecordSubject.from_chained(values) for values in orjson.loads(text))
    except (orjson.JSONDecodeError, TypeError, ValueError):
        return (_UNREADABLE,)


_UNREADABLE = RecordSubject("unreadable", "unreadable", "unreadable", None, ())


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
    "subjects",
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
