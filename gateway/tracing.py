"""OpenTelemetry traces: exported over OTLP when the standard ``OTEL_*`` variables ask for it.

Off unless ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) is set,
and off whenever ``OTEL_SDK_DISABLED=true`` or ``OTEL_TRACES_EXPORTER=none``. Off, every span in
the code is the OpenTelemetry API's no-op (a few hundred nanoseconds; docs/performance.md). On,
the SDK's batch processor exports through the OTLP/HTTP exporter, which reads the rest of its
configuration (headers, timeout, compression, certificates) from the same standard variables,
as does the sampler (``OTEL_TRACES_SAMPLER``) and the resource (``OTEL_SERVICE_NAME``,
``OTEL_RESOURCE_ATTRIBUTES``).

Spans (all named by fixed strings, attributes from bounded sets: never a citizen's number, name
or birth date): the portal request (``GET /api/v1/citizens/{number}``, the route *template*),
``ngsp.attempt`` per NGSP attempt with its number and outcome, ``ngsp.token`` per token fetch,
``audit.commit`` per audit record, ``jobs.row`` per bulk row.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

__all__ = ["configure_tracing", "shutdown_tracing", "tracer", "tracing_requested"]

DEFAULT_SERVICE_NAME = "lgsp-gateway"
_provider: TracerProvider | None = None

tracer = trace.get_tracer("lgsp.gateway")


def tracing_requested(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether the standard variables ask for exported traces."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    if environ.get("OTEL_TRACES_EXPORTER", "otlp").strip().lower() == "none":
        return False
    return bool(
        environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        or environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    )


def configure_tracing() -> bool:
    """Install the SDK once per process when requested; whether traces are exported."""
    global _provider  # noqa: PLW0603 -- OpenTelemetry's tracer provider is process-wide by design
    if _provider is not None:
        return True
    if not tracing_requested():
        return False
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # noqa: PLC0415 -- protobuf
        OTLPSpanExporter,  # and requests load only in a process that exports traces
    )

    attributes = (
        {} if os.environ.get("OTEL_SERVICE_NAME") else {"service.name": DEFAULT_SERVICE_NAME}
    )
    _provider = TracerProvider(resource=Resource.create(attributes))
    _provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(_provider)
    return True


def shutdown_tracing() -> None:
    """Export what is still buffered (at shutdown, so the last requests' spans are not lost)."""
    if _provider is not None:
        _provider.force_flush()
