"""Test doubles for code that uses the adapter: a fake clock, a recording observer, a fake client.

Like ``httpx.MockTransport`` or ``structlog.testing``, these ship with the package so the gateway's
tests can drive retries, deadlines and the breaker's cool-down in virtual time, without sleeping,
and run the gateway's HTTP layer over :class:`FakeNgsp`, the client faked at its interface.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import TracebackType

from adapters.ngsp._errors import NgspError
from adapters.ngsp.client import CallContext
from adapters.ngsp.observer import BreakerState
from contracts.models import Citizen, Household

__all__ = ["FakeBreaker", "FakeCall", "FakeClock", "FakeNgsp", "FakeTokens", "RecordingObserver"]


class FakeClock:
    """Virtual monotonic time: it moves only when a task sleeps or a test calls :meth:`advance`.

    ``timeout(s)`` works per task: a sleep that would pass the innermost deadline of its task
    advances to that deadline and raises :class:`TimeoutError`, as ``asyncio.timeout`` would.
    """

    def __init__(self, start: float = 1_000.0) -> None:
        self._now = start
        self._deadlines: dict[asyncio.Task[object] | None, list[float]] = {}

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds

    async def sleep(self, seconds: float) -> None:
        target = self._now + max(0.0, seconds)
        cutoff = min(self._deadlines.get(asyncio.current_task(), ()), default=math.inf)
        self._now = max(self._now, min(target, cutoff))
        await asyncio.sleep(0)  # let other tasks run, as a real sleep would
        if cutoff < target:
            raise TimeoutError

    def timeout(self, seconds: float) -> _FakeTimeout:
        return _FakeTimeout(self, self._now + seconds)


class _FakeTimeout:
    def __init__(self, clock: FakeClock, deadline: float) -> None:
        self._clock = clock
        self._deadline = deadline
        self._task: asyncio.Task[object] | None = None

    async def __aenter__(self) -> _FakeTimeout:
        self._task = asyncio.current_task()
        self._clock._deadlines.setdefault(self._task, []).append(self._deadline)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        deadlines = self._clock._deadlines[self._task]
        deadlines.remove(self._deadline)
        if not deadlines:
            del self._clock._deadlines[self._task]
        if exc_type is None and self._clock.now() > self._deadline:
            raise TimeoutError  # the block finished, but too late: the caller stopped waiting


@dataclass
class RecordingObserver:
    """Keeps every event, in order, for assertions."""

    attempts: list[tuple[str, int, str, float | None]] = field(default_factory=list)
    transitions: list[tuple[BreakerState, BreakerState]] = field(default_factory=list)
    token_refreshes: int = 0

    def on_attempt(self, operation: str, attempt: int, outcome: str, wait_s: float | None) -> None:
        self.attempts.append((operation, attempt, outcome, wait_s))

    def on_breaker_transition(self, old: BreakerState, new: BreakerState) -> None:
        self.transitions.append((old, new))

    def on_token_refresh(self) -> None:
        self.token_refreshes += 1


@dataclass(frozen=True, slots=True)
class FakeCall:
    """One call :class:`FakeNgsp` received: the operation, the number, the context it carried,
    and for ``verify`` the details typed."""

    operation: str  # "lookup", "verify" or "household"
    number: str
    ctx: CallContext
    details: dict[str, object] = field(default_factory=dict)


@dataclass
class FakeBreaker:
    """A breaker whose state a test sets, as readiness and metrics read the real one."""

    state: BreakerState = "closed"
    retry_after: float = 0.0


@dataclass
class FakeTokens:
    """The token manager's ``get``: a token, or ``failure`` raised when a test set one."""

    failure: NgspError | None = None
    value: str = "fake-ngsp-token"

    async def get(self) -> str:
        if self.failure is not None:
            raise self.failure
        return self.value


Hook = Callable[[FakeCall], Awaitable[None]]


class FakeNgsp:
    """``NgspClient`` faked at its interface: scripted answers and errors, every call recorded.

    Route tests run the whole gateway over it (``create_app(..., ngsp=FakeNgsp())``) without the
    mock national side: an adapter error is one :meth:`fail` away, an answer one :meth:`add`.
    Each call counts one attempt on its context, as one SOAP request would. ``on_call`` runs
    inside every call, before its answer or error: what a test checks there is what the gateway
    had done before the national side answered.
    """

    def __init__(self) -> None:
        self.citizens: dict[str, Citizen] = {}
        self.households: dict[str, Household] = {}
        self.confirmed: set[str] = set()  # numbers the verify operation answers TonTai true for
        self.calls: list[FakeCall] = []
        self.breaker = FakeBreaker()
        self.tokens = FakeTokens()
        self.on_call: Hook | None = None
        self._failures: dict[str | None, NgspError] = {}

    def add(self, citizen: Citizen, household: Household | None = None) -> None:
        """Answer look-ups of the citizen's numbers (personal id and CMND) with the record."""
        for number in (citizen.personal_id, citizen.cmnd):
            if number is not None:
                self.citizens[number] = citizen
                if household is not None:
                    self.households[number] = household

    def fail(self, error: NgspError, operation: str | None = None) -> None:
        """Raise ``error`` from ``operation`` (every operation when None) until :meth:`heal`."""
        self._failures[operation] = error

    def heal(self) -> None:
        self._failures.clear()

    async def lookup_citizen(self, number: str, ctx: CallContext) -> Citizen | None:
        await self._call(FakeCall("lookup", number, ctx))
        return self.citizens.get(number)

    async def verify_citizen(self, number: str, ctx: CallContext, **details: object) -> bool:
        """``TonTai`` for the numbers in :attr:`confirmed`; the details typed are recorded."""
        given = {name: value for name, value in details.items() if value is not None}
        await self._call(FakeCall("verify", number, ctx, given))
        return number in self.confirmed

    async def household(self, number: str, ctx: CallContext) -> Household | None:
        await self._call(FakeCall("household", number, ctx))
        return self.households.get(number)

    async def _call(self, call: FakeCall) -> None:
        self.calls.append(call)
        call.ctx.attempts += 1
        if self.on_call is not None:
            await self.on_call(call)
        error = self._failures.get(call.operation) or self._failures.get(None)
        if error is not None:
            raise error
