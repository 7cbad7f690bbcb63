"""``POST /oauth2/token`` refuses every malformed request the RFC 6749 §5.2 way, never as a problem.

OAuth2 client libraries read ``error`` from a 400/401 JSON body; a problem+json 422 (what the
endpoint used to send for an empty ``grant_type``) leaves them with nothing to show.
"""

from __future__ import annotations

import base64

import pytest

from tests.conftest import Stack

TOKEN = "/oauth2/token"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
BASIC = {"Authorization": "Basic " + base64.b64encode(b"demo-portal:demo-secret").decode()}


@pytest.mark.parametrize(
    ("body", "headers", "status", "error"),
    [
        pytest.param("", BASIC, 400, "invalid_request", id="no-grant-type"),
        pytest.param("grant_type=", BASIC, 400, "invalid_request", id="empty-grant-type"),
        pytest.param(
            "grant_type=client_credentials&grant_type=client_credentials",
            BASIC,
            400,
            "invalid_request",
            id="repeated-parameter",
        ),
        pytest.param(
            "grant_type=client_credentials&client_id=demo-portal&client_secret=demo-secret",
            BASIC,
            400,
            "invalid_request",
            id="two-ways-of-authenticating",
        ),
        pytest.param("grant_type=password", BASIC, 400, "unsupported_grant_type", id="password"),
        pytest.param("grant_type=client_credentials", {}, 401, "invalid_client", id="no-client"),
        pytest.param(
            "grant_type=client_credentials&client_id=demo-portal&client_secret=wrong",
            {},
            401,
            "invalid_client",
            id="wrong-secret",
        ),
    ],
)
async def test_malformed_token_requests_get_rfc6749_errors(
    stack: Stack, body: str, headers: dict[str, str], status: int, error: str
) -> None:
    response = await stack.gateway.post(TOKEN, content=body, headers={**FORM, **headers})
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    assert response.json()["error"] == error
    assert set(response.json()) == {"error", "error_description"}


async def test_a_json_body_is_an_invalid_request_not_a_problem(stack: Stack) -> None:
    """The RFC's request is form-encoded; JSON carries no readable grant_type."""
    response = await stack.gateway.post(
        TOKEN, json={"grant_type": "client_credentials"}, headers=BASIC
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


async def test_a_broken_multipart_body_is_an_invalid_request(stack: Stack) -> None:
    response = await stack.gateway.post(
        TOKEN,
        content=b"--x\r\nnot a part--x--\r\n",
        headers={**BASIC, "Content-Type": "multipart/form-data; boundary=x"},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


async def test_unknown_parameters_are_ignored(stack: Stack) -> None:
    """RFC 6749 §3.1: the server MUST ignore parameters it does not recognise."""
    response = await stack.gateway.post(
        TOKEN, content="grant_type=client_credentials&audience=x&scope=lookup", headers=FORM | BASIC
    )
    assert response.status_code == 200, response.text


async def test_the_openapi_documents_the_rfc_errors(stack: Stack) -> None:
    operation = stack.app.openapi()["paths"][TOKEN]["post"]
    responses = operation["responses"]
    # 400 and 401 are RFC 6749 error JSON; 429 (auth throttling, #15) and the app-wide 431/500
    # are problem documents like every other endpoint's.
    assert set(responses) == {"200", "400", "401", "429", "431", "500"}
    for status in ("400", "401"):
        assert set(responses[status]["content"]) == {"application/json"}
    for status in ("429", "431", "500"):
        assert "application/problem+json" in responses[status]["content"]
    body = operation["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    assert body["required"] == ["grant_type"]
    assert body["properties"]["grant_type"]["const"] == "client_credentials"
