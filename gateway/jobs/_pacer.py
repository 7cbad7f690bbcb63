"""Pacing upstream calls so a job never sends the national link more than its configured rate.

A virtual-schedule limiter (GCRA with no burst): each call takes the next free slot on a timeline
spaced ``1 / rate`` apart and sleeps until it. Over any window the number of calls is at most
``rate × window + 1``, however many tasks ask at once; slots are cumulative, so coarse sleeps
late in one slot do not lower the average rate. One pacer serves every job of a process.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

__all__ = ["Pacer"]


class Pacer:
    def __init__(
        self,
        rate_per_s: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate_per_s <= 0:
            raise ValueError("the upstream rate must be positive")
        self.rate_per_s = rate_per_s
        self._interval = 1.0 / rate_per_s
        self._clock = clock
        self._sleep = sleep
        self._next_slot = 0.0

    async def acquire(self) -> None:
        """Wait for this call's slot."""
        now = self._clock()
        slot = max(self._next_slot, now)
        self._next_slot = slot + self._interval
        if slot > now:
            await self._sleep(slot - now)
