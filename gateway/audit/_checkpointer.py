"""The writer's side of checkpoints: sign the committed head every N records, every T seconds
and at shutdown.

The trail tells the checkpointer each committed head (:meth:`Checkpointer.committed`, a cheap
call on the event loop); signing and the fsynced append run in a thread, off the request path.
A checkpoint is never written for a head that is not yet durable in the store. What a SIGKILL
leaves unsigned is at most the last N records or T seconds: ``verify`` reports that tail as not
yet covered, not as missing.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

from gateway.audit._checkpoint import Checkpoint, CheckpointLog
from gateway.audit._errors import AuditConfigError, AuditUnavailable
from gateway.audit._model import GENESIS, ChainHead
from gateway.audit._signing import CheckpointSigner
from gateway.logs import get_logger

__all__ = ["Checkpointer", "sign_head"]

_log = get_logger("gateway.audit")


async def sign_head(
    log: CheckpointLog, signer: CheckpointSigner, writer_id: str, head: ChainHead
) -> None:
    """Sign ``writer_id``'s chain ``head`` into ``log`` (its file I/O in a thread)."""
    checkpoint = Checkpoint(writer_id, head.seq, head.hash, datetime.now(UTC))
    await asyncio.to_thread(log.append, checkpoint.signed_by(signer))


class Checkpointer:
    """Signs one writer's chain head into the checkpoint log."""

    def __init__(
        self,
        log: CheckpointLog,
        signer: CheckpointSigner,
        *,
        every_records: int = 1000,
        every_s: float = 10.0,
        close_timeout_s: float = 10.0,
    ) -> None:
        if every_records < 1 or every_s <= 0:
            raise AuditConfigError("checkpoints need every_records >= 1 and every_s > 0")
        self._log = log
        self._signer = signer
        self._every_records = every_records
        self._every_s = every_s
        self._close_timeout_s = close_timeout_s
        self._writer_id = ""
        self._head: ChainHead | None = None
        self._start_head = GENESIS
        self._signed_seq: int | None = None
        self._due = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task[None] | None = None

    @property
    def signer(self) -> CheckpointSigner:
        return self._signer

    def begin(self, writer_id: str, head: ChainHead) -> None:
        """Start the timer for a writer whose chain continues at ``head`` (signed once it moves)."""
        self._writer_id = writer_id
        self._head = self._start_head = head  # already covered, or unsigned from before
        self._task = asyncio.create_task(self._loop(), name=f"audit-checkpoints:{writer_id}")

    def committed(self, head: ChainHead) -> None:
        """A batch is durable up to ``head``; sign soon if N records went by unsigned."""
        self._head = head
        since = self._signed_seq if self._signed_seq is not None else self._start_head.seq
        if head.seq - since >= self._every_records:
            self._due.set()

    async def close(self) -> None:
        """Stop the timer and sign the final head (the shutdown checkpoint).

        The timer is told to stop, not cancelled: a checkpoint it is writing finishes (its
        thread would finish anyway), so the shutdown never signs that same head a second time.
        A checkpoint directory that does not answer within ``close_timeout_s`` is given up on,
        with an error line, rather than holding the shutdown.
        """
        task, self._task = self._task, None
        if task is None:
            return
        self._closing = True
        self._due.set()
        try:
            async with asyncio.timeout(self._close_timeout_s):
                await task
                await self._sign_if_moved()
        except TimeoutError:  # a stuck checkpoint directory must not hold the shutdown forever
            task.cancel()
            _log.error(
                "audit_checkpoint_stuck",
                writer_id=self._writer_id,
                detail=f"the checkpoint directory did not answer in {self._close_timeout_s:g} s; "
                "the chain's tail stays unsigned (verify reports it as not yet signed)",
            )

    async def _loop(self) -> None:
        while not self._closing:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._every_s):
                    await self._due.wait()
            self._due.clear()
            if not self._closing:
                await self._sign_if_moved()

    async def _sign_if_moved(self) -> None:
        head = self._head
        if head is None or head.seq in (self._signed_seq, self._start_head.seq):
            return
        try:
            await sign_head(self._log, self._signer, self._writer_id, head)
        except AuditUnavailable as exc:  # retried at the next tick; the chain itself is intact
            _log.error("audit_checkpoint_failed", writer_id=self._writer_id, detail=exc.detail)
            return
        self._signed_seq = head.seq
        _log.info(
            "audit_checkpoint_signed",
            writer_id=self._writer_id,
            seq=head.seq,
            head_hash=head.hash,
            key_id=self._signer.key_id,
        )
