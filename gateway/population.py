"""What the gateway needs from the national population database: ``NationalPopulation``.

The gateway depends on this protocol, not on ``adapters.ngsp.NgspClient``, so that the whole HTTP
layer can run over a fake at the adapter's interface (design §8; ``adapters.ngsp.testing.FakeNgsp``)
and the consumer, not the adapter, says which calls it relies on. ``NgspClient`` satisfies it
structurally. It extends the jobs' narrower ``PopulationLink`` (``gateway.jobs``),
so the runtime hands the same object to the job worker.
"""

from __future__ import annotations

from typing import Protocol

from adapters.ngsp import BreakerState, CallContext
from contracts.models import Household
from gateway.jobs import PopulationLink

__all__ = ["BreakerView", "NationalPopulation", "TokenSource"]


class BreakerView(Protocol):
    """The circuit breaker as readiness and metrics read it."""

    @property
    def state(self) -> BreakerState: ...

    @property
    def retry_after(self) -> float: ...


class TokenSource(Protocol):
    """Readiness asks for a token: can the gateway authenticate to NGSP now?"""

    async def get(self) -> str: ...


class NationalPopulation(PopulationLink, Protocol):
    """The national side's operations and the health the gateway reports about the link.

    The jobs' ``PopulationLink`` (look-up, verify) plus the household and what readiness and
    metrics read. Failures are the adapter's error tree (``adapters.ngsp.NgspError``); ``None``
    means the database holds no such citizen or household.
    """

    @property
    def breaker(self) -> BreakerView: ...

    @property
    def tokens(self) -> TokenSource: ...

    async def household(self, number: str, ctx: CallContext) -> Household | None: ...
