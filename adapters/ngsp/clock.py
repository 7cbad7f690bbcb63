"""Time as the adapter sees it: a clock, and the overall deadline of one call.

Every wait and every time-out in the adapter goes through a :class:`Clock`, so tests can swap in
``adapters.ngsp.testing.FakeClock`` and exercise backoff, deadlines, token expiry and the breaker's
cool-down without sleeping. :class:`SystemClock` is the real thing (monotonic time, asyncio).
"""

from __future__ import annotations

import asyncio
import time
from contextlib import AbstractAsyncContextManager
from typing import Protocol

__all__ = ["Clock", "Deadline", "SystemClock"]


class Clock(Protocol):
    """Monotonic seconds, sleeping, and a time-out around a block of awaits."""

    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...

    def timeout(self, seconds: float) -> AbstractAsyncContextManager[object]:
        """Cancel the block after ``seconds`` and raise :class:`TimeoutError`."""
        ...


class SystemClock:
    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    def timeout(self, seconds: float) -> AbstractAsyncContextManager[object]:
        return asyncio.timeout(seconds)


class Deadline:
    """The moment one call must have its answer by, whatever the retries."""

    __slots__ = ("_at", "_clock")

    def __init__(self, clock: Clock, seconds: float) -> None:
        self._clock = clock
        self._at = clock.now() + seconds

    def remaining(self) -> float:
        return max(0.0, self._at - self._clock.now())
