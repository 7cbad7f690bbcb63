"""The retry budget and the window counter behind it, and the fake clock tests rely on."""

from __future__ import annotations

import asyncio

import pytest

from adapters.ngsp._window import WindowCounter
from adapters.ngsp.budget import RetryBudget
from adapters.ngsp.testing import FakeClock


def test_window_counter_forgets_events_older_than_the_window(clock):
    counter = WindowCounter(clock, window_s=10.0)
    counter.add(3)
    clock.advance(5)
    counter.add(2)

    assert counter.total() == 5
    clock.advance(5.5)
    assert counter.total() == 2
    clock.advance(5)
    assert counter.total() == 0


@pytest.mark.parametrize(
    ("requests", "retries_allowed"),
    [
        pytest.param(0, 0, id="nothing-earned"),
        pytest.param(4, 0, id="four-requests-earn-less-than-one"),
        pytest.param(5, 1, id="five-requests-earn-one"),
        pytest.param(100, 20, id="twenty-percent"),
    ],
)
def test_retries_are_a_share_of_recent_requests(clock, requests, retries_allowed):
    budget = RetryBudget(clock, ratio=0.2, min_per_s=0.0)
    for _ in range(requests):
        budget.record_request()

    granted = 0
    while budget.can_retry():
        budget.record_retry()
        granted += 1

    assert granted == retries_allowed


def test_floor_allows_a_few_retries_without_traffic(clock):
    budget = RetryBudget(clock, ratio=0.2, min_per_s=0.5, window_s=10.0)

    granted = 0
    while budget.can_retry():
        budget.record_retry()
        granted += 1

    assert granted == 5


def test_budget_refills_as_old_retries_leave_the_window(clock):
    budget = RetryBudget(clock, ratio=0.2, min_per_s=0.0, window_s=10.0)
    for _ in range(10):
        budget.record_request()
    budget.record_retry()
    budget.record_retry()
    assert not budget.can_retry()

    clock.advance(10)
    for _ in range(5):
        budget.record_request()

    assert budget.can_retry()


async def test_fake_clock_sleep_advances_virtual_time_only():
    clock = FakeClock(start=0.0)
    await clock.sleep(3600)
    assert clock.now() == 3600.0


async def test_fake_clock_timeout_cuts_a_longer_sleep_at_its_deadline():
    clock = FakeClock(start=0.0)
    with pytest.raises(TimeoutError):
        async with clock.timeout(2.0):
            await clock.sleep(30)
    assert clock.now() == 2.0


async def test_fake_clock_timeouts_belong_to_their_task():
    """Another task's time-out never cuts this task's sleep."""
    clock = FakeClock(start=0.0)

    async def guarded() -> None:
        async with clock.timeout(1.0):
            await asyncio.Event().wait()

    other = asyncio.create_task(guarded())
    await asyncio.sleep(0)
    await clock.sleep(5)
    other.cancel()

    assert clock.now() == 5.0
