"""Chain verification: recompute every writer's chain and name its first broken record.

A record is checked in ``seq`` order against two facts: its MAC must match its content (else it
was **modified**, or forged), and its ``prev_hash`` must be the hash of the record before it (or
of the purge anchor, or genesis). When the link is wrong, the missing predecessor is looked for
elsewhere in the chain: found means the record was **reordered**; not found means the record it
followed was **deleted**. Reading page by page keeps memory flat however long the chain is.

The subject index (which "who looked me up" reads) is derived from the records' chained
``subjects``, so it is checked against them, a slice of the chain at a time: an index row removed
(a disclosure hidden from a citizen) or added (one invented) makes the record **unindexed**.

What a chain cannot show alone: the newest records of a writer cut off at the tail, or a whole
chain deleted. The signed checkpoints show that (:mod:`gateway.audit._completeness`); their
verdicts ride along in :attr:`VerifyReport.completeness`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from gateway.audit._completeness import ChainCompleteness
from gateway.audit._model import GENESIS, AuditRecord, ChainHead
from gateway.audit._seal import AuditKeys
from gateway.audit._sql import indexed_subjects
from gateway.audit._store import AuditStore, iter_chain

__all__ = ["BreakReason", "ChainBreak", "ChainReport", "VerifyReport", "verify_chain"]

_INDEX_SLICE = 1000  # records whose subject index is read back in one query


class BreakReason(StrEnum):
    MODIFIED = "modified"
    DELETED = "deleted"
    REORDERED = "reordered"
    UNINDEXED = "unindexed"


@dataclass(frozen=True, slots=True)
class ChainBreak:
    """The first record of a chain that does not verify, and why."""

    reason: BreakReason
    seq: int
    record_id: int | None
    request_id: str | None
    detail: str


@dataclass(frozen=True, slots=True)
class ChainReport:
    writer_id: str
    records_checked: int
    first_break: ChainBreak | None

    @property
    def ok(self) -> bool:
        return self.first_break is None


@dataclass(frozen=True, slots=True)
class VerifyReport:
    chains: tuple[ChainReport, ...]
    completeness: tuple[ChainCompleteness, ...] = ()  # empty: no checkpoints were consulted

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.chains) and all(c.ok for c in self.completeness)

    @property
    def records_checked(self) -> int:
        return sum(chain.records_checked for chain in self.chains)


async def verify_chain(store: AuditStore, keys: AuditKeys, writer_id: str) -> ChainReport:
    """Check one writer's chain from its anchor (or genesis) to its last record."""
    start, anchor_break = await _chain_start(store, keys, writer_id)
    if anchor_break is not None:
        return ChainReport(writer_id, 0, anchor_break)
    expected, checked, unchecked = start.hash, 0, list[AuditRecord]()
    async for record in iter_chain(store, writer_id):
        broken = await _check(store, keys, record, expected)
        if broken is None and len(unchecked) >= _INDEX_SLICE:
            broken, unchecked = await _check_index(store, unchecked), []
        if broken is not None:
            return ChainReport(writer_id, checked, broken)
        expected, checked = record.hash, checked + 1
        unchecked.append(record)
    broken = await _check_index(store, unchecked) if unchecked else None
    return ChainReport(writer_id, checked, broken)


async def _check_index(store: AuditStore, records: list[AuditRecord]) -> ChainBreak | None:
    """The first of ``records`` (consecutive, verified) whose index rows are not its subjects."""
    first, last = records[0], records[-1]
    indexed: dict[int, set[str]] = {}
    for seq, subject_hmac in await store.subject_index(first.writer_id, first.seq, last.seq):
        indexed.setdefault(seq, set()).add(subject_hmac)
    for record in records:
        expected = indexed_subjects(record)
        found = indexed.get(record.seq, set())
        if found != expected:
            detail = f"its subject index has {len(found)} entries for {len(expected)} data subjects"
            return _break(BreakReason.UNINDEXED, record, detail)
    return None


async def _chain_start(
    store: AuditStore, keys: AuditKeys, writer_id: str
) -> tuple[ChainHead, ChainBreak | None]:
    anchor = await store.anchor(writer_id)
    if anchor is None:
        return GENESIS, None
    if keys.anchor_mac(anchor) != anchor.mac:
        detail = "the purge anchor no longer matches its MAC"
        return anchor.head, ChainBreak(BreakReason.MODIFIED, anchor.seq, None, None, detail)
    return anchor.head, None


async def _check(
    store: AuditStore, keys: AuditKeys, record: AuditRecord, expected_prev: str
) -> ChainBreak | None:
    if keys.record_mac(record) != record.hash:
        return _break(BreakReason.MODIFIED, record, "its content no longer matches its MAC")
    if record.prev_hash == expected_prev:
        return None
    found = await store.seq_of_hash(record.writer_id, record.prev_hash)
    if found is None:
        return _break(
            BreakReason.DELETED, record, f"the record it follows ({record.prev_hash[:12]}…) is gone"
        )
    return _break(
        BreakReason.REORDERED, record, f"it follows the record at seq {found}, not its predecessor"
    )


def _break(reason: BreakReason, record: AuditRecord, detail: str) -> ChainBreak:
    return ChainBreak(reason, record.seq, record.id, record.request_id, detail)
