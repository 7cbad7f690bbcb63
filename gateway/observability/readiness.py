"""``/readyz``: whether this replica can serve a look-up now, with the reasons when it cannot.

A replica is ready when every named :class:`Probe` passes and the fresh checks hold. The app's
probes (:meth:`gateway.observability.Observability.watch`) are:

* ``audit``: the audit writer runs and its store takes a committed write now (the store's probe
  also heals a schema lost whole; nothing is served unaudited);
* ``jobs``: the bulk-job store answers a read;
* ``ngsp_token``: an NGSP access token is cached, or one can be obtained now;

and the fresh checks, read on every call so a change shows at once:

* ``breaker``: the NGSP circuit breaker is not open;
* ``maintenance``: the maintenance switch is off.

Probes run concurrently, each within ``timeout_s``, and their results are cached for ``cache_s``
(load balancers probe often; one probe's work serves the others). Another input (admission
control, a new store) is one more :class:`Probe` in the list. A change of readiness is logged as
``readiness_changed`` with the reasons.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import orjson

from adapters.ngsp import BreakerState
from gateway.logs import get_logger
from gateway.observability.maintenance import MaintenanceSwitch

__all__ = ["CheckResult", "Probe", "Readiness", "ReadinessReport"]

_log = get_logger("gateway.readiness")
_DEFAULT_RETRY_AFTER_S = 5.0


@dataclass(frozen=True, slots=True)
class Probe:
    """One named dependency check: ``check()`` returns when it is usable, raises when not."""

    name: str
    check: Callable[[], Awaitable[object]]


class BreakerProbe(Protocol):
    @property
    def state(self) -> BreakerState: ...

    @property
    def retry_after(self) -> float: ...


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str
    ok: bool
    reason: str | None = None
    state: str | None = None
    retry_after_s: float | None = None

    def as_dict(self) -> dict[str, object]:
        fields = {"reason": self.reason, "state": self.state}
        return {"ok": self.ok, **{k: v for k, v in fields.items() if v is not None}}


@dataclass(frozen=True, slots=True)
class ReadinessReport:
    checks: tuple[CheckResult, ...]

    @property
    def ready(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def reasons(self) -> list[str]:
        return [f"{check.name}: {check.reason}" for check in self.checks if not check.ok]

    @property
    def retry_after_s(self) -> float:
        """The longest wait any failed check asks for (a default when none says)."""
        waits = [c.retry_after_s or _DEFAULT_RETRY_AFTER_S for c in self.checks if not c.ok]
        return max(waits, default=_DEFAULT_RETRY_AFTER_S)

    def to_json(self) -> bytes:
        maintenance = any(c.name == "maintenance" and not c.ok for c in self.checks)
        status = "ready" if self.ready else "maintenance" if maintenance else "not_ready"
        return orjson.dumps(
            {
                "status": status,
                "reasons": self.reasons,
                "checks": {check.name: check.as_dict() for check in self.checks},
            }
        )


async def _guarded(name: str, probe: Awaitable[object], timeout_s: float) -> CheckResult:
    try:
        await asyncio.wait_for(probe, timeout_s)
    except TimeoutError:
        return CheckResult(name, ok=False, reason="timeout")
    except Exception as exc:  # any failure is a reason, never a crash of the probe
        return CheckResult(name, ok=False, reason=_reason(exc))
    return CheckResult(name, ok=True)


def _reason(exc: Exception) -> str:
    """A short, bounded reason: the adapter's error code, the audit's reason, or the type."""
    return str(getattr(exc, "code", None) or getattr(exc, "reason", None) or type(exc).__name__)


def breaker_check(breaker: BreakerProbe) -> CheckResult:
    state = breaker.state
    if state == "open":
        return CheckResult("breaker", False, "open", state, max(1.0, breaker.retry_after))
    return CheckResult("breaker", ok=True, state=state)


def maintenance_check(switch: MaintenanceSwitch) -> CheckResult:
    state = switch.state()
    if state.enabled:
        reason = state.reason or "on"
        return CheckResult("maintenance", False, reason, "on", float(state.retry_after_s))
    return CheckResult("maintenance", ok=True, state="off")


class Readiness:
    """Evaluates and briefly caches the readiness of one replica."""

    def __init__(
        self,
        *,
        probes: Sequence[Probe],
        breaker: BreakerProbe,
        maintenance: MaintenanceSwitch,
        cache_s: float = 2.0,
        timeout_s: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._probes = tuple(probes)
        self._breaker = breaker
        self._maintenance = maintenance
        self._cache_s = cache_s
        self._timeout_s = timeout_s
        self._clock = clock
        self._lock = asyncio.Lock()
        self._cached: tuple[float, tuple[CheckResult, ...]] | None = None
        self._was_ready: bool | None = None

    async def report(self) -> ReadinessReport:
        fresh = (breaker_check(self._breaker), maintenance_check(self._maintenance))
        report = ReadinessReport((*await self._dependencies(), *fresh))
        self._note(report)
        return report

    async def _dependencies(self) -> tuple[CheckResult, ...]:
        async with self._lock:  # concurrent probes wait for one evaluation, then share it
            if self._cached is None or self._clock() - self._cached[0] >= self._cache_s:
                self._cached = (self._clock(), await self._evaluate())
            return self._cached[1]

    async def _evaluate(self) -> tuple[CheckResult, ...]:
        checks = (_guarded(p.name, p.check(), self._timeout_s) for p in self._probes)
        return tuple(await asyncio.gather(*checks))

    def _note(self, report: ReadinessReport) -> None:
        if report.ready == self._was_ready:
            return
        self._was_ready = report.ready
        if report.ready:
            _log.info("readiness_changed", ready=True)
        else:
            _log.warning("readiness_changed", ready=False, reasons=report.reasons)
