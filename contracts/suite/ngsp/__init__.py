"""``lgsp contract verify-ngsp``: an NGSP endpoint against the XSDs and the token contract."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from contextlib import ExitStack
from datetime import UTC, datetime

import httpx

from contracts.suite._model import Concern, RunReport
from contracts.suite._plan import plan
from contracts.suite._registry import Check
from contracts.suite._runner import SUITE_VERSION, need_hints, open_clients, run_steps
from contracts.suite._targets import absent_number, citizen_record, mock_error, mock_unreadable
from contracts.suite.ngsp import _readable  # noqa: F401 - registers the readability checks
from contracts.suite.ngsp._checks import NGSP_CHECKS, NgspConfig, NgspContext

__all__ = ["NgspConfig", "verify_ngsp"]


def verify_ngsp(
    config: NgspConfig,
    *,
    transport: httpx.BaseTransport | None = None,
    only: Collection[str] | None = None,
    checks: Sequence[Check] = NGSP_CHECKS,
) -> RunReport:
    """Run the NGSP checks (those in ``only``, after their producers, when given); citizens
    come from ``config`` or the mock's sample. Planned and skipped as the gateway suite is."""
    steps = plan(checks, only)
    report = RunReport(
        SUITE_VERSION,
        config.base_url,
        datetime.now(UTC),
        title="NGSP conformance report (QCVN 109 + token contract)",
        verdicts=("CONFORMS TO THE CONTRACT", "DOES NOT CONFORM"),
        aspects=(
            ("readable by this gateway", Concern.READABILITY),
            ("conforms to the QCVN 109 XSDs", Concern.DATA_CONTRACT),
        ),
    )
    with ExitStack() as stack:
        http, mock = open_clients(
            stack, config.base_url, config.mock_admin_url, config.timeout_s, transport
        )
        ctx = NgspContext(config, http, mock)
        _targets(ctx)
        report.results = run_steps(ctx, steps, need_hints(checks, ctx.facts))
    report.environment = {
        "NGSP URL": config.base_url,
        "SOAP path / token path": f"{config.population_path} / {config.token_path}",
        "operation element": f"<Operation{config.request_suffix}>",
        "consumer key": config.consumer_key,
        "mock admin URL": config.mock_admin_url or "not given",
        "suite version": SUITE_VERSION,
    }
    if ctx.facts.mock_error:
        report.environment["mock national side"] = mock_unreadable(ctx.facts.mock_error)
        report.notices.append(f"mock admin URL {mock_unreadable(ctx.facts.mock_error)}")
    report.finished_at = datetime.now(UTC)
    return report


def _targets(ctx: NgspContext) -> None:
    """The ``citizen``, ``absent`` and ``person`` facts; a mock that cannot be read is noted
    (``mock_error``) so the checks needing it are skipped naming that cause."""
    facts = ctx.facts
    facts.citizen, facts.absent = ctx.config.citizen, ctx.config.absent_citizen
    if ctx.mock is None:
        return
    try:
        _from_mock(ctx, ctx.mock)
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
        facts.mock_error = mock_error(exc)


def _from_mock(ctx: NgspContext, mock: httpx.Client) -> None:
    facts = ctx.facts
    if facts.citizen is not None:  # the tester's citizen: its own details, not a stranger's
        facts.person = citizen_record(mock, facts.citizen)
    elif people := mock.get("/__admin/citizens/sample", params={"n": 1}).json():
        facts.person = people[0]
        facts.citizen = str(people[0]["personal_id"])
    if facts.absent is None and facts.citizen:
        facts.absent = absent_number(mock, facts.citizen)
