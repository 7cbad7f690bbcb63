"""What the adapter lets its host see happen: attempts, breaker transitions, token refreshes.

The adapter stays free of logging and metrics libraries; the gateway passes an object with these
three methods (structurally: no base class needed) and turns the events into structlog lines and
Prometheus series. Callbacks run inline on the call's task, so they must be quick and must not
raise. Outcome strings are bounded label values: ``"ok"``, ``"not_found"`` or an error ``code``.
"""

from __future__ import annotations

from typing import Literal, Protocol

__all__ = ["BreakerState", "NgspObserver", "NullObserver"]

BreakerState = Literal["closed", "open", "half_open"]


class NgspObserver(Protocol):
    def on_attempt(self, operation: str, attempt: int, outcome: str, wait_s: float | None) -> None:
        """One attempt ended; ``wait_s`` is the backoff before the next one, None when none."""

    def on_breaker_transition(self, old: BreakerState, new: BreakerState) -> None:
        """The circuit breaker changed state."""

    def on_token_refresh(self) -> None:
        """A new NGSP access token was obtained."""


class NullObserver:
    """Observes nothing: the default."""

    def on_attempt(self, operation: str, attempt: int, outcome: str, wait_s: float | None) -> None:
        pass

    def on_breaker_transition(self, old: BreakerState, new: BreakerState) -> None:
        pass

    def on_token_refresh(self) -> None:
        pass
