"""Lingering: records announced by look-ups in flight share a commit instead of paying one each."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import cast

import pytest

from gateway.audit import AuditConfigError, AuditKeys, AuditStore, AuditTrail
from tests.gateway.audit.support import KEY, FakeStore, make_event

LONG_LINGER_S = 0.1  # the most the trail allows; long enough that "still waiting" is unambiguous


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
async def lingering(store: FakeStore) -> AsyncIterator[AuditTrail]:
    trail = AuditTrail(
        cast(AuditStore, store), AuditKeys(KEY), writer_id="gw", linger_s=LONG_LINGER_S
    )
    async with trail:
        yield trail


async def test_announced_records_share_one_commit(lingering: AuditTrail, store: FakeStore) -> None:
    """Three look-ups in flight finish a few ms apart: one commit carries all three."""
    announced = [lingering.announce() for _ in range(3)]
    tasks = []
    for announcement in announced:
        tasks.append(asyncio.create_task(lingering.record(make_event(), announcement)))
        await asyncio.sleep(0.005)
    await asyncio.gather(*tasks)
    assert store.appends == 1
    assert lingering.stats.committed == 3


async def test_unannounced_records_commit_at_once(lingering: AuditTrail, store: FakeStore) -> None:
    """Nothing in flight (concurrency 1): no waiting, one commit per record."""
    for _ in range(3):
        await asyncio.wait_for(lingering.record(make_event()), LONG_LINGER_S / 2)
    assert store.appends == 3


async def test_a_withdrawn_announcement_ends_the_wait(
    lingering: AuditTrail, store: FakeStore
) -> None:
    """A look-up cancelled before recording must not hold the others' commit back."""
    first, second = lingering.announce(), lingering.announce()
    recording = asyncio.create_task(lingering.record(make_event(), first))
    await asyncio.sleep(0.01)
    assert not recording.done(), "the trail should still wait for the second record"
    second.withdraw()
    second.withdraw()  # idempotent
    await asyncio.wait_for(recording, LONG_LINGER_S / 2)
    assert store.appends == 1
    await asyncio.wait_for(lingering.record(make_event()), LONG_LINGER_S / 2)  # counter is 0


async def test_the_wait_is_bounded(store: FakeStore) -> None:
    """A look-up that never records (a hung upstream call) delays others by linger_s at most."""
    async with AuditTrail(
        cast(AuditStore, store), AuditKeys(KEY), writer_id="gw", linger_s=0.01
    ) as trail:
        stuck = trail.announce()
        await asyncio.wait_for(trail.record(make_event(), trail.announce()), 5)
        assert store.appends == 1
        stuck.withdraw()


def test_linger_is_limited_to_a_tenth_of_a_second(store: FakeStore) -> None:
    with pytest.raises(AuditConfigError):
        AuditTrail(cast(AuditStore, store), AuditKeys(KEY), writer_id="gw", linger_s=0.5)
