"""Test doubles for code that uses the adapter: a fake clock and an observer that records.

Like ``httpx.MockTransport`` or ``structlog.testing``, these ship with the package so the gateway's
tests can drive retries, deadlines and the breaker's cool-down in virtual time, without sleeping.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field
from types import TracebackType

from adapters.ngsp.observer import BreakerState

__all__ = ["FakeClock", "RecordingObserver"]


class FakeClock:
    """Virtual monotonic time: it moves only when a task sleeps or a test calls :meth:`advance`.

    ``timeout(s)`` works per task: a sleep that would pass the innermost deadline of its task
    advances to that deadline and raises :class:`TimeoutError`, as ``asyncio.timeout`` would.
    """

    def __init__(self, start: float = 1_000.0) -> None:
        self._now = start
        self._deadlines: dict[asyncio.Task[object] | None, list[float]] = {}

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds

    async def sleep(self, seconds: float) -> None:
        target = self._now + max(0.0, seconds)
        cutoff = min(self._deadlines.get(asyncio.current_task(), ()), default=math.inf)
        self._now = max(self._now, min(target, cutoff))
        await asyncio.sleep(0)  # let other tasks run, as a real sleep would
        if cutoff < target:
            raise TimeoutError

    def timeout(self, seconds: float) -> _FakeTimeout:
        return _FakeTimeout(self, self._now + seconds)


class _FakeTimeout:
    def __init__(self, clock: FakeClock, deadline: float) -> None:
        self._clock = clock
        self._deadline = deadline
        self._task: asyncio.Task[object] | None = None

    async def __aenter__(self) -> _FakeTimeout:
        self._task = asyncio.current_task()
        self._clock._deadlines.setdefault(self._task, []).append(self._deadline)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        deadlines = self._clock._deadlines[self._task]
        deadlines.remove(self._deadline)
        if not deadlines:
            del self._clock._deadlines[self._task]
        if exc_type is None and self._clock.now() > self._deadline:
            raise TimeoutError  # the block finished, but too late: the caller stopped waiting


@dataclass
class RecordingObserver:
    """Keeps every event, in order, for assertions."""

    attempts: list[tuple[str, int, str, float | None]] = field(default_factory=list)
    transitions: list[tuple[BreakerState, BreakerState]] = field(default_factory=list)
    token_refreshes: int = 0

    def on_attempt(self, operation: str, attempt: int, outcome: str, wait_s: float | None) -> None:
        self.attempts.append((operation, attempt, outcome, wait_s))

    def on_breaker_transition(self, old: BreakerState, new: BreakerState) -> None:
        self.transitions.append((old, new))

    def on_token_refresh(self) -> None:
        self.token_refreshes += 1
