"""``audit.subject-view-audited`` fails a gateway whose subject view leaves no trace of itself.

The gateway is faked in process (an ``httpx.MockTransport``): it issues tokens and answers the
subject view from a trail it keeps. The sound fake files each view in that trail as
``audit.subject_view`` before answering, as the gateway does (docs/decisions/audit.md); the broken
ones forget the view, or file it under another operation.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from contracts.suite import Credentials, Status, SuiteConfig, run_suite

CITIZEN = "054092000123"
CHECK = "audit.subject-view-audited"
CONFIG = SuiteConfig(
    "http://gateway.fake",
    Credentials("portal", "portal-secret"),
    auditor=Credentials("auditor", "auditor-secret"),
    citizen=CITIZEN,
)
TOKEN = {"access_token": "t", "token_type": "Bearer", "expires_in": 300, "scope": "audit_read"}


def _gateway(view_operation: str | None) -> httpx.MockTransport:
    """A gateway recording each subject view as ``view_operation`` (``None``: not at all)."""
    trail: list[dict[str, Any]] = [{"request_id": "earlier-lookup", "operation": "lookup"}]

    def handle(request: httpx.Request) -> httpx.Response:
        request_id = request.headers["X-Request-ID"]
        echo = {"X-Request-ID": request_id}
        if request.url.path == "/oauth2/token":
            return httpx.Response(200, json=TOKEN, headers={**echo, "Cache-Control": "no-store"})
        assert request.url.path == f"/api/v1/audit/subjects/{CITIZEN}", request.url.path
        if view_operation is not None:
            trail.insert(0, {"request_id": request_id, "operation": view_operation})
        page = {"records": list(trail), "next_cursor": None, "reaches_legacy_records": False}
        return httpx.Response(200, json={**page, "legacy_until": None, "note": None}, headers=echo)

    return httpx.MockTransport(handle)


@pytest.mark.parametrize(
    ("view_operation", "status", "reason"),
    [
        ("audit.subject_view", Status.PASSED, "ok"),
        (None, Status.FAILED, "is not in the citizen's trail: not audited"),
        ("lookup", Status.FAILED, "is recorded as 'lookup'"),
    ],
)
def test_the_view_must_be_in_the_trail_as_a_subject_view(
    view_operation: str | None, status: Status, reason: str
) -> None:
    report = run_suite(CONFIG, only={CHECK}, transport=_gateway(view_operation))
    [result] = report.results
    assert result.status is status, result.message
    assert reason in result.message
    assert [e.path for e in result.exchanges][-2:] == ["/api/v1/audit/subjects/054*******23"] * 2
