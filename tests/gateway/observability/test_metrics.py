"""The metric families: bounded labels, one registry per app, live values read at scrape time."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from prometheus_client.parser import text_string_to_metric_families

from adapters.ngsp import BreakerState
from gateway.audit import AuditStats
from gateway.observability import GatewayMetrics, RequestSample

ROUTE = "/api/v1/citizens/{number}"


def _lookup(**changes: object) -> RequestSample:
    fields: dict[str, object] = {
        "route": ROUTE,
        "method": "GET",
        "status": 200,
        "client": "demo-portal",
        "seconds": 0.042,
        "operation": "lookup",
        "upstream_seconds": 0.03,
        "audit_seconds": 0.002,
    }
    return RequestSample(**{**fields, **changes})  # type: ignore[arg-type]


@dataclass
class FakeAudit:
    stats: AuditStats


@dataclass
class FakeBreaker:
    state: BreakerState = "closed"


@dataclass
class FakeMaintenance:
    on: bool = False

    def is_on(self) -> bool:
        return self.on


def _stats(**changes: object) -> AuditStats:
    fields: dict[str, object] = {
        "queue_depth": 3,
        "committed": 120,
        "batches": 40,
        "failed": 2,
        "rejected": 1,
        "last_commit_ms": 4.0,
        "last_batch_size": 3,
        "head_seq": 120,
    }
    return AuditStats(**{**fields, **changes})  # type: ignore[arg-type]


@pytest.fixture
def metrics() -> GatewayMetrics:
    return GatewayMetrics()


def test_requests_are_counted_by_route_template_method_status_and_client(
    metrics: GatewayMetrics,
) -> None:
    metrics.observe_request(_lookup())
    metrics.observe_request(_lookup(status=404))
    labels = {"route": ROUTE, "method": "GET", "status": "200", "client": "demo-portal"}
    assert metrics.registry.get_sample_value("lgsp_http_requests_total", labels) == 1
    assert metrics.registry.get_sample_value(
        "lgsp_http_request_duration_seconds_sum", labels
    ) == pytest.approx(0.042)


def test_unknown_methods_share_one_label_value(metrics: GatewayMetrics) -> None:
    """A caller inventing methods cannot grow the series without bound."""
    metrics.observe_request(_lookup(method="BREW", status=405))
    labels = {"route": ROUTE, "method": "other", "status": "405", "client": "demo-portal"}
    assert metrics.registry.get_sample_value("lgsp_http_requests_total", labels) == 1


def test_upstream_and_audit_times_are_observed(metrics: GatewayMetrics) -> None:
    metrics.observe_request(_lookup())
    sample = metrics.registry.get_sample_value
    upstream = sample("lgsp_upstream_request_seconds_sum", {"operation": "lookup"})
    assert upstream == pytest.approx(0.03)
    assert sample("lgsp_audit_commit_seconds_count") == 1


def test_requests_without_upstream_time_are_not_observed_as_upstream(
    metrics: GatewayMetrics,
) -> None:
    metrics.observe_request(_lookup(upstream_seconds=None, audit_seconds=None))
    sample = metrics.registry.get_sample_value
    assert sample("lgsp_upstream_request_seconds_count", {"operation": "lookup"}) is None
    assert sample("lgsp_audit_commit_seconds_count") == 0


def test_rate_limited_requests_are_counted_per_client(metrics: GatewayMetrics) -> None:
    metrics.observe_request(_lookup(status=429, problem_code="rate_limited"))
    metrics.observe_request(_lookup(status=422, problem_code="missing_purpose"))
    value = metrics.registry.get_sample_value(
        "lgsp_rate_limited_requests_total", {"client": "demo-portal"}
    )
    assert value == 1


def test_each_app_has_its_own_registry() -> None:
    """Two apps in one process (tests, or a blue/green swap) count separately and never clash."""
    first, second = GatewayMetrics(), GatewayMetrics()
    first.observe_request(_lookup())
    labels = {"route": ROUTE, "method": "GET", "status": "200", "client": "demo-portal"}
    assert first.registry.get_sample_value("lgsp_http_requests_total", labels) == 1
    assert second.registry.get_sample_value("lgsp_http_requests_total", labels) is None


def test_live_values_are_read_at_scrape_time(metrics: GatewayMetrics) -> None:
    audit, breaker, maintenance = FakeAudit(_stats()), FakeBreaker(), FakeMaintenance()
    metrics.watch(audit=audit, breaker=breaker, maintenance=maintenance)
    breaker.state, maintenance.on = "open", True
    audit.stats = _stats(queue_depth=7)
    sample = metrics.registry.get_sample_value
    assert sample("lgsp_audit_queue_depth") == 7
    assert sample("lgsp_audit_records_total", {"result": "committed"}) == 120
    assert sample("lgsp_audit_records_total", {"result": "failed"}) == 2
    assert sample("lgsp_audit_batches_total") == 40
    assert sample("lgsp_audit_last_commit_seconds") == pytest.approx(0.004)
    assert sample("lgsp_ngsp_breaker_state", {"state": "open"}) == 1
    assert sample("lgsp_ngsp_breaker_state", {"state": "closed"}) == 0
    assert sample("lgsp_maintenance_enabled") == 1


def test_scrape_before_the_runtime_runs_lists_every_family(metrics: GatewayMetrics) -> None:
    """The live families exist (empty) before start-up, so a scrape never fails."""
    text = metrics.exposition().decode()
    names = {family.name for family in text_string_to_metric_families(text)}
    assert {"lgsp_audit_queue_depth", "lgsp_ngsp_breaker_state", "lgsp_maintenance_enabled"} <= (
        names
    )
