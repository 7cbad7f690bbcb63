"""An OTLP/HTTP receiver that accepts every export and keeps nothing: S2T's trace backend.

It stands in for a collector so that S2T measures what exporting traces costs the gateway, not
what a collector costs the machine. Run: ``python -m bench.apps.otlp_sink --port 4318``.
"""

from __future__ import annotations

from fastapi import FastAPI, Request, Response

from bench.apps import serve

app = FastAPI()


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/v1/traces")
async def traces(request: Request) -> Response:
    await request.body()
    return Response(content=b"", media_type="application/x-protobuf")


if __name__ == "__main__":
    serve(app)
