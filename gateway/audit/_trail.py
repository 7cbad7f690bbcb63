"""The writer: one per process, group-committing the trail in a two-stage pipeline, failing closed.

``record()`` queues an event with a future and waits. The *sealer* task takes everything queued
(up to ``batch_max``) and seals it into the chain; the *committer* task stores each sealed batch in
one transaction and only then resolves its futures: an answer can leave only once its record is
durable. The sealer prepares the next batch while the committer waits on the disk, and batches
grow with the load by themselves: there is no timer to tune.

Sealing is optimistic (each batch continues the previous one before it is known to have landed).
The store appends a batch only if its first record links to the chain's head *in the store*, so a
failed, timed-out or concurrent commit can cost availability (503s) but never a link.

Lingering: a request path that is about to record announces it (:meth:`AuditTrail.announce`)
before its upstream call. When the sealer has taken everything queued and announced records are
still on their way, it waits up to ``linger_s`` (default 2 ms) for them, so that at moderate load a
commit carries several records instead of one (each commit has a fixed cost of a few hundred
microseconds of CPU). With nothing announced, as at concurrency 1, it never waits.

Failing closed: a full queue, a stopped writer, a commit that fails or outlasts
``commit_timeout_s`` raise :class:`AuditUnavailable` to the callers concerned and say so in the log
(``audit_commit_failed``, ``audit_queue_full``). After a failure, the batches already sealed behind
the failed one fail with it, and sealing resumes from the head re-read from the store.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import TypedDict

from gateway.audit._checkpointer import Checkpointer
from gateway.audit._errors import AuditConfigError, AuditUnavailable
from gateway.audit._lifecycle import Bracketed
from gateway.audit._model import AuditEvent, AuditRecord, ChainHead
from gateway.audit._seal import AuditKeys, seal_batch
from gateway.audit._store import AuditStore, chain_head
from gateway.logs import get_logger

__all__ = ["Announcement", "AuditStats", "AuditTrail", "TrailOptions"]

_log = get_logger("gateway.audit")
_Pending = tuple[AuditEvent, "asyncio.Future[None]"]


@dataclass(frozen=True, slots=True)
class AuditStats:
    """A snapshot for metrics and ``/readyz``."""

    queue_depth: int
    committed: int
    batches: int
    failed: int
    rejected: int
    last_commit_ms: float | None
    last_batch_size: int
    head_seq: int | None


class Announcement:
    """An operation that will record soon; withdrawn when it records, fails or is cancelled."""

    __slots__ = ("_trail",)

    def __init__(self, trail: AuditTrail | None) -> None:
        self._trail = trail
        if trail is not None:
            trail._announced += 1

    def withdraw(self) -> None:
        """Idempotent: the trail stops expecting this record."""
        trail, self._trail = self._trail, None
        if trail is not None:
            trail._announced -= 1
            if trail._lingering and trail._announced == 0:
                trail._wake.set()


@dataclass(frozen=True, slots=True)
class _Sealed:
    pending: list[_Pending]
    records: list[AuditRecord]
    generation: int


class TrailOptions(TypedDict, total=False):
    """How a trail batches, waits and signs, for whoever opens one on its caller's behalf: each
    option left out takes :class:`AuditTrail`'s own default, so a default is stated only there."""

    queue_max: int
    batch_max: int
    commit_timeout_s: float
    linger_s: float
    checkpointer: Checkpointer | None


class AuditTrail(Bracketed):
    """The process's audit writer. Use ``async with`` or :meth:`start` / :meth:`close`."""

    def __init__(
        self,
        store: AuditStore,
        keys: AuditKeys,
        *,
        writer_id: str,
        queue_max: int = 10_000,
        batch_max: int = 500,
        commit_timeout_s: float = 5.0,
        linger_s: float = 0.002,
        checkpointer: Checkpointer | None = None,
    ) -> None:
        if not writer_id or len(writer_id) > 200:
            raise AuditConfigError("writer_id must be 1-200 characters")
        if queue_max < 1 or batch_max < 1:
            raise AuditConfigError("queue_max and batch_max must be positive")
        if not 0 <= linger_s <= 0.1:
            raise AuditConfigError("linger_s must be between 0 and 0.1 seconds")
        self._store = store
        self._keys = keys
        self._writer_id = writer_id
        self._batch_max = batch_max
        self._commit_timeout_s = commit_timeout_s
        self._linger_s = linger_s
        self._checkpointer = checkpointer  # signs committed heads (gateway/audit/_checkpoint.py)
        self._announced = 0  # operations that announced a record and have not queued it yet
        self._lingering = False  # the sealer waits for announced records: wake it on news
        self._wake = asyncio.Event()
        self._queue: asyncio.Queue[_Pending | None] = asyncio.Queue(queue_max)
        self._sealed: asyncio.Queue[_Sealed | None] = asyncio.Queue(1)
        self._sealed_head: ChainHead | None = None  # None: re-read from the store before sealing
        self._committed_head: ChainHead | None = None
        self._generation = 0  # bumped by each failure: batches sealed before it are doomed
        self._last_failure = AuditUnavailable("store_error", "an earlier batch failed")
        self._tasks: list[asyncio.Task[None]] = []
        self._accepting = False
        self._overloaded = False
        self._committed = self._batches = self._failed = self._rejected = 0
        self._last_commit_ms: float | None = None
        self._last_batch_size = 0

    @property
    def writer_id(self) -> str:
        return self._writer_id

    @property
    def stats(self) -> AuditStats:
        head = self._committed_head
        return AuditStats(
            queue_depth=self._queue.qsize(),
            committed=self._committed,
            batches=self._batches,
            failed=self._failed,
            rejected=self._rejected,
            last_commit_ms=self._last_commit_ms,
            last_batch_size=self._last_batch_size,
            head_seq=None if head is None else head.seq,
        )

    async def begin(self) -> None:
        await self.start()

    async def start(self) -> None:
        """Open the store (migrating it), find the chain's head, start the writer tasks."""
        if self._tasks:
            raise RuntimeError("the audit trail is already started")
        await self._store.open()
        try:
            self._sealed_head = await chain_head(self._store, self._writer_id)
        except BaseException:
            await self._store.close()
            raise
        self._committed_head = self._sealed_head
        if self._checkpointer is not None:
            self._checkpointer.begin(self._writer_id, self._sealed_head)
        self._accepting = True
        self._tasks = [
            asyncio.create_task(self._seal_loop(), name=f"audit-sealer:{self._writer_id}"),
            asyncio.create_task(self._commit_loop(), name=f"audit-committer:{self._writer_id}"),
        ]
        _log.info("audit_trail_started", writer_id=self._writer_id, head_seq=self._sealed_head.seq)

    async def close(self) -> None:
        """Stop taking events, commit every queued one, stop the writer, close the store."""
        tasks, self._tasks = self._tasks, []
        if not tasks:
            return
        self._accepting = False
        await self._queue.put(None)
        await asyncio.gather(*tasks)
        if self._checkpointer is not None:
            await self._checkpointer.close()  # the shutdown checkpoint: every commit is in
        await self._store.close()
        head_seq = self.stats.head_seq
        _log.info("audit_trail_closed", writer_id=self._writer_id, head_seq=head_seq)

    def announce(self) -> Announcement:
        """Say a record is coming (call before the upstream call); pass it to :meth:`record`."""
        return Announcement(self if self._linger_s > 0 else None)

    async def record(self, event: AuditEvent, announced: Announcement | None = None) -> None:
        """Return once the event's record is durably committed; else raise AuditUnavailable."""
        if announced is not None:
            announced.withdraw()
        await self._enqueue(event)

    async def ping(self) -> None:
        """Raise AuditUnavailable unless the writer runs and the store takes a write now."""
        if not self._accepting:
            raise AuditUnavailable("writer_stopped", "the audit writer is not running")
        try:
            async with asyncio.timeout(self._commit_timeout_s):
                renewed = await self._store.ping()
        except TimeoutError as exc:
            raise AuditUnavailable("timeout", "the audit store did not answer a ping") from exc
        if renewed:  # a re-created store has a new head: batches sealed on the old one are void
            self._generation += 1
            self._sealed_head = None

    def _enqueue(self, event: AuditEvent) -> asyncio.Future[None]:
        if not self._accepting:
            self._rejected += 1
            raise AuditUnavailable("writer_stopped", "the audit writer is not running")
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        try:
            self._queue.put_nowait((event, future))
            if self._lingering:
                self._wake.set()
        except asyncio.QueueFull as exc:
            self._rejected += 1
            self._note_overload()
            raise AuditUnavailable(
                "queue_full", f"{self._queue.maxsize} audit records are already waiting"
            ) from exc
        return future

    def _note_overload(self) -> None:
        if not self._overloaded:
            self._overloaded = True
            _log.warning(
                "audit_queue_full", writer_id=self._writer_id, queue_max=self._queue.maxsize
            )

    # --- stage 1: seal ----------------------------------------------------------------------

    async def _seal_loop(self) -> None:
        stop = False
        while not stop:
            pending, stop = await self._next_batch()
            if pending and (sealed := await self._seal(pending)) is not None:
                await self._sealed.put(sealed)
        await self._sealed.put(None)

    async def _next_batch(self) -> tuple[list[_Pending], bool]:
        """Everything queued, up to ``batch_max``; True once the stop sign was taken.

        When the queue is empty but announced records are on their way, wait up to ``linger_s``
        for them (see the module's docstring).
        """
        batch: list[_Pending] = []
        item = await self._queue.get()
        deadline: float | None = None
        while item is not None:
            batch.append(item)
            if len(batch) >= self._batch_max:
                return batch, False
            if self._queue.empty():
                if self._announced == 0:
                    return batch, False
                loop = asyncio.get_running_loop()
                if deadline is None:
                    deadline = loop.time() + self._linger_s
                if not await self._linger(deadline):
                    return batch, False
            item = self._queue.get_nowait()
        return batch, True

    async def _linger(self, deadline: float) -> bool:
        """Wait for a queued record until ``deadline``; False if none came (or none is due)."""
        self._wake.clear()
        self._lingering = True
        try:
            async with asyncio.timeout_at(deadline):
                while self._queue.empty() and self._announced > 0:
                    await self._wake.wait()
                    self._wake.clear()
        except TimeoutError:
            pass
        finally:
            self._lingering = False
        return not self._queue.empty()

    async def _seal(self, pending: list[_Pending]) -> _Sealed | None:
        try:
            if self._sealed_head is None:  # after a failure: heal the store, re-read the head
                await self._store.ping()
                self._sealed_head = await chain_head(self._store, self._writer_id)
            events = [event for event, _ in pending]
            records = seal_batch(events, self._sealed_head, self._writer_id, self._keys)
        except Exception as exc:  # store down, or a bug: fail closed either way
            self._fail(pending, _unavailable(exc))
            return None
        self._sealed_head = ChainHead(records[-1].seq, records[-1].hash)
        return _Sealed(pending, records, self._generation)

    # --- stage 2: commit --------------------------------------------------------------------

    async def _commit_loop(self) -> None:
        while (sealed := await self._sealed.get()) is not None:
            if sealed.generation != self._generation:
                self._fail(sealed.pending, self._last_failure, log=False)
            else:
                await self._commit(sealed)

    async def _commit(self, sealed: _Sealed) -> None:
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self._commit_timeout_s):
                await self._store.append(sealed.records)
        except Exception as exc:  # store down, or a bug: fail closed either way
            self._generation += 1
            self._sealed_head = None
            self._last_failure = _unavailable(exc)
            self._fail(sealed.pending, self._last_failure)
            return
        last = sealed.records[-1]
        self._committed_head = ChainHead(last.seq, last.hash)
        if self._checkpointer is not None:
            self._checkpointer.committed(self._committed_head)
        self._succeed(sealed.pending, started)

    def _succeed(self, pending: list[_Pending], started: float) -> None:
        self._committed += len(pending)
        self._batches += 1
        self._last_batch_size = len(pending)
        self._last_commit_ms = (time.perf_counter() - started) * 1000
        for _, future in pending:
            if not future.done():
                future.set_result(None)
        if self._overloaded and self._queue.qsize() < self._queue.maxsize // 2:
            self._overloaded = False
            _log.info("audit_queue_recovered", writer_id=self._writer_id)

    def _fail(self, pending: list[_Pending], error: AuditUnavailable, *, log: bool = True) -> None:
        self._failed += len(pending)
        if log:
            _log.error(
                "audit_commit_failed",
                writer_id=self._writer_id,
                reason=error.reason,
                detail=error.detail,
                records=len(pending),
            )
        for _, future in pending:
            if not future.done():
                future.set_exception(AuditUnavailable(error.reason, error.detail))


def _unavailable(exc: Exception) -> AuditUnavailable:
    if isinstance(exc, AuditUnavailable):
        return exc
    if isinstance(exc, TimeoutError):
        return AuditUnavailable("timeout", "the audit commit took too long")
    _log.error("audit_writer_error", error=repr(exc))
    return AuditUnavailable("store_error", type(exc).__name__)
