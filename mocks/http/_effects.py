"""Carrying out a terminal fault action on one request.

Served by uvicorn, network faults are real: a *reset* aborts the TCP connection with SO_LINGER 0
(the client reads ECONNRESET), a *truncated* answer announces its full Content-Length and closes
after part of the body, a *hang* holds the request until the client disconnects. In process
(``httpx.ASGITransport``) there is no socket to drop, so the same faults raise the httpx exception a
client would have seen on the network: :class:`SimulatedReset` (an ``httpx.ReadError``),
:class:`SimulatedTruncation` (``httpx.RemoteProtocolError``) and, when a hang outlasts its
``seconds``, :class:`SimulatedHangTimeout` (``httpx.ReadTimeout``). ASGITransport re-raises app
exceptions, so the caller's httpx client surfaces exactly these.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct

import httpx
from starlette.types import Receive, Send

from mocks.faults import Hang, HttpError, Malformed, Reset, SoapFaultAction, Truncated
from mocks.http._asgi import respond, respond_json, transport_of
from mocks.soap import SoapFault, render_fault

__all__ = [
    "SimulatedHangTimeout",
    "SimulatedReset",
    "SimulatedTruncation",
    "hang",
    "http_error",
    "malformed",
    "reset",
    "soap_fault",
    "truncated",
]

_XML = b"text/xml; charset=utf-8"


class SimulatedReset(httpx.ReadError):
    """In process: the mock dropped the connection without answering."""


class SimulatedTruncation(httpx.RemoteProtocolError):
    """In process: the mock closed the connection part-way through the body."""


class SimulatedHangTimeout(httpx.ReadTimeout):
    """In process: the mock held the request for the whole hang without answering."""


async def _let_server_notice() -> None:
    # connection_lost runs on the next loop turns; after it uvicorn does not try to answer 500.
    for _ in range(3):
        await asyncio.sleep(0)


async def reset(_: Reset, receive: Receive) -> int:
    transport = transport_of(receive)
    if transport is None:
        raise SimulatedReset("[Errno 104] Connection reset by peer (simulated by the mock)")
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    await _let_server_notice()
    return 0


async def truncated(action: Truncated, receive: Receive, send: Send, body: bytes) -> int:
    transport = transport_of(receive)
    if transport is None:
        raise SimulatedTruncation(
            "peer closed connection without sending complete message body (simulated by the mock)"
        )
    cut = max(1, int(len(body) * action.fraction))
    headers = [(b"content-type", _XML), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body[:cut], "more_body": True})
    transport.close()
    await _let_server_notice()
    return 200


async def hang(action: Hang, receive: Receive, default_s: float, released: asyncio.Event) -> int:
    """Wait for the client to disconnect, the admin to release hangs, or ``seconds`` to pass."""
    seconds = action.seconds or default_s
    in_process = transport_of(receive) is None
    waiters = {
        asyncio.ensure_future(released.wait()),
        asyncio.ensure_future(_disconnect(receive)),
    }
    try:
        done, _ = await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
    if in_process:
        raise SimulatedHangTimeout("the mock held the request without answering (simulated hang)")
    if not done:  # still connected after the longest hang: drop the connection
        await reset(Reset(kind="reset"), receive)
    return 0


async def _disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


_PROXY_HTML = (
    "<html><head><title>{status} {reason}</title></head><body><center><h1>{status} {reason}</h1>"
    "</center><hr><center>nginx</center></body></html>"
)
_WSO2 = {
    503: (101503, "Runtime Error", "Error connecting to the back end"),
    504: (101504, "Runtime Error", "Send timeout"),
}


async def http_error(action: HttpError, send: Send) -> int:
    """Errors as NGSP's front shows them: WSO2 JSON for 429/503/504, an nginx page for 500/502."""
    retry_after = (
        action.retry_after
        if action.retry_after is not None
        else (1 if action.status == 429 else None)
    )
    extra = [] if retry_after is None else [(b"retry-after", str(retry_after).encode())]
    if action.status == 429:
        fault = {"code": 900800, "message": "Message throttled out",
                 "description": "You have exceeded your quota"}  # fmt: skip
        await respond_json(send, 429, {"fault": fault}, extra)
    elif action.status in _WSO2:
        code, message, description = _WSO2[action.status]
        payload = {"fault": {"code": code, "message": message, "description": description}}
        await respond_json(send, action.status, payload, extra)
    else:
        reason = "Internal Server Error" if action.status == 500 else "Bad Gateway"
        page = _PROXY_HTML.format(status=action.status, reason=reason).encode()
        await respond(send, action.status, page, b"text/html", extra)
    return action.status


async def malformed(_: Malformed, send: Send, body: bytes) -> int:
    """HTTP 200 with a body that starts like the answer and is not well-formed XML."""
    broken = body[: max(1, len(body) // 2)] + b"<</soapenv:Body>&"
    await respond(send, 200, broken, _XML)
    return 200


async def soap_fault(action: SoapFaultAction, send: Send) -> int:
    fault = SoapFault(action.code, action.message, fault_class=action.fault_class)
    await respond(send, 500, render_fault(fault), _XML)
    return 500
