"""B1, the framework ceiling: a FastAPI route of the gateway's shape that calls nothing.

It answers ``GET /api/v1/citizens/{number}`` with a small JSON body through a declared return
type (serialised by pydantic's core, as the gateway's models are), so the difference between this
and the gateway is everything the gateway does besides being a FastAPI app.

Run: ``python -m bench.apps.bare --port 8101``.
"""

from __future__ import annotations

from fastapi import FastAPI
from pydantic import BaseModel

from bench.apps import serve

app = FastAPI()


class Answer(BaseModel):
    personal_id: str
    full_name: str
    sex: str


@app.get("/api/v1/citizens/{number}")
async def lookup(number: str) -> Answer:
    return Answer(personal_id=number[:3] + "*********", full_name="Nguyễn Văn An", sex="male")


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


if __name__ == "__main__":
    serve(app)
