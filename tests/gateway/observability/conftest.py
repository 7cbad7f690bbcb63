"""Fixtures for the operators' view: a gateway joined to a scripted national side, in process.

``ops`` is the gateway app (lifespan running, audit in a temporary SQLite file) whose NGSP HTTP
client is an ``httpx.MockTransport`` on :class:`ScriptedNgsp`: a token endpoint, and a SOAP
endpoint answering the golden look-up from contracts/examples unless a test scripts failures
first. Failures carry ``Retry-After: 0`` so retries happen without waiting.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from gateway.app import create_app
from gateway.observability import Observability
from gateway.ratelimit import Decision
from gateway.runtime import Runtime
from gateway.settings import Settings

EXAMPLES = Path(__file__).resolve().parents[3] / "contracts" / "examples"
GOLDEN_NUMBER = "054092000123"  # the citizen in lookup-found-live.xml
GOLDEN_NAME = "NGUYỄN VĂN AN"
ADMIN_TOKEN = "test-admin-token"
PURPOSE_HEADERS = {"X-Purpose-Code": "1.001612", "X-Officer-Id": "officer-17"}
LOOKUP = f"/api/v1/citizens/{GOLDEN_NUMBER}"


@dataclass
class ScriptedNgsp:
    """The national side as a script: queued answers first, then the golden look-up."""

    answers: deque[httpx.Response] = field(default_factory=deque)
    requests: list[httpx.Request] = field(default_factory=list)
    token_status: int = 200

    def fail(self, status: int = 503, *, times: int = 1) -> None:
        """Queue ``times`` transient failures that ask for an immediate retry."""
        for _ in range(times):
            self.answers.append(httpx.Response(status, headers={"Retry-After": "0"}))

    def soap_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path != "/token"]

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/token":
            if self.token_status != 200:
                return httpx.Response(self.token_status, json={"error": "invalid_client"})
            return httpx.Response(200, content=(EXAMPLES / "token-ok.json").read_bytes())
        if self.answers:
            return self.answers.popleft()
        return httpx.Response(
            200,
            content=(EXAMPLES / "lookup-found-live.xml").read_bytes(),
            headers={"Content-Type": "text/xml; charset=utf-8"},
        )


@dataclass
class OpsStack:
    """The gateway app and a client on it, with the scripted national side behind it."""

    client: httpx.AsyncClient
    app: FastAPI
    ngsp: ScriptedNgsp

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.app.state.runtime
        return runtime

    @property
    def observability(self) -> Observability:
        observability: Observability = self.app.state.observability
        return observability

    async def headers(self, **extra: str) -> dict[str, str]:
        response = await self.client.post(
            "/oauth2/token",
            data={"grant_type": "client_credentials"},
            auth=("demo-portal", "demo-secret"),
        )
        assert response.status_code == 200, response.text
        token = response.json()["access_token"]
        return {"Authorization": f"Bearer {token}", **PURPOSE_HEADERS, **extra}

    async def lookup(self, **extra: str) -> httpx.Response:
        return await self.client.get(LOOKUP, headers=await self.headers(**extra))

    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {ADMIN_TOKEN}"}

    async def trip_breaker(self) -> httpx.Response:
        """Let NGSP fail until the breaker opens; the first refusal it causes."""
        headers = await self.headers()
        self.ngsp.fail(503, times=30)
        for _ in range(5):  # 5 consecutive failures open it; each call makes up to 3 attempts
            response = await self.client.get(LOOKUP, headers=headers)
            if response.json().get("code") == "upstream_circuit_open":
                return response
        raise AssertionError("the breaker did not open")


@pytest.fixture
def ops_settings(tmp_path: Path) -> Settings:
    return Settings(
        ngsp_base_url="http://ngsp.test",
        audit_dsn=f"sqlite:///{tmp_path / 'audit.sqlite3'}",
        log_format="json",
        admin_token=ADMIN_TOKEN,
        readiness_cache_s=0,
    )


@pytest.fixture
def scripted_ngsp() -> ScriptedNgsp:
    return ScriptedNgsp()


@asynccontextmanager
async def running_gateway(settings: Settings, ngsp: ScriptedNgsp) -> AsyncIterator[OpsStack]:
    """One gateway replica, started, on the scripted national side."""
    upstream = httpx.AsyncClient(transport=httpx.MockTransport(ngsp.handle))
    app = create_app(settings, http=upstream)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gateway.test"
        ) as client,
    ):
        yield OpsStack(client=client, app=app, ngsp=ngsp)


@pytest.fixture
async def ops(ops_settings: Settings, scripted_ngsp: ScriptedNgsp) -> AsyncIterator[OpsStack]:
    async with running_gateway(ops_settings, scripted_ngsp) as stack:
        yield stack


def events(captured: Sequence[Mapping[str, Any]], name: str) -> list[Mapping[str, Any]]:
    """The captured events called ``name``, in order."""
    return [event for event in captured if event["event"] == name]


class RefusingLimiter:
    """Every client is over its rate."""

    async def acquire(self, key: str, rate_per_s: float, burst: int) -> Decision:
        return Decision(allowed=False, limit=burst, remaining=0, retry_after_s=2.0, reset_s=2.0)

    async def close(self) -> None:
        pass


# --- metrics -------------------------------------------------------------------------------------


def scrape(text: str) -> dict[str, Any]:
    """Metric families by name; a counter's family is named without ``_total``."""
    return {family.name: family for family in text_string_to_metric_families(text)}


def value(families: dict[str, Any], sample: str, **labels: str) -> float:
    family = families[sample.removesuffix("_total").removesuffix("_count").removesuffix("_sum")]
    found = [s.value for s in family.samples if s.name == sample and s.labels == labels]
    assert len(found) == 1, (sample, labels, family.samples)
    return float(found[0])


async def drive_traffic(ops: OpsStack) -> None:
    """Something of each kind: success, retried success, not found, refused, unauthenticated."""
    headers = await ops.headers()
    assert (await ops.client.get(LOOKUP, headers=headers)).status_code == 200
    ops.ngsp.fail(503, times=2)
    assert (await ops.client.get(LOOKUP, headers=headers)).status_code == 200
    not_found = (EXAMPLES / "lookup-not-found.xml").read_bytes()
    ops.ngsp.answers.append(httpx.Response(200, content=not_found))
    assert (await ops.client.get(LOOKUP, headers=headers)).status_code == 404
    assert (await ops.client.get(LOOKUP, headers=PURPOSE_HEADERS)).status_code == 401
    limiter, ops.runtime.rate_limiter = ops.runtime.rate_limiter, RefusingLimiter()
    assert (await ops.client.get(LOOKUP, headers=headers)).status_code == 429
    ops.runtime.rate_limiter = limiter


async def scraped_after_traffic(ops: OpsStack) -> tuple[str, dict[str, Any]]:
    await drive_traffic(ops)
    response = await ops.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return response.text, scrape(response.text)
