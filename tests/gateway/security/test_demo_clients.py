"""Dev mode's three demo identities (what `make contract` uses); none in production."""

from __future__ import annotations

from pathlib import Path

from gateway.runtime import client_registry
from gateway.security.clients import FieldSet, Operation
from gateway.settings import Settings
from tests.conftest import PURPOSE_HEADERS, Stack, production_settings

IDENTITY = {"personal_id", "cmnd", "full_name", "family_name", "middle_name", "given_name"}
IDENTITY |= {"sex", "date_of_birth"}


async def _token(stack: Stack, client_id: str, secret: str) -> str:
    answer = await stack.gateway.post(
        "/oauth2/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def test_dev_has_three_demo_identities_and_production_none(tmp_path: Path) -> None:
    dev = client_registry(Settings())
    assert {c.client_id for c in dev.all()} == {"demo-portal", "demo-basic", "demo-auditor"}
    basic, auditor = dev.get("demo-basic"), dev.get("demo-auditor")
    assert basic is not None
    assert basic.field_set is FieldSet.BASIC
    assert auditor is not None
    assert auditor.operations == {Operation.AUDIT_READ}
    production = production_settings(tmp_path)
    assert not client_registry(production).all()


async def test_demo_basic_sees_identity_only(stack: Stack) -> None:
    number = (await stack.sample(n=1))[0]["personal_id"]
    token = await _token(stack, "demo-basic", "demo-basic-secret")
    headers = {"Authorization": f"Bearer {token}", **PURPOSE_HEADERS}
    answer = await stack.gateway.get(f"/api/v1/citizens/{number}", headers=headers)
    assert answer.status_code == 200, answer.text
    assert set(answer.json()) <= IDENTITY


async def test_demo_auditor_reads_the_trail_but_looks_nobody_up(stack: Stack) -> None:
    number = (await stack.sample(n=1))[0]["personal_id"]
    token = await _token(stack, "demo-auditor", "demo-auditor-secret")
    headers = {"Authorization": f"Bearer {token}", **PURPOSE_HEADERS}
    looked_up = await stack.gateway.get(f"/api/v1/citizens/{number}", headers=headers)
    assert looked_up.status_code == 403
    assert looked_up.json()["code"] == "operation_not_granted"
    records = await stack.gateway.get("/api/v1/audit/records", headers=headers)
    assert records.status_code == 200, records.text
