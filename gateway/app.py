"""``create_app(settings)``: the FastAPI application portals call."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import Depends, FastAPI

from contracts import admin_eras
from gateway.admission import AdmissionCollector
from gateway.api import audit, catalogues, citizens, health, jobs, me, oauth, operations
from gateway.api.docs import install_docs
from gateway.api.params import parameter_codes
from gateway.errors import problem_responses
from gateway.limits import SizeLimitMiddleware
from gateway.logs import configure_logging, get_logger
from gateway.middleware import RequestContextMiddleware
from gateway.observability import Observability, refuse_during_maintenance
from gateway.population import NationalPopulation
from gateway.problems import install_problem_handlers
from gateway.runtime import StartupFailed, build_runtime
from gateway.settings import Settings
from gateway.tracing import configure_tracing, shutdown_tracing

__all__ = ["create_app"]

DESCRIPTION = """\
Provincial LGSP gateway to the national population database (CSDLQG về dân cư) through NGSP.

Every data call needs a bearer token (`POST /oauth2/token`) and the purpose headers
`X-Purpose-Code` (MaDVC) and `X-Officer-Id` (MaCanBo); `X-Case-Id` is optional. Every call is
audited before it is answered. Errors are RFC 9457 `application/problem+json` with a stable `code`.
"""


def create_app(
    settings: Settings | None = None,
    *,
    http: httpx.AsyncClient | None = None,
    ngsp: NationalPopulation | None = None,
) -> FastAPI:
    """The gateway app, the same whoever builds it.

    ``http`` replaces the NGSP HTTP client (tests join the real adapter to the in-process mock);
    ``ngsp`` replaces the adapter itself (route tests over ``adapters.ngsp.testing.FakeNgsp``).
    Process-level tuning (the collector's freeze) is the serving process's, ``gateway/serve.py``.
    """
    settings = settings or Settings()
    configure_logging(settings.log_level, settings.log_format)
    log = get_logger("gateway")
    tracing = configure_tracing()
    observability = Observability.from_settings(settings)
    admission_metrics = AdmissionCollector()
    observability.metrics.registry.register(admission_metrics)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = build_runtime(settings, http, observer=observability.ngsp_observer, ngsp=ngsp)
        try:
            await runtime.start()
        except StartupFailed as exc:
            log.error("gateway_start_failed", **exc.fields())
            raise
        # both eras' unit tables (≈ 0.5 s of CSV) before traffic, not in the first look-up;
        # cached per process, so a second app in the same process pays nothing
        await asyncio.to_thread(admin_eras.tables)
        app.state.runtime = runtime
        observability.watch(audit=runtime.audit, ngsp=runtime.ngsp, jobs=runtime.jobs)
        admission_metrics.watch(runtime.admission)
        log.info("gateway_started", settings=settings.redacted(), traces_exported=tracing)
        try:
            yield
        finally:
            await runtime.close()
            shutdown_tracing()
            log.info("gateway_stopped")

    app = FastAPI(
        title="LGSP population-data gateway",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        dependencies=[Depends(refuse_during_maintenance)],
        # FastAPI's own request spans, metrics and logs would export the raw path (a citizen's
        # number) as url.path and validation messages with their input: our middleware makes
        # the request span from the route template instead (gateway/tracing.py).
        telemetry={"tracing": False, "metrics": False, "logs": False, "auto_configure": False},
        # What any path can answer before or around its route: a bad X-Request-ID (400),
        # oversized headers (431), a defect (500). Routes add their own statuses.
        responses=problem_responses(
            400,
            431,
            500,
            descriptions={400: "Malformed request (e.g. an invalid X-Request-ID header)."},
        ),
        docs_url=None,  # served offline by install_docs, not from CDNs
        redoc_url=None,
    )
    install_docs(app)
    install_problem_handlers(app, parameter_codes())
    app.state.observability = observability
    for module in (oauth, citizens, catalogues, jobs, me, audit, health, operations):
        app.include_router(module.router)
    app.add_middleware(SizeLimitMiddleware)
    app.add_middleware(  # outermost: ids and logs for every answer
        RequestContextMiddleware, observability=observability
    )
    return app
