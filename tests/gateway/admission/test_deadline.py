"""The request deadline: the caller's header, capped, or the default; junk is a 422."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from gateway.admission import request_deadline
from gateway.errors import InvalidInput


def request(**headers: str) -> Request:
    raw = [(name.lower().encode(), value.encode()) for name, value in headers.items()]
    return Request({"type": "http", "headers": raw})


def seconds_left(req: Request) -> float:
    return request_deadline(req, default_s=10.0, max_s=30.0, clock=lambda: 100.0).at - 100.0


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        pytest.param({}, 10.0, id="default"),
        pytest.param({"X-Request-Timeout": "2.5"}, 2.5, id="x-request-timeout"),
        pytest.param({"Request-Timeout": "4"}, 4.0, id="request-timeout"),
        pytest.param({"X-Request-Timeout": "3600"}, 30.0, id="capped"),
        pytest.param({"X-Request-Timeout": " 1.5 "}, 1.5, id="spaces"),
    ],
)
def test_the_deadline_comes_from_the_header_or_the_default(
    headers: dict[str, str], expected: float
) -> None:
    assert seconds_left(request(**headers)) == pytest.approx(expected)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("soon", id="not-a-number"),
        pytest.param("0", id="zero"),
        pytest.param("-2", id="negative"),
        pytest.param("nan", id="nan"),
        pytest.param("inf", id="infinite"),
        pytest.param("1" * 40, id="too-long"),
    ],
)
def test_an_unreadable_timeout_is_invalid_input(value: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        seconds_left(request(**{"X-Request-Timeout": value}))
    assert refused.value.code == "invalid_request_timeout"
