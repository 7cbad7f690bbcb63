"""What the API refuses at the trust boundary: ambiguous headers, guessed client secrets."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import httpx
import pytest
from fastapi import FastAPI, Form

from gateway.problems import install_problem_handlers
from gateway.settings import Settings
from tests.conftest import PURPOSE_HEADERS, Stack, make_settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, auth_failures_per_address=3)


@pytest.mark.parametrize(
    ("name", "values"),
    [
        pytest.param("X-Purpose-Code", ("1.001612", "1.001193"), id="purpose"),
        pytest.param("X-Officer-Id", ("officer-17", "officer-18"), id="officer"),
        pytest.param("X-Case-Id", ("case-1", "case-1"), id="case-even-if-equal"),
    ],
)
async def test_a_repeated_purpose_header_is_422(
    stack: Stack, name: str, values: tuple[str, str]
) -> None:
    """Which purpose would the audit record name? Two values are refused, not first-wins."""
    token = await stack.token()
    headers = [("Authorization", f"Bearer {token}"), *PURPOSE_HEADERS.items()]
    headers = [(k, v) for k, v in headers if k != name] + [(name, v) for v in values]
    response = await stack.gateway.get("/api/v1/citizens/054092000123", headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "duplicate_header"


async def test_openapi_declares_oauth2_client_credentials(stack: Stack) -> None:
    """The interactive docs' "Authorize" button gets its token from /oauth2/token."""
    document = (await stack.gateway.get("/openapi.json")).json()
    schemes = document["components"]["securitySchemes"]
    (scheme,) = schemes.values()
    assert scheme["type"] == "oauth2"
    assert scheme["flows"]["clientCredentials"]["tokenUrl"] == "/oauth2/token"


async def _token_attempt(stack: Stack, client_id: str, secret: str) -> tuple[int, dict[str, str]]:
    response = await stack.gateway.post(
        "/oauth2/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    )
    return response.status_code, dict(response.headers)


async def test_failed_attempts_from_one_address_get_429_with_retry_after(stack: Stack) -> None:
    statuses = [(await _token_attempt(stack, "demo-portal", "wrong"))[0] for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    status, headers = await _token_attempt(stack, "demo-portal", "demo-secret")
    assert status == 429  # the address is refused before any secret is checked
    assert int(headers["retry-after"]) >= 1


async def test_an_unparseable_body_is_400_malformed_body_not_http_error() -> None:
    """The framework's own 400 (broken multipart) gets the documented code, not ``http_error``."""
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/form")
    async def form(field: Annotated[str, Form()]) -> str:
        return field

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.post(
            "/form", content=b"abc", headers={"content-type": "multipart/form-data"}
        )
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_body"
