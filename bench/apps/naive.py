"""B2, what a user would write: FastAPI + a default ``httpx.AsyncClient`` passing SOAP through.

One NGSP token is fetched at start-up; each ``GET /api/v1/citizens/{number}`` formats the SOAP
request as a string, POSTs it to the mock through httpx's own pool (no limits tuned, no transport
swapped) and returns the mock's XML as it came. No parsing, audit, retries or logging: the
gateway must be at least as fast as this while doing all of those.

Run: ``python -m bench.apps.naive --port 8102 --upstream http://127.0.0.1:9000``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request, Response

from bench.apps import serve

ENVELOPE = (
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
    'xmlns:dan="http://dancuquocgia.bca"><soapenv:Header/><soapenv:Body>'
    "<dan:TraCuuThongTinCongDan><dan:MaYeuCau>{request_id}</dan:MaYeuCau>"
    "<dan:MaDVC>1.001612</dan:MaDVC><dan:MaTichHop>LGSP-PY</dan:MaTichHop>"
    "<dan:MaCanBo>bench</dan:MaCanBo><dan:MaDonVi>000.00.00.H45</dan:MaDonVi>"
    "<dan:SoDinhDanh>{number}</dan:SoDinhDanh></dan:TraCuuThongTinCongDan>"
    "</soapenv:Body></soapenv:Envelope>"
)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    async with httpx.AsyncClient(base_url=app.state.upstream) as client:
        answer = await client.post(
            "/token",
            data={"grant_type": "client_credentials"},
            auth=("lgsp-dev-key", "lgsp-dev-secret"),
        )
        app.state.client = client
        app.state.token = answer.json()["access_token"]
        yield


app = FastAPI(lifespan=lifespan)


@app.get("/api/v1/citizens/{number}")
async def lookup(number: str, request: Request) -> Response:
    state = request.app.state
    answer = await state.client.post(
        "/dancu/1.0/CongDan",
        content=ENVELOPE.format(request_id=id(request), number=number),
        headers={
            "Authorization": f"Bearer {state.token}",
            "Content-Type": "text/xml; charset=utf-8",
            "SOAPAction": '"TraCuuThongTinCongDan"',
        },
    )
    return Response(answer.content, status_code=answer.status_code, media_type="text/xml")


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


if __name__ == "__main__":
    serve(app)
