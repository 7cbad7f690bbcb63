"""The HTTP client the adapter sends through, created once per application lifespan.

``aiohttp`` (the default, production) keeps httpx's API over aiohttp's connection pool, which
holds up under concurrency where httpcore's pool degrades (design §7, docs/performance.md).
``httpx`` is httpx's own transport: the one pytest-httpx intercepts, so unit tests use it.

httpx-aiohttp 0.2 maps *every* aiohttp connection error, refused connections and resets included,
to ``httpx.ConnectTimeout``; :class:`_AiohttpTransport` restores the difference, so a refused
connection is reported as a connect error (502) and not as slowness (504).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Literal

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

__all__ = ["TransportKind", "create_http_client"]

TransportKind = Literal["aiohttp", "httpx"]


def create_http_client(
    kind: TransportKind = "aiohttp", *, max_connections: int = 100
) -> httpx.AsyncClient:
    limits = httpx.Limits(
        max_connections=max_connections, max_keepalive_connections=max_connections
    )
    if kind == "httpx":
        return httpx.AsyncClient(limits=limits)
    return httpx.AsyncClient(transport=_AiohttpTransport(limits=limits))


@contextmanager
def _connection_errors_as_such() -> Iterator[None]:
    try:
        yield
    except httpx.ConnectTimeout as exc:
        cause = exc.__cause__
        if isinstance(cause, aiohttp.ClientConnectionError) and not isinstance(cause, TimeoutError):
            raise httpx.ConnectError(str(exc)) from cause
        raise


class _RemappedStream(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream) -> None:
        self._inner = inner

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _connection_errors_as_such():
            async for chunk in self._inner:
                yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()


class _AiohttpTransport(AiohttpTransport):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        with _connection_errors_as_such():
            response: httpx.Response = await super().handle_async_request(request)
        stream = response.stream
        assert isinstance(stream, httpx.AsyncByteStream)  # noqa: S101 -- the transport's contract
        response.stream = _RemappedStream(stream)
        return response
