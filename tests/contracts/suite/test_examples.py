"""Golden messages: one per operation and per error, valid against the QCVN 109 XSDs unless marked.

Variants real deployments send outside the schemas (bare Spring-WS answers in the service
namespace, unqualified payloads, ...Request operation elements) are marked ``xsd_valid: false``
and must stay outside them: they are what makes verify-ngsp's two verdicts differ.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from contracts.suite.ngsp._soap import DAN, parse_answer, xsd_errors

EXAMPLES = Path(__file__).resolve().parents[3] / "contracts" / "examples"
CATALOGUE: list[dict[str, Any]] = json.loads((EXAMPLES / "catalogue.json").read_text("utf-8"))[
    "examples"
]
# The NGSP error codes of the provincial connection guide (shared/domain.md §3 "Errors").
NGSP_ERROR_CODES = {100, 101, 106, 108, 200, 201, 302, 500}
OPERATIONS = {"TraCuuThongTinCongDan", "XacThucThongTinCongDan", "CungCapThongTinHoGiaDinh"}


def test_catalogue_lists_exactly_the_files() -> None:
    listed = {e["file"] for e in CATALOGUE}
    present = {p.name for p in EXAMPLES.iterdir() if p.name != "catalogue.json"}
    assert listed == present


def test_every_ngsp_error_code_has_a_fault_example() -> None:
    assert {e["ngsp_code"] for e in CATALOGUE if "ngsp_code" in e} == NGSP_ERROR_CODES


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_every_operation_has_a_request_and_answers(operation: str) -> None:
    mine = [e for e in CATALOGUE if e["exchange"] == operation]
    assert any(e.get("direction") == "request" for e in mine)
    assert sum(e.get("http_status") == 200 for e in mine) >= 2  # found and not found


@pytest.mark.parametrize(
    "entry",
    [pytest.param(e, id=e["file"]) for e in CATALOGUE if e["file"].endswith(".xml")],
)
def test_xml_example_validates(entry: dict[str, Any]) -> None:
    content = (EXAMPLES / entry["file"]).read_bytes()
    if entry.get("valid_xml") is False:
        with pytest.raises(ValueError, match="not well-formed"):
            parse_answer(content)
        return
    root = parse_answer(content)
    if entry.get("xsd_valid") is False:
        assert xsd_errors(root) != []
        return
    assert xsd_errors(root) == []
    if "ngsp_code" in entry:
        assert root.findtext(f".//{{{DAN}}}MaLoi") == str(entry["ngsp_code"])


@pytest.mark.parametrize(
    "entry",
    [pytest.param(e, id=e["file"]) for e in CATALOGUE if e["file"].endswith(".json")],
)
def test_json_example_has_its_documented_shape(entry: dict[str, Any]) -> None:
    body = json.loads((EXAMPLES / entry["file"]).read_text("utf-8"))
    if entry["exchange"] == "token" and entry["http_status"] == 200:
        assert {"access_token", "token_type", "expires_in", "scope"} <= set(body)
    elif entry["exchange"] == "token":
        assert set(body) == {"error", "error_description"}
    else:
        assert {"code", "message", "description"} <= set(body["fault"])


def test_xsd_check_can_fail() -> None:
    """An answer missing its collection is refused by the schemas the tests rely on."""
    broken = (EXAMPLES / "lookup-not-found.xml").read_bytes().replace(b"CongdanCollection", b"X")
    assert xsd_errors(parse_answer(broken)) != []
