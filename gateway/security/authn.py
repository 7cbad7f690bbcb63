"""Client authentication for the token endpoint: same work for every rejection, throttled failures.

Three promises (docs/security.md):

- **Never blocks the event loop.** Fast ``hmac-sha256$`` hashes are checked in place (µs); old
  Argon2id hashes run on one dedicated worker thread at a lowered CPU priority (so look-ups on
  the event loop's thread win the CPU while a flood of guesses queues), and a secret once
  verified is remembered (as an HMAC under a per-process key), so a portal on an old
  registry entry pays Argon2 once per process, not per token. At most ``max_pending_slow`` checks
  wait for that thread; past it, a request that needs one gets 429 at once (Retry-After 1)
  instead of queueing without bound.
- **No existence oracle.** An unknown client id is checked against a dummy hash of the kind the
  registry uses, a disabled client against its own hash: unknown, disabled and wrong secret do
  the same work and get the same answer. While a registry still mixes old Argon2 and new hashes,
  a rejected client on a new hash also pays the Argon2 dummy check an unknown id pays.
- **Guessing is throttled.** Failures count per source address first: an address over its budget
  gets 429 before any hash is computed. They also count per offered client id (whether it exists
  or not, so the count reveals nothing): over that budget a *wrong* secret gets 429, but the right
  secret still succeeds, so someone guessing a portal's id cannot lock the portal out.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import ipaddress
import os
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from gateway.ratelimit.failures import FailureCounter
from gateway.security.clients import ClientRecord, ClientRegistry
from gateway.security.secret_hash import (
    hash_secret,
    is_fast,
    legacy_hash,
    new_secret,
    verify_fast,
    verify_slow,
)

__all__ = ["AuthFailed", "AuthThrottled", "ClientAuthenticator"]

T = TypeVar("T")


class AuthFailed(Exception):
    """Unknown client, disabled client or wrong secret: deliberately one kind."""


class AuthThrottled(Exception):
    """Too many failures from this address or for this client id; retry after ``retry_after``."""

    def __init__(self, retry_after: float) -> None:
        super().__init__("too many failed attempts")
        self.retry_after = retry_after


def _source(address: str) -> str:
    """The unit a guesser pays per: one IPv4 address, or one IPv6 /64 (what a host is given)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _key(kind: str, value: str) -> str:
    # Offered ids and addresses are attacker-chosen: hash them to bound the key size.
    return f"{kind}:{hashlib.sha256(value.encode()).hexdigest()[:32]}"


class ClientAuthenticator:
    def __init__(
        self,
        registry: ClientRegistry,
        *,
        address_failures: FailureCounter,
        client_failures: FailureCounter,
        slow_concurrency: int = 1,
        max_pending_slow: int = 32,
    ) -> None:
        self._registry = registry
        self._address_failures = address_failures
        self._client_failures = client_failures
        self._slow = ThreadPoolExecutor(
            slow_concurrency, thread_name_prefix="argon2", initializer=_lower_priority
        )
        self._max_pending_slow = max_pending_slow
        self._pending_slow = 0
        self._process_key = secrets.token_bytes(32)
        self._verified: dict[str, bytes] = {}  # Argon2 hash -> HMAC of the secret it accepted
        self._dummy_fast = hash_secret(new_secret())
        self._dummy_slow: str | None = None

    async def authenticate(self, address: str, client_id: str, secret: str) -> ClientRecord:
        """The enabled client whose secret this is; else :class:`AuthFailed` / ``AuthThrottled``."""
        address = _source(address)
        await self._refuse_if_blocked(self._address_failures, _key("addr", address))
        client = self._registry.get(client_id)
        stored = client.secret_hash if client is not None else await self._dummy_hash()
        matches = await self._matches(stored, secret)
        if client is not None and client.enabled and matches:
            return client
        if client is not None and is_fast(stored) and not self._all_fast():
            # While old Argon2 entries remain, an unknown id costs an Argon2 dummy check: a
            # rejected migrated client must cost the same, or its quick 401 says "this id exists".
            await self._matches(await self._dummy_hash(), secret)
        client_key = _key("client", client_id)
        client_wait = await self._client_failures.blocked_for(client_key)
        await self._address_failures.record_failure(_key("addr", address))
        await self._client_failures.record_failure(client_key)
        if client_wait > 0:
            raise AuthThrottled(client_wait)
        raise AuthFailed

    async def close(self) -> None:
        await self._address_failures.close()
        await self._client_failures.close()
        self._slow.shutdown(wait=False, cancel_futures=True)

    @staticmethod
    async def _refuse_if_blocked(counter: FailureCounter, key: str) -> None:
        wait = await counter.blocked_for(key)
        if wait > 0:
            raise AuthThrottled(wait)

    async def _matches(self, stored: str, secret: str) -> bool:
        if is_fast(stored):
            return verify_fast(stored, secret)
        remembered = self._verified.get(stored)
        digest = hmac.digest(self._process_key, secret.encode(), hashlib.sha256)
        if remembered is not None and hmac.compare_digest(remembered, digest):
            return True
        if self._pending_slow >= self._max_pending_slow:
            raise AuthThrottled(1.0)
        self._pending_slow += 1
        try:
            ok = await self._off_loop(verify_slow, stored, secret)
        finally:
            self._pending_slow -= 1
        if ok:
            self._verified[stored] = digest
        return ok

    def _all_fast(self) -> bool:
        return all(is_fast(c.secret_hash) for c in self._registry.all())

    async def _dummy_hash(self) -> str:
        """A hash of the kind the registry holds, so an unknown id costs what a known one does."""
        if self._all_fast():
            return self._dummy_fast
        if self._dummy_slow is None:
            self._dummy_slow = await self._off_loop(legacy_hash, new_secret())
        return self._dummy_slow

    async def _off_loop(self, function: Callable[..., T], *args: str) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._slow, function, *args)


def _lower_priority() -> None:
    # Old Argon2 checks are the one CPU-heavy job a caller without credentials can trigger; at a
    # lower priority (Linux: per thread) they use idle CPU without slowing the event loop.
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
