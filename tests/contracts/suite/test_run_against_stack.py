"""`lgsp contract run` against real processes: ready when set up right, named failures if not."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from contracts.suite import CHECKS, Concern, RunReport, Status, run_suite, write_reports
from contracts.suite._targets import absent_number
from gateway.cli import app
from gateway.security.clients import FieldSet
from tests.contracts.suite.conftest import Deployment, write_clients

pytestmark = pytest.mark.process

NUMBER_IN_CLEAR = re.compile(r"(?<!\d)(\d{12}|\d{9})(?!\d)")


def failed_in_junit(path: Path) -> set[str]:
    root = ET.parse(path).getroot()  # noqa: S314 -- our own report, as a CI tool reads it
    return {
        case.get("name", "") for case in root.iter("testcase") if case.find("failure") is not None
    }


@pytest.mark.slow  # over 10 s (pytest --durations, 2026-11-30)
def test_healthy_deployment_is_ready_with_every_check_passed(
    healthy: Deployment, tmp_path: Path
) -> None:
    """All checks run (mock admin and all three identities given) and all pass."""
    report = run_suite(healthy.config())
    failures = {r.check_id: r.message for r in report.failed}
    assert failures == {}
    assert report.counts()[Status.PASSED] == len(CHECKS)
    assert report.verdict == "READY FOR GO-LIVE"
    paths = write_reports(report, tmp_path)
    junit = ET.parse(paths["junit"]).getroot()  # noqa: S314 -- our own report
    assert (junit.get("tests"), junit.get("failures")) == (str(len(CHECKS)), "0")


def test_reports_never_hold_a_citizen_number_in_clear(healthy: Deployment, tmp_path: Path) -> None:
    """Evidence names calls by masked path only (``054*******89``), in every format."""
    report = run_suite(healthy.config(), only={"data.lookup", "data.not-found"})
    for path in write_reports(report, tmp_path).values():
        assert not NUMBER_IN_CLEAR.findall(path.read_text(encoding="utf-8")), path.name
    assert "*******" in (tmp_path / "readiness.md").read_text(encoding="utf-8")


def test_cli_exit_code_and_reports(healthy: Deployment, tmp_path: Path) -> None:
    """Without the auditor, the audit checks cannot run: no failure, but exit 3 and NOT READY.

    Only the audit checks are selected (``--only``; their producers run first, unreported): the
    rest of the checklist needs no auditor, and the healthy run proves it passes.
    """
    audit = [f"--only={c.check_id}" for c in CHECKS if c.concern is Concern.AUDIT]
    result = CliRunner().invoke(
        app,
        [
            "contract", "run",
            "--gateway", healthy.gateway_url,
            "--client", "portal:portal-secret",
            "--basic-client", "basic-portal:basic-portal-secret",
            "--mock-admin", healthy.mock_url,
            "--report-dir", str(tmp_path),
            *audit,
        ],
    )  # fmt: skip
    assert result.exit_code == 3, result.output
    markdown = (tmp_path / "readiness.md").read_text(encoding="utf-8")
    assert "**Verdict: NOT READY**" in markdown
    assert "Required but not run: audit.every-call-recorded" in markdown
    assert failed_in_junit(tmp_path / "contract-junit.xml") == set()


def test_bad_credentials_option_is_a_usage_error() -> None:
    result = CliRunner().invoke(
        app, ["contract", "run", "--gateway", "http://127.0.0.1:9", "--client", "no-colon"]
    )
    assert result.exit_code == 2
    assert "CLIENT_ID:SECRET" in result.output


def _failed(report: RunReport) -> set[str]:
    return {r.check_id for r in report.failed}


@pytest.mark.slow  # over 10 s (pytest --durations, 2026-11-30)
def test_basic_client_granted_sensitive_fields_is_not_ready(
    misconfigured: Callable[..., AbstractContextManager[Deployment]], tmp_path: Path
) -> None:
    """The registry gives the basic portal the sensitive field set: only that check fails."""
    clients = write_clients(tmp_path / "leaky.yaml", basic_field_set=FieldSet.SENSITIVE)
    with misconfigured(clients=str(clients)) as deployment:
        report = run_suite(deployment.config())
    write_reports(report, tmp_path / "report")
    assert _failed(report) == {"data.minimisation-basic"}
    assert failed_in_junit(tmp_path / "report" / "contract-junit.xml") == _failed(report)
    markdown = (tmp_path / "report" / "readiness.md").read_text(encoding="utf-8")
    assert "**Verdict: NOT READY**" in markdown
    assert "Failed: data.minimisation-basic." in markdown
    assert "the basic client is granted the sensitive field set" in markdown


def test_maintenance_switch_check_needs_the_real_admin_token(
    misconfigured: Callable[..., AbstractContextManager[Deployment]],
) -> None:
    """A gateway whose admin token differs from the tester's: the check fails and says why."""
    with misconfigured(LGSP_ADMIN_TOKEN="another-deployments-admin-token-0123") as deployment:
        report = run_suite(deployment.config(), only={"operations.maintenance-switch"})
        with httpx.Client(base_url=deployment.gateway_url) as gateway:
            assert gateway.get("/readyz").status_code == 200  # nothing was left switched on
    [result] = report.results
    assert result.status is Status.FAILED
    assert "401" in result.message


# What a gateway without an NGSP token must fail, and what must hold all the same. Only these
# run (their producers first): the whole suite took 82-95 s of upstream deadlines to say the same.
_NO_TOKEN_FAILS = {
    "connectivity.readyz",
    "data.lookup",
    "data.verify",
    "data.household",
    "resilience.retry-then-succeed",
    "data.minimisation-basic",
}
_NO_TOKEN_HOLDS = {"security.missing-token", "audit.every-call-recorded"}


def test_wrong_ngsp_secret_is_not_ready(
    misconfigured: Callable[..., AbstractContextManager[Deployment]],
) -> None:
    """The gateway cannot get an NGSP token: readiness and every look-up fail, security holds."""
    with misconfigured(LGSP_NGSP_CONSUMER_SECRET="not-the-mock-secret") as deployment:
        report = run_suite(deployment.config(), only=_NO_TOKEN_FAILS | _NO_TOKEN_HOLDS)
    failed = _failed(report)
    assert {r.check_id for r in report.results} == _NO_TOKEN_FAILS | _NO_TOKEN_HOLDS
    assert {"connectivity.readyz", "data.lookup", "data.verify", "data.household"} <= failed
    assert {"resilience.retry-then-succeed", "data.minimisation-basic"} <= failed
    results = {r.check_id: r.status for r in report.results}
    assert results["security.missing-token"] is Status.PASSED
    assert results["audit.every-call-recorded"] is Status.PASSED  # failures are audited too
    assert report.verdict == "NOT READY"


@pytest.mark.slow  # over 10 s (pytest --durations, 2026-11-30)
def test_without_mock_admin_the_fault_scenarios_are_skipped_not_failed(healthy: Deployment) -> None:
    """Against a real NGSP there is no fault injection: still READY, given the test citizens."""
    with httpx.Client(base_url=healthy.mock_url) as mock:
        known = mock.get("/__admin/citizens/sample", params={"n": 1}).json()[0]["personal_id"]
        absent = absent_number(mock, known)
    report = run_suite(healthy.config(mock_admin_url=None, citizen=known, absent_citizen=absent))
    statuses = {r.check_id: r.status for r in report.results}
    assert statuses["resilience.timeout"] is Status.SKIPPED
    assert statuses["data.lookup-cmnd"] is Status.SKIPPED
    assert {r.check_id: r.message for r in report.failed} == {}
    assert report.verdict == "READY FOR GO-LIVE"


def test_a_citizen_given_by_the_tester_is_verified_with_its_own_details(
    healthy: Deployment,
) -> None:
    """``--citizen`` with ``--mock-admin``: the details typed are that citizen's, not those of a
    sampled stranger (whose birth year would not match)."""
    with httpx.Client(base_url=healthy.mock_url) as mock:
        people = mock.get("/__admin/citizens/sample", params={"n": 40}).json()
    by_year = {str(p["date_of_birth"])[:4]: str(p["personal_id"]) for p in people}
    assert len(by_year) >= 3, "the sample spans several birth years"
    for citizen in list(by_year.values())[:3]:
        report = run_suite(healthy.config(citizen=citizen), only={"data.verify"})
        [result] = [r for r in report.results if r.check_id == "data.verify"]
        assert result.status is Status.PASSED, result.message
