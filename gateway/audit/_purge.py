"""Retention: export, then delete, the oldest part of every chain, leaving a sealed anchor.

Only a *prefix* of a chain is ever purged: a writer's records up to (not including) its first
record at or after the cutoff, so a record older than the cutoff that was committed after a newer
one waits for the next purge. The prefix is written to a new JSON Lines file and fsynced before
anything is deleted; then, in one transaction, an :class:`~gateway.audit._model.Anchor` holding
the last purged record's ``seq`` and ``hash`` (sealed with the chain key) is stored and the prefix
deleted. Verification then starts each chain from its anchor instead of genesis. A purge refuses
to run on a chain that does not verify: that evidence must be looked at, not archived away.

With a checkpoint log, a signed ``purge`` checkpoint for each anchor is appended after the archive
is fsynced and before anything is deleted, so ``verify`` tells this purge from a truncation and
from a forged anchor (a crash in between leaves a checkpoint that still matches the chain).
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from gateway.audit._checkpoint import Checkpoint, CheckpointKind, CheckpointLog
from gateway.audit._errors import AuditQueryError
from gateway.audit._export import jsonl_line
from gateway.audit._model import Anchor
from gateway.audit._seal import AuditKeys
from gateway.audit._signing import CheckpointSigner
from gateway.audit._store import AuditStore, iter_chain
from gateway.audit._verify import verify_chain

__all__ = ["PurgeReport", "purge_before"]


@dataclass(frozen=True, slots=True)
class PurgeReport:
    cutoff: datetime
    export_path: Path
    records_purged: int
    anchors: tuple[Anchor, ...]


async def purge_before(
    store: AuditStore,
    keys: AuditKeys,
    cutoff: datetime,
    export_path: Path,
    witness: tuple[CheckpointLog, CheckpointSigner] | None = None,
) -> PurgeReport:
    """Purge every chain's records older than ``cutoff``, archiving them to ``export_path``."""
    bounds = await _last_purgeable_seqs(store, cutoff)
    await _refuse_broken_chains(store, keys, list(bounds))
    try:
        with export_path.open("x", encoding="utf-8") as out:
            anchors = [
                anchor
                for writer_id, last_seq in bounds.items()
                if (
                    anchor := await _archive(
                        store, keys, writer_id, last_seq=last_seq, cutoff=cutoff, out=out
                    )
                )
            ]
            out.flush()
            os.fsync(out.fileno())
    except FileExistsError as exc:
        raise AuditQueryError(f"{export_path} exists: a purge never overwrites an archive") from exc
    if witness is not None:
        await asyncio.to_thread(_sign_purges, anchors, *witness)
    deleted = await store.purge(anchors) if anchors else 0
    return PurgeReport(cutoff, export_path, deleted, tuple(anchors))


def _sign_purges(anchors: list[Anchor], log: CheckpointLog, signer: CheckpointSigner) -> None:
    for a in anchors:
        draft = Checkpoint(
            a.writer_id,
            a.seq,
            a.hash,
            datetime.now(UTC),
            CheckpointKind.PURGE,
            purged=a.records_purged,
        )
        log.append(draft.signed_by(signer))


async def _last_purgeable_seqs(store: AuditStore, cutoff: datetime) -> dict[str, int]:
    bounds = await store.purge_bounds(cutoff)
    return {
        writer_id: (first_kept - 1 if first_kept is not None else last)
        for writer_id, (first_kept, last) in bounds.items()
    }


async def _refuse_broken_chains(store: AuditStore, keys: AuditKeys, writers: list[str]) -> None:
    for writer_id in writers:
        broken = (await verify_chain(store, keys, writer_id)).first_break
        if broken is not None:
            raise AuditQueryError(
                f"chain {writer_id!r} does not verify ({broken.reason} at seq {broken.seq}): "
                "nothing was purged"
            )


async def _archive(
    store: AuditStore,
    keys: AuditKeys,
    writer_id: str,
    *,
    last_seq: int,
    cutoff: datetime,
    out: TextIO,
) -> Anchor | None:
    """Write the writer's records up to ``last_seq``; return the anchor that will replace them."""
    count, last = 0, None
    async for record in iter_chain(store, writer_id, until_seq=last_seq):
        out.write(jsonl_line(record))
        count, last = count + 1, record
    if last is None:
        return None
    draft = Anchor(writer_id, last.seq, last.hash, cutoff, datetime.now(UTC), count, mac="")
    return replace(draft, mac=keys.anchor_mac(draft))
