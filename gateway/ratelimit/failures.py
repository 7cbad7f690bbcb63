"""Counters of failed attempts (wrong client secrets), in process or shared through Redis.

A leaky bucket per key: each failure adds one, the level drains at ``burst / window_s`` per
second, and a key is blocked while one more failure would take its level over ``burst``. Only
failures fill it, so a portal that authenticates correctly never fills its own. On Redis (when the
rate limit backend is Redis) every replica sees the same counts, so spreading guesses over
replicas gains nothing; if Redis is unreachable the counters fall back to this process, as the rate
limiter does.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from gateway.logs import get_logger

__all__ = ["FailureCounter", "MemoryFailureCounter", "RedisFailureCounter"]

_MAX_KEYS = 100_000


class FailureCounter(Protocol):
    async def blocked_for(self, key: str) -> float:
        """Seconds until ``key`` may fail again; 0 when it is not blocked."""
        ...

    async def record_failure(self, key: str) -> None: ...

    async def close(self) -> None: ...


def _wait(level: float, burst: int, drain_per_s: float) -> float:
    """Seconds until one more failure fits under ``burst``."""
    return max(0.0, level + 1 - burst) / drain_per_s


class MemoryFailureCounter:
    def __init__(
        self, burst: int, window_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._burst = burst
        self._drain_per_s = burst / window_s
        self._clock = clock
        self._levels: dict[str, tuple[float, float]] = {}  # key -> (level, updated_at)

    def _level(self, key: str, now: float) -> float:
        level, updated = self._levels.get(key, (0.0, now))
        return max(0.0, level - (now - updated) * self._drain_per_s)

    async def blocked_for(self, key: str) -> float:
        return _wait(self._level(key, self._clock()), self._burst, self._drain_per_s)

    async def record_failure(self, key: str) -> None:
        now = self._clock()
        self._levels[key] = (self._level(key, now) + 1.0, now)
        if len(self._levels) > _MAX_KEYS:  # a flood of distinct keys must not grow memory forever
            self._forget(now)

    def _forget(self, now: float) -> None:
        """Drop drained keys; if the flood is that wide, also the oldest half (cost stays O(1)
        amortised, and forgetting a guesser's count is better than running out of memory)."""
        kept = {k: v for k, v in self._levels.items() if self._level(k, now) > 0}
        if len(kept) > _MAX_KEYS // 2:
            kept = dict(list(kept.items())[len(kept) - _MAX_KEYS // 2 :])
        self._levels = kept

    async def close(self) -> None:
        self._levels.clear()


# Returns the drained level (after adding ARGV[3] failures), on Redis's own clock.
_LEVEL_SCRIPT = """
local drain = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local add = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local saved = redis.call('HMGET', KEYS[1], 'level', 'ts')
local level = tonumber(saved[1]) or 0
local ts = tonumber(saved[2]) or now
level = math.max(0, level - math.max(0, now - ts) * drain) + add
if add > 0 then
  redis.call('HSET', KEYS[1], 'level', tostring(level), 'ts', tostring(now))
  redis.call('PEXPIRE', KEYS[1], math.ceil(level / drain * 1000) + 1000)
end
return tostring(level)
"""


class RedisFailureCounter:
    def __init__(
        self, url: str, burst: int, window_s: float, *, prefix: str = "lgsp:authfail:"
    ) -> None:
        self._redis = aioredis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._script = self._redis.register_script(_LEVEL_SCRIPT)
        self._burst = burst
        self._drain_per_s = burst / window_s
        self._prefix = prefix
        self._fallback = MemoryFailureCounter(burst, window_s)
        self._log = get_logger("gateway.ratelimit")

    async def _level(self, key: str, add: int) -> float | None:
        try:
            text = await self._script(
                keys=[self._prefix + key], args=[self._drain_per_s, self._burst, add]
            )
        except RedisError as exc:
            self._log.warning("authfail_redis_unavailable", reason=type(exc).__name__)
            return None
        return float(text)

    async def blocked_for(self, key: str) -> float:
        level = await self._level(key, 0)
        if level is None:
            return await self._fallback.blocked_for(key)
        return _wait(level, self._burst, self._drain_per_s)

    async def record_failure(self, key: str) -> None:
        if await self._level(key, 1) is None:
            await self._fallback.record_failure(key)

    async def close(self) -> None:
        await self._redis.aclose()
