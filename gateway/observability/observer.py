"""The gateway's side of the adapter's observer protocol: NGSP events become logs and metrics.

``adapters.ngsp.NgspObserver`` reports three things; here each becomes a Prometheus series and,
where an operator needs to read it, a structured event:

* every failed attempt that will be retried → ``upstream_retry`` (operation, attempt, reason,
  wait) and ``lgsp_upstream_retries_total``; the final outcome of every call →
  ``lgsp_upstream_calls_total`` (the request's own ``request_completed`` line tells the rest);
* breaker transitions → ``ngsp_breaker_transition`` (a warning when it opens) and
  ``lgsp_ngsp_breaker_transitions_total``;
* token refreshes → ``ngsp_token_refreshed`` and ``lgsp_ngsp_token_refreshes_total``.

Events raised while a request is in flight carry its ``request_id`` and ``trace_id`` through
structlog's context variables (bound by the request context middleware).
"""

from __future__ import annotations

from adapters.ngsp import BreakerState
from gateway.logs import get_logger
from gateway.observability.metrics import GatewayMetrics

__all__ = ["GatewayObserver"]

_log = get_logger("gateway.ngsp")


class GatewayObserver:
    """An ``NgspObserver``: callbacks are quick and never raise into the adapter."""

    def __init__(self, metrics: GatewayMetrics) -> None:
        self._metrics = metrics

    def on_attempt(self, operation: str, attempt: int, outcome: str, wait_s: float | None) -> None:
        if wait_s is None:
            self._metrics.upstream_calls.labels(operation, outcome).inc()
            return
        self._metrics.upstream_retries.labels(operation, outcome).inc()
        _log.warning(
            "upstream_retry",
            operation=operation,
            attempt=attempt,
            reason=outcome,
            wait_s=round(wait_s, 3),
        )

    def on_breaker_transition(self, old: BreakerState, new: BreakerState) -> None:
        self._metrics.breaker_transitions.labels(new).inc()
        emit = _log.warning if new == "open" else _log.info
        emit("ngsp_breaker_transition", old=old, new=new)

    def on_token_refresh(self) -> None:
        self._metrics.token_refreshes.inc()
        _log.info("ngsp_token_refreshed")
