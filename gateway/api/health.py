"""Liveness for load balancers: ``GET /healthz`` answers while the process serves."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

__all__ = ["router"]

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Liveness: the process serves requests", operation_id="getLiveness")
async def healthz() -> Response:
    return Response(b'{"status":"ok"}', media_type="application/json")
