"""Fixtures for the NGSP adapter: a fake clock, a recording observer, and a scripted upstream.

The upstream is pytest-httpx (httpx's own transport, ``create_http_client("httpx")``) answering
with the golden messages in ``contracts/examples/``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytest_httpx import HTTPXMock

from adapters.ngsp import CallContext, NgspClient, NgspConfig, create_http_client
from adapters.ngsp.testing import FakeClock, RecordingObserver

EXAMPLES = Path(__file__).resolve().parents[3] / "contracts" / "examples"
BASE_URL = "https://ngsp.test"
TOKEN_URL = f"{BASE_URL}/token"
SOAP_URL = f"{BASE_URL}/dancu/1.0/CongDan"


def example(name: str) -> bytes:
    """A golden message from contracts/examples/."""
    return (EXAMPLES / name).read_bytes()


class Upstream:
    """The national side as a script of answers, in the order they will be given."""

    def __init__(self, httpx_mock: HTTPXMock) -> None:
        self.mock = httpx_mock
        self._tokens = 0

    def token(self, *, expires_in: int = 3600, **options: Any) -> str:
        self._tokens += 1
        value = f"token-{self._tokens}"
        body = json.loads(example("token-ok.json")) | {
            "access_token": value,
            "expires_in": expires_in,
        }
        self.mock.add_response(method="POST", url=TOKEN_URL, json=body, **options)
        return value

    def answer(self, name: str, *, status: int = 200, **options: Any) -> None:
        self.mock.add_response(
            method="POST",
            url=SOAP_URL,
            status_code=status,
            content=example(name),
            headers={"Content-Type": "text/xml; charset=utf-8"},
            **options,
        )

    def status(self, status: int, *, headers: dict[str, str] | None = None, **options: Any) -> None:
        self.mock.add_response(
            method="POST", url=SOAP_URL, status_code=status, headers=headers, **options
        )

    def fail(self, exc: Exception, **options: Any) -> None:
        self.mock.add_exception(exc, method="POST", url=SOAP_URL, **options)

    def call(self, callback: Callable[[httpx.Request], Any], **options: Any) -> None:
        self.mock.add_callback(callback, method="POST", url=SOAP_URL, **options)

    def soap_requests(self) -> list[httpx.Request]:
        return self.mock.get_requests(method="POST", url=SOAP_URL)

    def token_requests(self) -> list[httpx.Request]:
        return self.mock.get_requests(method="POST", url=TOKEN_URL)


@pytest.fixture
def upstream(httpx_mock: HTTPXMock) -> Upstream:
    return Upstream(httpx_mock)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def observer() -> RecordingObserver:
    return RecordingObserver()


@pytest.fixture
def config() -> NgspConfig:
    return NgspConfig(
        base_url=BASE_URL,
        consumer_key="lgsp-key",
        consumer_secret="lgsp-secret",
        integration_code="LGSP-PY",
    )


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with create_http_client("httpx") as client:
        yield client


@pytest.fixture
def make_client(
    http: httpx.AsyncClient, clock: FakeClock, observer: RecordingObserver, config: NgspConfig
) -> Callable[..., NgspClient]:
    """An NgspClient on the fake clock; keyword arguments override config fields."""

    def make(**overrides: Any) -> NgspClient:
        settings = NgspConfig(**(_fields(config) | overrides))
        return NgspClient(settings, http, observer=observer, clock=clock)

    return make


@pytest.fixture
def client(make_client: Callable[..., NgspClient]) -> NgspClient:
    return make_client()


@pytest.fixture
def make_ctx() -> Callable[..., CallContext]:
    def make(request_id: str = "req-0001") -> CallContext:
        return CallContext(
            request_id=request_id,
            purpose_code="1.001612",
            officer_id="officer-17",
            agency_code="000.00.00.H45",
        )

    return make


@pytest.fixture
def ctx(make_ctx: Callable[..., CallContext]) -> CallContext:
    return make_ctx()


@pytest.fixture
def golden() -> Callable[[str], bytes]:
    """Loads a golden message from contracts/examples/ by file name."""
    return example


def _fields(config: NgspConfig) -> dict[str, Any]:
    return {name: getattr(config, name) for name in config.__dataclass_fields__}
