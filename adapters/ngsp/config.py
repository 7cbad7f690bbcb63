"""The adapter's settings: where NGSP is, who we are, and how patient and careful to be.

Flat on purpose, so the gateway's ``LGSP_NGSP_*`` settings map one to one. The resilience defaults
are sized for a portal user waiting for an answer; docs/decisions/adapter.md says why each is what
it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts.wire import RequestSuffix

__all__ = ["NgspConfig"]


@dataclass(frozen=True, slots=True)
class NgspConfig:
    base_url: str
    consumer_key: str
    consumer_secret: str
    population_path: str = "/dancu/1.0/CongDan"
    token_path: str = "/token"  # noqa: S105 -- a URL path, not a secret
    integration_code: str = "LGSP"
    # The operation element's name: "" (TraCuuThongTinCongDan) or "Request" (…Request), as the
    # deployment's national side expects (docs/wire-format.md).
    request_suffix: RequestSuffix = ""
    token_refresh_margin_s: float = 60.0
    # --- time: one attempt, and the whole call including retries and waits
    attempt_timeout_s: float = 3.0
    deadline_s: float = 8.0
    # --- retries (adapters.ngsp.retry)
    max_attempts: int = 3
    backoff_initial_s: float = 0.2
    backoff_max_s: float = 2.0
    min_attempt_s: float = 0.5
    # --- retry budget (adapters.ngsp.budget)
    retry_budget_ratio: float = 0.2
    retry_budget_min_per_s: float = 1.0
    retry_budget_window_s: float = 10.0
    # --- circuit breaker (adapters.ngsp.breaker)
    breaker_failure_threshold: int = 5
    breaker_failure_rate: float = 0.5
    breaker_min_calls: int = 20
    breaker_window_s: float = 10.0
    breaker_open_s: float = 10.0

    @property
    def population_url(self) -> str:
        return self.base_url.rstrip("/") + self.population_path

    @property
    def token_url(self) -> str:
        return self.base_url.rstrip("/") + self.token_path
