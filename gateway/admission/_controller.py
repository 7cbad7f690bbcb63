"""The concurrency limit in front of the data calls: fair shares, criticality, a short queue.

At most ``limit`` data calls run at once in a process. A request that finds a free slot starts at
once; otherwise it may wait in a short queue (``queue_max`` entries, each at most its wait bound);
when that is full too it is *shed*: refused at once with :class:`Shed`, before any personal data
is touched or NGSP is called.

Fairness (SRE book, "Handling Overload": per-client limits): each client's share of the limit is
weighted by its configured rate. A client under its share takes any free slot; a client over its
share takes one only if a slot still stays free for every other recently active client that has
nothing in flight, so a flooding portal cannot starve a trickle. When the queue is full, a client
less served (in flight and waiting per unit of weight) than the queue's heaviest user evicts that
user's newest waiter. A freed slot goes to the least served client's oldest waiter.

Criticality: bulk-job rows (:attr:`Priority.BULK`) never queue and never use more than
``bulk_share`` of the limit, nor any slot while interactive requests wait: they are refused and
their worker backs off, so interactive look-ups go first.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

__all__ = ["AdmissionController", "AdmissionStats", "Priority", "Shed"]

_ACTIVE_S = 2.0  # a client seen this recently keeps a slot free for itself


class Priority(Enum):
    INTERACTIVE = "interactive"
    BULK = "bulk"


class Shed(Exception):
    """The request was refused by admission control; ``reason`` is a metric label."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(slots=True)
class _Waiter:
    client: _Client
    granted: asyncio.Future[None]


@dataclass(slots=True)
class _Client:
    client_id: str
    weight: float
    inflight: int = 0
    waiting: deque[_Waiter] = field(default_factory=deque)
    last_seen: float = 0.0

    def load(self) -> float:
        """In flight and waiting per unit of weight: who is served least goes first."""
        return (self.inflight + len(self.waiting)) / self.weight


@dataclass(slots=True)
class AdmissionStats:
    """Counters and levels for metrics and the once-per-burst log line."""

    admitted: int = 0
    queued: int = 0
    shed: dict[str, int] = field(default_factory=dict)
    queue_wait_s: float = 0.0  # total, for the mean

    def count_shed(self, key: str) -> None:
        self.shed[key] = self.shed.get(key, 0) + 1


class AdmissionController:
    def __init__(
        self,
        limit: int,
        *,
        queue_max: int,
        bulk_share: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1 or queue_max < 0:
            raise ValueError("the admission limit must be at least 1 and the queue not negative")
        self.limit = limit
        self.queue_max = queue_max
        self.bulk_limit = max(1, math.floor(limit * bulk_share)) if bulk_share > 0 else 0
        self.stats = AdmissionStats()
        self._clock = clock
        self._clients: dict[str, _Client] = {}
        self._inflight = 0
        self._bulk_inflight = 0
        self._queued = 0
        self._redispatch: asyncio.TimerHandle | None = None

    # ---------------------------------------------------------------- levels

    @property
    def inflight(self) -> int:
        return self._inflight

    @property
    def queued(self) -> int:
        return self._queued

    # ---------------------------------------------------------------- bulk rows

    def try_acquire_bulk(self) -> None:
        """Take a slot for one bulk-job row now, or raise :class:`Shed` (never waits)."""
        if self._queued or self._bulk_inflight >= self.bulk_limit or not self._has_free_slot():
            self._shed("bulk", Priority.BULK)
        self._bulk_inflight += 1
        self._inflight += 1
        self.stats.admitted += 1

    def release_bulk(self) -> None:
        self._bulk_inflight -= 1
        self._inflight -= 1
        self._dispatch()

    # ---------------------------------------------------------------- interactive requests

    async def acquire(self, client_id: str, weight: float, wait_s: float) -> None:
        """Take a slot for ``client_id``, waiting at most ``wait_s``; raise :class:`Shed` if not.

        Cancellation (the caller went away) leaves no trace: a waiter leaves the queue, a slot
        granted at that very moment is given back.
        """
        client = self._client(client_id, weight)
        if not client.waiting and self._may_start(client):
            self._start(client)
            return
        if wait_s <= 0:
            self._shed("deadline", Priority.INTERACTIVE)
        if self._queued >= self.queue_max and not self._evict_for(client):
            self._shed("queue_full", Priority.INTERACTIVE)
        if self._has_free_slot():
            self._redispatch_later()  # held back only by slots kept for idle clients
        await self._wait(client, wait_s)

    def release(self, client_id: str) -> None:
        client = self._clients[client_id]
        client.inflight -= 1
        self._inflight -= 1
        self._dispatch()

    # ---------------------------------------------------------------- internals

    def _client(self, client_id: str, weight: float) -> _Client:
        client = self._clients.get(client_id)
        if client is None:
            client = self._clients[client_id] = _Client(client_id, max(weight, 1e-9))
        client.weight = max(weight, 1e-9)  # the registry may have changed its rate
        client.last_seen = self._clock()
        return client

    def _has_free_slot(self) -> bool:
        return self._inflight < self.limit

    def _fair_share(self, client: _Client, active: list[_Client]) -> float:
        total = sum(other.weight for other in active if other is not client) + client.weight
        return self.limit * client.weight / total

    def _may_start(self, client: _Client) -> bool:
        if not self._has_free_slot():
            return False
        active = self._active()
        if client.inflight < self._fair_share(client, active):
            return True
        idle_others = sum(1 for other in active if other is not client and not other.inflight)
        return self.limit - self._inflight - 1 >= idle_others

    def _active(self) -> list[_Client]:
        since = self._clock() - _ACTIVE_S
        stale = [key for key, c in self._clients.items() if self._forgettable(c, since)]
        for key in stale:
            del self._clients[key]
        return list(self._clients.values())

    @staticmethod
    def _forgettable(client: _Client, since: float) -> bool:
        return client.last_seen < since and not client.inflight and not client.waiting

    def _start(self, client: _Client) -> None:
        client.inflight += 1
        self._inflight += 1
        self.stats.admitted += 1

    def _shed(self, reason: str, priority: Priority) -> None:
        self.stats.count_shed(f"{priority.value}:{reason}")
        raise Shed(reason)

    def _evict_for(self, client: _Client) -> bool:
        """Make room in a full queue by shedding the heaviest user's newest waiter, if fairer."""
        heaviest = max(
            (other for other in self._clients.values() if other.waiting),
            key=_Client.load,
            default=None,
        )
        if heaviest is None or heaviest is client or heaviest.load() <= client.load() + 1e-9:
            return False
        victim = heaviest.waiting.pop()
        self._queued -= 1
        self.stats.count_shed(f"{Priority.INTERACTIVE.value}:evicted")
        victim.granted.set_exception(Shed("evicted"))
        return True

    async def _wait(self, client: _Client, wait_s: float) -> None:
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiter = _Waiter(client, granted)
        client.waiting.append(waiter)
        self._queued += 1
        self.stats.queued += 1
        started = self._clock()
        timer = asyncio.get_running_loop().call_later(wait_s, self._expire, waiter)
        try:
            await granted
        except asyncio.CancelledError:
            self._abandon(waiter)
            raise
        finally:
            timer.cancel()
            self.stats.queue_wait_s += self._clock() - started

    def _expire(self, waiter: _Waiter) -> None:
        if waiter.granted.done():
            return
        self._leave_queue(waiter)
        self.stats.count_shed(f"{Priority.INTERACTIVE.value}:queue_timeout")
        waiter.granted.set_exception(Shed("queue_timeout"))

    def _abandon(self, waiter: _Waiter) -> None:
        granted = waiter.granted
        if granted.done() and not granted.cancelled() and granted.exception() is None:
            self.release(waiter.client.client_id)  # granted as we were cancelled: give it back
        elif waiter in waiter.client.waiting:
            self._leave_queue(waiter)
        self.stats.count_shed(f"{Priority.INTERACTIVE.value}:client_gone")

    def _leave_queue(self, waiter: _Waiter) -> None:
        waiter.client.waiting.remove(waiter)
        self._queued -= 1

    def _dispatch(self) -> None:
        """Hand free slots to the least served clients' oldest waiters, within their shares."""
        while self._queued and self._has_free_slot():
            candidates = sorted((c for c in self._clients.values() if c.waiting), key=_Client.load)
            client = next((c for c in candidates if self._may_start(c)), None)
            if client is None:
                self._redispatch_later()  # slots kept for idle clients, until they go quiet
                return
            waiter = client.waiting.popleft()
            self._queued -= 1
            self._start(client)
            waiter.granted.set_result(None)

    def _redispatch_later(self) -> None:
        if self._redispatch is None:
            loop = asyncio.get_running_loop()
            self._redispatch = loop.call_later(_ACTIVE_S, self._redispatch_now)

    def _redispatch_now(self) -> None:
        self._redispatch = None
        self._dispatch()
