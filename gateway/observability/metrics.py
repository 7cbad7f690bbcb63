"""The gateway's Prometheus metrics: one registry per app, and every family operators rely on.

:class:`GatewayMetrics` owns a private ``CollectorRegistry`` (never the process-global one, so
several apps in one test process do not clash) holding two kinds of family:

* **recorded** as things happen: HTTP requests and their latency (from the request context
  middleware), upstream calls, retries, breaker transitions and token refreshes (from the NGSP
  observer), the time each request waited for its audit commit, rate-limited requests;
* **read at scrape time** from live objects (:class:`_Snapshots`): the audit queue depth and
  totals, the breaker's current state, the maintenance switch.

Label values are bounded by construction: route *templates* (never raw paths), known methods,
status codes, client ids from the registry (``anonymous`` before authentication), operation names
and error codes. No label ever holds a citizen's number.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.samples import Sample

from adapters.ngsp import BreakerState
from gateway.audit import AuditStats
from gateway.observability.job_metrics import JobMetrics, JobsSource

__all__ = [
    "BREAKER_STATES",
    "CONTENT_TYPE_LATEST",
    "GatewayMetrics",
    "RequestSample",
]

BREAKER_STATES: tuple[BreakerState, ...] = ("closed", "open", "half_open")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_COMMIT_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


@dataclass(frozen=True, slots=True)
class RequestSample:
    """What the metrics need to know about one finished HTTP request."""

    route: str
    method: str
    status: int
    client: str
    seconds: float
    operation: str | None = None
    problem_code: str | None = None
    upstream_seconds: float | None = None
    audit_seconds: float | None = None


class AuditStatsSource(Protocol):
    @property
    def stats(self) -> AuditStats: ...


class BreakerStateSource(Protocol):
    @property
    def state(self) -> BreakerState: ...


class MaintenanceSource(Protocol):
    def is_on(self) -> bool: ...


class _Snapshots:
    """Families whose value is read from live objects when Prometheus scrapes."""

    def __init__(self) -> None:
        self.audit: AuditStatsSource | None = None
        self.breaker: BreakerStateSource | None = None
        self.maintenance: MaintenanceSource | None = None

    def collect(self) -> Iterator[Metric]:
        yield from self._audit()
        yield self._breaker()
        yield self._maintenance()

    def _audit(self) -> Iterator[Metric]:
        depth = GaugeMetricFamily(
            "lgsp_audit_queue_depth", "Audit records waiting for the writer to commit them."
        )
        records = CounterMetricFamily(
            "lgsp_audit_records",
            "Audit records by result: committed, failed (commit failed), rejected (not queued).",
            labels=["result"],
        )
        last = GaugeMetricFamily(
            "lgsp_audit_last_commit_seconds", "Duration of the audit writer's last commit."
        )
        batches = CounterMetricFamily(
            "lgsp_audit_batches",
            "Audit commits (group commit: committed records / batches = mean batch size).",
        )
        if self.audit is not None:
            stats = self.audit.stats
            depth.add_metric([], stats.queue_depth)
            records.add_metric(["committed"], stats.committed)
            records.add_metric(["failed"], stats.failed)
            records.add_metric(["rejected"], stats.rejected)
            batches.add_metric([], stats.batches)
            if stats.last_commit_ms is not None:
                last.add_metric([], stats.last_commit_ms / 1000)
        yield from (depth, records, batches, last)

    def _breaker(self) -> Metric:
        family = GaugeMetricFamily(
            "lgsp_ngsp_breaker_state",
            "1 for the NGSP circuit breaker's current state (closed, open, half_open), else 0.",
            labels=["state"],
        )
        if self.breaker is not None:
            current = self.breaker.state
            for state in BREAKER_STATES:
                family.add_metric([state], 1.0 if state == current else 0.0)
        return family

    def _maintenance(self) -> Metric:
        family = GaugeMetricFamily(
            "lgsp_maintenance_enabled", "1 while the maintenance switch answers 503 on data calls."
        )
        if self.maintenance is not None:
            family.add_metric([], 1.0 if self.maintenance.is_on() else 0.0)
        return family


class GatewayMetrics:
    """Every metric family of one gateway app, on its own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._combined: CollectorRegistry | None = None
        self._snapshots = _Snapshots()
        self._register_requests()
        self._register_upstream()
        self._register_audit_and_limits()
        self.registry.register(self._snapshots)
        self.jobs = JobMetrics()
        self.registry.register(self.jobs)
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)

    def _register_requests(self) -> None:
        labels = ("route", "method", "status", "client")
        self.requests = Counter(
            "lgsp_http_requests", "HTTP requests answered.", labels, registry=self.registry
        )
        self.request_seconds = Histogram(
            "lgsp_http_request_duration_seconds",
            "Time from receiving a request to finishing its answer.",
            labels,
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )

    def _register_upstream(self) -> None:
        self.upstream_calls = Counter(
            "lgsp_upstream_calls",
            "NGSP calls by SOAP operation and final outcome (ok, not_found or an error code).",
            ("operation", "outcome"),
            registry=self.registry,
        )
        self.upstream_retries = Counter(
            "lgsp_upstream_retries",
            "NGSP attempts that failed and were retried, by operation and reason.",
            ("operation", "reason"),
            registry=self.registry,
        )
        self.upstream_seconds = Histogram(
            "lgsp_upstream_request_seconds",
            "Time one gateway request spent in NGSP attempts, by gateway operation.",
            ("operation",),
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.breaker_transitions = Counter(
            "lgsp_ngsp_breaker_transitions",
            "NGSP circuit breaker transitions, by the state entered.",
            ("to",),
            registry=self.registry,
        )
        self.token_refreshes = Counter(
            "lgsp_ngsp_token_refreshes", "NGSP access tokens obtained.", registry=self.registry
        )

    def _register_audit_and_limits(self) -> None:
        self.audit_commit_seconds = Histogram(
            "lgsp_audit_commit_seconds",
            "Time a request waited for its audit record to be durably committed.",
            buckets=_COMMIT_BUCKETS,
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "lgsp_rate_limited_requests",
            "Requests refused with 429 because the client was over its rate.",
            ("client",),
            registry=self.registry,
        )

    def watch(
        self,
        *,
        audit: AuditStatsSource,
        breaker: BreakerStateSource,
        maintenance: MaintenanceSource,
        jobs: JobsSource | None = None,
    ) -> None:
        """Read these live objects at every scrape (called once the runtime exists)."""
        self.jobs.source = jobs
        self._snapshots.audit = audit
        self._snapshots.breaker = breaker
        self._snapshots.maintenance = maintenance

    def observe_request(self, sample: RequestSample) -> None:
        method = sample.method if sample.method in _METHODS else "other"
        labels = (sample.route, method, str(sample.status), sample.client)
        self.requests.labels(*labels).inc()
        self.request_seconds.labels(*labels).observe(sample.seconds)
        if sample.operation is not None and sample.upstream_seconds is not None:
            self.upstream_seconds.labels(sample.operation).observe(sample.upstream_seconds)
        if sample.audit_seconds is not None:
            self.audit_commit_seconds.observe(sample.audit_seconds)
        if sample.problem_code == "rate_limited":
            self.rate_limited.labels(sample.client).inc()

    def exposition(self) -> bytes:
        """The registry in Prometheus' text format (``CONTENT_TYPE_LATEST``).

        Under ``lgsp serve --workers N`` (``PROMETHEUS_MULTIPROC_DIR`` set) the recorded families
        are summed over every worker's files, so any worker's scrape counts all requests; the
        live snapshots describe the worker that answered, labelled ``worker``.
        """
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            return generate_latest(self._multiprocess_registry())
        return generate_latest(self.registry)

    def _multiprocess_registry(self) -> CollectorRegistry:
        if self._combined is None:
            self._combined = CollectorRegistry()
            MultiProcessCollector(self._combined)  # type: ignore[no-untyped-call]  # untyped upstream
            worker = os.environ.get("LGSP_WORKER_INDEX", str(os.getpid()))
            self._combined.register(_Labelled(self._snapshots, "worker", worker))
        return self._combined


class _Labelled:
    """Another collector's families with one more label on every sample."""

    def __init__(self, inner: _Snapshots, name: str, value: str) -> None:
        self._inner, self._name, self._value = inner, name, value

    def collect(self) -> Iterator[Metric]:
        for family in self._inner.collect():
            family.samples = [
                Sample(s.name, {**s.labels, self._name: self._value}, s.value, s.timestamp)
                for s in family.samples
            ]
            yield family
