"""The personal-data guard: no citizen number, name or birth date reaches a log line."""

from __future__ import annotations

import pytest

from gateway.logs import guard_personal_data


def _guard(**event: object) -> dict[str, object]:
    return dict(guard_personal_data(None, "info", dict(event)))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("054092000189", "054*******89", id="bare-personal-id"),
        pytest.param(
            "GET /api/v1/citizens/054092000189",
            "GET /api/v1/citizens/054*******89",
            id="id-inside-text",
        ),
        pytest.param("cmnd 221234567 given", "cmnd 221****67 given", id="cmnd-inside-text"),
        pytest.param("order 12345678901234", "order 12345678901234", id="longer-runs-untouched"),
    ],
)
def test_numbers_are_masked_anywhere_in_values(value: str, expected: str) -> None:
    assert _guard(event="x", detail=value)["detail"] == expected


def test_integer_numbers_are_masked() -> None:
    assert _guard(event="x", value=54092000189 + 10**11)["value"] == "154*******89"


def test_personal_keys_are_dropped() -> None:
    """Names and birth dates cannot be recognised by shape, so their keys never pass."""
    event = _guard(event="x", full_name="Nguyễn Văn An", date_of_birth="1992-11-22", status=200)
    assert event == {"event": "x", "status": 200}


def test_nested_structures_are_guarded() -> None:
    event = _guard(event="x", context={"personal_id": "054092000189", "path": "/c/054092000189"})
    assert event["context"] == {"path": "/c/054*******89"}
