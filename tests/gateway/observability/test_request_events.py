"""One ``request_completed`` event per request, and the events around it, on every path.

Asserted on captured event dicts (structlog.testing.capture_logs), never on formatted lines.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx
import structlog
from structlog.testing import capture_logs

from gateway.app import create_app
from gateway.settings import Settings
from tests.gateway.observability.conftest import (
    GOLDEN_NUMBER,
    LOOKUP,
    OpsStack,
    ScriptedNgsp,
    events,
)

_WITH_CONTEXT = [structlog.contextvars.merge_contextvars]


def _completed(captured: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
    """The one request_completed event of the data call (token calls have their own)."""
    matching = [e for e in events(captured, "request_completed") if e["route"] != "/oauth2/token"]
    assert len(matching) == 1, matching
    return matching[0]


async def test_a_successful_look_up_says_who_what_why_and_what_it_cost(ops: OpsStack) -> None:
    headers = await ops.headers()
    with capture_logs() as captured:
        response = await ops.client.get(LOOKUP, headers=headers)
    assert response.status_code == 200
    event = _completed(captured)
    assert event["request_id"] == response.headers["X-Request-ID"]
    assert event["trace_id"] == response.headers["traceparent"].split("-")[1]
    expected = {
        "event": "request_completed",
        "log_level": "info",
        "client_id": "demo-portal",
        "agency_code": "000.00.00.H45",
        "purpose_code": "1.001612",
        "operation": "lookup",
        "method": "GET",
        "route": "/api/v1/citizens/{number}",
        "status": 200,
        "upstream_attempts": 1,
        "breaker_state": "closed",
    }
    assert {key: event[key] for key in expected} == expected
    for timing in ("latency_ms", "upstream_ms", "audit_ms"):
        assert isinstance(event[timing], float)
        assert event[timing] >= 0
    assert "problem_code" not in event


async def test_the_route_is_the_template_never_the_number(ops: OpsStack) -> None:
    headers = await ops.headers()
    with capture_logs() as captured:
        await ops.client.get(LOOKUP, headers=headers)
    assert GOLDEN_NUMBER not in repr(captured)


async def test_retries_are_events_of_the_request_that_made_them(ops: OpsStack) -> None:
    headers = await ops.headers()
    ops.ngsp.fail(503, times=2)
    with capture_logs(processors=_WITH_CONTEXT) as captured:
        response = await ops.client.get(LOOKUP, headers=headers)
    assert response.status_code == 200
    retries = events(captured, "upstream_retry")
    assert [(e["attempt"], e["reason"], e["wait_s"]) for e in retries] == [
        (1, "upstream_http_error_503", 0.0),
        (2, "upstream_http_error_503", 0.0),
    ]
    request_id = response.headers["X-Request-ID"]
    assert {e["request_id"] for e in retries} == {request_id}
    assert _completed(captured)["upstream_attempts"] == 3


async def test_an_opening_breaker_is_a_warning_and_its_refusals_say_so(ops: OpsStack) -> None:
    with capture_logs() as captured:
        response = await ops.trip_breaker()
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) >= 1
    transitions = events(captured, "ngsp_breaker_transition")
    assert transitions[0] == {
        "event": "ngsp_breaker_transition",
        "log_level": "warning",
        "old": "closed",
        "new": "open",
    }
    last = events(captured, "request_completed")[-1]
    assert (last["status"], last["problem_code"], last["breaker_state"]) == (
        503,
        "upstream_circuit_open",
        "open",
    )


async def test_an_audit_failure_is_logged_and_the_request_fails_closed(ops: OpsStack) -> None:
    headers = await ops.headers()
    await ops.runtime.audit.close()  # the writer stops: nothing can be recorded
    with capture_logs() as captured:
        response = await ops.client.get(LOOKUP, headers=headers)
    assert response.status_code == 503
    assert "personal_id" not in response.text
    (failure,) = events(captured, "audit_unavailable")
    assert failure["request_id"] == response.headers["X-Request-ID"]
    event = _completed(captured)
    assert (event["status"], event["problem_code"]) == (503, "audit_unavailable")


async def test_an_unexpected_error_is_logged_as_an_internal_error(
    ops_settings: Settings,
) -> None:
    app = create_app(ops_settings)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("a defect")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
        with capture_logs() as captured:
            response = await client.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "internal_error"
    assert response.json()["request_id"] == response.headers["X-Request-ID"]
    assert "a defect" not in response.text  # no internals leak to the caller
    event = _completed(captured)
    assert event["request_id"] == response.headers["X-Request-ID"]
    assert (event["route"], event["status"], event["problem_code"]) == (
        "/boom",
        500,
        "internal_error",
    )


async def test_the_ngsp_call_continues_the_callers_trace(ops: OpsStack) -> None:
    trace_id, caller_span = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    headers = await ops.headers(traceparent=f"00-{trace_id}-{caller_span}-01")
    with capture_logs() as captured:
        response = await ops.client.get(LOOKUP, headers=headers)
    sent = ops.ngsp.soap_requests()[-1].headers["traceparent"]
    version, sent_trace, our_span, flags = sent.split("-")
    assert (version, sent_trace, flags) == ("00", trace_id, "01")
    assert our_span != caller_span
    assert response.headers["traceparent"] == sent
    assert _completed(captured)["trace_id"] == trace_id


async def test_a_malformed_traceparent_starts_a_new_trace(ops: OpsStack) -> None:
    headers = await ops.headers(traceparent=f"00-{'0' * 32}-00f067aa0ba902b7-01")
    response = await ops.client.get(LOOKUP, headers=headers)
    trace_id = response.headers["traceparent"].split("-")[1]
    assert trace_id != "0" * 32
    assert ops.ngsp.soap_requests()[-1].headers["traceparent"].split("-")[1] == trace_id


async def test_start_up_summary_shows_settings_without_secrets(
    ops_settings: Settings, scripted_ngsp: ScriptedNgsp
) -> None:
    """The lifespan's gateway_started event: the configuration at a glance, secrets starred."""
    upstream = httpx.AsyncClient(transport=httpx.MockTransport(scripted_ngsp.handle))
    app = create_app(ops_settings, http=upstream)
    with capture_logs() as captured:
        async with app.router.lifespan_context(app):
            pass
    (started,) = events(captured, "gateway_started")
    settings = started["settings"]
    assert isinstance(settings, dict)
    assert settings["admin_token"] == "***"
    assert settings["token_signing_key"] == "***"
    assert settings["log_format"] == "json"
    assert events(captured, "gateway_stopped") != []
