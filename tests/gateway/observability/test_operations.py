"""The operators' endpoints: ``/readyz``, ``/metrics`` and the maintenance switch, in process."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from structlog.testing import capture_logs

from gateway.app import create_app
from gateway.settings import Settings
from tests.gateway.observability.conftest import (
    GOLDEN_NUMBER,
    LOOKUP,
    OpsStack,
    ScriptedNgsp,
    events,
    running_gateway,
    scrape,
    scraped_after_traffic,
    value,
)

# --- /readyz -----------------------------------------------------------------------------------


async def test_readyz_is_200_with_every_check_passing(ops: OpsStack) -> None:
    response = await ops.client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"audit", "jobs", "ngsp_token", "breaker", "maintenance"}


async def test_readyz_is_503_when_the_audit_store_is_unreachable(ops: OpsStack) -> None:
    await ops.runtime.audit.close()
    response = await ops.client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["reasons"] == ["audit: writer_stopped"]
    assert int(response.headers["Retry-After"]) >= 1


async def test_readyz_is_503_while_the_breaker_is_open(ops: OpsStack) -> None:
    await ops.trip_breaker()
    response = await ops.client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["reasons"] == ["breaker: open"]
    assert body["checks"]["breaker"] == {"ok": False, "reason": "open", "state": "open"}
    assert int(response.headers["Retry-After"]) >= 1


async def test_readyz_is_503_when_no_ngsp_token_can_be_obtained(ops: OpsStack) -> None:
    ops.ngsp.token_status = 401
    response = await ops.client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["reasons"] == ["ngsp_token: upstream_auth_error"]


# --- /metrics ----------------------------------------------------------------------------------


async def test_requests_are_counted_by_route_template_status_and_client(ops: OpsStack) -> None:
    text, families = await scraped_after_traffic(ops)
    route = "/api/v1/citizens/{number}"
    counted = {
        (s.labels["status"], s.labels["client"])
        for s in families["lgsp_http_requests"].samples
        if s.name == "lgsp_http_requests_total" and s.labels["route"] == route
    }
    assert counted == {
        ("200", "demo-portal"),
        ("404", "demo-portal"),
        ("429", "demo-portal"),
        ("401", "anonymous"),
    }
    labels = {"route": route, "method": "GET", "status": "200", "client": "demo-portal"}
    assert value(families, "lgsp_http_requests_total", **labels) == 2
    assert value(families, "lgsp_http_request_duration_seconds_count", **labels) == 2
    assert value(families, "lgsp_http_request_duration_seconds_sum", **labels) > 0
    assert GOLDEN_NUMBER not in text


async def test_upstream_calls_retries_and_tokens_are_counted(ops: OpsStack) -> None:
    _, families = await scraped_after_traffic(ops)
    operation = "TraCuuThongTinCongDan"
    assert value(families, "lgsp_upstream_calls_total", operation=operation, outcome="ok") == 2
    not_found = value(
        families, "lgsp_upstream_calls_total", operation=operation, outcome="not_found"
    )
    assert not_found == 1
    reason = "upstream_http_error_503"
    assert value(families, "lgsp_upstream_retries_total", operation=operation, reason=reason) == 2
    assert value(families, "lgsp_upstream_request_seconds_count", operation="lookup") == 3
    assert value(families, "lgsp_ngsp_token_refreshes_total") == 1
    assert value(families, "lgsp_ngsp_breaker_state", state="closed") == 1
    assert value(families, "lgsp_ngsp_breaker_state", state="open") == 0


async def test_audit_and_rate_limits_are_measured(ops: OpsStack) -> None:
    _, families = await scraped_after_traffic(ops)
    audited = 3  # the refused and the unauthenticated calls never reached the national side
    assert value(families, "lgsp_audit_records_total", result="committed") == audited
    assert value(families, "lgsp_audit_records_total", result="failed") == 0
    assert value(families, "lgsp_audit_queue_depth") == 0
    assert value(families, "lgsp_audit_commit_seconds_count") == audited
    assert value(families, "lgsp_audit_last_commit_seconds") > 0
    assert value(families, "lgsp_rate_limited_requests_total", client="demo-portal") == 1
    assert value(families, "lgsp_maintenance_enabled") == 0


async def test_breaker_transitions_show_in_the_scrape(ops: OpsStack) -> None:
    await ops.trip_breaker()
    families = scrape((await ops.client.get("/metrics")).text)
    assert value(families, "lgsp_ngsp_breaker_state", state="open") == 1
    assert value(families, "lgsp_ngsp_breaker_transitions_total", to="open") == 1


async def test_histogram_buckets_are_cumulative(ops: OpsStack) -> None:
    _, families = await scraped_after_traffic(ops)
    buckets = [
        s.value
        for s in families["lgsp_http_request_duration_seconds"].samples
        if s.name.endswith("_bucket")
        and s.labels["status"] == "200"
        and s.labels["route"] == "/api/v1/citizens/{number}"
    ]
    assert buckets == sorted(buckets)
    assert buckets[-1] == 2


# --- maintenance -------------------------------------------------------------------------------


async def _switch(ops: OpsStack, **body: object) -> httpx.Response:
    return await ops.client.put("/admin/maintenance", json=body, headers=ops.admin())


async def test_maintenance_closes_data_calls_with_retry_after(ops: OpsStack) -> None:
    headers = await ops.headers()
    with capture_logs() as captured:
        switched = await _switch(ops, enabled=True, reason="upgrade", retry_after_s=120)
        response = await ops.client.get(LOOKUP, headers=headers)
    assert switched.status_code == 200
    assert switched.json()["scope"] == "this replica only"
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "120"
    problem = response.json()
    assert (problem["code"], problem["layer"]) == ("maintenance", "gateway")
    assert problem["request_id"] == response.headers["X-Request-ID"]
    (on,) = events(captured, "maintenance_on")
    assert (on["by"], on["reason"]) == ("admin", "upgrade")
    completed = events(captured, "request_completed")[-1]
    assert (completed["route"], completed["problem_code"]) == (
        "/api/v1/citizens/{number}",
        "maintenance",
    )
    assert ops.ngsp.soap_requests() == [], "nothing reached the national side"


async def test_maintenance_answers_before_authentication(ops: OpsStack) -> None:
    """Every caller gets the same answer, so portals see maintenance, not a credentials error."""
    await _switch(ops, enabled=True)
    response = await ops.client.get(LOOKUP)
    assert response.status_code == 503
    assert response.json()["code"] == "maintenance"


async def test_maintenance_shows_in_readyz_and_leaves_operations_open(ops: OpsStack) -> None:
    await _switch(ops, enabled=True, retry_after_s=60)
    readyz = await ops.client.get("/readyz")
    assert readyz.status_code == 503
    assert readyz.json()["status"] == "maintenance"
    assert readyz.headers["Retry-After"] == "60"
    for path in ("/healthz", "/metrics"):
        assert (await ops.client.get(path)).status_code == 200


async def test_maintenance_off_reopens_data_calls(ops: OpsStack) -> None:
    await _switch(ops, enabled=True)
    with capture_logs() as captured:
        assert (await _switch(ops, enabled=False)).json()["enabled"] is False
    assert events(captured, "maintenance_off") != []
    assert (await ops.lookup()).status_code == 200
    assert (await ops.client.get("/readyz")).status_code == 200


async def test_maintenance_status_is_readable(ops: OpsStack) -> None:
    response = await ops.client.get("/admin/maintenance", headers=ops.admin())
    assert response.status_code == 200
    assert response.json()["enabled"] is False


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        pytest.param({}, 401, "admin_token_invalid", id="no-token"),
        pytest.param({"Authorization": "Bearer wrong"}, 401, "admin_token_invalid", id="wrong"),
    ],
)
async def test_admin_endpoint_needs_the_admin_token(
    ops: OpsStack, headers: dict[str, str], status: int, code: str
) -> None:
    response = await ops.client.put("/admin/maintenance", json={"enabled": True}, headers=headers)
    assert response.status_code == status
    assert response.json()["code"] == code
    assert not ops.observability.maintenance.is_on()


async def test_a_portal_token_is_not_an_admin_token(ops: OpsStack) -> None:
    headers = await ops.headers()
    response = await ops.client.put("/admin/maintenance", json={"enabled": True}, headers=headers)
    assert response.status_code == 401


async def test_admin_endpoints_are_off_without_an_admin_token_setting(ops: OpsStack) -> None:
    ops.runtime.settings = ops.runtime.settings.model_copy(update={"admin_token": None})
    response = await ops.client.put(
        "/admin/maintenance", json={"enabled": True}, headers=ops.admin()
    )
    assert response.status_code == 403
    assert response.json()["code"] == "admin_disabled"


def test_operator_endpoints_stay_out_of_the_portal_api_document(ops_settings: Settings) -> None:
    paths = create_app(ops_settings).openapi()["paths"]
    assert "/readyz" in paths
    assert not {"/metrics", "/admin/maintenance"} & set(paths)


async def test_a_shared_flag_file_closes_every_replica(
    ops_settings: Settings, scripted_ngsp: ScriptedNgsp, tmp_path: Path
) -> None:
    """Two replicas reading one flag file: switching one through its admin endpoint closes both."""
    shared = {"maintenance_file": tmp_path / "maintenance"}
    own_audit = {"audit_dsn": f"sqlite:///{tmp_path / 'second-audit.sqlite3'}"}
    first_settings = ops_settings.model_copy(update=shared)
    second_settings = ops_settings.model_copy(update=shared | own_audit)
    async with (
        running_gateway(first_settings, scripted_ngsp) as first,
        running_gateway(second_settings, scripted_ngsp) as second,
    ):
        headers = await second.headers()
        switched = await _switch(first, enabled=True, reason="upgrade")
        assert switched.json()["scope"] == "every replica reading the flag file"
        response = await second.client.get(LOOKUP, headers=headers)
    assert response.status_code == 503
    assert response.json()["code"] == "maintenance"


@pytest.mark.parametrize("enabled", ["yes", 1, "true"])
async def test_maintenance_switch_takes_only_json_booleans(ops: OpsStack, enabled: object) -> None:
    """``{"enabled": "yes"}`` must not throw the switch: only true / false do."""
    response = await _switch(ops, enabled=enabled)
    assert response.status_code == 422
    status = await ops.client.get("/admin/maintenance", headers=ops.admin())
    assert status.json()["enabled"] is False
