"""The request path's shape holds: one error translation, one request context, one-way imports.

Each test here fails when someone adds the back door the refactor of issue #19 closed: a
service importing the routers, a module writing ``request.state`` by string name, or an error
tree the problem handler does not know (which answered 500 ``internal_error``).
"""

from __future__ import annotations

import ast
import re
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.responses import Response

from adapters.ngsp import CircuitOpen, UpstreamTimeout
from gateway import errors
from gateway.audit import AuditQueryError, AuditUnavailable
from gateway.errors import Overloaded
from gateway.jobs import CsvFormatError, JobNotFound, JobStateError, JobStoreUnavailable
from gateway.problems import as_gateway_error, install_problem_handlers

ROOT = Path(__file__).resolve().parents[2]
_STATE = re.compile(
    r"""(request|connection)\.state\b|scope\[["']state["']\]|scope\.(get|setdefault)\(["']state"""
)


def _sources(*packages: str) -> list[Path]:
    return [path for package in packages for path in (ROOT / package).rglob("*.py")]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
    return names


def test_nothing_below_the_routers_imports_them() -> None:
    lower = _sources("gateway/services", "gateway/jobs", "gateway/audit")
    assert len(lower) > 20  # the scan found the packages
    upward = {
        str(path.relative_to(ROOT)): sorted(
            n for n in _imports(path) if n.startswith("gateway.api")
        )
        for path in lower
    }
    assert {path: names for path, names in upward.items() if names} == {}


def test_only_the_context_module_touches_request_state() -> None:
    touching = {
        str(path.relative_to(ROOT))
        for path in _sources("gateway")
        if _STATE.search(path.read_text(encoding="utf-8"))
    }
    assert touching == {"gateway/context.py"}


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (CsvFormatError("no header"), 422, "csv_invalid"),
        (JobNotFound("no such job"), 404, "job_not_found"),
        (JobStateError("erased", code="job_erased"), 410, "job_erased"),
        (JobStateError("running", code="job_running"), 409, "job_running"),
        (JobStoreUnavailable("down"), 503, "job_store_unavailable"),
        (AuditQueryError("unknown number format"), 422, "invalid_audit_query"),
        (AuditUnavailable("store_error", "down"), 503, "audit_unavailable"),
        (CircuitOpen(7.0), 503, "upstream_circuit_open"),
        (UpstreamTimeout("slow"), 504, "upstream_timeout"),
        (KeyError("a defect"), 500, "internal_error"),
    ],
)
async def test_every_error_tree_is_answered_by_the_one_handler(
    exc: Exception, status: int, code: str
) -> None:
    """Raised bare from a route, each tree's error gets its documented status and code."""
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/fail")
    async def fail() -> None:
        raise exc

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/fail")
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert response.headers["content-type"] == "application/problem+json"
    # the audit record of a failed call is built from the same translation
    assert (as_gateway_error(exc).status, as_gateway_error(exc).code) == (status, code)


@pytest.mark.parametrize(
    ("path", "status"),
    [("/shed", 503), ("/defect", 500), ("/typed?n=x", 422), ("/nowhere", 404)],
)
async def test_problems_are_built_on_the_event_loop_not_in_the_thread_pool(
    path: str, status: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Starlette runs a plain ``def`` handler in its thread pool; under overload that hop put a
    shed 503 at p99 25-40 ms (docs/performance.md, "Overload"), so every handler is a coroutine.
    """
    built_on: list[int] = []
    build = errors.problem_response

    def recording(*args: Any, **kwargs: Any) -> Response:
        built_on.append(threading.get_ident())
        return build(*args, **kwargs)

    monkeypatch.setattr(errors, "problem_response", recording)
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/shed")
    async def shed() -> None:
        raise Overloaded("overloaded", "At capacity.", retry_after=1)

    @app.get("/defect")
    async def defect() -> None:
        raise KeyError("a defect")

    @app.get("/typed")
    async def typed(n: int) -> None:
        return None

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get(path)
    assert response.status_code == status
    assert built_on == [threading.get_ident()]
