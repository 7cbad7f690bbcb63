"""`lgsp contract verify-ngsp` against the mock national side, as a process, sound and broken."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from contracts.suite import NGSP_CHECKS, NgspConfig, Status, verify_ngsp
from contracts.suite._registry import Checklist
from gateway.cli import app
from tests.contracts.suite.conftest import Deployment

pytestmark = pytest.mark.process

MOCK_KEY, MOCK_SECRET = "lgsp-dev-key", "lgsp-dev-secret"


def config(deployment: Deployment, **overrides: str) -> NgspConfig:
    settings: dict[str, Any] = {
        "base_url": deployment.mock_url,
        "consumer_key": MOCK_KEY,
        "consumer_secret": MOCK_SECRET,
        "mock_admin_url": deployment.mock_url,
        **overrides,
    }
    return NgspConfig(**settings)


def test_the_mock_conforms(healthy: Deployment) -> None:
    report = verify_ngsp(config(healthy))
    assert {r.check_id: r.message for r in report.failed} == {}
    assert report.counts()[Status.PASSED] == len(NGSP_CHECKS)
    assert report.verdict == "CONFORMS TO THE CONTRACT"


def test_wrong_secret_fails_the_token_checks(healthy: Deployment) -> None:
    report = verify_ngsp(config(healthy, consumer_secret="wrong"))
    failed = {r.check_id for r in report.failed}
    assert {"ngsp.token", "ngsp.lookup", "ngsp.fault-shape"} <= failed
    assert report.verdict == "DOES NOT CONFORM"


def test_answers_off_the_schema_are_named(healthy: Deployment) -> None:
    """Verify answers that are not XML fail both verify checks; the other checks still pass."""
    rule = {
        "id": "garbage-lookups",
        "match": {"operation": "XacThucThongTinCongDan"},
        "action": {"kind": "malformed_xml"},
    }
    assert httpx.post(f"{healthy.mock_url}/__admin/faults", json=rule).status_code == 201
    try:
        report = verify_ngsp(config(healthy))
    finally:
        httpx.delete(f"{healthy.mock_url}/__admin/faults/garbage-lookups")
    failed = {r.check_id: r.message for r in report.failed}
    assert set(failed) == {"ngsp.verify", "ngsp.readable-verify"}
    assert "not well-formed XML" in failed["ngsp.verify"]
    assert "not readable by this gateway" in failed["ngsp.readable-verify"]


def test_cli_writes_reports_and_exits_zero(healthy: Deployment, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "contract", "verify-ngsp",
            "--url", healthy.mock_url, "--key", MOCK_KEY, "--secret", MOCK_SECRET,
            "--mock-admin", healthy.mock_url, "--report-dir", str(tmp_path),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "CONFORMS TO THE CONTRACT" in (tmp_path / "readiness.md").read_text(encoding="utf-8")


def _aspects(report) -> dict[str, str]:
    return dict(report.aspect_verdicts())


def test_the_mock_is_readable_and_conforms(healthy: Deployment) -> None:
    report = verify_ngsp(config(healthy))
    assert _aspects(report) == {
        "readable by this gateway": "passed",
        "conforms to the QCVN 109 XSDs": "passed",
    }
    assert "Readable by this gateway: passed." in report.summary()


def test_a_bare_style_mock_is_readable_but_outside_the_schemas(healthy: Deployment) -> None:
    """Bare Spring-WS answers (service namespace): the gateway reads them, the XSDs do not."""
    admin = f"{healthy.mock_url}/__admin/config"
    assert httpx.patch(admin, json={"envelope_style": "bare"}).status_code == 200
    try:
        report = verify_ngsp(config(healthy))
    finally:
        httpx.patch(admin, json={"envelope_style": "wrapped"})
    assert _aspects(report) == {
        "readable by this gateway": "passed",
        "conforms to the QCVN 109 XSDs": "failed",
    }
    assert "Conforms to the QCVN 109 XSDs: failed." in report.summary()


def test_every_check_passes_listed_reversed(healthy: Deployment) -> None:
    """The order the checks are listed in changes no verdict (issue 19)."""
    report = verify_ngsp(config(healthy), checks=Checklist(reversed(NGSP_CHECKS)))
    assert [r.check_id for r in report.results] == [c.check_id for c in reversed(NGSP_CHECKS)]
    assert {r.check_id: r.message for r in report.results if r.status is not Status.PASSED} == {}


@pytest.mark.parametrize("check_id", [c.check_id for c in NGSP_CHECKS])
def test_every_check_passes_selected_alone(healthy: Deployment, check_id: str) -> None:
    [result] = verify_ngsp(config(healthy), only={check_id}).results
    assert (result.check_id, result.status, result.message) == (check_id, Status.PASSED, "ok")
