"""The real servers, as separate processes on loopback ports: what `make run` starts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import PURPOSE_HEADERS
from tests.e2e.processes import LGSP, free_port, running

pytestmark = pytest.mark.process


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    workdir: Path = tmp_path_factory.mktemp("servers")
    mock_port, gateway_port = free_port(), free_port()
    mock_url = f"http://127.0.0.1:{mock_port}"
    gateway_url = f"http://127.0.0.1:{gateway_port}"
    env = {
        "LGSP_NGSP_BASE_URL": mock_url,
        "LGSP_AUDIT_DSN": f"sqlite:///{workdir / 'audit.sqlite3'}",
        "LGSP_JOBS_DSN": f"sqlite:///{workdir / 'jobs.sqlite3'}",
        "LGSP_LOG_FORMAT": "json",
        "LGSP_MOCK_POPULATION_SIZE": "50000",
    }
    mock_cmd = [*LGSP, "mock", "--host", "127.0.0.1", "--port", str(mock_port)]
    gateway_cmd = [*LGSP, "serve", "--host", "127.0.0.1", "--port", str(gateway_port)]
    with (
        running(mock_cmd, env, f"{mock_url}/__admin/citizens/sample?n=1", workdir / "mock.log"),
        running(gateway_cmd, env, f"{gateway_url}/healthz", workdir / "gateway.log"),
    ):
        yield gateway_url, mock_url


def test_lookup_through_real_servers(servers: tuple[str, str]) -> None:
    """Token, then a look-up of a sampled citizen, over real sockets and the aiohttp transport."""
    gateway_url, mock_url = servers
    person = httpx.get(f"{mock_url}/__admin/citizens/sample", params={"n": 1}).json()[0]
    token = httpx.post(
        f"{gateway_url}/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=("demo-portal", "demo-secret"),
    ).json()["access_token"]
    response = httpx.get(
        f"{gateway_url}/api/v1/citizens/{person['personal_id']}",
        headers={"Authorization": f"Bearer {token}", **PURPOSE_HEADERS},
    )
    assert response.status_code == 200, response.text
    assert response.json()["personal_id"] == person["personal_id"]
