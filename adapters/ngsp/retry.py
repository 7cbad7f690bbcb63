"""The retry policy, declared once with tenacity: which failures, how long to wait, when to stop.

* **which**: only transient failures (:func:`is_transient`): connection errors and resets,
  time-outs, HTTP 429/502/503/504 and SOAP ``Server`` faults. Never another 4xx, never a ``Client``
  fault (the request itself is wrong and will stay wrong), never an unreadable answer.
* **wait**: full-jitter exponential backoff (``wait_random_exponential``: uniform in
  ``[0, initial × 2ⁿ]``, capped), or exactly the upstream's ``Retry-After`` when it sent one.
* **stop**: after ``max_attempts``; or when the next attempt could not start with
  ``min_attempt_s`` left before the call's overall deadline; or when the retry budget is spent.

Why it stopped decides what the caller sees (:meth:`RetryPolicy.give_up`): the last failure
itself when attempts ran out or the upstream asked for a wait longer than the deadline allows,
:class:`DeadlineExceeded` when time ran out, :class:`RetryBudgetExhausted` when the budget did.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import NoReturn

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception
from tenacity.stop import stop_after_attempt, stop_base
from tenacity.wait import wait_base, wait_random_exponential

from adapters.ngsp._errors import DeadlineExceeded, NgspError, RetryBudgetExhausted
from adapters.ngsp.budget import RetryBudget
from adapters.ngsp.clock import Clock, Deadline

__all__ = ["RetryPolicy", "is_transient"]


def is_transient(exc: BaseException) -> bool:
    """Whether another attempt may succeed where this one failed."""
    return isinstance(exc, NgspError) and exc.retryable


def _failure(state: RetryCallState) -> BaseException:
    exc = state.outcome.exception() if state.outcome is not None else None
    if exc is None:  # pragma: no cover -- tenacity only stops or waits after a failure
        raise RuntimeError("retry decision without a failed attempt")
    return exc


def _retry_after(state: RetryCallState) -> float | None:
    value = getattr(_failure(state), "retry_after", None)
    return value if isinstance(value, float | int) else None


class wait_retry_after_or(wait_base):
    """Wait what the upstream asked for in ``Retry-After``; otherwise ``fallback``."""

    def __init__(self, fallback: wait_base) -> None:
        self.fallback = fallback

    def __call__(self, retry_state: RetryCallState) -> float:
        asked = _retry_after(retry_state)
        return self.fallback(retry_state) if asked is None else asked


class stop_before_deadline(stop_base):
    """Stop when, after the coming wait, less than ``min_attempt_s`` would remain."""

    def __init__(self, deadline: Deadline, min_attempt_s: float) -> None:
        self.deadline = deadline
        self.min_attempt_s = min_attempt_s

    def __call__(self, retry_state: RetryCallState) -> bool:
        return self.deadline.remaining() - retry_state.upcoming_sleep < self.min_attempt_s


class stop_when_budget_spent(stop_base):
    def __init__(self, budget: RetryBudget) -> None:
        self.budget = budget

    def __call__(self, retry_state: RetryCallState) -> bool:
        return not self.budget.can_retry()


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Defaults are sized for a portal user waiting (docs/decisions/adapter.md)."""

    max_attempts: int = 3
    backoff_initial_s: float = 0.2
    backoff_max_s: float = 2.0
    min_attempt_s: float = 0.5

    def wait(self) -> wait_base:
        jitter = wait_random_exponential(multiplier=self.backoff_initial_s, max=self.backoff_max_s)
        return wait_retry_after_or(jitter)

    def stop(self, deadline: Deadline, budget: RetryBudget) -> stop_base:
        return (
            stop_after_attempt(self.max_attempts)
            | stop_before_deadline(deadline, self.min_attempt_s)
            | stop_when_budget_spent(budget)
        )

    def retrying(
        self,
        clock: Clock,
        deadline: Deadline,
        budget: RetryBudget,
        before_sleep: Callable[[RetryCallState], Awaitable[None] | None],
    ) -> AsyncRetrying:
        """A fresh retry controller for one call (tenacity controllers hold per-call state)."""

        def spend_and_report(state: RetryCallState) -> Awaitable[None] | None:
            budget.record_retry()
            return before_sleep(state)

        return AsyncRetrying(
            sleep=clock.sleep,
            retry=retry_if_exception(is_transient),
            wait=self.wait(),
            stop=self.stop(deadline, budget),
            before_sleep=spend_and_report,
            retry_error_callback=lambda state: self.give_up(state, deadline),
        )

    def give_up(self, state: RetryCallState, deadline: Deadline) -> NoReturn:
        """Raise what the caller should see once the policy stops retrying a transient failure."""
        failure = _failure(state)
        if state.attempt_number >= self.max_attempts:
            raise failure
        remaining = deadline.remaining()
        asked = _retry_after(state)
        if asked is not None and asked + self.min_attempt_s > remaining:
            raise failure  # the upstream's own "come back later" is the honest answer
        if remaining - state.upcoming_sleep < self.min_attempt_s:
            raise DeadlineExceeded(
                f"deadline reached after {state.attempt_number} attempts"
            ) from failure
        raise RetryBudgetExhausted(
            f"retry budget spent after {state.attempt_number} attempts"
        ) from failure
