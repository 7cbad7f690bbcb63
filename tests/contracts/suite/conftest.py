"""Real stacks for the contract suite: ``lgsp mock`` + ``lgsp serve`` processes on loopback ports.

The gateway gets a client registry with the three identities the suite uses (a fully entitled
portal, a basic portal, an auditor) and short NGSP time limits so the fault scenarios stay quick.
``misconfigured`` starts the same arrangement with one thing wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from contracts.suite import Credentials, SuiteConfig
from gateway.security.clients import ClientRecord, FieldSet, Operation, hash_secret, save_clients
from tests.e2e.processes import gateway_and_mock

FAST_NGSP = {
    "LGSP_NGSP_ATTEMPT_TIMEOUT_S": "0.5",
    "LGSP_NGSP_DEADLINE_S": "1.5",
    "LGSP_NGSP_BACKOFF_INITIAL_S": "0.01",
    "LGSP_NGSP_BACKOFF_MAX_S": "0.05",
    "LGSP_NGSP_BREAKER_OPEN_S": "1",
    "LGSP_NGSP_RETRY_BUDGET_MIN_PER_S": "50",
}


# Calls a second each identity may sustain. security.rate-limit throttles the basic portal with
# 50 calls past its burst of 40: at 20 a second that needed over 100 calls a second, more than a
# loaded 2-core runner gives; at 5 it needs 25.
_RATES = {"portal": 200, "basic-portal": 5}


def _client(client_id: str, operations: set[Operation], field_set: FieldSet) -> ClientRecord:
    return ClientRecord(
        client_id=client_id,
        name=client_id,
        agency_code="000.00.00.H45",
        secret_hash=hash_secret(f"{client_id}-secret"),
        operations=frozenset(operations),
        field_set=field_set,
        verify_strategies=frozenset({"exact", "normalised"}),
        rate_per_s=_RATES.get(client_id, 20),
        burst=400 if client_id == "portal" else 40,
    )


def write_clients(path: Path, *, basic_field_set: FieldSet = FieldSet.BASIC) -> Path:
    data = {Operation.LOOKUP, Operation.VERIFY, Operation.HOUSEHOLD, Operation.VERIFY_BATCH}
    save_clients(
        path,
        [
            _client("portal", data, FieldSet.FULL),
            _client("basic-portal", {Operation.LOOKUP, Operation.VERIFY}, basic_field_set),
            _client("auditor", {Operation.AUDIT_READ}, FieldSet.BASIC),
        ],
    )
    return path


ADMIN_TOKEN = "contract-suite-admin-token-0123456789"


def credentials(client_id: str) -> Credentials:
    return Credentials(client_id, f"{client_id}-secret")


@dataclass(frozen=True)
class Deployment:
    gateway_url: str
    mock_url: str

    def config(self, **overrides: object) -> SuiteConfig:
        settings: dict[str, object] = {
            "gateway_url": self.gateway_url,
            "client": credentials("portal"),
            "basic_client": credentials("basic-portal"),
            "auditor": credentials("auditor"),
            "mock_admin_url": self.mock_url,
            "admin_token": ADMIN_TOKEN,
            **overrides,
        }
        return SuiteConfig(**settings)  # type: ignore[arg-type]


@contextmanager
def deployment(workdir: Path, **env: str) -> Iterator[Deployment]:
    clients = env.pop("clients", None) or str(write_clients(workdir / "clients.yaml"))
    env.setdefault("LGSP_ADMIN_TOKEN", ADMIN_TOKEN)
    # Each suite run sends wrong secrets on purpose (security.bad-credentials, malformed token
    # requests), all from 127.0.0.1, and the session runs the suite many times against one
    # deployment: the per-address budget (10 a minute, docs/security.md) would refuse the rest.
    env.setdefault("LGSP_AUTH_FAILURES_PER_ADDRESS", "10000")
    with gateway_and_mock(workdir, LGSP_CLIENTS_FILE=clients, **FAST_NGSP, **env) as urls:
        yield Deployment(*urls)


@pytest.fixture(scope="session")
def healthy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """A correctly configured gateway and mock, shared by the session's suite tests."""
    with deployment(tmp_path_factory.mktemp("healthy")) as running:
        yield running


@pytest.fixture
def misconfigured(
    tmp_path: Path,
) -> Callable[..., AbstractContextManager[Deployment]]:
    """Start a deployment with the given environment (``clients=`` a registry file path)."""

    def start(**env: str) -> AbstractContextManager[Deployment]:
        return deployment(tmp_path, **env)

    return start
