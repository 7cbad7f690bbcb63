"""Traces exported over OTLP/HTTP, received by a real local receiver on a loopback socket.

The gateway and the mock run as processes; the gateway has ``OTEL_EXPORTER_OTLP_ENDPOINT`` set
to a small HTTP server in this test that keeps every ``POST /v1/traces`` body. A look-up whose
first NGSP attempt gets a 503 must give one trace, continuing the caller's trace id and keeping
its ``tracestate``, with the server span at the root and two ``ngsp.attempt`` spans under it (the
retry visible as its own span), a token span and an audit commit span; and none of the planted
citizen's personal values may appear anywhere in the exported bytes.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from gateway.tracing import tracing_requested
from tests.conftest import PURPOSE_HEADERS
from tests.e2e.processes import free_port, gateway_and_mock

pytestmark = pytest.mark.process

SpanRow = dict[str, Any]


class Receiver:
    """An OTLP/HTTP trace receiver: the request bodies, as sent."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.port = free_port()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.path == "/v1/traces":
                    receiver.bodies.append(body)
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)

    def spans(self) -> list[SpanRow]:
        rows = []
        for body in self.bodies:
            request = ExportTraceServiceRequest.FromString(body)
            for resource in request.resource_spans:
                for scope in resource.scope_spans:
                    for span in scope.spans:
                        attributes = {a.key: _value(a.value) for a in span.attributes}
                        rows.append(
                            {
                                "name": span.name,
                                "trace_id": span.trace_id.hex(),
                                "span_id": span.span_id.hex(),
                                "parent_id": span.parent_span_id.hex(),
                                "trace_state": span.trace_state,
                                "attributes": attributes,
                            }
                        )
        return rows


def _value(value: Any) -> Any:
    return getattr(value, value.WhichOneof("value")) if value.WhichOneof("value") else None


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


def wait_for(receiver: Receiver, names: set[str], timeout_s: float = 15) -> list[SpanRow]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        spans = receiver.spans()
        if names <= {span["name"] for span in spans}:
            return spans
        time.sleep(0.1)
    pytest.fail(f"no spans {names - {s['name'] for s in receiver.spans()}} within {timeout_s}s")


def test_a_lookup_with_a_retry_is_one_trace_with_attempt_spans(
    tmp_path: Path, receiver: Receiver
) -> None:
    endpoint = f"http://127.0.0.1:{receiver.port}"
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_BSP_SCHEDULE_DELAY": "100"}
    caller_trace, caller_span = secrets.token_hex(16), secrets.token_hex(8)
    with gateway_and_mock(tmp_path, **env) as (gateway_url, mock_url):
        person = httpx.get(f"{mock_url}/__admin/citizens/sample", params={"n": 1}).json()[0]
        number = person["personal_id"]
        rule = {
            "match": {"personal_id": number},
            "sequence": [{"kind": "http_error", "status": 503}],
        }
        assert httpx.post(f"{mock_url}/__admin/faults", json=rule).status_code == 201
        token = httpx.post(
            f"{gateway_url}/oauth2/token",
            data={"grant_type": "client_credentials"},
            auth=("demo-portal", "demo-secret"),
        ).json()["access_token"]
        answer = httpx.get(
            f"{gateway_url}/api/v1/citizens/{number}",
            headers={
                "Authorization": f"Bearer {token}",
                "traceparent": f"00-{caller_trace}-{caller_span}-01",
                "tracestate": "portal=abc123",
                **PURPOSE_HEADERS,
            },
            timeout=20,
        )
        assert answer.status_code == 200, answer.text
        spans = wait_for(
            receiver, {"GET /api/v1/citizens/{number}", "ngsp.attempt", "audit.commit"}
        )

    lookup = [s for s in spans if s["trace_id"] == caller_trace]
    (server,) = [s for s in lookup if s["name"] == "GET /api/v1/citizens/{number}"]
    assert server["parent_id"] == caller_span
    assert server["trace_state"] == "portal=abc123"
    assert server["attributes"]["http.response.status_code"] == 200
    attempts = sorted(
        (s for s in lookup if s["name"] == "ngsp.attempt"),
        key=lambda s: s["attributes"]["lgsp.ngsp.attempt"],
    )
    assert [a["attributes"]["lgsp.ngsp.attempt"] for a in attempts] == [1, 2]
    assert [a["attributes"]["lgsp.ngsp.outcome"] for a in attempts] == [
        "upstream_http_error_503",
        "ok",
    ]
    assert {a["parent_id"] for a in attempts} == {server["span_id"]}
    assert answer.headers["traceparent"] == f"00-{caller_trace}-{server['span_id']}-01"
    assert {"audit.commit", "ngsp.token"} <= {s["name"] for s in lookup}

    exported = b"".join(receiver.bodies).decode("utf-8", "replace").casefold()
    assert not [value for value in personal_values(person) if value.casefold() in exported]


def personal_values(person: dict[str, Any]) -> list[str]:
    """The sampled citizen's number, CMND, name and birth date in the forms they travel in."""
    values = [person["personal_id"], person["full_name"]]
    if person.get("cmnd"):
        values.append(person["cmnd"])
    if person.get("date_of_birth") and not person.get("year_only"):
        year, month, day = str(person["date_of_birth"]).split("-")
        values += [f"{year}-{month}-{day}", f"{day}/{month}/{year}", f"{year}{month}{day}"]
    return values


def test_tracing_is_off_unless_the_standard_variables_ask() -> None:
    assert not tracing_requested({})
    assert tracing_requested({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"})
    assert tracing_requested({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/v1/traces"})
    endpoint = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}
    assert not tracing_requested({**endpoint, "OTEL_SDK_DISABLED": "true"})
    assert not tracing_requested({**endpoint, "OTEL_TRACES_EXPORTER": "none"})
