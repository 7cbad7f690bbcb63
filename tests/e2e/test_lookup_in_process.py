"""One look-up across every layer, in process: portal → gateway → adapter → mock national side."""

from __future__ import annotations

import pytest

from tests.conftest import PURPOSE_HEADERS, Stack


async def test_sampled_citizen_is_returned_with_its_identity(stack: Stack) -> None:
    """A citizen the mock says exists comes back with the same id, name, birth date and sex."""
    person = (await stack.sample(n=1))[0]
    response = await stack.gateway.get(
        f"/api/v1/citizens/{person['personal_id']}", headers=await stack.headers()
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["personal_id"] == person["personal_id"]
    assert body["full_name"].casefold() == person["full_name"].casefold()
    assert body["date_of_birth"] == person["date_of_birth"]
    assert body["sex"] == person["sex"]


async def test_request_id_is_echoed(stack: Stack) -> None:
    person = (await stack.sample(n=1))[0]
    response = await stack.gateway.get(
        f"/api/v1/citizens/{person['personal_id']}",
        headers=await stack.headers(**{"X-Request-ID": "portal-req-0001"}),
    )
    assert response.headers["X-Request-ID"] == "portal-req-0001"


async def test_request_id_is_generated_when_absent(stack: Stack) -> None:
    response = await stack.gateway.get("/healthz")
    assert len(response.headers["X-Request-ID"]) == 32


async def test_unknown_citizen_is_404_problem(stack: Stack) -> None:
    """A well-formed number the national side does not know is a 404 problem, not an empty 200."""
    response = await stack.gateway.get(
        "/api/v1/citizens/054092999999", headers=await stack.headers()
    )
    if response.status_code == 200:  # the synthetic population happens to hold this number
        pytest.skip("number exists in this population")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "citizen_not_found"
    assert problem["request_id"] == response.headers["X-Request-ID"]


@pytest.mark.parametrize(
    ("number", "code"),
    [
        pytest.param("12345", "number_length", id="too-short"),
        pytest.param("05409200012x", "number_not_digits", id="letter"),
        pytest.param("099092000123", "unknown_province", id="unknown-province"),
    ],
)
async def test_invalid_number_is_422_problem(stack: Stack, number: str, code: str) -> None:
    response = await stack.gateway.get(f"/api/v1/citizens/{number}", headers=await stack.headers())
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code


async def test_missing_token_is_401_problem(stack: Stack) -> None:
    response = await stack.gateway.get("/api/v1/citizens/054092000123", headers=PURPOSE_HEADERS)
    assert response.status_code == 401
    assert response.json()["code"] == "missing_token"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


async def test_forged_token_is_401_problem(stack: Stack) -> None:
    headers = {**PURPOSE_HEADERS, "Authorization": "Bearer not.a.token"}
    response = await stack.gateway.get("/api/v1/citizens/054092000123", headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "token_invalid"


async def test_wrong_client_secret_gets_no_token(stack: Stack) -> None:
    response = await stack.gateway.post(
        "/oauth2/token", data={"grant_type": "client_credentials"}, auth=("demo-portal", "nope")
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


async def test_token_by_form_credentials(stack: Stack) -> None:
    """RFC 6749 §2.3.1 allows client_id / client_secret in the form body as well as Basic."""
    response = await stack.gateway.post(
        "/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "demo-portal",
            "client_secret": "demo-secret",
        },
    )
    assert response.status_code == 200
    assert response.json()["token_type"] == "Bearer"
