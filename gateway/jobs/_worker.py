"""The job worker: claims rows, verifies them with bounded concurrency, checkpoints the outcomes.

One worker runs in each gateway process (``jobs_worker``). Its tasks::

    feeder        claims a batch of rows (a lease) when the queue has room; idles when no job waits
    verifiers ×N  take rows from the queue and ask the RowVerifier (N = ``jobs_concurrency``)
    checkpointer  stores finished rows in batches: one transaction moves each row to the results
    heartbeat     extends the lease of every row still held, so a slow row is not taken over
    housekeeping  erases finished jobs past retention and drops abandoned uploads

Why nothing is lost or duplicated after a crash: a row's outcome is stored only after its audit
record is committed (the verifier does that), and only while this worker's claim still holds the
row; rows whose outcome was not stored stay in the inputs and are claimed again once the lease of
the dead worker ends. At worst a row is *verified* twice (once audited each time), never *reported*
twice. Rows that meet a transient failure are given back with a delay and end as ``failed`` after
``max_attempts`` tries; a pause (circuit open, audit trail down) stops claiming for a while.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from gateway.jobs._errors import JobStoreUnavailable
from gateway.jobs._model import (
    Claim,
    Completion,
    Deferral,
    JobSpec,
    Outcome,
    RowInput,
    RowKey,
    Verdict,
)
from gateway.jobs._store import JobStore
from gateway.logs import get_logger

__all__ = ["JobWorker", "RowVerifier", "WorkerConfig"]

_log = get_logger("gateway.jobs")


class RowVerifier(Protocol):
    async def verify(self, job_id: str, spec: JobSpec, row: RowInput) -> Verdict | Deferral:
        """The row's outcome (after its audit record is committed), or why it must wait."""


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    worker_id: str
    concurrency: int = 8
    lease_s: float = 30.0
    claim_size: int = 0  # 0 = twice the concurrency, at least 16
    flush_size: int = 100
    flush_interval_s: float = 0.2
    idle_poll_s: float = 1.0
    max_attempts: int = 3
    retry_delay_s: float = 5.0
    store_retry_s: float = 1.0
    shutdown_grace_s: float = 10.0
    retention_s: float = 72 * 3600.0
    abandoned_upload_s: float = 3600.0
    housekeeping_every_s: float = 300.0

    @property
    def batch(self) -> int:
        return self.claim_size or max(16, 2 * self.concurrency)


@dataclass(frozen=True, slots=True)
class _Work:
    key: RowKey
    spec: JobSpec
    row: RowInput


class JobWorker:
    def __init__(
        self,
        store: JobStore,
        verifier: RowVerifier,
        config: WorkerConfig,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._verifier = verifier
        self.config = config
        self._clock = clock
        self._queue: asyncio.Queue[_Work | None] = asyncio.Queue(maxsize=config.batch)
        self._held: dict[RowKey, None] = {}  # claimed rows not yet stored or given back
        self._finished: list[Completion] = []
        self.stored: Counter[str] = Counter()  # rows whose outcome this worker stored, by outcome
        self._flush_now = asyncio.Event()
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._paused_until = 0.0
        self._verifiers: list[asyncio.Task[None]] = []
        self._services: list[asyncio.Task[None]] = []

    # --- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        self._verifiers = [
            asyncio.create_task(self._verify_loop(), name=f"jobs-verify-{i}")
            for i in range(self.config.concurrency)
        ]
        self._services = [
            asyncio.create_task(self._feed(), name="jobs-feed"),
            asyncio.create_task(self._checkpoint_loop(), name="jobs-checkpoint"),
            asyncio.create_task(self._heartbeat_loop(), name="jobs-heartbeat"),
            asyncio.create_task(self._housekeeping_loop(), name="jobs-housekeeping"),
        ]
        _log.info("jobs_worker_started", worker_id=self.config.worker_id)

    def wake(self) -> None:
        """A job was queued: claim now instead of at the next idle poll."""
        self._wake.set()

    async def close(self) -> None:
        """Stop claiming, finish (or give back) the rows in hand, store what is done."""
        self._stopping.set()
        self._wake.set()
        if not self._services:  # never started (the gateway refused to start): nothing to stop
            return
        feeder, checkpointer, *others = self._services
        await feeder
        await self._give_back_queued()
        for _ in self._verifiers:
            self._queue.put_nowait(None)
        _, pending = await asyncio.wait(self._verifiers, timeout=self.config.shutdown_grace_s)
        await _cancelled(*pending, *others)
        self._flush_now.set()  # the checkpointer ends after its current flush: never mid-commit
        await checkpointer
        await self._flush()
        await self._release(list(self._held), delay_s=0.0, count_attempt=False)
        _log.info("jobs_worker_stopped", worker_id=self.config.worker_id)

    # --- claiming ------------------------------------------------------------------------

    async def _feed(self) -> None:
        while not self._stopping.is_set():
            if (pause := self._paused_until - self._clock()) > 0:
                await self._idle(pause)
                continue
            claim = await self._claim()
            if claim is None:
                await self._idle(self.config.idle_poll_s)
                continue
            for row in claim.rows:
                await self._queue.put(_Work(claim.key(row), claim.spec, row))

    async def _claim(self) -> Claim | None:
        try:
            claim = await self._store.claim(limit=self.config.batch, lease_s=self.config.lease_s)
        except JobStoreUnavailable as exc:
            _log.warning("jobs_store_unavailable", step="claim", reason=str(exc))
            return None
        except Exception:  # a defect must not stop the feeder: log it, try again later
            _log.exception("jobs_claim_error")
            return None
        if claim is not None:
            self._held.update(dict.fromkeys(claim.key(row) for row in claim.rows))
        return claim

    async def _idle(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        self._wake.clear()

    async def _give_back_queued(self) -> None:
        keys = []
        while not self._queue.empty():
            if (work := self._queue.get_nowait()) is not None:
                keys.append(work.key)
        await self._release(keys, delay_s=0.0, count_attempt=False)

    # --- verifying -----------------------------------------------------------------------

    async def _verify_loop(self) -> None:
        while (work := await self._queue.get()) is not None:
            try:
                answer = await self._verifier.verify(work.key.job_id, work.spec, work.row)
            except Exception:  # a defect must not kill the worker: retry, then fail the row
                _log.exception("jobs_row_error", job_id=work.key.job_id, row=work.row.ordinal)
                answer = Deferral("internal_error", self.config.retry_delay_s)
            await self._settle(work, answer)

    async def _settle(self, work: _Work, answer: Verdict | Deferral) -> None:
        if isinstance(answer, Verdict):
            self._finish(Completion(work.key, answer.outcome, answer.reason))
            return
        if answer.pause_worker:
            self._paused_until = max(self._paused_until, self._clock() + answer.delay_s)
        last_try = work.row.attempts + 1 >= self.config.max_attempts
        if answer.counts_as_attempt and last_try:
            self._finish(Completion(work.key, Outcome.FAILED, answer.reason))
            return
        await self._release(
            [work.key], delay_s=answer.delay_s, count_attempt=answer.counts_as_attempt
        )

    def _finish(self, completion: Completion) -> None:
        self._finished.append(completion)
        if len(self._finished) >= self.config.flush_size:
            self._flush_now.set()

    async def _release(self, keys: list[RowKey], *, delay_s: float, count_attempt: bool) -> None:
        if not keys:
            return
        try:
            await self._store.release(keys, delay_s=delay_s, count_attempt=count_attempt)
        except JobStoreUnavailable as exc:  # the lease will end on its own
            _log.warning("jobs_store_unavailable", step="release", reason=str(exc))
        for key in keys:
            self._held.pop(key, None)

    # --- checkpoints, leases, retention ----------------------------------------------------

    async def _checkpoint_loop(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._flush_now.wait(), self.config.flush_interval_s)
            self._flush_now.clear()
            if not await self._flush() and not self._stopping.is_set():
                await self._idle_checkpoints(self.config.store_retry_s)

    async def _idle_checkpoints(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    async def _flush(self) -> bool:
        """Store the finished rows; False (rows kept for the next try) if the store is down."""
        batch, self._finished = self._finished, []
        if not batch:
            return True
        try:
            await self._store.complete(batch)
        except Exception as exc:  # store down (or a defect): keep the rows, try again
            _log.warning("jobs_checkpoint_failed", reason=str(exc), rows=len(batch))
            self._finished = batch + self._finished
            return False
        for completion in batch:
            self._held.pop(completion.key, None)
        self.stored.update(completion.outcome.value for completion in batch)
        return True

    async def _heartbeat_loop(self) -> None:
        await _every(self.config.lease_s / 3, self._extend)

    async def _extend(self) -> None:
        if self._held:
            await self._store.extend(list(self._held), self.config.lease_s)

    async def _housekeeping_loop(self) -> None:
        await _every(self.config.housekeeping_every_s, self._housekeeping)

    async def _housekeeping(self) -> None:
        now = datetime.now(UTC)
        purged = await self._store.purge(
            finished_before=now - timedelta(seconds=self.config.retention_s),
            abandoned_before=now - timedelta(seconds=self.config.abandoned_upload_s),
        )
        if purged:
            _log.info("jobs_purged", jobs=purged)


async def _every(seconds: float, step: Callable[[], Awaitable[None]]) -> None:
    """Run ``step`` every ``seconds``; a store outage is logged and tried again next time."""
    while True:
        try:
            await step()
        except JobStoreUnavailable as exc:
            _log.warning("jobs_store_unavailable", step=step.__name__, reason=str(exc))
        except Exception:  # a defect must not stop leases or housekeeping for good
            _log.exception("jobs_step_error", step=step.__name__)
        await asyncio.sleep(seconds)


async def _cancelled(*tasks: asyncio.Task[None]) -> None:
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
