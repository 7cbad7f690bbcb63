"""Endpoints for operators, not portals: ``/metrics``, ``/readyz`` and the maintenance switch.

``GET /metrics`` is the Prometheus scrape (restrict it at the proxy: it names clients).
``GET /readyz`` is the load balancer's readiness probe: 200 or 503 with JSON reasons and
``Retry-After``. ``GET|PUT /admin/maintenance`` reads or throws the maintenance switch and needs
``Authorization: Bearer <LGSP_ADMIN_TOKEN>``; without that setting the admin endpoints refuse all
calls. docs/operations.md explains each.
"""

from __future__ import annotations

import hmac
import math
from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from gateway.api.deps import RuntimeDep
from gateway.errors import Forbidden, Unauthenticated
from gateway.observability import MaintenanceState, Observability
from gateway.observability.maintenance import DEFAULT_RETRY_AFTER_S
from gateway.observability.metrics import CONTENT_TYPE_LATEST

__all__ = ["router"]

router = APIRouter(tags=["operations"])
_bearer = HTTPBearer(auto_error=False)


def _observability(request: Request) -> Observability:
    observability: Observability = request.app.state.observability
    return observability


ObservabilityDep = Annotated[Observability, Depends(_observability)]


@router.get("/metrics", include_in_schema=False)
async def metrics(observability: ObservabilityDep) -> Response:
    return Response(await observability.exposition(), media_type=CONTENT_TYPE_LATEST)


@router.get(
    "/readyz",
    summary="Readiness: audit store, NGSP token and breaker, maintenance switch",
    operation_id="getReadiness",
    responses={503: {"description": "Not ready (JSON reasons, Retry-After)."}},
)
async def readyz(observability: ObservabilityDep) -> Response:
    if observability.readiness is None:  # the lifespan has not finished starting
        return _json({"status": "starting", "reasons": ["starting"]}, 503, retry_after=1)
    report = await observability.readiness.report()
    if report.ready:
        return _json_bytes(report.to_json(), 200)
    return _json_bytes(report.to_json(), 503, retry_after=report.retry_after_s)


async def _require_admin(
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    expected = runtime.settings.admin_token
    if expected is None:
        raise Forbidden("admin_disabled", "Set LGSP_ADMIN_TOKEN to enable the admin endpoints.")
    offered = credentials.credentials if credentials is not None else ""
    if not hmac.compare_digest(offered.encode(), expected.get_secret_value().encode()):
        raise Unauthenticated(
            "admin_token_invalid",
            "Send Authorization: Bearer <LGSP_ADMIN_TOKEN>.",
            headers={"WWW-Authenticate": 'Bearer realm="lgsp-admin"'},
        )


AdminOnly = Depends(_require_admin)


class MaintenanceChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(strict=True)  # "yes" or 1 must not throw the switch by accident
    reason: str | None = Field(None, max_length=200)
    retry_after_s: int = Field(DEFAULT_RETRY_AFTER_S, ge=1, le=86_400)


@router.get("/admin/maintenance", include_in_schema=False, dependencies=[AdminOnly])
async def maintenance_status(observability: ObservabilityDep) -> Response:
    return _maintenance_answer(observability, observability.maintenance.state())


@router.put("/admin/maintenance", include_in_schema=False, dependencies=[AdminOnly])
async def switch_maintenance(
    change: MaintenanceChange, observability: ObservabilityDep
) -> Response:
    switch = observability.maintenance
    if change.enabled:
        state = switch.turn_on(reason=change.reason, retry_after_s=change.retry_after_s, by="admin")
    else:
        state = switch.turn_off(by="admin")
    return _maintenance_answer(observability, state)


def _maintenance_answer(observability: Observability, state: MaintenanceState) -> Response:
    flag_file = observability.maintenance.flag_file
    scope = "every replica reading the flag file" if flag_file else "this replica only"
    body = {**state.as_dict(), "flag_file": str(flag_file) if flag_file else None, "scope": scope}
    return _json(body, 200)


def _json(body: dict[str, object], status: int, *, retry_after: float | None = None) -> Response:
    return _json_bytes(orjson.dumps(body), status, retry_after=retry_after)


def _json_bytes(body: bytes, status: int, *, retry_after: float | None = None) -> Response:
    headers = {"Cache-Control": "no-store"}
    if retry_after is not None:
        headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
    return Response(body, status_code=status, media_type="application/json", headers=headers)
