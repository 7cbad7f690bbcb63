"""The committed OpenAPI document is the contract portals build against: it must match the app."""

from __future__ import annotations

import json
from pathlib import Path

from gateway.app import create_app
from gateway.cli import openapi_json
from gateway.settings import Settings

COMMITTED = Path(__file__).parents[2] / "contracts" / "openapi" / "gateway-v1.json"


def test_app_schema_matches_the_committed_contract() -> None:
    """Any API change must come with `make openapi` and a reviewed diff of the contract."""
    current = openapi_json(create_app(Settings()))
    assert json.loads(current) == json.loads(COMMITTED.read_text(encoding="utf-8")), (
        "OpenAPI drifted from contracts/openapi/gateway-v1.json: run `make openapi` and review"
    )


def test_every_data_route_declares_problem_responses() -> None:
    schema = json.loads(COMMITTED.read_text(encoding="utf-8"))
    citizen_route = schema["paths"]["/api/v1/citizens/{number}"]["get"]
    assert {"401", "404", "422", "429", "502", "503", "504"} <= set(citizen_route["responses"])
