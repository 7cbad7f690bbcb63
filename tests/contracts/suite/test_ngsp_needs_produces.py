"""``verify-ngsp`` plans, selects and skips its checks with the gateway suite's typed facts.

No process is needed: the runs go to the NGSP double of ``test_verify_ngsp_double`` (a readable
record), or nowhere when every selected check is skipped first. A mock admin URL on a closed port
stands for a mock that was given but cannot be read.
"""

from __future__ import annotations

import random

import httpx
import pytest
from typer.testing import CliRunner

from contracts.suite import NGSP_CHECKS, Credentials, NgspConfig, Status, SuiteConfig, run_suite
from contracts.suite._facts import FOUND, GIVEN, Fact
from contracts.suite._model import RunReport
from contracts.suite._plan import plan
from contracts.suite._registry import Checklist
from contracts.suite.ngsp import verify_ngsp
from gateway.cli import app
from tests.contracts.suite.test_verify_ngsp_double import ABSENT, CITIZEN, _double

DOUBLE = NgspConfig("https://ngsp.double", "k", "s", citizen=CITIZEN, absent_citizen=ABSENT)
CLOSED_PORT = "http://127.0.0.1:9"  # nothing listens on the discard port: connection refused
READABLE = "lookup-found-live.xml"


def _statuses(report: RunReport) -> dict[str, Status]:
    return {r.check_id: r.status for r in report.results}


def _unreachable(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"no call expected, got {request.method} {request.url}")


def test_every_ngsp_need_is_a_fact_given_or_found() -> None:
    """The NGSP checks produce nothing: each need is the mock or a citizen found before them."""
    for item in NGSP_CHECKS:
        assert all(isinstance(n, Fact) for n in (*item.needs, *item.produces)), item.check_id
        assert set(item.needs) <= (GIVEN | FOUND), item.check_id


@pytest.mark.parametrize("how", ["reversed", "shuffled"])
def test_the_verdicts_do_not_depend_on_the_order_the_checks_are_listed_in(how: str) -> None:
    listed = list(NGSP_CHECKS)[::-1] if how == "reversed" else list(NGSP_CHECKS)
    if how == "shuffled":
        random.Random(19).shuffle(listed)
    in_order = verify_ngsp(DOUBLE, transport=_double(READABLE))
    other = verify_ngsp(DOUBLE, transport=_double(READABLE), checks=Checklist(listed))
    assert [r.check_id for r in other.results] == [c.check_id for c in listed]
    assert _statuses(other) == _statuses(in_order)
    assert other.aspect_verdicts() == in_order.aspect_verdicts()


@pytest.mark.parametrize("check_id", [c.check_id for c in NGSP_CHECKS])
def test_each_check_selected_alone_gives_its_whole_run_status(check_id: str) -> None:
    whole = _statuses(verify_ngsp(DOUBLE, transport=_double(READABLE)))
    alone = verify_ngsp(DOUBLE, transport=_double(READABLE), only={check_id})
    assert [(s.check.check_id, s.selected) for s in plan(NGSP_CHECKS, {check_id})] == [
        (check_id, True)
    ]
    assert _statuses(alone) == {check_id: whole[check_id]}


def test_a_missing_citizen_skips_the_selected_check_naming_the_fact() -> None:
    config = NgspConfig("https://ngsp.double", "k", "s")
    report = verify_ngsp(
        config, transport=httpx.MockTransport(_unreachable), only={"ngsp.readable-lookup"}
    )
    [result] = report.results
    assert (result.status, result.message) == (
        Status.SKIPPED,
        "needs citizen: --citizen or --mock-admin, a citizen known to exist",
    )


def test_without_the_mock_its_checks_are_skipped_needing_it() -> None:
    report = verify_ngsp(
        DOUBLE, transport=httpx.MockTransport(_unreachable), only={"ngsp.expired-token"}
    )
    [result] = report.results
    assert result.status is Status.SKIPPED
    assert result.message.startswith("needs mock: --mock-admin")
    assert report.notices == []


def test_an_unreadable_mock_is_reported_and_named_as_the_skip_cause() -> None:
    config = NgspConfig(
        "https://ngsp.double", "k", "s", citizen=CITIZEN, mock_admin_url=CLOSED_PORT
    )
    report = verify_ngsp(
        config, transport=httpx.MockTransport(_unreachable), only={"ngsp.readable-eras"}
    )
    [result] = report.results
    assert result.status is Status.SKIPPED
    assert result.message.startswith(
        "needs mock: the mock admin URL was given but could not be read (ConnectError"
    )
    assert report.environment["mock national side"].startswith("given but could not be read")
    [notice] = report.notices
    assert notice.startswith("mock admin URL given but could not be read (ConnectError")


def test_the_gateway_suite_names_an_unreadable_mock_too() -> None:
    """``facts.mock_error`` reaches the environment, the notices and every mock check's skip."""
    config = SuiteConfig(
        "http://gateway.invalid",
        Credentials("portal", "portal-secret"),
        auditor=Credentials("auditor", "auditor-secret"),
        mock_admin_url=CLOSED_PORT,
        citizen=CITIZEN,
    )
    report = run_suite(
        config, only={"audit.upstream-attempts"}, transport=httpx.MockTransport(_unreachable)
    )
    [result] = report.results
    assert result.status is Status.SKIPPED
    assert "needs mock: the mock admin URL was given but could not be read" in result.message
    assert "\n" not in report.environment["mock national side"]
    assert report.environment["mock national side"].startswith("given but could not be read")
    assert report.notices == [f"mock admin URL {report.environment['mock national side']}"]


def test_cli_only_selects_ngsp_checks_and_refuses_unknown_ones() -> None:
    base = ["contract", "verify-ngsp", "--url", CLOSED_PORT, "--key", "k", "--secret", "s"]
    refused = CliRunner().invoke(app, [*base, "--only", "ngsp.nope"])
    assert refused.exit_code == 2
    assert "no check with the id ngsp.nope" in refused.output
    unread = CliRunner().invoke(
        app, [*base, "--mock-admin", CLOSED_PORT, "--only", "ngsp.expired-token"]
    )
    assert "mock admin URL given but could not be read (ConnectError" in unread.output
    assert "1 checks: 0 passed, 0 failed, 1 skipped." in unread.output


def test_without_a_readable_mock_a_sampled_citizen_is_missing_for_that_reason() -> None:
    config = NgspConfig("https://ngsp.double", "k", "s", mock_admin_url=CLOSED_PORT)
    report = verify_ngsp(
        config, transport=httpx.MockTransport(_unreachable), only={"ngsp.readable-lookup"}
    )
    [result] = report.results
    assert result.message == (
        "needs citizen: --citizen or --mock-admin, a citizen known to exist "
        "(the mock admin URL given could not be read)"
    )
