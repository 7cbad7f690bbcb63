"""Schemathesis against the gateway's own OpenAPI, in process: no server error, answers conform.

The gateway runs with the mock national side mounted in process (as tests/conftest.py joins them)
and a valid bearer token for the demo client, so generated calls reach the handlers rather than
stopping at 401. Examples are few and derandomized: the run is bounded and repeatable.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from contracts.suite import COMMITTED_OPENAPI
from gateway.app import create_app
from gateway.security.clients import Operation
from gateway.security.tokens import TokenIssuer
from gateway.settings import Settings
from mocks.app import create_mock_app
from mocks.settings import MockSettings


class _Reopenable(httpx.AsyncClient):
    """The in-process link to the mock, which the gateway's lifespan may close as often as it runs.

    Schemathesis may run the app's lifespan more than once; each shutdown closes the NGSP client
    the app was built with. Over an in-memory ASGI transport there is nothing to release, so
    closing is a no-op and the next lifespan finds the link usable.
    """

    async def aclose(self) -> None:
        return None


def _gateway_with_mock(workdir: Path) -> tuple[Any, str]:
    """The gateway ASGI app whose lifespan also runs the in-process mock's, and a demo token."""
    mock: Any = create_mock_app(MockSettings(population_size=20_000, seed=2021))
    config = Settings(
        ngsp_base_url="http://ngsp.test",
        audit_dsn=f"sqlite:///{workdir / 'audit.sqlite3'}",
        jobs_dsn=f"sqlite:///{workdir / 'jobs.sqlite3'}",
        jobs_worker=False,
        log_format="json",
        log_level="warning",
    )
    gateway = create_app(config, http=_Reopenable(transport=httpx.ASGITransport(app=mock)))
    inner = gateway.router.lifespan_context

    @asynccontextmanager
    async def both(app: Any) -> Any:
        async with mock.router.lifespan_context(mock), inner(app) as state:
            yield state

    gateway.router.lifespan_context = both
    issuer = TokenIssuer(config.token_signing_key.get_secret_value(), config.token_lifetime_s)
    scope = [op.value for op in Operation if op is not Operation.AUDIT_READ]
    return gateway, issuer.issue("demo-portal", 1, scope)


# The committed contract (tests/contracts/test_openapi_drift.py keeps it equal to the app's). The
# app is built at collection (a few ms, nothing starts); schemathesis runs its lifespan on the
# first call and keeps it until the process exits, so its files live in a directory of their own.
WORKDIR = Path(tempfile.mkdtemp(prefix="lgsp-fuzz-"))
atexit.register(shutil.rmtree, WORKDIR, ignore_errors=True)
APP, TOKEN = _gateway_with_mock(WORKDIR)
schema = schemathesis.openapi.from_path(str(COMMITTED_OPENAPI))
schema.app = APP


@schema.parametrize()
@settings(
    max_examples=4,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_server_error_and_answers_conform(case: Any) -> None:
    """Only documented statuses, media types and headers; bodies valid; errors are problems."""
    response = case.call(
        headers={
            "Authorization": f"Bearer {TOKEN}",
            "X-Purpose-Code": "1.001612",
            "X-Officer-Id": "fuzz",
        }
    )
    readiness_probe = case.path == "/readyz" and response.status_code == 503  # documented
    assert response.status_code < 500 or readiness_probe, response.text
    case.validate_response(
        response,
        checks=[
            status_code_conformance,
            content_type_conformance,
            response_headers_conformance,
            response_schema_conformance,
        ],
    )
    if response.status_code >= 400 and case.path.startswith("/api/"):
        content_type = response.headers.get("content-type", [""])[0]
        assert content_type.startswith("application/problem+json"), content_type
        assert response.json()["type"] == f"urn:lgsp:problem:{response.json()['code']}"
