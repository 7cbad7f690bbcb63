"""The one translation of every error tree into a problem response, registered in one place.

Deep code raises its own tree's errors; :func:`as_gateway_error` is the only place they become a
:class:`~gateway.errors.GatewayError` (status, stable code, layer), and both the problem handler
and the audit record of a failed call (:mod:`gateway.services.audited`) use it, so the portal's
answer and the auditor's record always agree::

    GatewayError     as raised
    NgspError        502 failure / 503 circuit open (Retry-After) / 504 too slow (ngsp_status)
    JobError         422 csv, 413 too many rows, 404 no such job, 409 / 410 job state, 503 store
    AuditError       422 bad audit query, 503 trail unavailable, else 500
    anything else    500 ``internal_error`` (a defect)

Like httpx mapping every transport error in one function, a new tree is one entry in
:data:`_TRANSLATIONS` (and its codes one row each in the README's errors table).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from adapters.ngsp import NgspError
from gateway.audit import AuditError, AuditQueryError, AuditUnavailable
from gateway.errors import (
    Conflict,
    GatewayError,
    Gone,
    InvalidInput,
    NotFound,
    ParameterCodes,
    PayloadTooLarge,
    ServiceUnavailable,
    http_exception_problem,
    ngsp_status,
    problem_from_gateway,
    unexpected_problem,
    validation_problem,
)
from gateway.jobs import (
    CsvFormatError,
    JobError,
    JobNotFound,
    JobStateError,
    JobStoreUnavailable,
    TooManyRows,
)

__all__ = ["NationalServiceError", "as_gateway_error", "install_problem_handlers"]


class NationalServiceError(GatewayError):
    """An adapter failure as the portal sees it: the status ``ngsp_status`` gives it."""

    def __init__(self, exc: NgspError) -> None:
        status, retry_after = ngsp_status(exc)
        super().__init__(
            exc.code,
            "The national population service did not give a usable answer; no data was returned.",
            retry_after=retry_after,
        )
        self.status = status
        self.layer = exc.layer
        self.title = {503: "National service unavailable", 504: "National service too slow"}.get(
            status, "National service failure"
        )


class JobMissing(NotFound):
    """No such job for this client: the client's mistake, not the population database's."""

    layer = "client"


def _from_job(exc: JobError) -> GatewayError:
    if isinstance(exc, CsvFormatError):
        return InvalidInput(exc.code, exc.detail)
    if isinstance(exc, TooManyRows):
        return PayloadTooLarge(exc.code, exc.detail)
    if isinstance(exc, JobNotFound):
        return JobMissing(exc.code, exc.detail)
    if isinstance(exc, JobStateError):
        return (Gone if exc.code == "job_erased" else Conflict)(exc.code, exc.detail)
    if isinstance(exc, JobStoreUnavailable):
        return ServiceUnavailable(exc.code, "The job store cannot answer now.", retry_after=5)
    return GatewayError(exc.code, exc.detail)


def _from_audit(exc: AuditError) -> GatewayError:
    if isinstance(exc, AuditQueryError):
        return InvalidInput("invalid_audit_query", str(exc))
    if isinstance(exc, AuditUnavailable):
        return ServiceUnavailable(
            "audit_unavailable",
            "The audit trail cannot answer now, so no personal data is served.",
            retry_after=5,
        )
    return GatewayError("internal_error", "An unexpected error occurred.")


_TRANSLATIONS: dict[type[Exception], Callable[[Any], GatewayError]] = {
    NgspError: NationalServiceError,
    JobError: _from_job,
    AuditError: _from_audit,
}


def as_gateway_error(exc: Exception) -> GatewayError:
    """The gateway's own error for any exception: what the portal is answered with."""
    if isinstance(exc, GatewayError):
        return exc
    for tree, translate in _TRANSLATIONS.items():
        if isinstance(exc, tree):
            return translate(exc)
    return GatewayError("internal_error", "An unexpected error occurred.")


def _problem(request: Request, exc: Exception) -> Response:
    return problem_from_gateway(request, as_gateway_error(exc))


_E = TypeVar("_E", bound=Exception)


def _on_the_loop(
    build: Callable[[Request, _E], Response],
) -> Callable[[Request, _E], Awaitable[Response]]:
    """``build`` as a coroutine, so Starlette runs it on the event loop.

    Starlette runs a plain ``def`` exception handler in its thread pool. Building a problem takes
    microseconds, but the hop to a worker thread and back waits for the GIL and then for the
    loop, behind whatever the admitted requests are doing: under overload that put a shed
    request's 503 at p99 25-40 ms instead of a few (docs/performance.md, "Overload").
    """

    async def handler(request: Request, exc: _E) -> Response:
        return build(request, exc)

    return handler


def install_problem_handlers(app: FastAPI, parameter_codes: ParameterCodes | None = None) -> None:
    """``parameter_codes``: ``(location, name)`` → codes for a parameter absent / malformed."""
    parameters = parameter_codes or {}

    def validation_error(request: Request, exc: RequestValidationError) -> Response:
        return validation_problem(request, exc, parameters)

    trees: tuple[type[Exception], ...] = (GatewayError, *_TRANSLATIONS)
    for tree in trees:
        app.add_exception_handler(tree, _on_the_loop(_problem))
    app.add_exception_handler(StarletteHTTPException, _on_the_loop(http_exception_problem))  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _on_the_loop(validation_error))  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _on_the_loop(unexpected_problem))
