"""A citizen's "who looked me up" finds every disclosure, over real sockets and real processes.

Each test makes a portal call against the running gateway (backed by the running mock), then asks
the auditor API about one of the people the answer touched, by a number the portal did not use.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import PURPOSE_HEADERS
from tests.e2e.processes import gateway_and_mock

pytestmark = pytest.mark.process

PORTAL = ("demo-portal", "demo-secret")
BASIC = ("demo-basic", "demo-basic-secret")
AUDITOR = ("demo-auditor", "demo-auditor-secret")


class Stack:
    def __init__(self, gateway_url: str, mock_url: str) -> None:
        self.gateway = httpx.Client(base_url=gateway_url, timeout=10)
        self.mock = httpx.Client(base_url=mock_url, timeout=10)
        self._tokens: dict[str, str] = {}

    def headers(self, client: tuple[str, str]) -> dict[str, str]:
        if client[0] not in self._tokens:
            response = self.gateway.post(
                "/oauth2/token", data={"grant_type": "client_credentials"}, auth=client
            )
            self._tokens[client[0]] = response.json()["access_token"]
        return {"Authorization": f"Bearer {self._tokens[client[0]]}", **PURPOSE_HEADERS}

    def sample(self, **params: str | int) -> list[dict[str, Any]]:
        response = self.mock.get("/__admin/citizens/sample", params={"n": 200, **params})
        return list(response.json())

    def call(self, method: str, path: str, client: tuple[str, str], **kwargs: Any) -> str:
        """Make a portal call; the request id its audit record carries."""
        response = self.gateway.request(method, path, headers=self.headers(client), **kwargs)
        assert response.status_code in (200, 202, 404), response.text
        return response.headers["X-Request-ID"]

    def disclosures(self, number: str) -> dict[str, dict[str, Any]]:
        """What the auditor API says about ``number``: request id -> the record."""
        response = self.gateway.get(
            f"/api/v1/audit/subjects/{number}",
            params={"limit": 1000},
            headers=self.headers(AUDITOR),
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["reaches_legacy_records"] is False  # a fresh trail has no blind spot
        return {record["request_id"]: record for record in body["records"]}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("subjects")
    with gateway_and_mock(workdir, LGSP_MOCK_POPULATION_SIZE="5000") as (gateway_url, mock_url):
        stack = Stack(gateway_url, mock_url)
        with stack.gateway, stack.mock:
            yield stack


def test_a_lookup_by_cmnd_is_found_by_the_personal_id_and_by_the_cmnd(stack: Stack) -> None:
    person = stack.sample(n=1, with_cmnd="true")[0]
    request_id = stack.call("GET", f"/api/v1/citizens/{person['cmnd']}", PORTAL)
    for number in (person["personal_id"], person["cmnd"]):
        disclosed = stack.disclosures(number)[request_id]["disclosed"]
        assert disclosed["role"] == "subject"
        assert "full_name" in disclosed["fields"]


def test_a_household_lookup_is_found_under_every_member(stack: Stack) -> None:
    asker = next(p for p in stack.sample() if p["relation_code"] != "CH01")
    members = stack.sample(household=asker["household_id"])
    assert len(members) >= 2
    request_id = stack.call("GET", f"/api/v1/citizens/{asker['personal_id']}/household", PORTAL)
    for member in members:
        disclosed = stack.disclosures(member["personal_id"])[request_id]["disclosed"]
        expected = (
            "subject" if member["personal_id"] == asker["personal_id"] else "household_member"
        )
        assert disclosed["role"] == expected
        assert {"full_name", "date_of_birth"} <= set(disclosed["fields"])


def _child_with_a_father(stack: Stack) -> tuple[dict[str, Any], dict[str, Any]]:
    for person in stack.sample():
        record = stack.mock.get(f"/__admin/citizens/{person['personal_id']}").json()
        father = record.get("father") or {}
        if father.get("personal_id"):
            return person, father
    raise AssertionError("no sampled citizen names a father with a number")


def test_a_lookup_naming_a_father_is_found_under_the_fathers_number(stack: Stack) -> None:
    """With the fields the client was given; a client not given the father is not filed there."""
    child, father = _child_with_a_father(stack)
    full = stack.call("GET", f"/api/v1/citizens/{child['personal_id']}", PORTAL)
    basic = stack.call("GET", f"/api/v1/citizens/{child['personal_id']}", BASIC)
    found = stack.disclosures(father["personal_id"])
    disclosed = found[full]["disclosed"]
    assert (disclosed["role"], disclosed["relation"]) == ("relative", "father")
    assert {"full_name", "personal_id"} <= set(disclosed["fields"])
    assert basic not in found  # data minimisation: the basic portal never saw the father


def test_a_verify_is_found_under_the_persons_numbers(stack: Stack) -> None:
    person = stack.sample(n=1, with_cmnd="true")[0]
    payload = {"number": person["cmnd"], "full_name": person["full_name"]}
    request_id = stack.call("POST", "/api/v1/citizens/verify", PORTAL, json=payload)
    for number in (person["personal_id"], person["cmnd"]):
        record = stack.disclosures(number)[request_id]
        assert record["operation"] == "verify"
        assert record["disclosed"]["fields"] == ["full_name:match"]


def test_a_bulk_row_is_found_under_the_persons_numbers(stack: Stack) -> None:
    person = stack.sample(n=1, with_cmnd="true")[0]
    headers = {**stack.headers(PORTAL), "Content-Type": "text/csv"}
    body = f"number\n{person['cmnd']}\n".encode()
    response = stack.gateway.post("/api/v1/verification-jobs", content=body, headers=headers)
    assert response.status_code == 202, response.text
    row_request_id = f"{response.json()['id']}.1"
    deadline = time.monotonic() + 30
    while row_request_id not in stack.disclosures(person["cmnd"]):
        assert time.monotonic() < deadline, "the bulk row was never audited"
        time.sleep(0.1)
    record = stack.disclosures(person["personal_id"])[row_request_id]
    assert record["operation"] == "verify_batch"
    assert record["disclosed"]["role"] == "subject"


def test_a_not_found_lookup_is_found_under_the_number_asked(stack: Stack) -> None:
    number = next(
        n
        for n in (f"9{i:08d}" for i in range(1, 100))
        if stack.mock.get(f"/__admin/citizens/{n}").status_code == 404
    )
    request_id = stack.call("GET", f"/api/v1/citizens/{number}", PORTAL)
    record = stack.disclosures(number)[request_id]
    assert (record["outcome"], record["disclosed"]["role"]) == ("not_found", "subject")
