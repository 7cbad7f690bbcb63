"""Redis token buckets: one combined limit across gateway replicas (service test)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from gateway.ratelimit.redis import RedisRateLimiter
from tests.services import redis_url_or_skip


@pytest.fixture
async def limiters() -> AsyncIterator[list[RedisRateLimiter]]:
    url = await redis_url_or_skip()
    replicas = [RedisRateLimiter(url, prefix=f"test:{uuid.uuid4().hex}:") for _ in range(2)]
    replicas[1]._prefix = replicas[0]._prefix  # same buckets, two connections: two replicas
    yield replicas
    for limiter in replicas:
        await limiter.close()


@pytest.mark.services
async def test_two_replicas_share_one_bucket(limiters: list[RedisRateLimiter]) -> None:
    """Ten requests alternating between two replicas against a burst of 6: exactly 6 pass."""
    decisions = [
        await limiters[i % 2].acquire("portal", rate_per_s=0.001, burst=6) for i in range(10)
    ]
    assert sum(d.allowed for d in decisions) == 6
    assert decisions[-1].retry_after_s > 0


async def test_unreachable_redis_falls_back_to_local_buckets() -> None:
    """With Redis down, each replica still limits on its own instead of refusing everyone."""
    limiter = RedisRateLimiter("redis://127.0.0.1:1/0")
    decisions = [await limiter.acquire("portal", rate_per_s=0.001, burst=2) for _ in range(3)]
    await limiter.close()
    assert [d.allowed for d in decisions] == [True, True, False]
