"""The upstream pacer: calls never exceed the configured rate, however many tasks ask at once."""

from __future__ import annotations

import asyncio

import pytest

from gateway.jobs import Pacer


async def test_calls_are_spaced_one_interval_apart() -> None:
    moments: list[float] = []
    now = [0.0]

    async def sleep(seconds: float) -> None:
        moments.append(now[0] + seconds)

    pacer = Pacer(10.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(5):
        await pacer.acquire()
    assert moments == pytest.approx([0.1, 0.2, 0.3, 0.4])  # the first call goes at once


async def test_concurrent_callers_share_one_timeline() -> None:
    """Fifty tasks asking together get fifty distinct slots: the rate holds under concurrency."""
    slots: list[float] = []

    async def sleep(seconds: float) -> None:
        slots.append(seconds)
        await asyncio.sleep(0)

    pacer = Pacer(100.0, clock=lambda: 0.0, sleep=sleep)
    await asyncio.gather(*(pacer.acquire() for _ in range(50)))
    assert sorted(slots) == pytest.approx([n / 100 for n in range(1, 50)])


async def test_an_idle_pacer_does_not_bank_a_burst() -> None:
    waits: list[float] = []
    now = [0.0]

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    pacer = Pacer(2.0, clock=lambda: now[0], sleep=sleep)
    await pacer.acquire()
    now[0] = 100.0  # a long quiet spell
    await pacer.acquire()
    await pacer.acquire()
    assert waits == pytest.approx([0.5])


def test_a_rate_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        Pacer(0)
