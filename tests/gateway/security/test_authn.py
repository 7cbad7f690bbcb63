"""Client authentication for tokens: the same work for every rejection, throttled guessing."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Callable

import pytest

from gateway.ratelimit.failures import MemoryFailureCounter, RedisFailureCounter
from gateway.security import authn, secret_hash
from gateway.security.authn import AuthFailed, AuthThrottled, ClientAuthenticator
from gateway.security.clients import ClientRecord, ClientRegistry
from gateway.security.secret_hash import hash_secret, legacy_hash, verify_fast, verify_secret
from tests.clients import client_record
from tests.services import redis_url_or_skip

SECRET = "a-secret-of-the-portal-0123456789abcdefghij"
_LEGACY: list[str] = []


def _legacy() -> str:
    """One Argon2id hash of SECRET for the whole module (each costs a few hundred ms)."""
    if not _LEGACY:
        _LEGACY.append(legacy_hash(SECRET))
    return _LEGACY[0]


def _client(client_id: str, stored: str, *, enabled: bool = True) -> ClientRecord:
    return client_record(client_id, secret_hash=stored, enabled=enabled)


def _authenticator(
    *clients: ClientRecord, per_address: int = 1000, per_client: int = 1000
) -> ClientAuthenticator:
    return ClientAuthenticator(
        ClientRegistry(clients=list(clients)),
        address_failures=MemoryFailureCounter(per_address, 60.0),
        client_failures=MemoryFailureCounter(per_client, 60.0),
    )


@pytest.fixture
def slow_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record each Argon2 verification and the thread it ran in."""
    calls: list[str] = []
    real: Callable[[str, str], bool] = secret_hash.verify_slow

    def spy(stored: str, secret: str) -> bool:
        calls.append(threading.current_thread().name)
        return real(stored, secret)

    monkeypatch.setattr(authn, "verify_slow", spy)
    return calls


def test_fast_hash_accepts_only_its_secret() -> None:
    stored = hash_secret(SECRET)
    assert stored.startswith("hmac-sha256$")
    assert (verify_fast(stored, SECRET), verify_fast(stored, SECRET + "x")) == (True, False)
    assert hash_secret(SECRET) != stored  # salted: equal secrets do not give equal records


def test_old_argon2_registry_entries_still_verify() -> None:
    stored = _legacy()
    assert (verify_secret(stored, SECRET), verify_secret(stored, "wrong")) == (True, False)


async def test_good_secret_returns_the_client() -> None:
    portal = _client("portal", hash_secret(SECRET))
    assert await _authenticator(portal).authenticate("10.0.0.1", "portal", SECRET) == portal


@pytest.mark.parametrize(
    ("client_id", "secret"),
    [
        pytest.param("portal", "wrong", id="wrong-secret"),
        pytest.param("nobody", SECRET, id="unknown-client"),
        pytest.param("off", SECRET, id="disabled-client"),
    ],
)
async def test_every_rejection_is_the_same_failure(client_id: str, secret: str) -> None:
    auth = _authenticator(
        _client("portal", hash_secret(SECRET)), _client("off", hash_secret(SECRET), enabled=False)
    )
    with pytest.raises(AuthFailed):
        await auth.authenticate("10.0.0.1", client_id, secret)


@pytest.mark.parametrize(
    "client_id", [pytest.param("portal", id="wrong-secret"), pytest.param("nobody", id="unknown")]
)
async def test_unknown_ids_cost_an_argon2_check_when_the_registry_has_them(
    client_id: str, slow_calls: list[str]
) -> None:
    """With Argon2 entries in the registry, an unknown id is checked against an Argon2 dummy."""
    auth = _authenticator(_client("portal", _legacy()))
    with pytest.raises(AuthFailed):
        await auth.authenticate("10.0.0.1", client_id, "wrong")
    assert len(slow_calls) == 1


@pytest.mark.parametrize(
    ("client_id", "secret"),
    [
        pytest.param("migrated", "wrong", id="migrated-wrong-secret"),
        pytest.param("off", SECRET, id="migrated-disabled"),
        pytest.param("nobody", SECRET, id="unknown"),
        pytest.param("old", "wrong", id="argon2-wrong-secret"),
    ],
)
async def test_a_mixed_registry_makes_every_rejection_pay_one_argon2_check(
    client_id: str, secret: str, slow_calls: list[str]
) -> None:
    """Mid-migration, a rejected client on a new hash is not quicker than an unknown id."""
    auth = _authenticator(
        _client("migrated", hash_secret(SECRET)),
        _client("off", hash_secret(SECRET), enabled=False),
        _client("old", _legacy()),
    )
    with pytest.raises(AuthFailed):
        await auth.authenticate("10.0.0.1", client_id, secret)
    assert len(slow_calls) == 1


async def test_a_migrated_client_with_its_right_secret_pays_no_argon2(
    slow_calls: list[str],
) -> None:
    auth = _authenticator(_client("migrated", hash_secret(SECRET)), _client("old", _legacy()))
    await auth.authenticate("10.0.0.1", "migrated", SECRET)
    assert slow_calls == []


async def test_argon2_runs_off_the_event_loop(slow_calls: list[str]) -> None:
    auth = _authenticator(_client("portal", _legacy()))
    await auth.authenticate("10.0.0.1", "portal", SECRET)
    assert slow_calls
    assert threading.main_thread().name not in slow_calls


async def test_a_verified_argon2_secret_is_remembered(slow_calls: list[str]) -> None:
    """An old registry entry costs Argon2 once per process, not on every token."""
    auth = _authenticator(_client("portal", _legacy()))
    for _ in range(3):
        await auth.authenticate("10.0.0.1", "portal", SECRET)
    with pytest.raises(AuthFailed):
        await auth.authenticate("10.0.0.1", "portal", "wrong")  # a wrong one is still checked
    assert len(slow_calls) == 2


async def test_an_address_over_its_budget_is_refused_before_any_check() -> None:
    auth = _authenticator(_client("portal", hash_secret(SECRET)), per_address=3)
    for _ in range(3):
        with pytest.raises(AuthFailed):
            await auth.authenticate("10.0.0.1", "portal", "wrong")
    with pytest.raises(AuthThrottled) as throttled:
        await auth.authenticate("10.0.0.1", "portal", SECRET)
    assert throttled.value.retry_after > 0
    assert await auth.authenticate("10.0.0.2", "portal", SECRET)  # other addresses unaffected


async def test_guessing_a_client_id_from_many_addresses_never_locks_the_client_out() -> None:
    """Over the per-id budget a wrong secret gets 429, but the right secret still succeeds."""
    auth = _authenticator(_client("portal", hash_secret(SECRET)), per_client=3)
    for n in range(3):
        with pytest.raises(AuthFailed):
            await auth.authenticate(f"10.0.1.{n}", "portal", "wrong")
    with pytest.raises(AuthThrottled):
        await auth.authenticate("10.0.1.99", "portal", "wrong")
    assert await auth.authenticate("10.0.2.1", "portal", SECRET)


async def test_unknown_ids_are_throttled_like_known_ones() -> None:
    """The per-id count does not depend on the id existing, so 429 reveals nothing either."""
    auth = _authenticator(_client("portal", hash_secret(SECRET)), per_client=2)
    outcomes = []
    for client_id in ("portal", "nobody"):
        for n in range(3):
            try:
                await auth.authenticate(f"10.0.3.{n}", client_id, "wrong")
            except (AuthFailed, AuthThrottled) as exc:
                outcomes.append(type(exc).__name__)
    assert outcomes[:3] == outcomes[3:] == ["AuthFailed", "AuthFailed", "AuthThrottled"]


async def test_failure_budget_refills_over_the_window() -> None:
    now = [0.0]
    counter = MemoryFailureCounter(2, 60.0, clock=lambda: now[0])
    for _ in range(2):
        await counter.record_failure("k")
    assert await counter.blocked_for("k") == pytest.approx(30.0)
    now[0] = 30.0
    assert await counter.blocked_for("k") == 0


@pytest.mark.services
async def test_replicas_share_failure_counts_through_redis() -> None:
    url = await redis_url_or_skip()
    prefix = f"test:{uuid.uuid4().hex}:"
    replicas = [RedisFailureCounter(url, 3, 60.0, prefix=prefix) for _ in range(2)]
    try:
        for n in range(3):
            await replicas[n % 2].record_failure("addr")
        assert await replicas[0].blocked_for("addr") > 0
        assert await replicas[1].blocked_for("other") == 0
    finally:
        for replica in replicas:
            await replica.close()


async def test_unreachable_redis_counts_failures_locally() -> None:
    counter = RedisFailureCounter("redis://127.0.0.1:1/0", 2, 60.0)
    for _ in range(2):
        await counter.record_failure("addr")
    assert await counter.blocked_for("addr") > 0
    await counter.close()


async def test_slow_checks_queue_only_so_deep(monkeypatch: pytest.MonkeyPatch) -> None:
    """A flood of guesses needing Argon2 gets 429 past the queue's depth, not an endless wait."""
    release = threading.Event()
    monkeypatch.setattr(authn, "verify_slow", lambda _stored, _secret: release.wait(10) and False)
    auth = ClientAuthenticator(
        ClientRegistry(clients=[_client("portal", _legacy())]),
        address_failures=MemoryFailureCounter(1000, 60.0),
        client_failures=MemoryFailureCounter(1000, 60.0),
        max_pending_slow=2,
    )
    queued = [asyncio.create_task(auth.authenticate("10.0.0.1", "portal", "x")) for _ in range(2)]
    await asyncio.sleep(0.05)
    with pytest.raises(AuthThrottled):
        await auth.authenticate("10.0.0.1", "portal", "x")
    release.set()
    for task in queued:
        with pytest.raises(AuthFailed):
            await task
    await auth.close()


async def test_an_ipv6_guesser_cannot_dodge_the_budget_by_changing_its_host_bits() -> None:
    """One /64 is one source: a host there can pick among 2^64 addresses."""
    auth = _authenticator(_client("portal", hash_secret(SECRET)), per_address=2)
    for n in range(2):
        with pytest.raises(AuthFailed):
            await auth.authenticate(f"2001:db8:1:2::{n + 1}", "portal", "wrong")
    with pytest.raises(AuthThrottled):
        await auth.authenticate("2001:db8:1:2::ffff", "portal", SECRET)
    assert await auth.authenticate("2001:db8:1:3::1", "portal", SECRET)


async def test_a_flood_of_distinct_addresses_keeps_memory_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("gateway.ratelimit.failures._MAX_KEYS", 10)
    counter = MemoryFailureCounter(5, 60.0)
    for n in range(100):
        await counter.record_failure(f"addr-{n}")
    assert len(counter._levels) <= 10
    assert "addr-99" in counter._levels  # the newest guessers are the ones still counted
