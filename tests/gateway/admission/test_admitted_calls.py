"""Admission control on the real routes, in process: shed, deadline, abandoned callers, audit."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from gateway.admission import Admission
from gateway.settings import Settings
from mocks.settings import MockSettings
from tests.conftest import Stack, make_settings
from tests.gateway.admission.test_disconnect import receiver


@pytest.fixture
def mock_settings() -> MockSettings:
    return MockSettings(population_size=2_000, seed=2021, dialect="mixed")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(
        tmp_path, admission_limit=1, admission_queue_max=0, ngsp_attempt_timeout_s=5.0
    )


def admission(stack: Stack) -> Admission:
    runtime: Any = stack.app.state.runtime
    return runtime.admission  # type: ignore[no-any-return]


async def slow(stack: Stack, number: str, ms: int) -> None:
    rule = {
        "match": {"personal_id": number},
        "action": {"kind": "latency", "distribution": "fixed", "ms": ms},
    }
    assert (await stack.mock.post("/__admin/faults", json=rule)).status_code == 201


async def until_in_flight(stack: Stack, count: int) -> None:
    deadline = time.monotonic() + 10
    while admission(stack).controller.inflight != count:
        assert time.monotonic() < deadline, "the request never got its slot"
        await asyncio.sleep(0.01)  # polling a level, bounded by the deadline


async def audit_records(stack: Stack) -> list[dict[str, Any]]:
    token = await stack.token("demo-auditor", "demo-auditor-secret")
    answer = await stack.gateway.get(
        "/api/v1/audit/records",
        headers={"Authorization": f"Bearer {token}", "X-Purpose-Code": "1.001612"},
    )
    assert answer.status_code == 200, answer.text
    records: list[dict[str, Any]] = answer.json()["records"]
    return records


async def numbers(stack: Stack) -> list[str]:
    return [person["personal_id"] for person in await stack.sample(n=2)]


async def test_a_request_over_the_limit_is_shed_unaudited_and_never_sent(stack: Stack) -> None:
    """503 overloaded with Retry-After; no audit record and no NGSP call for the shed request."""
    held, other = await numbers(stack)
    await slow(stack, held, 300)
    headers = await stack.headers()
    holder = asyncio.create_task(stack.gateway.get(f"/api/v1/citizens/{held}", headers=headers))
    await until_in_flight(stack, 1)
    shed = await stack.gateway.get(
        f"/api/v1/citizens/{other}", headers={**headers, "X-Request-ID": "shed-1"}
    )
    assert (await holder).status_code == 200
    assert shed.status_code == 503
    assert shed.json()["code"] == "overloaded"
    assert shed.headers["Retry-After"] == "1"
    journal = await stack.mock.get("/__admin/journal", params={"personal_id": other})
    assert journal.json()["count"] == 0
    assert "shed-1" not in {record["request_id"] for record in await audit_records(stack)}


async def test_the_callers_deadline_bounds_the_ngsp_call(stack: Stack) -> None:
    """A 1 s national answer against a 0.3 s X-Request-Timeout: 504, not a late 200."""
    number, _ = await numbers(stack)
    await slow(stack, number, 1000)
    answer = await stack.gateway.get(
        f"/api/v1/citizens/{number}", headers=await stack.headers(**{"X-Request-Timeout": "0.3"})
    )
    assert answer.status_code == 504
    assert answer.json()["code"] in {"upstream_timeout", "upstream_deadline_exceeded"}


async def test_an_unreadable_timeout_header_is_a_422(stack: Stack) -> None:
    number, _ = await numbers(stack)
    answer = await stack.gateway.get(
        f"/api/v1/citizens/{number}", headers=await stack.headers(**{"X-Request-Timeout": "soon"})
    )
    assert answer.status_code == 422
    assert answer.json()["code"] == "invalid_request_timeout"


async def call_then_leave(stack: Stack, path: str, headers: dict[str, str]) -> list[Any]:
    """Call the app at the ASGI level; the caller disconnects once the request holds its slot."""
    leave = asyncio.Event()
    receive = receiver(leave)
    sent: list[Any] = []

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 40000),
        "server": ("gateway.test", 80),
        "state": {},
    }
    call = asyncio.create_task(stack.app(scope, receive, send))
    await until_in_flight(stack, 1)
    leave.set()
    await asyncio.wait_for(call, 10)
    return sent


async def test_a_caller_who_leaves_mid_call_is_abandoned_and_audited(stack: Stack) -> None:
    """The NGSP call is cancelled, the slot freed, and the audit says ``abandoned``."""
    number, _ = await numbers(stack)
    await slow(stack, number, 2000)
    headers = {**(await stack.headers()), "X-Request-ID": "leaver-1"}
    sent = await call_then_leave(stack, f"/api/v1/citizens/{number}", headers)
    assert sent[0]["status"] == 499
    assert admission(stack).controller.inflight == 0
    [record] = [r for r in await audit_records(stack) if r["request_id"] == "leaver-1"]
    assert record["outcome"] == "abandoned"
    assert record["problem_code"] == "client_disconnected"
    assert admission(stack).abandoned["in_flight"] == 1


async def test_shed_answers_are_counted_in_metrics(stack: Stack) -> None:
    held, other = await numbers(stack)
    await slow(stack, held, 300)
    headers = await stack.headers()
    holder = asyncio.create_task(stack.gateway.get(f"/api/v1/citizens/{held}", headers=headers))
    await until_in_flight(stack, 1)
    await stack.gateway.get(f"/api/v1/citizens/{other}", headers=headers)
    await holder
    text = (await stack.gateway.get("/metrics")).text
    assert 'lgsp_admission_shed_total{priority="interactive",reason="queue_full"} 1.0' in text
    assert "lgsp_admission_limit 1.0" in text
