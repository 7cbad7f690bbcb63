"""Retries: only transient failures, full-jitter backoff or Retry-After, inside one deadline.

Time is virtual (FakeClock): waits and time-outs advance it, nothing sleeps for real.
"""

from __future__ import annotations

import httpx
import pytest

from adapters.ngsp import (
    DeadlineExceeded,
    RetryBudgetExhausted,
    UpstreamConnectError,
    UpstreamFault,
    UpstreamHTTPError,
    UpstreamProtocolError,
    UpstreamRejected,
    UpstreamTimeout,
)

LOOKUP = "TraCuuThongTinCongDan"
NUMBER = "054092000123"


def slow(clock, seconds: float):
    """An upstream answer that takes ``seconds`` of virtual time."""

    async def respond(request: httpx.Request) -> httpx.Response:
        await clock.sleep(seconds)
        return httpx.Response(200, content=b"never read in time")

    return respond


async def test_503_then_200_takes_exactly_two_attempts(upstream, client, ctx, clock, observer):
    upstream.token()
    upstream.status(503)
    upstream.answer("lookup-found-live.xml")
    started = clock.now()

    citizen = await client.lookup_citizen(NUMBER, ctx)

    assert citizen is not None
    assert ctx.attempts == 2
    (first, wait), second = observer.attempts[0][2:], observer.attempts[1]
    assert first == "upstream_http_error_503"
    assert 0 <= wait <= 0.2  # full jitter: uniform in [0, initial]
    assert second == (LOOKUP, 2, "ok", None)
    assert clock.now() - started == pytest.approx(wait)


async def test_every_attempt_carries_the_same_request_id(upstream, client, ctx):
    """MaYeuCau is the gateway's request id: retries send the very same message."""
    upstream.token()
    upstream.status(502)
    upstream.status(504)
    upstream.answer("lookup-not-found.xml")

    await client.lookup_citizen(NUMBER, ctx)

    bodies = {request.content for request in upstream.soap_requests()}
    assert len(bodies) == 1
    assert b"<dan:MaYeuCau>req-0001</dan:MaYeuCau>" in bodies.pop()


async def test_429_retry_after_is_honoured_exactly(upstream, client, ctx, clock, observer):
    upstream.token()
    upstream.status(429, headers={"Retry-After": "2"})
    upstream.answer("lookup-not-found.xml")
    started = clock.now()

    assert await client.lookup_citizen(NUMBER, ctx) is None

    assert clock.now() - started == 2.0
    assert observer.attempts[0] == (LOOKUP, 1, "upstream_http_error_429", 2.0)
    assert ctx.attempts == 2


async def test_retry_after_beyond_the_deadline_is_not_waited_for(upstream, client, ctx, clock):
    """Asked to come back in 30 s with 8 s to live: answer now, with the upstream's own error."""
    upstream.token()
    upstream.status(503, headers={"Retry-After": "30"})
    started = clock.now()

    with pytest.raises(UpstreamHTTPError) as caught:
        await client.lookup_citizen(NUMBER, ctx)

    assert (caught.value.status, caught.value.retry_after) == (503, 30.0)
    assert clock.now() == started
    assert ctx.attempts == 1


async def test_an_attempt_that_outlives_its_timeout_is_cut_and_retried(
    upstream, client, ctx, clock, observer
):
    """The per-attempt time-out (3 s) ends a hung attempt; the retry then succeeds."""
    upstream.token()
    upstream.call(slow(clock, 30))
    upstream.answer("lookup-not-found.xml")
    started = clock.now()

    assert await client.lookup_citizen(NUMBER, ctx) is None

    first_outcome, first_wait = observer.attempts[0][2:]
    assert first_outcome == "upstream_timeout"
    assert clock.now() - started == pytest.approx(3.0 + first_wait)
    assert upstream.soap_requests()[0].extensions["timeout"]["read"] == 3.0
    assert ctx.upstream_ms == pytest.approx(3000.0)


async def test_httpx_timeouts_map_to_upstream_timeout(upstream, make_client, ctx):
    client = make_client(max_attempts=1)
    upstream.token()
    upstream.fail(httpx.ReadTimeout("read timed out"))

    with pytest.raises(UpstreamTimeout):
        await client.lookup_citizen(NUMBER, ctx)


async def test_overall_deadline_cuts_retries_short(upstream, make_client, ctx, clock):
    """Kong's lesson: 10 attempts x 3 s must not become 30 s; the 8 s deadline ends it (504)."""
    client = make_client(max_attempts=10)
    upstream.token()
    upstream.call(slow(clock, 30), is_reusable=True)
    started = clock.now()

    with pytest.raises(DeadlineExceeded) as caught:
        await client.lookup_citizen(NUMBER, ctx)

    assert clock.now() - started == pytest.approx(8.0)
    assert ctx.attempts == 3
    last = upstream.soap_requests()[-1]
    assert last.extensions["timeout"]["read"] < 3.0  # clipped to what the deadline left
    assert isinstance(caught.value.__cause__, UpstreamTimeout)


async def test_attempts_run_out_with_the_last_failure(upstream, client, ctx, observer):
    upstream.token()
    upstream.status(503, is_reusable=True)

    with pytest.raises(UpstreamHTTPError) as caught:
        await client.lookup_citizen(NUMBER, ctx)

    assert caught.value.status == 503
    assert ctx.attempts == 3
    assert [event[1] for event in observer.attempts] == [1, 2, 3]
    assert observer.attempts[-1][3] is None


async def test_backoff_windows_grow_exponentially_and_are_capped(
    upstream, make_client, ctx, observer
):
    """Full jitter: the n-th wait is uniform in [0, min(0.2 x 2^(n-1), 2 s)]."""
    client = make_client(max_attempts=8, deadline_s=60, breaker_failure_threshold=100)
    upstream.token()
    upstream.status(503, is_reusable=True)

    with pytest.raises(UpstreamHTTPError):
        await client.lookup_citizen(NUMBER, ctx)

    waits = [event[3] for event in observer.attempts[:-1]]
    caps = [min(0.2 * 2**n, 2.0) for n in range(7)]
    assert all(0 <= wait <= cap for wait, cap in zip(waits, caps, strict=True))


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param(lambda u: u.status(502), id="502"),
        pytest.param(lambda u: u.status(503), id="503"),
        pytest.param(lambda u: u.status(504), id="504"),
        pytest.param(lambda u: u.status(429), id="429"),
        pytest.param(lambda u: u.fail(httpx.ConnectError("refused")), id="connect-error"),
        pytest.param(lambda u: u.fail(httpx.ReadError("reset by peer")), id="connection-reset"),
        pytest.param(lambda u: u.fail(httpx.ConnectTimeout("slow")), id="connect-timeout"),
        pytest.param(lambda u: u.answer("fault-server.xml", status=500), id="server-fault"),
    ],
)
async def test_transient_failures_are_retried(upstream, client, ctx, failure):
    upstream.token()
    failure(upstream)
    upstream.answer("lookup-not-found.xml")

    assert await client.lookup_citizen(NUMBER, ctx) is None
    assert ctx.attempts == 2


@pytest.mark.parametrize(
    ("failure", "error"),
    [
        pytest.param(lambda u: u.status(400), UpstreamRejected, id="400"),
        pytest.param(lambda u: u.status(404), UpstreamRejected, id="404"),
        pytest.param(lambda u: u.status(500), UpstreamRejected, id="500-without-fault"),
        pytest.param(
            lambda u: u.answer("fault-client.xml", status=500), UpstreamFault, id="client-fault"
        ),
        pytest.param(
            lambda u: u.answer("lookup-malformed.xml"), UpstreamProtocolError, id="malformed-xml"
        ),
    ],
)
async def test_definite_failures_are_not_retried(upstream, client, ctx, failure, error):
    upstream.token()
    failure(upstream)

    with pytest.raises(error):
        await client.lookup_citizen(NUMBER, ctx)

    assert ctx.attempts == 1


async def test_connect_errors_surface_mapped_once_attempts_run_out(upstream, client, ctx):
    upstream.token()
    upstream.fail(httpx.ConnectError("All connection attempts failed"), is_reusable=True)

    with pytest.raises(UpstreamConnectError) as caught:
        await client.lookup_citizen(NUMBER, ctx)

    assert caught.value.layer == "ngsp"
    assert isinstance(caught.value.__cause__, httpx.ConnectError)


async def test_spent_retry_budget_stops_retrying(upstream, make_client, make_ctx):
    """With no floor and 20 %, ten requests earn two retries: the third attempt is the last."""
    client = make_client(max_attempts=5, retry_budget_min_per_s=0.0)
    upstream.token()
    for _ in range(9):
        upstream.answer("lookup-not-found.xml")
    upstream.status(503, is_reusable=True)
    for i in range(9):
        await client.lookup_citizen(NUMBER, make_ctx(f"ok-{i}"))
    ctx = make_ctx("failing")

    with pytest.raises(RetryBudgetExhausted) as caught:
        await client.lookup_citizen(NUMBER, ctx)

    assert ctx.attempts == 3
    assert isinstance(caught.value.__cause__, UpstreamHTTPError)


async def test_budget_floor_lets_a_quiet_gateway_retry(upstream, client, ctx):
    """One request alone earns 0.2 retries; the floor (1/s over 10 s) still allows its retries."""
    upstream.token()
    upstream.status(503)
    upstream.status(503)
    upstream.answer("lookup-not-found.xml")

    assert await client.lookup_citizen(NUMBER, ctx) is None
    assert ctx.attempts == 3
