"""The NGSP token endpoint: client credentials, lifetime, expiry and revocation."""

from __future__ import annotations

import httpx
import pytest

from tests.mocks.conftest import CREDENTIALS, FakeClock
from tests.mocks.soap import soap_request

GRANT = {"grant_type": "client_credentials"}


async def _token(client: httpx.AsyncClient) -> str:
    response = await client.post("/token", auth=CREDENTIALS, data=GRANT)
    assert response.status_code == 200
    return str(response.json()["access_token"])


async def _lookup_status(client: httpx.AsyncClient, token: str) -> int:
    response = await client.post(
        "/dancu/1.0/CongDan",
        content=soap_request(number="096599999999"),
        headers={"Authorization": f"Bearer {token}"},
    )
    return response.status_code


async def test_a_token_has_the_wso2_shape(mock_client: httpx.AsyncClient) -> None:
    response = await mock_client.post("/token", auth=CREDENTIALS, data=GRANT)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "am_application_scope default"
    assert body["expires_in"] == 3600
    assert len(body["access_token"]) == 36


@pytest.mark.parametrize(
    ("auth", "data", "status", "error"),
    [
        pytest.param(("lgsp-dev-key", "wrong"), GRANT, 401, "invalid_client", id="wrong-secret"),
        pytest.param(
            ("someone", "lgsp-dev-secret"), GRANT, 401, "invalid_client", id="unknown-key"
        ),
        pytest.param(None, GRANT, 401, "invalid_client", id="no-credentials"),
        pytest.param(
            CREDENTIALS, {"grant_type": "password"}, 400, "unsupported_grant_type", id="other-grant"
        ),
        pytest.param(CREDENTIALS, {}, 400, "unsupported_grant_type", id="no-grant"),
    ],
)
async def test_bad_token_requests_are_refused_with_an_oauth_error(
    mock_client: httpx.AsyncClient,
    auth: tuple[str | bytes, str | bytes] | None,
    data: dict[str, str],
    status: int,
    error: str,
) -> None:
    sent = httpx.USE_CLIENT_DEFAULT if auth is None else auth  # the fixture has no default
    response = await mock_client.post("/token", auth=sent, data=data)
    assert response.status_code == status
    assert response.json()["error"] == error


async def test_a_token_expires_after_its_lifetime(
    mock_client: httpx.AsyncClient, clock: FakeClock
) -> None:
    token = await _token(mock_client)
    clock.advance(3599)
    assert await _lookup_status(mock_client, token) == 200
    clock.advance(1)
    assert await _lookup_status(mock_client, token) == 401


async def test_the_lifetime_can_be_changed_at_run_time(
    mock_client: httpx.AsyncClient, clock: FakeClock
) -> None:
    await mock_client.patch("/__admin/config", json={"token_lifetime_s": 5})
    response = await mock_client.post("/token", auth=CREDENTIALS, data=GRANT)
    assert response.json()["expires_in"] == 5
    clock.advance(5)
    assert await _lookup_status(mock_client, response.json()["access_token"]) == 401


async def test_a_revoked_token_is_refused(mock_client: httpx.AsyncClient) -> None:
    token, other = await _token(mock_client), await _token(mock_client)
    assert (await mock_client.delete(f"/__admin/tokens/{token}")).status_code == 204
    assert await _lookup_status(mock_client, token) == 401
    assert await _lookup_status(mock_client, other) == 200
    assert (await mock_client.delete(f"/__admin/tokens/{token}")).status_code == 404


async def test_expiring_all_tokens_through_the_admin_api(mock_client: httpx.AsyncClient) -> None:
    token = await _token(mock_client)
    assert (await mock_client.get("/__admin/tokens")).json()["active"] == 1
    assert (await mock_client.post("/__admin/tokens/expire")).json() == {"expired": 1}
    response = await mock_client.post(
        "/dancu/1.0/CongDan",
        content=soap_request(number="096599999999"),
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 401
    assert response.json()["fault"]["message"] == "Invalid Credentials"
    assert await _lookup_status(mock_client, await _token(mock_client)) == 200
