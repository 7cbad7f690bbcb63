"""The circuit breaker: closed → open → half-open → closed, on virtual time."""

from __future__ import annotations

import asyncio

import pytest

from adapters.ngsp import (
    CircuitBreaker,
    CircuitOpen,
    UpstreamHTTPError,
    UpstreamProtocolError,
    UpstreamRecordError,
)
from adapters.ngsp.client import counts_against_breaker
from adapters.ngsp.testing import FakeClock

NUMBER = "054092000123"


class Boom(Exception):
    """A failure the breaker counts."""


class Fine(Exception):
    """An error the breaker does not count (like a Client fault)."""


def make_breaker(clock: FakeClock, transitions: list[tuple[str, str]], **options) -> CircuitBreaker:
    return CircuitBreaker(
        clock,
        is_failure=lambda exc: isinstance(exc, Boom),
        on_transition=lambda old, new: transitions.append((old, new)),
        **options,
    )


def fail(breaker: CircuitBreaker, times: int = 1) -> None:
    for _ in range(times):
        with pytest.raises(Boom), breaker.guard():
            raise Boom


def succeed(breaker: CircuitBreaker) -> None:
    with breaker.guard():
        pass


@pytest.fixture
def transitions() -> list[tuple[str, str]]:
    return []


@pytest.fixture
def breaker(clock, transitions) -> CircuitBreaker:
    return make_breaker(clock, transitions, failure_threshold=5, open_s=10.0)


def test_opens_after_consecutive_failures(breaker, transitions):
    fail(breaker, 4)
    assert breaker.state == "closed"

    fail(breaker)

    assert breaker.state == "open"
    assert transitions == [("closed", "open")]


def test_a_success_resets_the_consecutive_count(breaker):
    fail(breaker, 4)
    succeed(breaker)
    fail(breaker, 4)

    assert breaker.state == "closed"


def test_opens_on_failure_rate_over_the_window(clock, transitions):
    """Alternating failures never make 5 in a row, but 50 % of 20 calls is enough."""
    breaker = make_breaker(clock, transitions, failure_rate=0.5, min_calls=20)
    for _ in range(9):
        fail(breaker)
        succeed(breaker)
    before = breaker.state  # 18 calls: below min_calls

    fail(breaker)
    succeed(breaker)
    fail(breaker)

    assert (before, breaker.state) == ("closed", "open")


@pytest.mark.parametrize(
    ("pause_s", "state"),
    [
        pytest.param(0, "open", id="all-in-window"),
        pytest.param(11, "closed", id="old-calls-forgotten"),
    ],
)
def test_the_failure_rate_counts_only_the_window(clock, transitions, pause_s, state):
    """18 calls at 50 %, a pause, then 2 more: only the last 10 s of calls are judged."""
    breaker = make_breaker(clock, transitions, failure_rate=0.5, min_calls=20, window_s=10.0)
    for _ in range(9):
        fail(breaker)
        succeed(breaker)
    clock.advance(pause_s)
    succeed(breaker)
    fail(breaker)

    assert breaker.state == state


def test_open_fails_fast_with_the_remaining_cool_down(breaker, clock):
    fail(breaker, 5)
    clock.advance(4)

    with pytest.raises(CircuitOpen) as caught, breaker.guard():
        pytest.fail("an open breaker must not admit the attempt")

    assert caught.value.retry_after == pytest.approx(6.0)
    assert breaker.retry_after == pytest.approx(6.0)


def test_half_open_after_the_cool_down_admits_one_probe(breaker, clock, transitions):
    fail(breaker, 5)
    clock.advance(10)

    assert breaker.state == "half_open"
    assert breaker.retry_after == 0.0
    with breaker.guard():  # the probe
        with pytest.raises(CircuitOpen) as caught, breaker.guard():
            pytest.fail("only one probe at a time")
        assert caught.value.retry_after == 1.0

    assert breaker.state == "closed"
    assert transitions == [("closed", "open"), ("open", "half_open"), ("half_open", "closed")]


def test_failed_probe_reopens_for_a_new_cool_down(breaker, clock, transitions):
    fail(breaker, 5)
    clock.advance(10)

    fail(breaker)

    assert breaker.state == "open"
    assert breaker.retry_after == pytest.approx(10.0)
    assert transitions[-1] == ("half_open", "open")


def test_uncounted_errors_are_answers_from_a_healthy_upstream(breaker, clock):
    """A Client fault during the probe proves the national side answers: it closes."""
    fail(breaker, 5)
    clock.advance(10)

    with pytest.raises(Fine), breaker.guard():
        raise Fine

    assert breaker.state == "closed"


def test_uncounted_errors_do_not_open_it(breaker):
    for _ in range(20):
        with pytest.raises(Fine), breaker.guard():
            raise Fine

    assert breaker.state == "closed"


def test_cancelled_probe_frees_the_probe_slot(breaker, clock):
    fail(breaker, 5)
    clock.advance(10)

    with pytest.raises(asyncio.CancelledError), breaker.guard():
        raise asyncio.CancelledError

    assert breaker.state == "half_open"
    succeed(breaker)
    assert breaker.state == "closed"


def test_a_straggler_does_not_decide_after_a_transition(breaker, clock):
    """A success admitted before the breaker opened cannot close it."""
    straggler = breaker.guard()
    straggler.__enter__()
    fail(breaker, 5)

    straggler.__exit__(None, None, None)

    assert breaker.state == "open"


async def test_client_breaker_opens_fails_fast_and_recovers(
    upstream, make_client, make_ctx, clock, observer
):
    """Closed → open after 5 failed attempts; no upstream call while open; a probe closes it."""
    client = make_client(max_attempts=1)
    upstream.token()
    for _ in range(5):
        upstream.status(503)
    upstream.answer("lookup-not-found.xml")

    for i in range(5):
        with pytest.raises(UpstreamHTTPError):
            await client.lookup_citizen(NUMBER, make_ctx(f"fail-{i}"))
    assert client.breaker.state == "open"

    ctx = make_ctx("fast")
    with pytest.raises(CircuitOpen) as caught:
        await client.lookup_citizen(NUMBER, ctx)
    assert ctx.attempts == 0
    assert caught.value.retry_after == pytest.approx(10.0)
    assert len(upstream.soap_requests()) == 5

    clock.advance(10)
    assert client.breaker.state == "half_open"
    assert await client.lookup_citizen(NUMBER, make_ctx("probe")) is None

    assert client.breaker.state == "closed"
    assert observer.transitions == [
        ("closed", "open"),
        ("open", "half_open"),
        ("half_open", "closed"),
    ]


async def test_not_found_is_not_a_failure(upstream, client, make_ctx):
    upstream.token()
    upstream.answer("lookup-not-found.xml", is_reusable=True)

    for i in range(10):
        assert await client.lookup_citizen(NUMBER, make_ctx(f"r-{i}")) is None

    assert client.breaker.state == "closed"


async def test_client_faults_do_not_open_the_breaker(upstream, client, make_ctx):
    upstream.token()
    upstream.answer("fault-client.xml", status=500, is_reusable=True)

    for i in range(10):
        with pytest.raises(Exception, match="DATA_TYPE_INVALID"):
            await client.lookup_citizen(NUMBER, make_ctx(f"r-{i}"))

    assert client.breaker.state == "closed"


async def test_breaker_opening_mid_call_stops_its_retries(upstream, client, make_ctx, clock):
    """The fifth consecutive failure opens it; that call's next retry fails fast."""
    upstream.token()
    upstream.status(503, is_reusable=True)
    with pytest.raises(UpstreamHTTPError):
        await client.lookup_citizen(NUMBER, make_ctx("a"))  # 3 failed attempts
    ctx = make_ctx("b")

    with pytest.raises(CircuitOpen) as caught:
        await client.lookup_citizen(NUMBER, ctx)

    assert ctx.attempts == 2
    assert isinstance(caught.value, CircuitOpen)


def test_one_unusable_record_does_not_count_against_the_breaker() -> None:
    """A malformed record or an ambiguous answer is about one citizen: five look-ups of that
    citizen must not open the circuit for the whole province. Garbage envelopes still count."""
    assert not counts_against_breaker(UpstreamRecordError("NgayThangNam is not a date"))
    assert counts_against_breaker(UpstreamProtocolError("the answer is not well-formed XML"))
