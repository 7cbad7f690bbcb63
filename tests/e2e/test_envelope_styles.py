"""Issue 17: the gateway answers the same JSON whether the national side wraps its answers or not.

Real processes (the gateway and the mock on loopback ports, the production aiohttp transport);
the mock's envelope style is switched through its admin API between two rounds of the same calls.
Before the shared codec, every bare answer became 502 and an unknown citizen 502 instead of 404.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import PURPOSE_HEADERS
from tests.e2e.processes import gateway_and_mock

pytestmark = pytest.mark.process


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    with gateway_and_mock(tmp_path_factory.mktemp("styles")) as urls:
        yield urls


def _headers(gateway_url: str) -> dict[str, str]:
    token = httpx.post(
        f"{gateway_url}/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=("demo-portal", "demo-secret"),
    ).json()["access_token"]
    return {"Authorization": f"Bearer {token}", **PURPOSE_HEADERS}


def _round(gateway_url: str, person: dict[str, Any], absent: str) -> dict[str, Any]:
    """Status and JSON of a look-up, a verification, a household and an unknown citizen."""
    headers = _headers(gateway_url)
    number = person["personal_id"]
    typed = {
        "number": number,
        "full_name": person["full_name"],
        "sex": person["sex"],
        "strategy": "normalised",  # the live dialect upper-cases names
    }
    calls = {
        "citizen": httpx.get(f"{gateway_url}/api/v1/citizens/{number}", headers=headers),
        "verify": httpx.post(f"{gateway_url}/api/v1/citizens/verify", json=typed, headers=headers),
        "household": httpx.get(
            f"{gateway_url}/api/v1/citizens/{number}/household", headers=headers
        ),
        "unknown": httpx.get(f"{gateway_url}/api/v1/citizens/{absent}", headers=headers),
    }
    return {
        name: (r.status_code, r.json().get("code") if r.status_code >= 400 else r.json())
        for name, r in calls.items()
    }


def test_bare_and_wrapped_national_answers_give_the_same_json(servers: tuple[str, str]) -> None:
    gateway_url, mock_url = servers
    person = httpx.get(f"{mock_url}/__admin/citizens/sample", params={"n": 1}).json()[0]
    absent = person["personal_id"][:-6] + "999999"
    assert httpx.get(f"{mock_url}/__admin/citizens/{absent}").status_code == 404
    rounds = {}
    for style in ("wrapped", "bare"):
        patch = httpx.patch(f"{mock_url}/__admin/config", json={"envelope_style": style})
        assert patch.json()["envelope_style"] == style
        rounds[style] = _round(gateway_url, person, absent)

    wrapped = rounds["wrapped"]
    assert wrapped["citizen"][0] == 200
    assert wrapped["verify"] == (200, wrapped["verify"][1])
    assert wrapped["verify"][1]["match"] is True
    assert wrapped["household"][0] == 200
    assert wrapped["unknown"] == (404, "citizen_not_found")
    assert rounds["bare"] == wrapped
