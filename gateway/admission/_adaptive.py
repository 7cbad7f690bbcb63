"""An optional adaptive limit: AIMD on the time data calls hold their slot.

Netflix concurrency-limits' AIMD, in miniature. Each finished data call reports how long it held
its slot. Slower than the target: the limit shrinks by ``backoff`` (at most once per target
period, so one slow burst is one step, not fifty); otherwise, while at least half the limit is in
use, it grows by about one slot per limit's worth of calls. The configured
``LGSP_ADMISSION_LIMIT`` stays the ceiling and ``min_limit`` the floor. When NGSP or the audit
store slows down, slots are held longer and the limit comes down, so the gateway sheds earlier
instead of piling more calls on a struggling dependency; it climbs back as answers speed up.
Off by default (``LGSP_ADMISSION_ADAPTIVE``): a configured limit is easier to reason about.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from gateway.admission._controller import AdmissionController

__all__ = ["AimdLimit"]


class AimdLimit:
    def __init__(
        self,
        controller: AdmissionController,
        *,
        target_s: float,
        min_limit: int = 1,
        backoff: float = 0.9,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._controller = controller
        self._ceiling = controller.limit
        self._floor = max(1, min(min_limit, self._ceiling))
        self._target_s = target_s
        self._backoff = backoff
        self._clock = clock
        self._limit = float(controller.limit)
        self._last_decrease = -math.inf

    @property
    def limit(self) -> int:
        return self._controller.limit

    def on_sample(self, held_s: float) -> None:
        """One data call held its slot for ``held_s`` seconds."""
        if held_s > self._target_s:
            self._decrease()
        elif self._controller.inflight * 2 >= self._controller.limit:
            self._limit = min(float(self._ceiling), self._limit + 1 / self._limit)
            self._controller.limit = int(self._limit)

    def _decrease(self) -> None:
        now = self._clock()
        if now - self._last_decrease < self._target_s:
            return
        self._last_decrease = now
        self._limit = max(float(self._floor), self._limit * self._backoff)
        self._controller.limit = int(self._limit)
