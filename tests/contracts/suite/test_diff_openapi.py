"""The breaking-change guard: the app keeps its committed contract; each kind of break is caught."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from contracts.suite import COMMITTED_OPENAPI, diff_openapi
from gateway.app import create_app
from gateway.cli import app
from gateway.settings import Settings

Document = dict[str, Any]


@pytest.fixture(scope="module")
def committed() -> Document:
    document: Document = json.loads(COMMITTED_OPENAPI.read_text(encoding="utf-8"))
    return document


def test_the_app_breaks_nothing_of_the_committed_contract(committed: Document) -> None:
    """Additions are allowed; anything a portal relies on must still be there."""
    assert diff_openapi(committed, create_app(Settings()).openapi()) == []


def _schemas(doc: Document) -> dict[str, Any]:
    schemas: dict[str, Any] = doc["components"]["schemas"]
    return schemas


def drop_path(doc: Document) -> None:
    del doc["paths"]["/api/v1/me"]


def drop_operation(doc: Document) -> None:
    del doc["paths"]["/api/v1/verification-jobs/{job_id}"]["delete"]


def drop_response_field(doc: Document) -> None:
    del _schemas(doc)["Citizen"]["properties"]["sex"]


def drop_nested_response_field(doc: Document) -> None:
    del _schemas(doc)["HouseholdMember"]["properties"]["relation_code"]


def drop_query_parameter(doc: Document) -> None:
    parameters = doc["paths"]["/api/v1/audit/records"]["get"]["parameters"]
    parameters[:] = [p for p in parameters if p["name"] != "officer_id"]


def drop_accepted_value(doc: Document) -> None:
    _schemas(doc)["VerifyRequest"]["properties"]["strategy"]["enum"] = ["exact"]


def drop_nullable_enum_value(doc: Document) -> None:
    _schemas(doc)["VerifyRequest"]["properties"]["sex"]["anyOf"][0]["enum"] = ["male"]


def drop_request_field(doc: Document) -> None:
    del _schemas(doc)["VerifyRequest"]["properties"]["full_name"]


def make_field_optional(doc: Document) -> None:
    _schemas(doc)["TokenResponse"]["required"].remove("access_token")


def require_new_parameter(doc: Document) -> None:
    doc["paths"]["/api/v1/me"]["get"]["parameters"] = [
        {"in": "query", "name": "tenant", "required": True, "schema": {"type": "string"}}
    ]


def rename_operation(doc: Document) -> None:
    doc["paths"]["/api/v1/citizens/{number}"]["get"]["operationId"] = "lookup_citizen_get"


def drop_success_response(doc: Document) -> None:
    del doc["paths"]["/healthz"]["get"]["responses"]["200"]


@pytest.mark.parametrize(
    ("mutate", "kind", "where"),
    [
        pytest.param(drop_path, "path-removed", "/api/v1/me", id="path"),
        pytest.param(drop_operation, "operation-removed", "DELETE ", id="operation"),
        pytest.param(drop_response_field, "response-field-removed", "field sex", id="field"),
        pytest.param(
            drop_nested_response_field,
            "response-field-removed",
            "members[].relation_code",
            id="nested-field",
        ),
        pytest.param(drop_query_parameter, "parameter-removed", "officer_id", id="parameter"),
        pytest.param(drop_accepted_value, "enum-value-removed", "strategy", id="enum-value"),
        pytest.param(drop_nullable_enum_value, "enum-value-removed", "field sex", id="anyof-enum"),
        pytest.param(drop_request_field, "request-field-removed", "full_name", id="request-field"),
        pytest.param(make_field_optional, "response-field-optional", "access_token", id="optional"),
        pytest.param(require_new_parameter, "parameter-now-required", "tenant", id="required"),
        pytest.param(drop_success_response, "response-removed", "/healthz 200", id="response"),
        pytest.param(rename_operation, "operation-id-changed", "citizens/{number}", id="op-id"),
    ],
)
def test_each_kind_of_break_is_reported(
    committed: Document, mutate: Callable[[Document], None], kind: str, where: str
) -> None:
    changed = copy.deepcopy(committed)
    mutate(changed)
    breaks = diff_openapi(committed, changed)
    assert [(b.kind, where in b.where) for b in breaks] == [(kind, True)], breaks


def test_additions_are_not_breaks(committed: Document) -> None:
    changed = copy.deepcopy(committed)
    changed["paths"]["/api/v1/new"] = {"get": {"responses": {"200": {"description": "ok"}}}}
    _schemas(changed)["VerifyRequest"]["properties"]["strategy"]["enum"].append("phonetic")
    _schemas(changed)["Citizen"]["properties"]["nickname"] = {"type": "string"}
    assert diff_openapi(committed, changed) == []


def test_cli_exit_codes(committed: Document, tmp_path: Path) -> None:
    broken = copy.deepcopy(committed)
    drop_path(broken)
    (tmp_path / "new.json").write_text(json.dumps(broken), encoding="utf-8")
    runner = CliRunner()
    same = runner.invoke(
        app, ["contract", "diff-openapi", str(COMMITTED_OPENAPI), str(COMMITTED_OPENAPI)]
    )
    assert same.exit_code == 0, same.output
    found = runner.invoke(
        app, ["contract", "diff-openapi", str(COMMITTED_OPENAPI), str(tmp_path / "new.json")]
    )
    assert found.exit_code == 1
    assert "path-removed: /api/v1/me" in found.output
    missing = runner.invoke(app, ["contract", "diff-openapi", str(tmp_path / "nope.json"), "x"])
    assert missing.exit_code == 2
