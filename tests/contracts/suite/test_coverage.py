"""Spec coverage counts each documented (operation, status) pair once, and nothing else."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from contracts.paths import match_template
from contracts.suite import COMMITTED_OPENAPI
from contracts.suite.checks import conformance
from contracts.suite.coverage import spec_coverage

DOCUMENT: dict[str, Any] = {
    "paths": {
        "/citizens/{number}": {"get": {"responses": {"200": {}, "404": {}, "422": {}}}},
        "/citizens/verify": {"post": {"responses": {"200": {}, "422": {}}}},
    }
}


@pytest.mark.parametrize(
    ("path", "template"),
    [
        pytest.param("/citizens/054*******23", "/citizens/{number}", id="masked-number"),
        pytest.param("/citizens/verify", "/citizens/verify", id="literal-wins"),
        pytest.param("/citizens/1?x=1", "/citizens/{number}", id="query-ignored"),
        pytest.param("/citizens/1/household", None, id="deeper-path"),
        pytest.param("/other", None, id="unknown"),
    ],
)
def test_a_path_belongs_to_the_most_literal_template(path: str, template: str | None) -> None:
    assert match_template(DOCUMENT["paths"], path) == template


def test_each_documented_pair_counts_once() -> None:
    answers = [
        ("GET", "/citizens/054*******23", 200),
        ("GET", "/citizens/077*******59", 200),  # the same pair again
        ("GET", "/citizens/1", 404),
        ("POST", "/citizens/verify", 500),  # undocumented: not coverage
        ("DELETE", "/citizens/1", 405),  # no such operation
    ]
    coverage = spec_coverage(DOCUMENT, answers)
    assert (coverage.covered, coverage.pairs, coverage.percent) == (2, 5, 40.0)
    assert "40.0 %" in coverage.summary()
    assert "1 of 2 operations" in coverage.summary()
    assert "GET /citizens/{number}: 200, 404 (not seen: 422)" in coverage.rows()
    assert "POST /citizens/verify: none (not seen: 200, 422)" in coverage.rows()


def test_the_committed_contract_has_pairs_to_cover() -> None:
    document = json.loads(COMMITTED_OPENAPI.read_text(encoding="utf-8"))
    coverage = spec_coverage(document)
    assert coverage.pairs > 50
    assert coverage.percent == 0.0


def test_the_suites_schemathesis_run_leaves_the_token_endpoint_alone() -> None:
    """Fuzzed wrong credentials would spend the tester's per-address failure budget: a second
    `lgsp contract run` within a minute was refused wholesale with 429 auth_throttled."""
    context = SimpleNamespace(
        config=SimpleNamespace(gateway_url="http://gateway"), identity=lambda _name: None
    )
    command = conformance._command(context, "schemathesis", Path("c.toml"), Path("h.har"))  # type: ignore[arg-type]
    assert command[command.index("--exclude-operation-id") + 1] == "issueToken"
