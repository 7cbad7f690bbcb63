"""Admission control's policy: the limit, the short queue, fair shares, bulk rows last."""

from __future__ import annotations

import asyncio

import pytest

from gateway.admission import AdmissionController, Shed


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def controller(limit: int = 4, queue_max: int = 4, **kwargs: float) -> AdmissionController:
    return AdmissionController(limit, queue_max=queue_max, clock=FakeClock(), **kwargs)


async def fill(gate: AdmissionController, client: str, count: int) -> None:
    for _ in range(count):
        await gate.acquire(client, 1.0, wait_s=1.0)


async def queued(gate: AdmissionController, client: str, wait_s: float = 5.0) -> asyncio.Task[None]:
    task = asyncio.create_task(gate.acquire(client, 1.0, wait_s))
    await asyncio.sleep(0)  # let it reach the queue
    return task


async def test_a_free_slot_is_taken_at_once() -> None:
    gate = controller()
    await fill(gate, "a", 4)
    assert gate.inflight == 4


async def test_a_full_gateway_with_a_full_queue_sheds_at_once() -> None:
    """The fifth..eighth caller queue; the ninth is refused without waiting."""
    gate = controller()
    await fill(gate, "a", 4)
    waiters = [await queued(gate, "a") for _ in range(4)]
    with pytest.raises(Shed) as refused:
        await gate.acquire("a", 1.0, wait_s=5.0)
    assert refused.value.reason == "queue_full"
    for task in waiters:
        task.cancel()
    await asyncio.gather(*waiters, return_exceptions=True)
    assert gate.queued == 0


async def test_no_time_left_means_no_queueing() -> None:
    gate = controller()
    await fill(gate, "a", 4)
    with pytest.raises(Shed, match="deadline"):
        await gate.acquire("a", 1.0, wait_s=0.0)


async def test_a_waiter_gives_up_after_its_wait_bound() -> None:
    gate = controller()
    await fill(gate, "a", 4)
    with pytest.raises(Shed, match="queue_timeout"):
        await gate.acquire("a", 1.0, wait_s=0.01)
    assert gate.queued == 0
    assert gate.stats.shed == {"interactive:queue_timeout": 1}


async def test_a_release_hands_the_slot_to_the_oldest_waiter() -> None:
    gate = controller(limit=1)
    await fill(gate, "a", 1)
    first, second = await queued(gate, "a"), await queued(gate, "a")
    gate.release("a")
    await asyncio.sleep(0)
    assert first.done()
    assert not second.done()
    assert gate.inflight == 1
    second.cancel()
    await asyncio.gather(second, return_exceptions=True)


async def test_a_cancelled_waiter_leaks_no_slot() -> None:
    """A caller who goes while queued leaves the queue; a slot granted as it went is returned."""
    gate = controller(limit=1)
    await fill(gate, "a", 1)
    waiter = await queued(gate, "a")
    gate.release("a")  # grants the waiter's future ...
    waiter.cancel()  # ... and the caller goes before it runs
    await asyncio.gather(waiter, return_exceptions=True)
    assert gate.inflight == 0
    assert gate.queued == 0


async def test_a_flood_leaves_a_slot_for_another_recently_active_client() -> None:
    """Equal weights, limit 4: once b has been seen, a gets at most 3 slots, b the fourth."""
    gate = controller()
    await fill(gate, "b", 1)
    gate.release("b")
    await fill(gate, "a", 3)
    blocked = await queued(gate, "a")
    assert not blocked.done()
    await gate.acquire("b", 1.0, wait_s=0.0)  # at once: no waiting for b
    blocked.cancel()
    await asyncio.gather(blocked, return_exceptions=True)


async def test_a_less_served_client_evicts_the_floods_newest_waiter() -> None:
    gate = controller(queue_max=2)
    await fill(gate, "a", 4)
    older, newer = await queued(gate, "a"), await queued(gate, "a")
    trickle = await queued(gate, "b")
    await asyncio.sleep(0)
    with pytest.raises(Shed, match="evicted"):
        await newer
    assert not older.done()
    gate.release("a")
    await asyncio.sleep(0)
    assert trickle.done()
    assert not older.done()
    older.cancel()
    await asyncio.gather(older, return_exceptions=True)


async def test_the_heaviest_client_cannot_evict_anyone() -> None:
    gate = controller(queue_max=1)
    await fill(gate, "a", 4)
    waiter = await queued(gate, "a")
    with pytest.raises(Shed, match="queue_full"):
        await gate.acquire("a", 1.0, wait_s=1.0)
    waiter.cancel()
    await asyncio.gather(waiter, return_exceptions=True)


async def test_weights_follow_the_configured_rate() -> None:
    """Weight 3 against 1 on a limit of 4: the heavy client's share is 3 slots, not 2."""
    gate = controller()
    await gate.acquire("light", 1.0, wait_s=0.0)
    for _ in range(3):
        await gate.acquire("heavy", 3.0, wait_s=0.0)
    assert gate.inflight == 4


async def test_bulk_rows_use_at_most_their_share() -> None:
    gate = controller(bulk_share=0.5)
    gate.try_acquire_bulk()
    gate.try_acquire_bulk()
    with pytest.raises(Shed, match="bulk"):
        gate.try_acquire_bulk()
    gate.release_bulk()
    gate.try_acquire_bulk()


async def test_bulk_rows_yield_to_waiting_interactive_requests() -> None:
    gate = controller(limit=2, bulk_share=1.0)
    await fill(gate, "a", 2)
    waiter = await queued(gate, "a")
    gate.release("a")  # the slot goes to the waiting look-up ...
    with pytest.raises(Shed, match="bulk"):
        gate.try_acquire_bulk()  # ... and there is none left for a row
    await waiter
    assert gate.stats.shed == {"bulk:bulk": 1}
