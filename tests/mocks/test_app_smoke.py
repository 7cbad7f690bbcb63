"""The minimum the end-to-end tests rely on: a token, a look-up, and sampled citizens."""

from __future__ import annotations

import httpx

from tests.mocks.conftest import CREDENTIALS
from tests.mocks.soap import soap_request


async def _token(client: httpx.AsyncClient) -> str:
    response = await client.post(
        "/token", auth=CREDENTIALS, data={"grant_type": "client_credentials"}
    )
    assert response.status_code == 200
    return str(response.json()["access_token"])


async def test_a_sampled_citizen_is_found_by_lookup(mock_client: httpx.AsyncClient) -> None:
    """A citizen from /__admin/citizens/sample comes back from TraCuuThongTinCongDan."""
    person = (await mock_client.get("/__admin/citizens/sample", params={"n": 1})).json()[0]
    token = await _token(mock_client)
    response = await mock_client.post(
        "/dancu/1.0/CongDan",
        content=soap_request(number=person["personal_id"]),
        headers={"Authorization": f"Bearer {token}", "SOAPAction": "TraCuuThongTinCongDan"},
    )
    assert response.status_code == 200
    assert person["personal_id"] in response.text
    assert 'SoCongDan="1"' in response.text
