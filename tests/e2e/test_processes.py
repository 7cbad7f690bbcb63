"""The real servers, as separate processes on loopback ports: what `make run` starts."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import PURPOSE_HEADERS
from tests.e2e.processes import LGSP, free_port, gateway_and_mock, wait_until_serving

pytestmark = pytest.mark.process


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    with gateway_and_mock(tmp_path_factory.mktemp("servers")) as urls:
        yield urls


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


def test_lgsp_dev_stops_its_mock_on_sigterm(tmp_path: Path) -> None:
    """A service manager stops `make run`'s process with SIGTERM: the mock child goes too."""
    gateway_port, mock_port = free_port(), free_port()
    env = {
        **os.environ,
        "LGSP_AUDIT_DSN": f"sqlite:///{tmp_path / 'audit.sqlite3'}",
        "LGSP_JOBS_DSN": f"sqlite:///{tmp_path / 'jobs.sqlite3'}",
        "LGSP_MOCK_POPULATION_SIZE": "20000",
    }
    command = [*LGSP, "dev", "--port", str(gateway_port), "--mock-port", str(mock_port)]
    with (tmp_path / "dev.log").open("wb") as log:
        dev = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until_serving(f"http://127.0.0.1:{gateway_port}/healthz", dev)
            wait_until_serving(f"http://127.0.0.1:{mock_port}/__admin/citizens/sample?n=1", dev)
            dev.send_signal(signal.SIGTERM)
            dev.wait(15)
        finally:
            if dev.poll() is None:
                dev.kill()
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{mock_port}/__admin/citizens/sample?n=1", timeout=2)
