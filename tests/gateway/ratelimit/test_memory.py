"""The in-process token bucket."""

from __future__ import annotations

from gateway.ratelimit import MemoryRateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_burst_is_allowed_then_refused_with_retry_after() -> None:
    clock = FakeClock()
    limiter = MemoryRateLimiter(clock)
    decisions = [await limiter.acquire("portal", rate_per_s=2.0, burst=3) for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert decisions[-1].retry_after_s == 0.5


async def test_tokens_come_back_at_the_rate() -> None:
    clock = FakeClock()
    limiter = MemoryRateLimiter(clock)
    for _ in range(3):
        await limiter.acquire("portal", rate_per_s=2.0, burst=3)
    clock.now = 0.5
    assert (await limiter.acquire("portal", rate_per_s=2.0, burst=3)).allowed


async def test_clients_have_separate_buckets() -> None:
    limiter = MemoryRateLimiter(FakeClock())
    await limiter.acquire("a", rate_per_s=1.0, burst=1)
    assert (await limiter.acquire("b", rate_per_s=1.0, burst=1)).allowed
