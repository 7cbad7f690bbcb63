"""Admission control's Prometheus families, read from the live controller at each scrape."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from gateway.admission._gate import Admission

__all__ = ["AdmissionCollector"]


class AdmissionCollector(Collector):
    def __init__(self) -> None:
        self.admission: Admission | None = None

    def watch(self, admission: Admission) -> None:
        self.admission = admission

    def collect(self) -> Iterator[Metric]:
        if self.admission is None:
            return
        controller = self.admission.controller
        yield _gauge("lgsp_admission_limit", "Data calls allowed to run at once.", controller.limit)
        yield _gauge("lgsp_admission_in_flight", "Data calls running now.", controller.inflight)
        yield _gauge("lgsp_admission_queued", "Requests waiting for a slot now.", controller.queued)
        stats = controller.stats
        admitted = CounterMetricFamily(
            "lgsp_admission_admitted", "Data calls given a slot (interactive and bulk rows)."
        )
        admitted.add_metric([], stats.admitted)
        yield admitted
        shed = CounterMetricFamily(
            "lgsp_admission_shed",
            "Requests refused by admission control (503 overloaded; bulk rows deferred), "
            "by priority and reason.",
            labels=["priority", "reason"],
        )
        for key, count in sorted(stats.shed.items()):
            shed.add_metric(key.split(":", 1), count)
        yield shed
        abandoned = CounterMetricFamily(
            "lgsp_admission_abandoned",
            "Requests whose caller disconnected, by stage (queued: no NGSP call; in_flight).",
            labels=["stage"],
        )
        for stage, count in self.admission.abandoned.items():
            abandoned.add_metric([stage], count)
        yield abandoned


def _gauge(name: str, text: str, value: float) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, text)
    family.add_metric([], value)
    return family
