"""``LGSP_AUDIT_DSN=none:``: the benchmark switch that turns the trail off, never in production."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError
from structlog.testing import capture_logs

from gateway.app import create_app
from gateway.audit import (
    AuditEvent,
    AuditQuery,
    AuditUnavailable,
    DisabledAuditTrail,
    open_audit_reader,
    open_audit_trail,
)
from gateway.settings import Settings
from mocks.app import create_mock_app
from mocks.settings import MockSettings
from tests.conftest import PURPOSE_HEADERS, _with_lifespan, production_settings


def test_production_refuses_a_disabled_trail(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="LGSP_AUDIT_DSN none: disables the audit trail"):
        production_settings(tmp_path, audit_dsn="none:")


def _event() -> AuditEvent:
    return AuditEvent(
        occurred_at=datetime.now(UTC),
        request_id="r-1",
        client_id="demo-portal",
        agency_code="H12",
        officer_id="officer-17",
        purpose_code="1.001612",
        case_id=None,
        operation="lookup",
        subject_number="001090001234",
        outcome="ok",
        status=200,
        problem_code=None,
        upstream_attempts=1,
        latency_ms=1.0,
        fields_returned=(),
    )


async def test_disabled_trail_records_nothing_and_says_so() -> None:
    trail = open_audit_trail("none:", hmac_key=b"k" * 32, writer_id="bench")
    assert isinstance(trail, DisabledAuditTrail)
    with capture_logs() as logs:
        await trail.start()
    assert [entry["log_level"] for entry in logs if entry["event"] == "audit_disabled"] == [
        "warning"
    ]
    await trail.record(_event())
    await trail.ping()
    assert trail.stats.committed == 0
    await trail.close()
    with pytest.raises(AuditUnavailable):
        await trail.record(_event())
    async with open_audit_reader("none:", hmac_key=b"k" * 32) as reader:
        page = await reader.search(AuditQuery())
    assert not page.records


async def test_gateway_serves_look_ups_with_the_trail_off(tmp_path: Path) -> None:
    mock_app = create_mock_app(MockSettings(population_size=2_000, seed=7))
    settings = Settings(
        ngsp_base_url="http://ngsp.test",
        audit_dsn="none:",
        jobs_dsn=f"sqlite:///{tmp_path / 'jobs.sqlite3'}",
        log_format="json",
    )
    lifespan = _with_lifespan(mock_app)
    await anext(lifespan)
    app = create_app(settings, http=httpx.AsyncClient(transport=httpx.ASGITransport(app=mock_app)))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as gw,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=mock_app), base_url="http://m") as m,
    ):
        number = (await m.get("/__admin/citizens/sample", params={"n": 1})).json()[0]["personal_id"]
        token = (
            await gw.post(
                "/oauth2/token",
                data={"grant_type": "client_credentials"},
                auth=("demo-portal", "demo-secret"),
            )
        ).json()["access_token"]
        answer = await gw.get(
            f"/api/v1/citizens/{number}",
            headers={"Authorization": f"Bearer {token}", **PURPOSE_HEADERS},
        )
        assert answer.status_code == 200, answer.text
    await lifespan.aclose()
