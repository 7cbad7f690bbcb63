"""One app's operational view in one object: metrics, maintenance switch, NGSP observer, readiness.

``create_app`` makes an :class:`Observability` from the settings (so each app has its own metrics
registry), hands :attr:`Observability.ngsp_observer` to the adapter, and calls :meth:`watch` once
the runtime exists; the request context middleware, the maintenance gate and the operations router
read it from ``app.state.observability``.
"""

from __future__ import annotations

from pathlib import Path

from adapters.ngsp import BreakerState
from gateway.audit import AuditTrail
from gateway.jobs import JobService
from gateway.observability.maintenance import MaintenanceSwitch
from gateway.observability.metrics import GatewayMetrics
from gateway.observability.observer import GatewayObserver
from gateway.observability.readiness import Probe, Readiness
from gateway.population import NationalPopulation
from gateway.settings import Settings

__all__ = ["Observability"]


class Observability:
    def __init__(
        self, *, maintenance_file: Path | None = None, readiness_cache_s: float = 2.0
    ) -> None:
        self.metrics = GatewayMetrics()
        self.maintenance = MaintenanceSwitch(maintenance_file)
        self.ngsp_observer = GatewayObserver(self.metrics)
        self.readiness: Readiness | None = None
        self._readiness_cache_s = readiness_cache_s
        self._ngsp: NationalPopulation | None = None
        self._jobs: JobService | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Observability:
        return cls(
            maintenance_file=settings.maintenance_file,
            readiness_cache_s=settings.readiness_cache_s,
        )

    def watch(self, *, audit: AuditTrail, ngsp: NationalPopulation, jobs: JobService) -> None:
        """Start reading the runtime's live parts: for scrapes, ``/readyz`` and request events."""
        self._ngsp = ngsp
        self._jobs = jobs
        self.metrics.watch(
            audit=audit, breaker=ngsp.breaker, maintenance=self.maintenance, jobs=jobs
        )
        probes = [
            Probe("audit", audit.ping),
            Probe("jobs", jobs.ping),
            Probe("ngsp_token", ngsp.tokens.get),
        ]
        self.readiness = Readiness(
            probes=probes,
            breaker=ngsp.breaker,
            maintenance=self.maintenance,
            cache_s=self._readiness_cache_s,
        )

    async def exposition(self) -> bytes:
        """The metrics for a scrape, with a fresh job census when the runtime runs."""
        if self._jobs is not None:
            await self._jobs.refresh_census()
        return self.metrics.exposition()

    def breaker_state(self) -> BreakerState | None:
        """The NGSP breaker's state now; None before the runtime runs."""
        return None if self._ngsp is None else self._ngsp.breaker.state
