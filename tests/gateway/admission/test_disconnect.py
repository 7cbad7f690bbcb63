"""The disconnect watch: a gone caller ends the guarded wait, and nothing else."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from gateway.admission import DisconnectWatch
from gateway.errors import ClientClosedRequest


def receiver(leave: asyncio.Event) -> Any:
    """An ASGI ``receive`` for a caller who sends an empty request, then leaves once ``leave``
    is set."""
    messages: list[Any] = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive() -> Any:
        if messages:
            return messages.pop()
        await leave.wait()
        return {"type": "http.disconnect"}

    return receive


async def test_a_disconnect_ends_the_guarded_work() -> None:
    leave = asyncio.Event()
    watch = DisconnectWatch(receiver(leave))
    work = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().call_soon(leave.set)
    with pytest.raises(ClientClosedRequest):
        await watch.guard(work)
    assert work.cancelled()
    await asyncio.sleep(0)  # the task is not left cancelled: it can still await
    watch.close()


async def test_work_done_before_a_disconnect_is_returned() -> None:
    leave = asyncio.Event()
    watch = DisconnectWatch(receiver(leave))
    assert await watch.guard(asyncio.sleep(0, result="answer")) == "answer"
    watch.close()


async def test_once_gone_no_new_work_starts() -> None:
    leave = asyncio.Event()
    leave.set()
    watch = DisconnectWatch(receiver(leave))
    await asyncio.sleep(0.01)
    assert watch.gone
    with pytest.raises(ClientClosedRequest):
        await watch.guard(asyncio.sleep(10))
    watch.close()


async def test_other_cancellations_pass_through() -> None:
    """A cancellation that is not the caller leaving (shutdown) stays a cancellation."""
    watch = DisconnectWatch(receiver(asyncio.Event()))
    task = asyncio.create_task(watch.guard(asyncio.sleep(10)))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    watch.close()
