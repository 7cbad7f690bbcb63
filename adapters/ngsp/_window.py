"""A count of events over a sliding time window, kept in a few fixed buckets.

Shared by the retry budget (requests and retries) and the circuit breaker (calls and failures):
O(buckets) memory whatever the traffic, resolution ``window_s / buckets``.
"""

from __future__ import annotations

from collections import deque

from adapters.ngsp.clock import Clock

__all__ = ["WindowCounter"]


class WindowCounter:
    def __init__(self, clock: Clock, window_s: float, buckets: int = 10) -> None:
        self._clock = clock
        self._width = window_s / buckets
        self._buckets = buckets
        self._counts: deque[list[int]] = deque()  # [bucket index, count], oldest first

    def add(self, n: int = 1) -> None:
        index = self._index()
        if self._counts and self._counts[-1][0] == index:
            self._counts[-1][1] += n
        else:
            self._counts.append([index, n])
        self._expire(index)

    def total(self) -> int:
        self._expire(self._index())
        return sum(count for _, count in self._counts)

    def clear(self) -> None:
        self._counts.clear()

    def _index(self) -> int:
        return int(self._clock.now() // self._width)

    def _expire(self, index: int) -> None:
        while self._counts and self._counts[0][0] <= index - self._buckets:
            self._counts.popleft()
