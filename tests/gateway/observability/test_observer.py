"""The NGSP observer: the adapter's attempts, breaker transitions and token refreshes, seen."""

from __future__ import annotations

import pytest
import structlog
from structlog.testing import capture_logs

from adapters.ngsp import NgspObserver
from gateway.observability import GatewayMetrics, GatewayObserver
from tests.gateway.observability.conftest import events

LOOKUP = "TraCuuThongTinCongDan"


@pytest.fixture
def metrics() -> GatewayMetrics:
    return GatewayMetrics()


@pytest.fixture
def observer(metrics: GatewayMetrics) -> GatewayObserver:
    return GatewayObserver(metrics)


def test_it_satisfies_the_adapter_protocol(observer: GatewayObserver) -> None:
    watching: NgspObserver = observer
    assert watching is observer


def test_a_retried_attempt_is_an_event_with_attempt_reason_and_wait(
    observer: GatewayObserver, metrics: GatewayMetrics
) -> None:
    with capture_logs() as captured:
        observer.on_attempt(LOOKUP, 1, "upstream_timeout", 0.2345)
    (event,) = events(captured, "upstream_retry")
    assert event == {
        "event": "upstream_retry",
        "log_level": "warning",
        "operation": LOOKUP,
        "attempt": 1,
        "reason": "upstream_timeout",
        "wait_s": 0.234,
    }
    labels = {"operation": LOOKUP, "reason": "upstream_timeout"}
    assert metrics.registry.get_sample_value("lgsp_upstream_retries_total", labels) == 1


def test_retry_events_carry_the_request_in_flight(observer: GatewayObserver) -> None:
    """The middleware binds request and trace ids; the adapter's events inherit them."""
    with (
        capture_logs(processors=[structlog.contextvars.merge_contextvars]) as captured,
        structlog.contextvars.bound_contextvars(request_id="req-1", trace_id="t" * 32),
    ):
        observer.on_attempt(LOOKUP, 1, "upstream_http_error_503", 0.0)
    (event,) = events(captured, "upstream_retry")
    assert (event["request_id"], event["trace_id"]) == ("req-1", "t" * 32)


@pytest.mark.parametrize(
    "outcome",
    [
        pytest.param("ok", id="ok"),
        pytest.param("not_found", id="not-found"),
        pytest.param("upstream_deadline_exceeded", id="failed"),
    ],
)
def test_a_call_outcome_is_counted_without_an_event(
    observer: GatewayObserver, metrics: GatewayMetrics, outcome: str
) -> None:
    """The request's own request_completed line tells the story; the metric keeps the trend."""
    with capture_logs() as captured:
        observer.on_attempt(LOOKUP, 2, outcome, None)
    assert captured == []
    labels = {"operation": LOOKUP, "outcome": outcome}
    assert metrics.registry.get_sample_value("lgsp_upstream_calls_total", labels) == 1


@pytest.mark.parametrize(
    ("old", "new", "level"),
    [
        pytest.param("closed", "open", "warning", id="opens-warning"),
        pytest.param("open", "half_open", "info", id="half-opens-info"),
        pytest.param("half_open", "closed", "info", id="closes-info"),
    ],
)
def test_breaker_transitions_are_events_and_counted(
    observer: GatewayObserver, metrics: GatewayMetrics, old: str, new: str, level: str
) -> None:
    with capture_logs() as captured:
        observer.on_breaker_transition(old, new)  # type: ignore[arg-type]
    assert captured == [
        {"event": "ngsp_breaker_transition", "log_level": level, "old": old, "new": new}
    ]
    value = metrics.registry.get_sample_value("lgsp_ngsp_breaker_transitions_total", {"to": new})
    assert value == 1


def test_token_refreshes_are_events_and_counted(
    observer: GatewayObserver, metrics: GatewayMetrics
) -> None:
    with capture_logs() as captured:
        observer.on_token_refresh()
    assert events(captured, "ngsp_token_refreshed") != []
    assert metrics.registry.get_sample_value("lgsp_ngsp_token_refreshes_total") == 1
