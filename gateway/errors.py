"""The gateway's errors and their one translation into RFC 9457 problem responses.

Deep code raises; only :func:`gateway.problems.install_problem_handlers` turns exceptions into
HTTP answers, translating the other error trees into this one first (``as_gateway_error``)::

    GatewayError                 status, stable ``code``, ``layer``, optional Retry-After
    ├── InvalidInput             422: a number, header or body field is wrong
    ├── MalformedRequest         400: the request cannot be read at all
    ├── Unauthenticated          401: no, bad or expired credentials (WWW-Authenticate)
    ├── Forbidden                403: the client was not granted this operation or purpose
    ├── NotFound                 404: no such citizen or household
    ├── Conflict / Gone          409 / 410: a job in the wrong state / erased
    ├── PayloadTooLarge          413: an upload over its limit
    ├── UnsupportedMediaType     415: an upload that is not CSV
    ├── RateLimited              429: over the client's rate (Retry-After)
    ├── ClientClosedRequest      499: the caller went away; its request was abandoned (audit only)
    └── ServiceUnavailable       503: audit store down, maintenance (fail closed; Retry-After)
        └── Overloaded           503: shed by admission control (``overloaded``; Retry-After)

Adapter failures (``adapters.ngsp.NgspError``) map by :func:`ngsp_status`: 502 for failures and
garbage, 504 for time-outs and the overall deadline, 503 while the circuit is open.
"""

from __future__ import annotations

import math
from typing import Any

import orjson
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import Scope, Send

from adapters.ngsp import (
    CircuitOpen,
    DeadlineExceeded,
    NgspError,
    UpstreamHTTPError,
    UpstreamTimeout,
)
from contracts.models import Problem
from contracts.paths import match_template
from gateway.context import context_of, scope_context

__all__ = [
    "PROBLEM_MEDIA_TYPE",
    "ClientClosedRequest",
    "Conflict",
    "Forbidden",
    "GatewayError",
    "Gone",
    "InvalidInput",
    "MalformedRequest",
    "NotFound",
    "Overloaded",
    "ParameterCodes",
    "PayloadTooLarge",
    "RateLimited",
    "ServiceUnavailable",
    "Unauthenticated",
    "UnknownReference",
    "UnsupportedMediaType",
    "allowed_methods",
    "http_exception_problem",
    "ngsp_status",
    "problem_from_gateway",
    "problem_response",
    "problem_responses",
    "send_problem",
    "unexpected_problem",
    "validation_problem",
]

PROBLEM_MEDIA_TYPE = "application/problem+json"

_PROBLEM_DESCRIPTIONS = {
    400: "Malformed request body (not JSON, or not the expected shape).",
    401: "Missing, invalid or expired token.",
    403: "The client is not granted this operation.",
    404: "Not found.",
    409: "The resource is not in a state that allows this.",
    410: "The resource was erased.",
    413: "Request body too large.",
    415: "Unsupported media type.",
    422: "Invalid input: the problem's code and detail say which.",
    429: "Over the client's rate (see Retry-After and RateLimit-* headers).",
    431: "Request headers too large.",
    500: "A defect in the gateway (internal_error): quote the request_id to the operators.",
    502: "The national service failed or answered garbage.",
    503: "Unavailable (overloaded, circuit open, maintenance, audit store down): see Retry-After.",
    504: "The national service was too slow for the deadline.",
}


def problem_responses(
    *statuses: int, descriptions: dict[int, str] | None = None
) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for problem answers (RFC 9457 ``application/problem+json``).

    Declaring 422 here also replaces FastAPI's default ``HTTPValidationError`` entry, which does
    not describe what the gateway sends.
    """
    texts = {**_PROBLEM_DESCRIPTIONS, **(descriptions or {})}
    return {
        status: {
            "model": Problem,
            # FastAPI files the model's schema under application/json; name it for the media
            # type the gateway actually sends, so validators of problem+json find it too.
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
            "description": texts[status],
        }
        for status in statuses
    }


class GatewayError(Exception):
    status = 500
    title = "Internal error"
    layer = "gateway"

    def __init__(
        self,
        code: str,
        detail: str,
        *,
        retry_after: float | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.retry_after = retry_after
        self.headers = headers or {}
        self.extra = extra or {}


class InvalidInput(GatewayError):
    status = 422
    title = "Invalid input"
    layer = "client"


class MalformedRequest(GatewayError):
    status = 400
    title = "Malformed request"
    layer = "client"


class Unauthenticated(GatewayError):
    status = 401
    title = "Authentication required"
    layer = "client"


class Forbidden(GatewayError):
    status = 403
    title = "Not permitted"
    layer = "client"


class NotFound(GatewayError):
    status = 404
    title = "Not found"
    layer = "population-db"


class UnknownReference(NotFound):
    """A code absent from the gateway's own reference data (no national call was made)."""

    layer = "gateway"


class Conflict(GatewayError):
    status = 409
    title = "Conflict"
    layer = "client"


class Gone(GatewayError):
    status = 410
    title = "Gone"
    layer = "client"


class PayloadTooLarge(GatewayError):
    status = 413
    title = "Request too large"
    layer = "client"


class UnsupportedMediaType(GatewayError):
    status = 415
    title = "Unsupported media type"
    layer = "client"


class RateLimited(GatewayError):
    status = 429
    title = "Too many requests"
    layer = "client"


class ClientClosedRequest(GatewayError):
    """The caller closed its connection first (nginx's 499); nobody reads this answer."""

    status = 499
    title = "Client closed request"
    layer = "client"


class ServiceUnavailable(GatewayError):
    status = 503
    title = "Service unavailable"


class Overloaded(ServiceUnavailable):
    """Shed by admission control: nothing was looked up; retry after ``Retry-After``."""

    title = "Gateway overloaded"


def _problem_body(
    status: int,
    code: str,
    title: str,
    detail: str,
    *,
    instance: str | None,
    request_id: str | None,
    layer: str | None,
) -> dict[str, Any]:
    """The RFC 9457 members every problem of the gateway carries, in one order."""
    body: dict[str, Any] = {
        "type": f"urn:lgsp:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if instance is not None:
        body["instance"] = instance
    if request_id:
        body["request_id"] = request_id
    if layer:
        body["layer"] = layer
    return body


def problem_response(
    status: int,
    code: str,
    title: str,
    detail: str,
    *,
    request: Request | None = None,
    layer: str | None = None,
    retry_after: float | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    body = _problem_body(
        status,
        code,
        title,
        detail,
        instance=request.url.path if request is not None else None,
        request_id=context_of(request).request_id if request is not None else None,
        layer=layer,
    )
    body.update(extra or {})
    all_headers = dict(headers or {})
    if retry_after is not None:
        all_headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
    if request is not None:
        context_of(request).problem_code = code
    return Response(
        orjson.dumps(body), status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=all_headers
    )


async def send_problem(
    send: Send,
    scope: Scope,
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    layer: str,
    close: bool = False,
) -> None:
    """Answer a problem from raw ASGI middleware, where no Request or exception handler exists.

    Carries the request id of the request's context (when the request-context middleware ran
    first), like every answer built by :func:`problem_response`.
    """
    context = scope_context(scope)
    request_id = context.request_id if context is not None else None
    body = _problem_body(
        status, code, title, detail, instance=scope.get("path"), request_id=request_id, layer=layer
    )
    headers = [(b"content-type", PROBLEM_MEDIA_TYPE.encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": orjson.dumps(body)})


def problem_from_gateway(request: Request, exc: GatewayError) -> Response:
    return problem_response(
        exc.status,
        exc.code,
        exc.title,
        exc.detail,
        request=request,
        layer=exc.layer,
        retry_after=exc.retry_after,
        headers=exc.headers,
        extra=exc.extra,
    )


def ngsp_status(exc: NgspError) -> tuple[int, float | None]:
    """The HTTP status a portal gets for an adapter failure, and the Retry-After to send."""
    if isinstance(exc, CircuitOpen):
        return 503, exc.retry_after
    if isinstance(exc, UpstreamTimeout | DeadlineExceeded):
        return 504, None
    if isinstance(exc, UpstreamHTTPError) and exc.status == 504:
        return 504, None
    # Everything else is 502, a refused request of ours (a Client fault) included: a gateway
    # defect, never the portal's data.
    return 502, None


_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options", "trace"})


def allowed_methods(request: Request) -> str | None:
    """Every method the OpenAPI documents for the request's path, for ``Allow`` (RFC 9110).

    Starlette's 405 names only the methods of the first route whose path matched (``GET`` for a
    path that also has ``DELETE``). None: a path the document does not describe.
    """
    paths: dict[str, Any] = request.app.openapi().get("paths", {})
    template = match_template(paths, request.url.path)
    if template is None:
        return None
    methods = {method.upper() for method in paths[template] if method in _METHODS}
    if "GET" in methods:
        methods.add("HEAD")  # Starlette answers HEAD wherever it answers GET
    return ", ".join(sorted(methods))


def http_exception_problem(request: Request, exc: StarletteHTTPException) -> Response:
    # Starlette raises 400 only for a body it cannot read (a broken multipart form).
    codes = {400: "malformed_body", 404: "route_not_found", 405: "method_not_allowed"}
    code = codes.get(exc.status_code, "http_error")
    headers = dict(exc.headers or {})
    allow = allowed_methods(request) if exc.status_code == 405 else None
    if allow is not None:
        headers["Allow"] = allow
    return problem_response(
        exc.status_code,
        code,
        str(exc.detail),
        str(exc.detail),
        request=request,
        layer="client",
        headers=headers,
    )


_VALIDATION_CODES = {
    "json_invalid": "malformed_body",
    "model_attributes_type": "malformed_body",
    "extra_forbidden": "unknown_field",
    "missing": "missing_field",
}


ParameterCodes = dict[tuple[str, str], tuple[str, str]]


def _error_code(err: dict[str, Any], parameters: ParameterCodes) -> tuple[str, bool]:
    """The stable code of one validation error, and whether a parameter rule named it."""
    loc = err.get("loc", ())
    rule = parameters.get((str(loc[0]), str(loc[1]))) if len(loc) == 2 else None
    if rule is None:
        return _VALIDATION_CODES.get(err.get("type", ""), "invalid_field"), False
    absent = err.get("type") == "missing" or err.get("input") == ""
    return (rule[0] if absent else rule[1]), True


def _validation_code(errors: list[dict[str, Any]], parameters: ParameterCodes) -> str:
    """One code for the answer: a parameter rule's own code wins (the first, in declaration
    order, as the purpose headers have always been checked); else one shared code, else
    ``invalid_request``."""
    coded = [_error_code(err, parameters) for err in errors]
    ruled = [code for code, by_rule in coded if by_rule]
    if ruled and len(ruled) == len(coded):
        return ruled[0]
    codes = {code for code, _ in coded}
    return codes.pop() if len(codes) == 1 else "invalid_request"


def validation_problem(
    request: Request, exc: RequestValidationError, parameters: ParameterCodes
) -> Response:
    raw = list(exc.errors())
    errors = [
        {
            "loc": [str(part) for part in err.get("loc", ())],
            "msg": err.get("msg", ""),
            "type": err.get("type", ""),
        }
        for err in raw
    ]
    code = _validation_code(raw, parameters)
    malformed = code == "malformed_body"
    return problem_response(
        400 if malformed else 422,
        code,
        "Malformed request" if malformed else "Invalid input",
        _validation_detail(errors),
        request=request,
        layer="client",
        extra={"errors": errors},
    )


_LOCATIONS = {"path": "path parameter", "query": "query parameter", "header": "header"}
_DETAILED = 3  # the first few problems in the detail; all of them in ``errors``


def _validation_detail(errors: list[dict[str, Any]]) -> str:
    """Name the offending parameters (never their values: they may be personal numbers)."""
    parts = [_one_problem(err["loc"], err["msg"]) for err in errors[:_DETAILED]]
    more = f" (and {len(errors) - _DETAILED} more in errors)" if len(errors) > _DETAILED else ""
    return "; ".join(parts) + more + "."


def _one_problem(loc: list[str], msg: str) -> str:
    if not loc:
        return msg
    where, *rest = loc
    if where in _LOCATIONS and rest:
        return f"{_LOCATIONS[where]} {'.'.join(rest)}: {msg}"
    if where == "body":
        return f"body field {'.'.join(rest)}: {msg}" if rest else f"body: {msg}"
    return f"{'.'.join(loc)}: {msg}"


def unexpected_problem(request: Request, exc: Exception) -> Response:
    return problem_response(
        500, "internal_error", "Internal error", "An unexpected error occurred.", request=request
    )
