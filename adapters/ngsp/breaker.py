"""The circuit breaker: stop calling a national side that is down, and notice when it is back.

::

    closed ──(``failure_threshold`` consecutive failures, or a failure rate ≥ ``failure_rate``
      ▲       over ``window_s`` with at least ``min_calls`` calls)──▶ open
      │                                                               │ ``open_s`` cool-down
      └──── probe succeeds ──── half_open (one probe at a time) ◀─────┘
                                   └── probe fails ──▶ open (a new cool-down)

While open every attempt fails fast with :class:`CircuitOpen` carrying the remaining cool-down,
which the gateway sends as ``Retry-After``. What counts as a failure is the caller's decision
(``is_failure``): "not found", our own invalid requests and rate limiting are answers from a
healthy national side, not failures. Outcomes of attempts admitted before a transition are
ignored, so a slow straggler cannot close a breaker that opened while it was in flight.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from adapters.ngsp._errors import CircuitOpen
from adapters.ngsp._window import WindowCounter
from adapters.ngsp.clock import Clock
from adapters.ngsp.observer import BreakerState

__all__ = ["CircuitBreaker"]

# While the half-open probe is in flight, others are told to come back shortly: the probe decides
# within one attempt time-out, and Retry-After has a resolution of one second anyway.
_PROBE_RETRY_AFTER_S = 1.0


def _ignore_transition(old: BreakerState, new: BreakerState) -> None:
    pass


class CircuitBreaker:
    def __init__(
        self,
        clock: Clock,
        *,
        is_failure: Callable[[BaseException], bool],
        failure_threshold: int = 5,
        failure_rate: float = 0.5,
        min_calls: int = 20,
        window_s: float = 10.0,
        open_s: float = 10.0,
        on_transition: Callable[[BreakerState, BreakerState], None] = _ignore_transition,
    ) -> None:
        self._clock = clock
        self._is_failure = is_failure
        self._threshold = failure_threshold
        self._rate = failure_rate
        self._min_calls = min_calls
        self._open_s = open_s
        self._on_transition = on_transition
        self._calls = WindowCounter(clock, window_s)
        self._failures = WindowCounter(clock, window_s)
        self._state: BreakerState = "closed"
        self._generation = 0  # bumped on every transition; stale outcomes are ignored
        self._consecutive = 0
        self._opened_at = 0.0
        self._probing = False

    @property
    def state(self) -> BreakerState:
        self._maybe_half_open()
        return self._state

    @property
    def retry_after(self) -> float:
        """Seconds until a call may be tried again: 0 when calls go through."""
        state = self.state
        if state == "open":
            return max(0.0, self._opened_at + self._open_s - self._clock.now())
        return _PROBE_RETRY_AFTER_S if state == "half_open" and self._probing else 0.0

    @contextmanager
    def guard(self) -> Iterator[None]:
        """Admit one attempt (or raise :class:`CircuitOpen`) and record how it ended."""
        generation = self._admit()
        try:
            yield
        except Exception as exc:
            self._record(generation, failed=self._is_failure(exc))
            raise
        except BaseException:  # cancelled: no verdict, but free the probe slot
            self._abandon(generation)
            raise
        else:
            self._record(generation, failed=False)

    def _admit(self) -> int:
        state = self.state
        if state == "open" or (state == "half_open" and self._probing):
            raise CircuitOpen(self.retry_after)
        self._probing = state == "half_open"
        return self._generation

    def _record(self, generation: int, *, failed: bool) -> None:
        if generation != self._generation:
            return
        if self._state == "half_open":
            self._transition("open" if failed else "closed")
            return
        self._calls.add()
        if failed:
            self._failures.add()
        self._consecutive = self._consecutive + 1 if failed else 0
        if failed and self._tripped():
            self._transition("open")

    def _abandon(self, generation: int) -> None:
        if generation == self._generation and self._state == "half_open":
            self._probing = False

    def _tripped(self) -> bool:
        if self._consecutive >= self._threshold:
            return True
        calls = self._calls.total()
        return calls >= self._min_calls and self._failures.total() >= self._rate * calls

    def _maybe_half_open(self) -> None:
        if self._state == "open" and self._clock.now() >= self._opened_at + self._open_s:
            self._transition("half_open")

    def _transition(self, new: BreakerState) -> None:
        old, self._state = self._state, new
        self._generation += 1
        self._probing = False
        self._consecutive = 0
        if new == "open":
            self._opened_at = self._clock.now()
        if new == "closed":
            self._calls.clear()
            self._failures.clear()
        self._on_transition(old, new)
