"""What portals see when the national link misbehaves, faults injected in the mock (in process)."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.ngsp import NgspClient
from adapters.ngsp.testing import FakeClock
from gateway.runtime import ngsp_config
from gateway.settings import Settings
from tests.conftest import Stack


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The shared settings, with a link that backs off briefly and trips after three failures."""
    return settings.model_copy(
        update={
            "ngsp_backoff_initial_s": 0.01,
            "ngsp_backoff_max_s": 0.02,
            "ngsp_breaker_failure_threshold": 3,
            "ngsp_breaker_open_s": 0.5,
            "ngsp_retry_budget_min_per_s": 100.0,
        }
    )


@pytest.fixture
def clock(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """The stack's NGSP client rebuilt on virtual time, so the breaker's cool-down ends on cue.

    On a loaded machine real time between two requests can outlast the cool-down, turning the
    call meant to fail fast into a probe.
    """
    fake = FakeClock()
    runtime = stack.app.state.runtime
    rebuilt = NgspClient(ngsp_config(stack.settings), runtime.http, clock=fake)
    monkeypatch.setattr(runtime, "ngsp", rebuilt)
    return fake


async def inject(stack: Stack, rule: dict[str, Any]) -> None:
    response = await stack.mock.post("/__admin/faults", json=rule)
    assert response.status_code == 201, response.text


async def attempts_on(stack: Stack, number: str) -> int:
    journal = await stack.mock.get(
        "/__admin/journal", params={"operation": "TraCuuThongTinCongDan", "personal_id": number}
    )
    return int(journal.json()["count"])


async def look_up(stack: Stack, number: str) -> Any:
    return await stack.gateway.get(f"/api/v1/citizens/{number}", headers=await stack.headers())


async def a_number(stack: Stack) -> str:
    return str((await stack.sample(n=1))[0]["personal_id"])


async def test_two_503s_then_success_is_200_after_three_attempts(stack: Stack) -> None:
    number = await a_number(stack)
    await inject(
        stack,
        {
            "match": {"personal_id": number},
            "sequence": [
                {"kind": "http_error", "status": 503},
                {"kind": "http_error", "status": 503},
            ],
        },
    )
    response = await look_up(stack, number)
    assert response.status_code == 200
    assert await attempts_on(stack, number) == 3


async def test_persistent_503_is_502_after_the_attempt_limit(stack: Stack) -> None:
    number = await a_number(stack)
    await inject(
        stack, {"match": {"personal_id": number}, "action": {"kind": "http_error", "status": 503}}
    )
    response = await look_up(stack, number)
    assert response.status_code == 502
    assert response.json()["layer"] == "ngsp"
    assert await attempts_on(stack, number) == 3


@pytest.mark.parametrize(
    ("action", "code"),
    [
        pytest.param({"kind": "soap_fault", "code": 302}, "upstream_fault", id="client-fault"),
        pytest.param({"kind": "malformed_xml"}, "upstream_bad_response", id="malformed-xml"),
    ],
)
async def test_answers_that_retrying_cannot_fix_are_502_after_one_attempt(
    stack: Stack, action: dict[str, Any], code: str
) -> None:
    number = await a_number(stack)
    await inject(stack, {"match": {"personal_id": number}, "action": action})
    response = await look_up(stack, number)
    assert (response.status_code, response.json()["code"]) == (502, code)
    assert response.json()["layer"] == "population-db"
    assert await attempts_on(stack, number) == 1


async def test_hanging_national_side_is_504(stack: Stack) -> None:
    number = await a_number(stack)
    await inject(
        stack, {"match": {"personal_id": number}, "action": {"kind": "hang", "seconds": 0.05}}
    )
    response = await look_up(stack, number)
    assert response.status_code == 504
    assert response.json()["code"] in {"upstream_timeout", "upstream_deadline_exceeded"}


async def test_breaker_opens_fails_fast_and_recovers(stack: Stack, clock: FakeClock) -> None:
    """Outage → 503 with Retry-After and no traffic to NGSP → after the cool-down, 200 again."""
    breaker = stack.app.state.runtime.ngsp.breaker
    number = await a_number(stack)
    await inject(
        stack,
        {
            "id": "outage",
            "match": {"operation": "TraCuuThongTinCongDan"},
            "action": {"kind": "http_error", "status": 502},
        },
    )
    assert (await look_up(stack, number)).status_code == 502  # 3 failed attempts: threshold
    sent = await attempts_on(stack, number)
    assert (sent, breaker.state) == (3, "open")
    refused = await look_up(stack, number)
    assert refused.status_code == 503
    assert refused.json()["code"] == "upstream_circuit_open"
    assert refused.headers["Retry-After"] == "1"  # the 0.5 s cool-down, rounded up
    await stack.mock.delete("/__admin/faults/outage")
    assert (await look_up(stack, number)).status_code == 503  # healthy again, but not yet tried
    assert await attempts_on(stack, number) == sent  # failing fast: nothing was sent
    clock.advance(stack.settings.ngsp_breaker_open_s)
    assert breaker.state == "half_open"
    assert (await look_up(stack, number)).status_code == 200
    assert await attempts_on(stack, number) == sent + 1  # the one probe
    assert breaker.state == "closed"
