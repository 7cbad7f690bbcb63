"""Readiness: audit store, NGSP token, breaker and maintenance, with reasons and a short cache."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import orjson
import pytest
from structlog.testing import capture_logs

from adapters.ngsp import BreakerState, UpstreamConnectError
from gateway.audit import AuditUnavailable
from gateway.jobs import JobStoreUnavailable
from gateway.observability import MaintenanceSwitch, Readiness
from gateway.observability.readiness import Probe
from tests.gateway.observability.conftest import events


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@dataclass
class FakeAudit:
    failure: Exception | None = None
    hang: bool = False
    pings: int = 0

    async def ping(self) -> None:
        self.pings += 1
        if self.hang:
            await asyncio.Event().wait()
        if self.failure is not None:
            raise self.failure


@dataclass
class FakeTokens:
    failure: Exception | None = None

    async def get(self) -> str:
        if self.failure is not None:
            raise self.failure
        return "token"


@dataclass
class FakeJobs:
    failure: Exception | None = None

    async def ping(self) -> None:
        if self.failure is not None:
            raise self.failure


@dataclass
class FakeBreaker:
    state: BreakerState = "closed"
    retry_after: float = 0.0


@dataclass
class Parts:
    audit: FakeAudit
    tokens: FakeTokens
    jobs: FakeJobs
    breaker: FakeBreaker
    maintenance: MaintenanceSwitch
    clock: FakeTime

    def readiness(self, *, cache_s: float = 2.0, timeout_s: float = 1.0) -> Readiness:
        probes = [
            Probe("audit", self.audit.ping),
            Probe("jobs", self.jobs.ping),
            Probe("ngsp_token", self.tokens.get),
        ]
        return Readiness(
            probes=probes,
            breaker=self.breaker,
            maintenance=self.maintenance,
            cache_s=cache_s,
            timeout_s=timeout_s,
            clock=self.clock,
        )


@pytest.fixture
def parts() -> Parts:
    return Parts(
        FakeAudit(), FakeTokens(), FakeJobs(), FakeBreaker(), MaintenanceSwitch(), FakeTime()
    )


async def test_ready_when_every_check_passes(parts: Parts) -> None:
    report = await parts.readiness().report()
    assert report.ready
    assert orjson.loads(report.to_json()) == {
        "status": "ready",
        "reasons": [],
        "checks": {
            "audit": {"ok": True},
            "jobs": {"ok": True},
            "ngsp_token": {"ok": True},
            "breaker": {"ok": True, "state": "closed"},
            "maintenance": {"ok": True, "state": "off"},
        },
    }


@pytest.mark.parametrize(
    ("break_it", "reason"),
    [
        pytest.param(
            lambda p: setattr(p.audit, "failure", AuditUnavailable("store_error", "down")),
            "audit: store_error",
            id="audit-store-unreachable",
        ),
        pytest.param(
            lambda p: setattr(p.audit, "hang", True), "audit: timeout", id="audit-store-hangs"
        ),
        pytest.param(
            lambda p: setattr(p.audit, "failure", AuditUnavailable("schema_damaged", "dropped")),
            "audit: schema_damaged",
            id="audit-table-dropped",
        ),
        pytest.param(
            lambda p: setattr(p.jobs, "failure", JobStoreUnavailable("locked")),
            "jobs: job_store_unavailable",
            id="job-store-unavailable",
        ),
        pytest.param(
            lambda p: setattr(p.tokens, "failure", UpstreamConnectError("refused")),
            "ngsp_token: upstream_connect_error",
            id="no-token-obtainable",
        ),
        pytest.param(
            lambda p: setattr(p.breaker, "state", "open"), "breaker: open", id="breaker-open"
        ),
    ],
)
async def test_not_ready_names_the_reason(parts: Parts, break_it: object, reason: str) -> None:
    break_it(parts)  # type: ignore[operator]
    report = await parts.readiness(timeout_s=0.01).report()
    assert not report.ready
    assert report.reasons == [reason]
    assert orjson.loads(report.to_json())["status"] == "not_ready"


async def test_half_open_breaker_is_ready_so_its_probe_can_pass(parts: Parts) -> None:
    parts.breaker.state = "half_open"
    assert (await parts.readiness().report()).ready


async def test_retry_after_follows_the_breaker_cool_down(parts: Parts) -> None:
    parts.breaker.state, parts.breaker.retry_after = "open", 7.5
    assert (await parts.readiness().report()).retry_after_s == 7.5


async def test_maintenance_is_its_own_status_with_its_retry_after(parts: Parts) -> None:
    parts.maintenance.turn_on(reason="upgrade", retry_after_s=600, by="admin")
    report = await parts.readiness().report()
    body = orjson.loads(report.to_json())
    assert (body["status"], body["reasons"]) == ("maintenance", ["maintenance: upgrade"])
    assert report.retry_after_s == 600


async def test_io_checks_are_cached_briefly(parts: Parts) -> None:
    readiness = parts.readiness(cache_s=2.0)
    await readiness.report()
    parts.clock.now += 1.9
    await readiness.report()
    assert parts.audit.pings == 1
    parts.clock.now += 0.1
    await readiness.report()
    assert parts.audit.pings == 2


async def test_breaker_and_maintenance_are_read_fresh_despite_the_cache(parts: Parts) -> None:
    readiness = parts.readiness(cache_s=60)
    assert (await readiness.report()).ready
    parts.breaker.state = "open"
    assert not (await readiness.report()).ready


async def test_concurrent_probes_share_one_evaluation(parts: Parts) -> None:
    readiness = parts.readiness(cache_s=2.0)
    reports = await asyncio.gather(*(readiness.report() for _ in range(5)))
    assert all(report.ready for report in reports)
    assert parts.audit.pings == 1


async def test_changes_of_readiness_are_logged_once(parts: Parts) -> None:
    readiness = parts.readiness(cache_s=0)
    with capture_logs() as captured:
        await readiness.report()
        parts.breaker.state = "open"
        await readiness.report()
        await readiness.report()
    assert events(captured, "readiness_changed") == [
        {"event": "readiness_changed", "log_level": "info", "ready": True},
        {
            "event": "readiness_changed",
            "log_level": "warning",
            "ready": False,
            "reasons": ["breaker: open"],
        },
    ]
