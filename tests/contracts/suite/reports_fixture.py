"""A hand-made run report, for the report-format tests (no server needed)."""

from __future__ import annotations

from datetime import UTC, datetime

from contracts.suite import CheckResult, Concern, Exchange, RunReport, Status


def sample_report(*, failing: bool) -> RunReport:
    started = datetime(2021, 6, 23, 9, 0, tzinfo=UTC)
    report = RunReport("1.0.0", "http://gateway.test", started, finished_at=started)
    report.environment = {"gateway URL": "http://gateway.test", "gateway version": "LGSP 0.1.0"}
    lookup = CheckResult(
        "data.lookup", Concern.DATA_CONTRACT, "Look-up", "A look-up answers 200.", required=True
    )
    lookup.exchanges.append(
        Exchange("ct-1-0001", "GET", "/api/v1/citizens/054*******23", 200, 12.5, "client", True)
    )
    lookup.message = "ok"
    injected = CheckResult(
        "security.<script>",
        Concern.SECURITY,
        "Title with <b>markup</b> & ampersand",
        'Proves "quotes" & <tags>.',
        required=True,
        status=Status.FAILED if failing else Status.PASSED,
        message="got <script>alert(1)</script>" if failing else "ok",
    )
    injected.note("evidence <img src=x onerror=alert(1)>")
    skipped = CheckResult(
        "resilience.timeout",
        Concern.RESILIENCE,
        "Timeout",
        "Hang gives 504.",
        required=False,
        status=Status.SKIPPED,
        message="needs --mock-admin",
    )
    report.results = [lookup, injected, skipped]
    return report
