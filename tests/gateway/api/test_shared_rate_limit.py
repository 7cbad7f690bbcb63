"""Two gateway app instances sharing the real Redis enforce one combined limit (service test)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from gateway.app import create_app
from gateway.security.clients import Operation, save_clients
from gateway.settings import Settings
from tests.clients import client_record
from tests.conftest import PURPOSE_HEADERS
from tests.services import redis_url_or_skip

pytestmark = pytest.mark.services


@pytest.fixture
async def two_replicas(tmp_path: Path) -> AsyncIterator[tuple[list[httpx.AsyncClient], str]]:
    redis_url = await redis_url_or_skip()
    client_id = f"shared-{uuid.uuid4().hex[:12]}"  # fresh bucket key in the shared Redis
    clients_file = tmp_path / "clients.yaml"
    record = client_record(
        client_id,
        secret="s3cret",
        name="Shared-limit portal",
        operations=frozenset({Operation.LOOKUP}),
        rate_per_s=0.01,
        burst=5,
    )
    save_clients(clients_file, [record])
    apps = [
        create_app(
            Settings(
                clients_file=clients_file,
                rate_limit_backend="redis",
                redis_url=redis_url,
                audit_dsn=f"sqlite:///{tmp_path / f'audit-{i}.sqlite3'}",
                audit_writer_id=f"replica-{i}",
                jobs_dsn=f"sqlite:///{tmp_path / f'jobs-{i}.sqlite3'}",
                ngsp_base_url="http://127.0.0.1:1",
                log_format="json",
            )
        )
        for i in range(2)
    ]
    async with (
        apps[0].router.lifespan_context(apps[0]),
        apps[1].router.lifespan_context(apps[1]),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=apps[0]), base_url="http://a") as a,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=apps[1]), base_url="http://b") as b,
    ):
        yield [a, b], client_id


async def test_two_instances_share_one_bucket(
    two_replicas: tuple[list[httpx.AsyncClient], str],
) -> None:
    """Twelve calls alternating between two instances, burst 5: five pass the limiter in all.

    The number is invalid on purpose (422 after the limiter), so no upstream is needed; what is
    counted is how many calls the shared bucket let through versus refused with 429.
    """
    replicas, client_id = two_replicas
    token_response = await replicas[0].post(
        "/oauth2/token", data={"grant_type": "client_credentials"}, auth=(client_id, "s3cret")
    )
    headers = {
        "Authorization": f"Bearer {token_response.json()['access_token']}",
        **PURPOSE_HEADERS,
    }
    statuses = [
        (await replicas[i % 2].get("/api/v1/citizens/12345", headers=headers)).status_code
        for i in range(12)
    ]
    assert statuses.count(422) == 5
    assert statuses.count(429) == 7
