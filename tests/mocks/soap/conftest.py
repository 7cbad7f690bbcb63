"""Fixtures for the SOAP tests: a consumer already holding a token."""

from __future__ import annotations

import httpx
import pytest

from tests.mocks.conftest import CREDENTIALS


@pytest.fixture
async def bearer(mock_client: httpx.AsyncClient) -> dict[str, str]:
    """The Authorization header of a consumer that took a token, as NGSP's clients do first."""
    response = await mock_client.post(
        "/token", auth=CREDENTIALS, data={"grant_type": "client_credentials"}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
