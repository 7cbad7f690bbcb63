"""Small helpers for the raw ASGI endpoints (the hot path skips framework layers on purpose)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import cast

import orjson
from starlette.types import Receive, Scope, Send

__all__ = ["header", "read_body", "respond", "respond_json", "transport_of"]


async def read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value).decode("latin-1")
    return None


async def respond(
    send: Send,
    status: int,
    body: bytes,
    content_type: bytes,
    extra: Iterable[tuple[bytes, bytes]] = (),
) -> None:
    headers = [
        (b"content-type", content_type),
        (b"content-length", str(len(body)).encode()),
        *extra,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def respond_json(
    send: Send, status: int, payload: object, extra: Iterable[tuple[bytes, bytes]] = ()
) -> None:
    await respond(send, status, orjson.dumps(payload), b"application/json", extra)


def transport_of(receive: Receive) -> asyncio.Transport | None:
    """The connection's transport when served by uvicorn, else None (in-process ASGI transport).

    uvicorn's ``receive`` is a bound method of its request cycle, which holds the transport; that
    is the only way an ASGI app can drop a connection without answering.
    """
    transport = getattr(getattr(receive, "__self__", None), "transport", None)
    # uvloop's transports do not derive from asyncio.Transport: check the behaviour we use.
    if all(hasattr(transport, name) for name in ("abort", "close", "get_extra_info")):
        return cast(asyncio.Transport, transport)
    return None
