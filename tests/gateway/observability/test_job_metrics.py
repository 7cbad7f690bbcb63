"""lgsp_jobs_*: the oldest running job's age, and labels present before any row is stored."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, generate_latest

from gateway.jobs import JobCensus
from gateway.observability.job_metrics import JobMetrics

_STARTED = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


@dataclass
class FakeJobs:
    census: JobCensus | None = None
    stored: Counter[str] = field(default_factory=Counter)

    def rows_stored(self) -> Counter[str]:
        return self.stored


def _scrape(source: FakeJobs, now: datetime) -> str:
    metrics = JobMetrics(clock=now.timestamp)
    metrics.source = source
    registry = CollectorRegistry()
    registry.register(metrics)
    return generate_latest(registry).decode()


def test_the_oldest_running_job_age_grows_while_it_runs() -> None:
    census = JobCensus(jobs={"running": 1}, rows={"matched": 10}, oldest_running_since=_STARTED)
    text = _scrape(FakeJobs(census), datetime(2026, 11, 30, 8, 30, tzinfo=UTC))
    assert "lgsp_jobs_oldest_running_seconds 1800.0" in text
    assert 'lgsp_jobs{state="running"} 1.0' in text
    assert 'lgsp_jobs{state="queued"} 0.0' in text


def test_stored_rows_are_zero_per_outcome_before_any_row_so_a_stall_alert_can_fire() -> None:
    text = _scrape(FakeJobs(), _STARTED)
    assert 'lgsp_jobs_rows_stored_total{outcome="matched"} 0.0' in text
    assert "lgsp_jobs_oldest_running_seconds" in text  # declared even before the first census
