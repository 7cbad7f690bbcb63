"""Network faults are real when the mock is served by uvicorn on a loopback port."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn

from mocks.app import MockApp, create_mock_app
from mocks.settings import MockSettings
from tests.mocks.conftest import CREDENTIALS, POPULATION_SIZE, SEED
from tests.mocks.soap import soap_request

PATH = "/dancu/1.0/CongDan"


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, MockApp]]:
    """The mock under uvicorn in a thread, on a free loopback port."""
    app = create_mock_app(MockSettings(population_size=POPULATION_SIZE, seed=SEED))
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="critical", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    started = threading.Event()
    for _ in range(500):
        if server.started:
            started.set()
            break
        started.wait(0.01)
    assert server.started, "uvicorn did not start"
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}", app
    server.should_exit = True
    thread.join(5)


async def _call(
    base: str, app: MockApp, action: dict[str, Any], client_timeout: float = 5.0
) -> None:
    number = app.state.population.sample(1)[0].personal_id
    async with httpx.AsyncClient(base_url=base, timeout=client_timeout) as client:
        await client.delete("/__admin/faults")
        token = (
            await client.post("/token", auth=CREDENTIALS, data={"grant_type": "client_credentials"})
        ).json()["access_token"]
        rule = await client.post("/__admin/faults", json={"action": action, "times": 1})
        assert rule.status_code == 201
        headers = {"Authorization": f"Bearer {token}"}
        body = soap_request(number=number)
        try:
            await client.post(PATH, content=body, headers=headers)
        finally:
            after = await client.post(PATH, content=body, headers=headers)
            assert after.status_code == 200  # the server is fine after the fault


@pytest.mark.process
@pytest.mark.parametrize(
    ("action", "errors"),
    [
        pytest.param({"kind": "reset"}, (httpx.ReadError, httpx.RemoteProtocolError), id="reset"),
        pytest.param({"kind": "truncated"}, (httpx.RemoteProtocolError,), id="truncated"),
    ],
)
def test_dropped_connections_are_real_on_a_socket(
    served: tuple[str, MockApp], action: dict[str, Any], errors: tuple[type[Exception], ...]
) -> None:
    base, app = served
    with pytest.raises(errors):
        asyncio.run(_call(base, app, action))


@pytest.mark.process
def test_a_hang_holds_until_the_client_times_out(served: tuple[str, MockApp]) -> None:
    base, app = served
    with pytest.raises(httpx.ReadTimeout):
        asyncio.run(_call(base, app, {"kind": "hang", "seconds": 30}, client_timeout=0.3))
