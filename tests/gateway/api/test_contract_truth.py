"""What the OpenAPI says about a request is what the gateway enforces, and the other way round.

Each test breaks one promise the way a generated client or a peer tool (Schemathesis) found it
broken: a header the contract allowed but the gateway refused, a 405 whose ``Allow`` forgot a
method, a path word taken for a citizen number.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from gateway.api.params import CASE_ID, OFFICER_ID, PURPOSE_CODE, HeaderRule
from tests.conftest import PURPOSE_HEADERS, Stack

LOOKUP = "/api/v1/citizens/{number}"


def _parameter(schema: dict[str, Any], path: str, name: str) -> dict[str, Any]:
    operation = schema["paths"][path]["get"]
    [parameter] = [p for p in operation["parameters"] if p["name"] == name]
    return parameter


def _string_schema(parameter: dict[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = parameter["schema"]
    return next((s for s in schema.get("anyOf", [schema]) if s.get("type") == "string"), {})


@pytest.mark.parametrize(
    "rule",
    [pytest.param(r, id=r.name) for r in (PURPOSE_CODE, OFFICER_ID, CASE_ID)],
)
async def test_each_purpose_header_is_documented_as_enforced(
    stack: Stack, rule: HeaderRule
) -> None:
    """Pattern, length and required-ness in the OpenAPI come from the rule the gateway checks."""
    parameter = _parameter(stack.app.openapi(), LOOKUP, rule.name)
    schema = _string_schema(parameter)
    assert parameter["required"] is rule.required
    assert (schema["pattern"], schema["maxLength"]) == (rule.pattern, rule.max_length)


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        pytest.param({"X-Case-Id": ""}, 422, "invalid_case", id="empty-case-is-refused"),
        pytest.param({"X-Case-Id": "HS-2026/11:07"}, 404, None, id="case-within-pattern"),
        pytest.param({"X-Officer-Id": "cán-bộ"}, 422, "invalid_officer", id="non-ascii-officer"),
        pytest.param({"X-Purpose-Code": "١.٠٠١٦١٢"}, 422, "invalid_purpose", id="arabic-digits"),
    ],
)
async def test_headers_answer_as_their_documented_pattern_says(
    stack: Stack, headers: dict[str, str], status: int, code: str | None
) -> None:
    """A value the pattern admits is served; one it refuses gets the rule's own code."""
    for name, value in headers.items():
        rule = {r.name: r for r in (PURPOSE_CODE, OFFICER_ID, CASE_ID)}[name]
        assert bool(re.fullmatch(rule.pattern, value)) is (status != 422)
    request_headers: dict[str, str | bytes] = {
        "Authorization": f"Bearer {await stack.token()}",
        **PURPOSE_HEADERS,
        **{k: v.encode() for k, v in headers.items()},
    }
    response = await stack.gateway.get(
        "/api/v1/citizens/079000000001",
        headers=request_headers,  # type: ignore[arg-type]  # raw bytes values are the point
    )
    assert response.status_code == status, response.text
    if code is not None:
        assert response.json()["code"] == code


async def test_both_purpose_headers_missing_names_the_first(stack: Stack) -> None:
    """The stable order of the codes survives pydantic reporting both at once."""
    headers = {"Authorization": f"Bearer {await stack.token()}"}
    response = await stack.gateway.get("/api/v1/citizens/079000000001", headers=headers)
    assert response.status_code == 422
    assert response.json()["code"] == "missing_purpose"


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        pytest.param(
            "OPTIONS",
            "/api/v1/verification-jobs/0123456789abcdef0123456789abcdef",
            {"DELETE", "GET", "HEAD"},
            id="job-get-and-delete",
        ),
        pytest.param("PUT", "/api/v1/verification-jobs", {"GET", "HEAD", "POST"}, id="jobs"),
        pytest.param("GET", "/api/v1/citizens/verify", {"POST"}, id="verify-is-not-a-number"),
    ],
)
async def test_405_lists_every_method_of_the_path(
    stack: Stack, method: str, path: str, allow: set[str]
) -> None:
    headers = await stack.headers()
    response = await stack.gateway.request(method, path, headers=headers)
    assert response.status_code == 405, response.text
    assert {m.strip() for m in response.headers["allow"].split(",")} == allow
    assert response.json()["code"] == "method_not_allowed"


async def test_operations_have_stable_ids_for_generated_clients(stack: Stack) -> None:
    schema = stack.app.openapi()
    ids = {
        operation["operationId"]
        for item in schema["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    assert {"lookupCitizen", "verifyCitizen", "getHousehold", "submitVerificationJob"} <= ids
    assert all(re.fullmatch(r"[a-z][A-Za-z]+", op_id) for op_id in ids), ids


async def test_a_created_job_links_to_its_own_operations(stack: Stack) -> None:
    response = stack.app.openapi()["paths"]["/api/v1/verification-jobs"]["post"]["responses"]
    links = response["202"]["links"]
    assert {link["operationId"] for link in links.values()} == {
        "getVerificationJob",
        "cancelVerificationJob",
        "getVerificationJobResults",
        "eraseVerificationJob",
    }
    assert all(link["parameters"] == {"job_id": "$response.body#/id"} for link in links.values())


async def test_a_date_the_pattern_refuses_is_refused(stack: Stack) -> None:
    """JSON Schema's ``\\d`` is ASCII; pydantic's was Unicode and took Arabic-Indic digits."""
    response = await stack.gateway.post(
        "/api/v1/citizens/verify",
        json={"number": "079000000001", "date_of_birth": "١٩٩٤"},
        headers=await stack.headers(),
    )
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid_field"
