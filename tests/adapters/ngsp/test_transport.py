"""The production transport (aiohttp behind httpx's API) on a real loopback socket.

The mock is served by uvicorn inside the test's event loop, so network faults are real: a reset
is a TCP RST, a refused connection is ECONNREFUSED. Real time, but each case is milliseconds.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn

from adapters.ngsp import (
    CallContext,
    NgspClient,
    NgspConfig,
    UpstreamConnectError,
    create_http_client,
)
from mocks.app import create_mock_app
from mocks.settings import MockSettings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def mock_url() -> AsyncIterator[str]:
    app = create_mock_app(MockSettings(population_size=500, seed=7, dialect="live"))
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()  # connections queue in the backlog until uvicorn accepts: no start-up wait
    server = uvicorn.Server(uvicorn.Config(app, log_level="error", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[listener]))
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    server.should_exit = True
    await task
    listener.close()


@pytest.fixture
async def aiohttp_http() -> AsyncIterator[httpx.AsyncClient]:
    async with create_http_client("aiohttp") as http:
        yield http


def _client(url: str, http: httpx.AsyncClient, **overrides: object) -> NgspClient:
    config = NgspConfig(url, "lgsp-dev-key", "lgsp-dev-secret", **overrides)  # type: ignore[arg-type]
    return NgspClient(config, http)


def _ctx() -> CallContext:
    return CallContext(request_id="t-1", purpose_code="1.001612", officer_id="officer-17")


async def test_lookup_over_the_aiohttp_transport(mock_url, aiohttp_http):
    sample = (await aiohttp_http.get(f"{mock_url}/__admin/citizens/sample")).json()[0]
    client = _client(mock_url, aiohttp_http)

    citizen = await client.lookup_citizen(sample["personal_id"], _ctx())

    assert citizen is not None
    assert citizen.personal_id == sample["personal_id"]


async def test_a_real_connection_reset_is_retried(mock_url, aiohttp_http):
    sample = (await aiohttp_http.get(f"{mock_url}/__admin/citizens/sample")).json()[0]
    rule = {"match": {"operation": "TraCuuThongTinCongDan"}, "action": {"kind": "reset"}}
    await aiohttp_http.post(f"{mock_url}/__admin/faults", json=rule | {"times": 1})
    ctx = _ctx()

    assert await _client(mock_url, aiohttp_http).lookup_citizen(sample["personal_id"], ctx)
    assert ctx.attempts == 2


async def test_refused_connection_is_a_connect_error_not_a_timeout(aiohttp_http):
    """httpx-aiohttp reports ECONNREFUSED as ConnectTimeout; the adapter's transport fixes that."""
    client = _client(f"http://127.0.0.1:{_free_port()}", aiohttp_http, max_attempts=1)

    with pytest.raises(UpstreamConnectError):
        await client.lookup_citizen("054092000123", _ctx())
