"""The adapter against the mock national side in process, faults injected through /__admin/.

What the national side saw is read back from the mock's journal, so attempt counts are checked on
both ends of the link. The adapter runs on a FakeClock: backoff, Retry-After and the breaker's
cool-down pass in virtual time (the mock itself answers at once; no latency or hang faults here).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest

from adapters.ngsp import (
    CallContext,
    CircuitOpen,
    NgspClient,
    NgspConfig,
    NgspError,
    RetryBudgetExhausted,
    UpstreamFault,
    UpstreamHTTPError,
    UpstreamProtocolError,
)
from adapters.ngsp.testing import FakeClock
from mocks.app import create_mock_app
from mocks.settings import MockSettings

LOOKUP = "TraCuuThongTinCongDan"
MOCK_URL = "http://ngsp.test"


class National:
    """The mock's admin API, spoken over the same in-process link."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def inject(self, **rule: Any) -> None:
        response = await self.http.post(f"{MOCK_URL}/__admin/faults", json=rule)
        assert response.status_code == 201, response.text

    async def clear_faults(self) -> None:
        await self.http.delete(f"{MOCK_URL}/__admin/faults")

    async def dialect(self, name: str) -> None:
        await self.http.patch(f"{MOCK_URL}/__admin/config", json={"dialect": name})

    async def journal(self, **query: str) -> dict[str, Any]:
        response = await self.http.get(f"{MOCK_URL}/__admin/journal", params=query)
        return dict(response.json())

    async def seen(self, number: str | None = None) -> int:
        """SOAP look-ups the national side received (for one citizen, or all)."""
        query = {"operation": LOOKUP} | ({"personal_id": number} if number else {})
        return int((await self.journal(**query))["count"])

    async def total(self) -> int:
        """Every request the national side received: tokens and SOAP alike."""
        return int((await self.journal())["total"])

    async def citizen(self) -> dict[str, Any]:
        response = await self.http.get(f"{MOCK_URL}/__admin/citizens/sample", params={"n": 1})
        return dict(response.json()[0])


@pytest.fixture
async def link() -> AsyncIterator[httpx.AsyncClient]:
    app = create_mock_app(MockSettings(population_size=2_000, seed=2021, dialect="mixed"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:
        yield http


@pytest.fixture
def national(link: httpx.AsyncClient) -> National:
    return National(link)


@pytest.fixture
def config(config: NgspConfig) -> NgspConfig:
    """The conftest's configuration, pointed at the mock with its dev consumer credentials."""
    return replace(
        config, base_url=MOCK_URL, consumer_key="lgsp-dev-key", consumer_secret="lgsp-dev-secret"
    )


@pytest.fixture
def http(link: httpx.AsyncClient) -> httpx.AsyncClient:
    """The conftest's clients (``client``, ``make_client``) talk to the mock, in process."""
    return link


@pytest.fixture
async def number(national: National) -> str:
    return str((await national.citizen())["personal_id"])


def new_ctx(request_id: str = "e2e-1") -> CallContext:
    return CallContext(request_id=request_id, purpose_code="1.001612", officer_id="officer-17")


@pytest.mark.parametrize("dialect", ["qcvn", "live"])
async def test_lookup_reads_each_dialect_of_the_mock(client, national, dialect):
    citizen_summary = await national.citizen()
    await national.dialect(dialect)

    citizen = await client.lookup_citizen(citizen_summary["personal_id"], new_ctx())

    assert citizen is not None
    assert citizen.personal_id == citizen_summary["personal_id"]
    assert citizen.date_of_birth == citizen_summary["date_of_birth"]
    assert citizen.full_name.casefold() == citizen_summary["full_name"].casefold()


async def test_unknown_citizen_is_none_in_one_attempt(client, national):
    ctx = new_ctx()

    assert await client.lookup_citizen("054092999999", ctx) is None
    assert ctx.attempts == await national.seen("054092999999") == 1


async def test_two_503s_then_success_is_three_attempts_on_both_ends(client, national, number):
    await national.inject(
        match={"operation": LOOKUP},
        sequence=[{"kind": "http_error", "status": 503}, {"kind": "http_error", "status": 503}],
    )
    ctx = new_ctx()

    assert await client.lookup_citizen(number, ctx) is not None
    assert ctx.attempts == await national.seen(number) == 3
    journal = await national.journal(personal_id=number)
    assert [e["request_id"] for e in journal["entries"]] == ["e2e-1"] * 3  # MaYeuCau unchanged


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param({"kind": "reset"}, id="connection-reset"),
        pytest.param({"kind": "truncated"}, id="truncated-body"),
        pytest.param({"kind": "http_error", "status": 502}, id="502-proxy-page"),
        pytest.param({"kind": "soap_fault", "code": 500}, id="server-fault"),
    ],
)
async def test_transient_faults_are_retried_once_then_answered(client, national, number, fault):
    await national.inject(match={"operation": LOOKUP}, action=fault, times=1)
    ctx = new_ctx()

    assert await client.lookup_citizen(number, ctx) is not None
    assert ctx.attempts == await national.seen(number) == 2


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        pytest.param({"kind": "soap_fault", "code": 302}, UpstreamFault, id="client-fault"),
        pytest.param({"kind": "malformed_xml"}, UpstreamProtocolError, id="malformed-xml"),
    ],
)
async def test_definite_faults_are_not_retried(client, national, number, fault, error):
    await national.inject(match={"operation": LOOKUP}, action=fault)
    ctx = new_ctx()

    with pytest.raises(error):
        await client.lookup_citizen(number, ctx)

    assert ctx.attempts == await national.seen(number) == 1


async def test_429_retry_after_is_waited_in_virtual_time(client, national, number, clock):
    await national.inject(
        match={"operation": LOOKUP}, action={"kind": "http_error", "status": 429}, times=1
    )
    started = clock.now()

    assert await client.lookup_citizen(number, new_ctx()) is not None
    assert clock.now() - started == 1.0  # the mock's default Retry-After for 429
    assert await national.seen(number) == 2


async def test_expired_token_costs_one_refresh_and_one_replay(client, national, number, observer):
    await client.lookup_citizen(number, new_ctx("warm-up"))
    await national.inject(match={"operation": LOOKUP}, action={"kind": "expire_tokens"}, times=1)
    ctx = new_ctx()

    assert await client.lookup_citizen(number, ctx) is not None
    assert ctx.attempts == 2
    journal = await national.journal()
    assert journal["by_outcome"]["injected:expire_tokens:unauthorized"] == 1
    assert journal["by_operation"]["token"] == 2
    assert observer.token_refreshes == 2


async def test_breaker_opens_under_an_outage_and_recovers_after_it(
    client, national, number, clock, observer
):
    await national.inject(match={"operation": LOOKUP}, action={"kind": "http_error", "status": 503})

    with pytest.raises(UpstreamHTTPError):
        await client.lookup_citizen(number, new_ctx("a"))  # 3 attempts
    with pytest.raises(CircuitOpen):
        await client.lookup_citizen(number, new_ctx("b"))  # 2 more attempts open it
    assert client.breaker.state == "open"
    assert await national.seen(number) == 5

    with pytest.raises(CircuitOpen) as caught:
        await client.lookup_citizen(number, new_ctx("c"))
    assert caught.value.retry_after == pytest.approx(client.breaker.retry_after)
    assert await national.seen(number) == 5  # failing fast: nothing sent

    await national.clear_faults()
    clock.advance(client.config.breaker_open_s)
    assert await client.lookup_citizen(number, new_ctx("probe")) is not None

    assert client.breaker.state == "closed"
    assert await national.seen(number) == 6
    assert observer.transitions == [
        ("closed", "open"),
        ("open", "half_open"),
        ("half_open", "closed"),
    ]


async def _outage_traffic(client: NgspClient, clock: FakeClock, rate: float, seconds: float):
    """Portal look-ups arriving at ``rate`` per second for ``seconds`` of virtual time."""
    started, errors = clock.now(), set()
    sent = round(rate * seconds)
    for i in range(sent):
        clock.advance(max(0.0, started + i / rate - clock.now()))
        try:
            await client.lookup_citizen("054092000123", new_ctx(f"outage-{i}"))
        except NgspError as exc:
            errors.add(type(exc))
    return sent, errors


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(({}, 200, 200 * 1.2 + 10), id="budget-20-percent"),
        pytest.param(
            ({"retry_budget_ratio": 10.0, "retry_budget_min_per_s": 1e6}, 600, 600),
            id="no-budget-triples-the-load",
        ),
    ],
)
async def test_total_outage_stays_within_the_retry_budget(make_client, national, clock, case):
    """10 s of 100 % failures (token endpoint too) at 20 look-ups/s, breaker out of the way."""
    budget, least, most = case
    client = make_client(breaker_failure_threshold=10**6, breaker_min_calls=10**6, **budget)
    await national.inject(action={"kind": "http_error", "status": 503})

    sent, errors = await _outage_traffic(client, clock, rate=20, seconds=10)

    assert sent == 200
    assert least <= await national.total() <= most
    assert (RetryBudgetExhausted in errors) is (not budget)


async def test_total_outage_with_the_breaker_sends_almost_nothing(client, national, clock):
    """With the breaker on, the same outage costs 5 failed attempts and then nothing."""
    await national.inject(action={"kind": "http_error", "status": 503})

    sent, errors = await _outage_traffic(client, clock, rate=20, seconds=10)

    assert sent == 200
    assert await national.total() == 5
    assert CircuitOpen in errors
