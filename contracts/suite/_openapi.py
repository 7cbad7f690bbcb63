"""Responses checked against the committed OpenAPI document (``contracts/openapi/gateway-v1.json``).

The document is OpenAPI 3.1, whose schema objects *are* JSON Schema 2020-12, so the ``jsonschema``
library validates them as they stand: the whole document is registered once as a resource and each
response is validated against a ``$ref`` into it. (openapi-core would also match requests and
paths, which the suite does itself, and brings a larger dependency tree for no extra check.)

Errors are ``application/problem+json``; the document declares that media type without a schema
(FastAPI lists the ``Problem`` schema under ``application/json``, or its own validation-error
schema), so a problem body is validated against ``#/components/schemas/Problem`` once its status
is found documented.
"""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

__all__ = ["COMMITTED_OPENAPI", "OpenApiContract"]

COMMITTED_OPENAPI = Path(__file__).resolve().parents[1] / "openapi" / "gateway-v1.json"
_BASE = "urn:lgsp:gateway-openapi"
PROBLEM_REF = "#/components/schemas/Problem"


class OpenApiContract:
    """The gateway's published contract: which statuses each operation answers, in what shape."""

    def __init__(self, document: dict[str, Any]) -> None:
        if not isinstance(document.get("paths"), dict):
            raise ValueError("not an OpenAPI document: no 'paths' object")
        self.document = document

    @classmethod
    def from_file(cls, path: Path = COMMITTED_OPENAPI) -> OpenApiContract:
        try:
            return cls(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, json.JSONDecodeError) as exc:
            raise ValueError(f"cannot read the OpenAPI document {path}: {exc}") from exc

    @cached_property
    def _registry(self) -> Registry[Any]:
        resource: Resource[Any] = Resource.from_contents(
            self.document, default_specification=DRAFT202012
        )
        registry: Registry[Any] = Registry().with_resource(_BASE, resource)
        return registry

    def _validator(self, pointer: str) -> Draft202012Validator:
        return Draft202012Validator({"$ref": f"{_BASE}{pointer}"}, registry=self._registry)

    def operation(self, template: str, method: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self.document["paths"].get(template, {}).get(method.lower())
        return found

    def documents(self, template: str, method: str, status: int) -> bool:
        responses = (self.operation(template, method) or {}).get("responses", {})
        return str(status) in responses or "default" in responses

    def violations(
        self, template: str, method: str, status: int, body: object, *, problem: bool = False
    ) -> list[str]:
        """Why this answer breaks the contract (empty when it conforms).

        A problem answer is checked against the Problem schema even when its status is not
        documented for the operation: whether that is allowed is the caller's decision.
        """
        operation = self.operation(template, method)
        if operation is None:
            return [f"{method.upper()} {template} is not in the OpenAPI document"]
        if problem:
            return self._errors(PROBLEM_REF, body)
        responses = operation.get("responses", {})
        declared = responses.get(str(status)) or responses.get("default")
        if declared is None:
            return [f"status {status} is not documented for {method.upper()} {template}"]
        pointer = self._schema_pointer(template, method, status, declared)
        if pointer is None:
            return []
        return self._errors(pointer, body)

    def _errors(self, pointer: str, body: object) -> list[str]:
        return [
            f"{'/'.join(str(p) for p in error.absolute_path) or '(body)'}: {error.message}"
            for error in self._validator(pointer).iter_errors(body)
        ]

    def _schema_pointer(
        self, template: str, method: str, status: int, declared: dict[str, Any]
    ) -> str | None:
        schema = declared.get("content", {}).get("application/json", {}).get("schema")
        if not schema:
            return None
        escaped = template.replace("~", "~0").replace("/", "~1")
        return (
            f"#/paths/{escaped}/{method.lower()}/responses/{status}"
            "/content/application~1json/schema"
        )
