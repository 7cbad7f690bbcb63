"""Admission as routes use it: deadline, disconnect watch, a slot, and the 503 when shed.

A data route wraps its use case, which guards the NGSP call inside its audited run::

    async with runtime.admission.admitted(request, inquiry.client) as gate:
        answer = await citizens.look_up(inquiry, runtime, gate.guarded)

``admitted`` reads the request's deadline, takes a slot (waiting at most the shorter of the
queue bound and the deadline, and never for a caller who has gone), and gives the slot back on
the way out. Shed requests raise :class:`~gateway.errors.Overloaded` before anything is looked
up, so they are counted in metrics and never audited: nothing was processed (docs/decisions.md,
2026-11-30). ``gate.guarded`` hands the remaining deadline to the NGSP call and abandons the
call if the caller goes, so the audit wrapper records ``abandoned``.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TypeVar

from starlette.requests import Request

from adapters.ngsp import CallContext
from gateway.admission._adaptive import AimdLimit
from gateway.admission._controller import AdmissionController, Shed
from gateway.admission._deadline import RequestDeadline, request_deadline
from gateway.admission._disconnect import DisconnectWatch
from gateway.errors import ClientClosedRequest, Overloaded
from gateway.logs import get_logger
from gateway.security.clients import ClientRecord
from gateway.settings import Settings

__all__ = ["Admission", "Gate"]

_T = TypeVar("_T")
_log = get_logger("gateway.admission")


@dataclass(slots=True)
class Gate:
    """An admitted request: its deadline and the watch on its caller."""

    deadline: RequestDeadline
    watch: DisconnectWatch
    admission: Admission

    def guarded(
        self, call: Callable[[CallContext], Awaitable[_T]]
    ) -> Callable[[CallContext], Awaitable[_T]]:
        """``call`` bounded by the request's deadline and abandoned if the caller goes."""

        async def bounded(ctx: CallContext) -> _T:
            ctx.deadline_s = self.deadline.remaining()
            try:
                return await self.watch.guard(call(ctx))
            except ClientClosedRequest:
                self.admission.abandoned["in_flight"] += 1
                raise

        return bounded


@dataclass(slots=True)
class _Burst:
    """Shedding is logged when it starts and when it ends, never per request."""

    since: float | None = None
    shed: int = 0

    def note_shed(self, reason: str, controller: AdmissionController) -> None:
        self.shed += 1
        if self.since is None:
            self.since = time.monotonic()
            _log.warning(
                "overload_shedding_started",
                reason=reason,
                limit=controller.limit,
                in_flight=controller.inflight,
                queued=controller.queued,
            )

    def note_admitted(self, controller: AdmissionController) -> None:
        if self.since is not None and not controller.queued:
            seconds = round(time.monotonic() - self.since, 3)
            _log.info("overload_shedding_ended", shed=self.shed, seconds=seconds)
            self.since, self.shed = None, 0


@dataclass(slots=True)
class Admission:
    """This process's admission control, configured from the settings."""

    controller: AdmissionController
    queue_wait_s: float
    retry_after_s: float
    timeout_default_s: float
    timeout_max_s: float
    adaptive: AimdLimit | None = None
    abandoned: dict[str, int] = field(default_factory=lambda: {"queued": 0, "in_flight": 0})
    _burst: _Burst = field(default_factory=_Burst)

    @classmethod
    def from_settings(cls, settings: Settings) -> Admission:
        controller = AdmissionController(
            settings.admission_limit,
            queue_max=settings.admission_queue_max,
            bulk_share=settings.admission_bulk_share,
        )
        adaptive = None
        if settings.admission_adaptive:
            adaptive = AimdLimit(
                controller,
                target_s=settings.admission_latency_target_s,
                min_limit=settings.admission_min_limit,
            )
        return cls(
            controller,
            adaptive=adaptive,
            queue_wait_s=settings.admission_queue_wait_s,
            retry_after_s=settings.admission_retry_after_s,
            timeout_default_s=settings.request_timeout_default_s,
            timeout_max_s=settings.request_timeout_max_s,
        )

    @asynccontextmanager
    async def admitted(self, request: Request, client: ClientRecord) -> AsyncIterator[Gate]:
        deadline = request_deadline(
            request, default_s=self.timeout_default_s, max_s=self.timeout_max_s
        )
        watch = DisconnectWatch(request.receive)
        try:
            await self._acquire(watch, client, min(self.queue_wait_s, deadline.remaining()))
            admitted_at = time.monotonic()
            try:
                yield Gate(deadline, watch, self)
            finally:
                self.controller.release(client.client_id)
                if self.adaptive is not None:
                    self.adaptive.on_sample(time.monotonic() - admitted_at)
        finally:
            watch.close()

    async def _acquire(self, watch: DisconnectWatch, client: ClientRecord, wait_s: float) -> None:
        try:
            await watch.guard(self.controller.acquire(client.client_id, client.rate_per_s, wait_s))
        except Shed as exc:
            self._burst.note_shed(exc.reason, self.controller)
            raise self.overloaded() from None
        except ClientClosedRequest:
            self.abandoned["queued"] += 1
            raise
        self._burst.note_admitted(self.controller)

    def overloaded(self) -> Overloaded:
        return Overloaded(
            "overloaded",
            "The gateway is at capacity; nothing was looked up. Retry after Retry-After seconds.",
            retry_after=self.retry_after_s,
        )

    def note_bulk_shed(self) -> None:
        self._burst.note_shed("bulk", self.controller)
