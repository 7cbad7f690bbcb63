"""The real servers, as separate processes on loopback ports: what `make run` starts."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import PURPOSE_HEADERS
from tests.e2e.processes import gateway_and_mock

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
