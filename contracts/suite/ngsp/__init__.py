"""``lgsp contract verify-ngsp``: an NGSP endpoint against the XSDs and the token contract."""

from __future__ import annotations

from contextlib import ExitStack
from datetime import UTC, datetime

import httpx

from contracts.suite._model import Concern, RunReport
from contracts.suite._runner import SUITE_VERSION, open_clients, run_check
from contracts.suite._targets import absent_number
from contracts.suite.ngsp import _readable  # noqa: F401 - registers the readability checks
from contracts.suite.ngsp._checks import NGSP_CHECKS, NgspConfig, NgspContext

__all__ = ["NgspConfig", "verify_ngsp"]


def verify_ngsp(config: NgspConfig, *, transport: httpx.BaseTransport | None = None) -> RunReport:
    """Run every NGSP check; citizens come from ``config`` or the mock's sample."""
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
        for item in NGSP_CHECKS:
            report.results.append(run_check(ctx, item, lambda need: _available(ctx, need)))
    report.environment = {
        "NGSP URL": config.base_url,
        "SOAP path / token path": f"{config.population_path} / {config.token_path}",
        "operation element": f"<Operation{config.request_suffix}>",
        "consumer key": config.consumer_key,
        "mock admin URL": config.mock_admin_url or "not given",
        "suite version": SUITE_VERSION,
    }
    report.finished_at = datetime.now(UTC)
    return report


def _available(ctx: NgspContext, need: str) -> bool:
    return ctx.mock is not None if need == "mock" else ctx.facts.get(need) is not None


def _targets(ctx: NgspContext) -> None:
    ctx.facts.update(citizen=ctx.config.citizen, absent=ctx.config.absent_citizen)
    if ctx.mock is None:
        return
    people = ctx.mock.get("/__admin/citizens/sample", params={"n": 1}).json()
    if people:
        ctx.facts["person"] = people[0]
        ctx.facts["citizen"] = ctx.facts["citizen"] or people[0]["personal_id"]
    if ctx.facts["absent"] is None and ctx.facts["citizen"]:
        ctx.facts["absent"] = absent_number(ctx.mock, str(ctx.facts["citizen"]))
