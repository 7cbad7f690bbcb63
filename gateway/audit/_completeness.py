"""Completeness: compare every chain in the store with its signed checkpoints.

For each writer named by the store or by a checkpoint, with only checkpoints whose Ed25519
signature verifies under a trusted key:

- **deleted**: a checkpoint names records but the store holds none of the writer (nor an anchor);
- **truncated**: the store's chain ends (last record, or purge anchor) before the highest signed
  ``seq``; the range reported is what is missing;
- **replaced**: the record at a signed ``seq`` has another MAC than the one signed (a tail
  re-chained with the HMAC key but without the signing key); reported from the first record after
  the last checkpoint that still matches;
- **unsigned_purge**: a purge anchor with no signed ``purge`` checkpoint for it: a forged anchor
  could otherwise pass a deleted tail off as purged;
- **bad_checkpoint**: a checkpoint line that does not parse, or whose signature does not verify.

Records after the highest checkpoint are *not yet covered* (a SIGKILL leaves up to N records or T
seconds unsigned): reported, not failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from gateway.audit._checkpoint import Checkpoint, CheckpointFile, CheckpointKind
from gateway.audit._model import Anchor
from gateway.audit._signing import TrustedKeys
from gateway.audit._store import AuditStore

__all__ = ["ChainCompleteness", "Gap", "GapKind", "check_completeness"]


class GapKind(StrEnum):
    DELETED = "deleted"
    TRUNCATED = "truncated"
    REPLACED = "replaced"
    UNSIGNED_PURGE = "unsigned_purge"
    BAD_CHECKPOINT = "bad_checkpoint"


@dataclass(frozen=True, slots=True)
class Gap:
    """Records of ``writer_id`` from ``first_seq`` to ``last_seq`` are missing or not genuine."""

    writer_id: str
    kind: GapKind
    first_seq: int
    last_seq: int
    detail: str


@dataclass(frozen=True, slots=True)
class ChainCompleteness:
    writer_id: str
    checkpoints: int  # valid signed checkpoints of this writer
    signed_seq: int | None  # the highest signed seq
    uncovered: tuple[int, int] | None  # seqs after the last checkpoint (not a failure)
    gaps: tuple[Gap, ...]

    @property
    def ok(self) -> bool:
        return not self.gaps


async def check_completeness(
    store: AuditStore, read: CheckpointFile, trusted: TrustedKeys
) -> tuple[ChainCompleteness, ...]:
    """One verdict per writer known to the store or to a checkpoint."""
    valid = [c for c in read.checkpoints if c.verifies(trusted)]
    forged = [c for c in read.checkpoints if not c.verifies(trusted)]
    writers = sorted(set(await store.writers()) | {c.writer_id for c in read.checkpoints})
    results = [await _one(store, w, [c for c in valid if c.writer_id == w]) for w in writers]
    extra = [_bad(c) for c in forged] + [_unreadable(n) for n in read.unreadable_lines]
    if extra:
        results.append(ChainCompleteness("(checkpoint file)", 0, None, None, tuple(extra)))
    return tuple(results)


async def _one(store: AuditStore, writer_id: str, signed: list[Checkpoint]) -> ChainCompleteness:
    anchor = await store.anchor(writer_id)
    last = await store.last_link(writer_id)
    floor = anchor.seq if anchor is not None else 0
    top = last.seq if last is not None else floor
    gaps = _purge_gaps(writer_id, anchor, signed)
    signed_seq = max((c.seq for c in signed), default=None)
    if signed_seq is not None and signed_seq > top:
        gaps.append(
            _missing_tail(writer_id, top, signed_seq, whole=last is None and anchor is None)
        )
    replaced = await _first_replaced(store, writer_id, anchor, signed, top)
    if replaced is not None:
        gaps.append(replaced)
    uncovered = (signed_seq or floor) + 1
    tail = (uncovered, top) if top >= uncovered else None
    return ChainCompleteness(writer_id, len(signed), signed_seq, tail, tuple(gaps))


def _purge_gaps(writer_id: str, anchor: Anchor | None, signed: list[Checkpoint]) -> list[Gap]:
    if anchor is None:
        return []
    purges = [c for c in signed if c.kind is CheckpointKind.PURGE]
    if any(c.seq == anchor.seq and c.head_hash == anchor.hash for c in purges):
        return []
    detail = f"a purge anchor at seq {anchor.seq} has no signed purge checkpoint"
    return [Gap(writer_id, GapKind.UNSIGNED_PURGE, 1, anchor.seq, detail)]


def _missing_tail(writer_id: str, top: int, signed_seq: int, *, whole: bool) -> Gap:
    if whole:
        detail = f"every record of this writer is gone; checkpoints signed up to seq {signed_seq}"
        return Gap(writer_id, GapKind.DELETED, 1, signed_seq, detail)
    detail = f"the chain ends at seq {top} but seq {signed_seq} was signed"
    return Gap(writer_id, GapKind.TRUNCATED, top + 1, signed_seq, detail)


async def _first_replaced(
    store: AuditStore, writer_id: str, anchor: Anchor | None, signed: list[Checkpoint], top: int
) -> Gap | None:
    """The first signed head the store no longer has, after the last one it still has."""
    floor = anchor.seq if anchor is not None else 0
    matched = floor
    for checkpoint in sorted(signed, key=lambda c: c.seq):
        if checkpoint.seq < floor or checkpoint.seq > top:
            continue  # purged on purpose, or missing (reported as truncated)
        stored = await _hash_at(store, writer_id, checkpoint.seq, anchor)
        if stored == checkpoint.head_hash:
            matched = checkpoint.seq
            continue
        detail = (
            f"the record at seq {checkpoint.seq} is not the one signed at "
            f"{checkpoint.signed_at.isoformat()}: the chain after seq {matched} was rewritten"
        )
        return Gap(writer_id, GapKind.REPLACED, matched + 1, top, detail)
    return None


async def _hash_at(
    store: AuditStore, writer_id: str, seq: int, anchor: Anchor | None
) -> str | None:
    if anchor is not None and seq == anchor.seq:
        return anchor.hash
    page = await store.chain_page(writer_id, after_seq=seq - 1, limit=1)
    return page[0].hash if page and page[0].seq == seq else None


def _bad(checkpoint: Checkpoint) -> Gap:
    detail = (
        f"a checkpoint for writer {checkpoint.writer_id!r} at seq {checkpoint.seq} is not signed "
        f"by a trusted key (key id {checkpoint.key_id or '-'})"
    )
    return Gap(checkpoint.writer_id, GapKind.BAD_CHECKPOINT, checkpoint.seq, checkpoint.seq, detail)


def _unreadable(line: int) -> Gap:
    detail = f"line {line} of the checkpoint file does not parse"
    return Gap("(checkpoint file)", GapKind.BAD_CHECKPOINT, 0, 0, detail)
