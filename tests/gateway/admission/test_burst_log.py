"""Shedding is logged once when a burst starts and once when it ends, never per request."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from starlette.requests import Request
from structlog.testing import capture_logs

from gateway.admission import Admission, AdmissionController
from gateway.errors import Overloaded
from gateway.security.clients import demo_client


def request() -> Request:
    async def receive() -> Any:
        await asyncio.Event().wait()  # the caller stays

    return Request({"type": "http", "headers": []}, receive)


async def test_a_burst_of_shed_requests_logs_two_lines() -> None:
    admission = Admission(AdmissionController(1, queue_max=0), 0.5, 1, 10.0, 30.0)
    client = demo_client()
    with capture_logs() as events:
        async with admission.admitted(request(), client):
            for _ in range(5):
                with pytest.raises(Overloaded):
                    async with admission.admitted(request(), client):
                        pass
        async with admission.admitted(request(), client):
            pass
    names = [event["event"] for event in events]
    assert names == ["overload_shedding_started", "overload_shedding_ended"]
    assert events[1]["shed"] == 5
