"""The retry budget: retries may be at most a share of recent requests.

Per-request retry limits alone multiply an outage: at three attempts each, a national side that
fails everything receives three times the traffic exactly when it is weakest. A budget caps the
*fleet* of retries instead (Envoy's ``retry_budget``: 20 % of active requests, minimum 3; Finagle's
``RetryBudget``: 20 % of requests over 10 s plus a floor per second). Ours follows Finagle's shape
because our traffic is counted per request, not per open stream: over the last ``window_s``
seconds, retries stay within ``max(ratio × requests, min_per_s × window_s)``. The floor lets a
quiet gateway still retry a rare blip.
"""

from __future__ import annotations

from adapters.ngsp._window import WindowCounter
from adapters.ngsp.clock import Clock

__all__ = ["RetryBudget"]


class RetryBudget:
    def __init__(
        self,
        clock: Clock,
        *,
        ratio: float = 0.2,
        min_per_s: float = 1.0,
        window_s: float = 10.0,
    ) -> None:
        self._ratio = ratio
        self._floor = min_per_s * window_s
        self._requests = WindowCounter(clock, window_s)
        self._retries = WindowCounter(clock, window_s)

    def record_request(self) -> None:
        """A first attempt went out: it earns ``ratio`` of a retry."""
        self._requests.add()

    def record_retry(self) -> None:
        self._retries.add()

    def can_retry(self) -> bool:
        """Whether one more whole retry still fits: 20 % of 4 requests earns none."""
        allowed = max(self._ratio * self._requests.total(), self._floor)
        return self._retries.total() + 1 <= allowed
