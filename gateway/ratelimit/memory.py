"""In-process token buckets: the default for one gateway process (no server needed)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from gateway.ratelimit._base import Decision

__all__ = ["MemoryRateLimiter"]


class MemoryRateLimiter:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, updated_at)

    async def acquire(self, key: str, rate_per_s: float, burst: int) -> Decision:
        now = self._clock()
        tokens, updated = self._buckets.get(key, (float(burst), now))
        tokens = min(float(burst), tokens + (now - updated) * rate_per_s)
        allowed = tokens >= 1.0
        if allowed:
            tokens -= 1.0
        self._buckets[key] = (tokens, now)
        return Decision(
            allowed=allowed,
            limit=burst,
            remaining=math.floor(tokens),
            retry_after_s=0.0 if allowed else (1.0 - tokens) / rate_per_s,
            reset_s=(burst - tokens) / rate_per_s,
        )

    async def close(self) -> None:
        self._buckets.clear()
