"""Noticing that a caller has gone, so its request stops before it costs an NGSP call.

An ASGI server reports a closed connection as an ``http.disconnect`` message from ``receive``;
nothing else tells the application. :class:`DisconnectWatch` reads ``receive`` in a small task
while a data call is admitted or queued. When the caller goes, the task cancels the request's
own task if it is inside :meth:`DisconnectWatch.guard` (waiting for a slot, or in the NGSP call),
and the guard turns that cancellation into :class:`~gateway.errors.ClientClosedRequest`, so the
audit wrapper records what happened (``abandoned``) and the slot is released by the usual paths.

Only used once the request body has been read (FastAPI reads it before the route runs), so the
watch never steals body bytes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from starlette.types import Receive

from gateway.errors import ClientClosedRequest

__all__ = ["DisconnectWatch"]

_T = TypeVar("_T")


class DisconnectWatch:
    def __init__(self, receive: Receive) -> None:
        self.gone = False
        self._receive = receive
        self._guarded: asyncio.Task[object] | None = None
        self._cancelled_by_us = False
        self._task = asyncio.create_task(self._watch())

    async def _watch(self) -> None:
        while (await self._receive())["type"] != "http.disconnect":
            pass  # the (already read) body's messages; keep waiting for the disconnect
        self.gone = True
        if self._guarded is not None:
            self._cancelled_by_us = True
            self._guarded.cancel()

    async def guard(self, work: Awaitable[_T]) -> _T:
        """Await ``work``; raise ``ClientClosedRequest`` instead if the caller goes first."""
        if self.gone:
            _close(work)
            raise _gone()
        self._guarded = asyncio.current_task()
        try:
            return await work
        except asyncio.CancelledError:
            if not self._cancelled_by_us:
                raise
            self._cancelled_by_us = False
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()
            raise _gone() from None
        finally:
            self._guarded = None

    def close(self) -> None:
        self._task.cancel()


def _gone() -> ClientClosedRequest:
    return ClientClosedRequest(
        "client_disconnected", "The caller closed the connection; the request was abandoned."
    )


def _close(work: Awaitable[object]) -> None:
    close = getattr(work, "close", None)  # an un-awaited coroutine: say so, quietly
    if close is not None:
        close()
