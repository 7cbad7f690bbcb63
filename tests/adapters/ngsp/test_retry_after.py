"""Retry-After from NGSP: delay-seconds and HTTP-date (RFC 9110 §10.2.3), anything else ignored."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from adapters.ngsp.client import _retry_after

NOW = datetime(2021, 7, 1, 8, 0, 0, tzinfo=UTC)


def _answer(value: str | None) -> httpx.Response:
    headers = {} if value is None else {"Retry-After": value}
    return httpx.Response(503, headers=headers)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("7", 7.0),
        (" 0 ", 0.0),
        ("Thu, 01 Jul 2021 08:00:30 GMT", 30.0),  # IMF-fixdate, 30 s ahead
        ("Thursday, 01-Jul-21 08:01:00 GMT", 60.0),  # obsolete RFC 850 form
        ("Thu, 01 Jul 2021 07:59:00 GMT", 0.0),  # already past: retry at once
    ],
)
def test_understood_forms(value: str, seconds: float) -> None:
    assert _retry_after(_answer(value), NOW) == pytest.approx(seconds)


@pytest.mark.parametrize("value", [None, "", "soon", "-5", "1.5", "inf", "nan", "3 s"])
def test_anything_else_falls_back_to_the_backoff_schedule(value: str | None) -> None:
    assert _retry_after(_answer(value), NOW) is None
