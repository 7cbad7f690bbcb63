"""What operators see of the gateway: metrics, readiness, the maintenance switch, NGSP events.

:class:`Observability` bundles one app's parts; ``GatewayMetrics`` is its Prometheus registry,
``GatewayObserver`` turns the adapter's events into logs and metrics, ``Readiness`` answers
``/readyz``; ``MaintenanceSwitch`` and ``refuse_during_maintenance`` close the data API.
docs/operations.md is the operator's guide to all of it.
"""

from gateway.observability.gate import refuse_during_maintenance
from gateway.observability.hub import Observability
from gateway.observability.maintenance import MaintenanceState, MaintenanceSwitch
from gateway.observability.metrics import GatewayMetrics, RequestSample
from gateway.observability.observer import GatewayObserver
from gateway.observability.readiness import CheckResult, Readiness, ReadinessReport

__all__ = [
    "CheckResult",
    "GatewayMetrics",
    "GatewayObserver",
    "MaintenanceState",
    "MaintenanceSwitch",
    "Observability",
    "Readiness",
    "ReadinessReport",
    "RequestSample",
    "refuse_during_maintenance",
]
