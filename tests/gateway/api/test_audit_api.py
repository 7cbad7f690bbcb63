"""The auditors' HTTP API: a separate grant, search, and the Data Tracker view of a citizen."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from gateway.audit.cli import audit_app
from gateway.security.clients import ClientRecord, Operation, save_clients
from gateway.settings import Settings
from tests.clients import client_record
from tests.conftest import PURPOSE_HEADERS, Stack, make_settings


def _client(client_id: str, operations: set[Operation]) -> ClientRecord:
    return client_record(client_id, operations=frozenset(operations))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    clients_file = tmp_path / "clients.yaml"
    save_clients(
        clients_file,
        [
            _client("portal", {Operation.LOOKUP}),
            _client("auditor", {Operation.AUDIT_READ}),
        ],
    )
    return make_settings(tmp_path, clients_file=clients_file)


async def _bearer(stack: Stack, client_id: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {await stack.token(client_id, f'{client_id}-secret')}"}


async def test_portal_without_the_grant_cannot_read_the_trail(stack: Stack) -> None:
    response = await stack.gateway.get(
        "/api/v1/audit/records", headers=await _bearer(stack, "portal")
    )
    assert response.status_code == 403
    assert response.json()["code"] == "operation_not_granted"


async def test_auditor_sees_who_looked_a_citizen_up_and_why(stack: Stack) -> None:
    """After a portal's look-up, the auditor finds it by the citizen's number, masked."""
    number = (await stack.sample(n=1))[0]["personal_id"]
    portal = {**(await _bearer(stack, "portal")), **PURPOSE_HEADERS, "X-Case-Id": "HS-42"}
    looked_up = await stack.gateway.get(f"/api/v1/citizens/{number}", headers=portal)
    assert looked_up.status_code == 200
    response = await stack.gateway.get(
        f"/api/v1/audit/subjects/{number}", headers=await _bearer(stack, "auditor")
    )
    assert response.status_code == 200
    (record,) = response.json()["records"]
    assert record["request_id"] == looked_up.headers["X-Request-ID"]
    assert (
        record["client_id"],
        record["officer_id"],
        record["purpose_code"],
        record["case_id"],
    ) == (
        "portal",
        "officer-17",
        "1.001612",
        "HS-42",
    )
    assert record["subject_masked"] == number[:3] + "*******" + number[-2:]
    assert number not in response.text


async def test_search_pages_with_a_cursor(stack: Stack) -> None:
    portal = {**(await _bearer(stack, "portal")), **PURPOSE_HEADERS}
    for _ in range(3):
        await stack.gateway.get("/api/v1/citizens/12345", headers=portal)  # audited rejections
    auditor = await _bearer(stack, "auditor")
    first = (
        await stack.gateway.get(
            "/api/v1/audit/records", params={"client_id": "portal", "limit": 2}, headers=auditor
        )
    ).json()
    second = (
        await stack.gateway.get(
            "/api/v1/audit/records",
            params={"client_id": "portal", "limit": 2, "cursor": first["next_cursor"]},
            headers=auditor,
        )
    ).json()
    ids = [r["request_id"] for r in first["records"] + second["records"]]
    assert len(ids) == len(set(ids)) == 3
    assert all(r["outcome"] == "rejected" for r in first["records"])


async def test_bad_audit_query_is_422(stack: Stack) -> None:
    response = await stack.gateway.get(
        "/api/v1/audit/subjects/12x", headers=await _bearer(stack, "auditor")
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_audit_query"


@pytest.mark.parametrize(
    "cursor",
    [pytest.param(str(2**64), id="2^64"), pytest.param(str(2**63), id="2^63"), "-1"],
)
async def test_cursor_outside_the_row_id_range_is_422(stack: Stack, cursor: str) -> None:
    """A cursor past 64 bits used to overflow the store's driver: 500 and a dropped connection."""
    response = await stack.gateway.get(
        "/api/v1/audit/records", params={"cursor": cursor}, headers=await _bearer(stack, "auditor")
    )
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid_field"


async def test_an_auditors_view_of_a_citizen_is_itself_audited(stack: Stack) -> None:
    """Reading someone's processing history is processing of their data (Decree 13/2023): the
    view is recorded under the number asked, naming the auditor, before the answer leaves."""
    number = (await stack.sample(n=1))[0]["personal_id"]
    auditor = await _bearer(stack, "auditor")
    viewed = await stack.gateway.get(f"/api/v1/audit/subjects/{number}", headers=auditor)
    assert viewed.status_code == 200
    assert viewed.json()["records"] == []  # the view's own record is written after the read
    again = await stack.gateway.get(f"/api/v1/audit/subjects/{number}", headers=auditor)
    (record,) = again.json()["records"]
    assert record["request_id"] == viewed.headers["X-Request-ID"]
    assert (record["operation"], record["client_id"], record["purpose_code"]) == (
        "audit.subject_view",
        "auditor",
        "audit_read",
    )
    assert (record["outcome"], record["status"]) == ("success", 200)
    assert record["fields_returned"] == ["audit_history"]
    assert record["subject_masked"] == number[:3] + "*******" + number[-2:]


async def test_a_terminal_view_and_an_http_view_each_find_the_other(stack: Stack) -> None:
    """`lgsp audit subject` on the gateway's own store records its view where the HTTP view
    finds it, and finds the HTTP view in turn: one history, however it is read."""
    number = (await stack.sample(n=1))[0]["personal_id"]
    env = {
        "LGSP_AUDIT_DSN": stack.settings.audit_dsn,
        "LGSP_AUDIT_HMAC_KEY": stack.settings.audit_hmac_key.get_secret_value(),
    }
    args = ["subject", number, "--json"]
    result = await asyncio.to_thread(CliRunner().invoke, audit_app, args, env=env)
    assert result.exit_code == 0, result.stderr
    auditor = await _bearer(stack, "auditor")
    viewed = await stack.gateway.get(f"/api/v1/audit/subjects/{number}", headers=auditor)
    (terminal,) = viewed.json()["records"]
    assert (terminal["operation"], terminal["purpose_code"]) == ("audit.subject_view", "audit_read")
    assert terminal["client_id"].startswith("cli:")
    result = await asyncio.to_thread(CliRunner().invoke, audit_app, args, env=env)
    records = orjson.loads(result.stdout)["records"]
    assert [r["request_id"] for r in records] == [
        viewed.headers["X-Request-ID"],
        terminal["request_id"],
    ]


async def test_an_auditors_view_is_refused_when_it_cannot_be_audited(stack: Stack) -> None:
    number = (await stack.sample(n=1))[0]["personal_id"]
    auditor = await _bearer(stack, "auditor")
    await stack.app.state.runtime.audit.close()  # the writer stops: nothing can be recorded
    response = await stack.gateway.get(f"/api/v1/audit/subjects/{number}", headers=auditor)
    assert response.status_code == 503
    assert response.json()["code"] == "audit_unavailable"
    assert "records" not in response.json()


async def test_an_unknown_outcome_is_422_not_an_empty_page(stack: Stack) -> None:
    auditor = await _bearer(stack, "auditor")
    response = await stack.gateway.get(
        "/api/v1/audit/records", params={"outcome": "sucess"}, headers=auditor
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "invalid_field"
    known = await stack.gateway.get(
        "/api/v1/audit/records", params={"outcome": "abandoned"}, headers=auditor
    )
    assert known.status_code == 200
