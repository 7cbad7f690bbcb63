"""The HTTP client the adapter sends through, created once per application lifespan.

``aiohttp`` (the default, production) keeps httpx's API over aiohttp's connection pool, which
holds up under concurrency where httpcore's pool degrades (design §7, docs/performance.md).
``httpx`` is httpx's own transport: the one pytest-httpx intercepts, so unit tests use it.

httpx-aiohttp 0.2 maps *every* aiohttp connection error, refused connections and resets included,
to ``httpx.ConnectTimeout``; :class:`_AiohttpTransport` restores the difference, so a refused
connection is reported as a connect error (502) and not as slowness (504).

:func:`post` is how the adapter sends its SOAP calls. On the ``aiohttp`` client it goes straight to
the transport's aiohttp session: httpx's request and response machinery cost ≈ 140 µs of CPU per
call on top of aiohttp's ≈ 60 µs, about a fifth of a whole look-up (docs/performance.md, "Gateway").
Any other client (httpx's own transport, pytest-httpx, ASGI in tests) is used through httpx. Both
ways answer the same :class:`HttpAnswer` and raise the same httpx exceptions.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal, Protocol

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

__all__ = ["HttpAnswer", "TransportKind", "create_http_client", "post"]

TransportKind = Literal["aiohttp", "httpx"]


def create_http_client(
    kind: TransportKind = "aiohttp", *, max_connections: int = 100
) -> httpx.AsyncClient:
    limits = httpx.Limits(
        max_connections=max_connections, max_keepalive_connections=max_connections
    )
    if kind == "httpx":
        return httpx.AsyncClient(limits=limits)
    return _AiohttpClient(_AiohttpTransport(limits=limits))


class HttpAnswer(Protocol):
    """What the adapter reads of an answer (an ``httpx.Response`` is one)."""

    @property
    def status_code(self) -> int: ...
    @property
    def headers(self) -> Mapping[str, str]: ...  # case-insensitive
    @property
    def content(self) -> bytes: ...


@dataclass(frozen=True, slots=True)
class _Answer:
    status_code: int
    headers: Mapping[str, str]
    content: bytes


async def post(
    http: httpx.AsyncClient, url: str, content: bytes, headers: dict[str, str], timeout_s: float
) -> HttpAnswer:
    """POST ``content`` and read the whole answer; transport failures raise httpx's exceptions."""
    if not isinstance(http, _AiohttpClient):
        return await http.post(url, content=content, headers=headers, timeout=timeout_s)
    session = http.aiohttp_transport.session()
    limits = aiohttp.ClientTimeout(sock_connect=timeout_s, sock_read=timeout_s)
    try:
        async with session.post(
            url, data=content, headers=headers, timeout=limits, allow_redirects=False
        ) as answer:
            return _Answer(answer.status, answer.headers, await answer.read())
    except TimeoutError as exc:  # aiohttp's own socket time-outs
        raise httpx.ReadTimeout(str(exc)) from exc
    except aiohttp.ClientPayloadError as exc:  # the answer broke off
        raise httpx.ReadError(str(exc)) from exc
    except aiohttp.ClientError as exc:  # refused, reset, closed
        raise httpx.ConnectError(str(exc)) from exc


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
    def session(self) -> aiohttp.ClientSession:
        """The pooled aiohttp session, created on first use as the base transport does."""
        if not isinstance(self.client, aiohttp.ClientSession):
            self.client = self.get_client()
        return self.client

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        with _connection_errors_as_such():
            response: httpx.Response = await super().handle_async_request(request)
        stream = response.stream
        assert isinstance(stream, httpx.AsyncByteStream)  # noqa: S101 -- the transport's contract
        response.stream = _RemappedStream(stream)
        return response


class _AiohttpClient(httpx.AsyncClient):
    """An httpx client on :class:`_AiohttpTransport` that lets :func:`post` reach its session."""

    def __init__(self, transport: _AiohttpTransport) -> None:
        super().__init__(transport=transport)
        self.aiohttp_transport = transport
