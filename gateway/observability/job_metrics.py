"""The ``lgsp_jobs_*`` metrics: bulk jobs by state, rows by outcome, the oldest running job's age.

Store-wide facts (every replica shares the job store) come from the job census that each
``/metrics`` scrape refreshes (:meth:`gateway.jobs.JobService.refresh_census`): one grouped query,
and the last census is kept when the store does not answer. ``lgsp_jobs_rows_stored_total`` is this
process's own counter (rows its worker settled and stored), which is what shows whether a job moves:
``deploy/prometheus/alerts.yml`` fires ``LgspJobStalled`` when jobs run and no replica stores a row.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Protocol

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from gateway.jobs import JobCensus, JobState, Outcome

__all__ = ["JobMetrics", "JobsSource"]


class JobsSource(Protocol):
    @property
    def census(self) -> JobCensus | None: ...

    def rows_stored(self) -> Counter[str]: ...


class JobMetrics(Collector):
    """Reads a :class:`JobsSource` at every scrape."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.source: JobsSource | None = None
        self._clock = clock

    def collect(self) -> Iterator[Metric]:
        jobs = GaugeMetricFamily(
            "lgsp_jobs", "Bulk jobs in the store by state (erased jobs left out).", labels=["state"]
        )
        rows = GaugeMetricFamily(
            "lgsp_jobs_rows",
            "Rows of the stored jobs by outcome (pending rows are total minus the outcomes).",
            labels=["outcome"],
        )
        stored = CounterMetricFamily(
            "lgsp_jobs_rows_stored",
            "Rows this process's worker verified and stored, by outcome.",
            labels=["outcome"],
        )
        oldest = GaugeMetricFamily(
            "lgsp_jobs_oldest_running_seconds",
            "Age of the longest-running job since it started (0 when none runs).",
        )
        if self.source is not None:
            self._fill(self.source, jobs, rows, stored, oldest)
        yield from (jobs, rows, stored, oldest)

    def _fill(
        self,
        source: JobsSource,
        jobs: GaugeMetricFamily,
        rows: GaugeMetricFamily,
        stored: CounterMetricFamily,
        oldest: GaugeMetricFamily,
    ) -> None:
        counts = source.rows_stored()
        for outcome in Outcome:  # every label always present: rate() and == 0 alerts need them
            stored.add_metric([outcome.value], counts.get(outcome.value, 0))
        census = source.census
        if census is None:
            return
        for state in JobState:
            jobs.add_metric([state.value], census.jobs.get(state.value, 0))
        for name, count in census.rows.items():
            rows.add_metric([name], count)
        since = census.oldest_running_since
        age = 0.0 if since is None else max(0.0, self._clock() - since.timestamp())
        oldest.add_metric([], age)
