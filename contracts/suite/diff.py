"""Breaking-change guard: what a new OpenAPI document takes away from clients of the old one.

A change breaks a portal when something it relies on disappears or tightens: a path, an
operation, a request parameter or body field it sends, a value a request parameter or field
accepted, a field of a success answer it reads, or a field that was always present and may now be
absent; when a parameter it never sent becomes required; and when an operation's id, the name a
generated client gives its method, changes. Additions are never reported.
Schemas are followed through ``$ref``, ``anyOf``/``oneOf``/``allOf`` and arrays (``[]`` in a
location), within the same document.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Break", "diff_openapi"]

_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
_MAX_DEPTH = 12


@dataclass(frozen=True, slots=True)
class Break:
    """One breaking change: a stable ``kind`` (docs/contract-suite.md), and where it is."""

    kind: str
    where: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.where}: {self.detail}"


def diff_openapi(old: dict[str, Any], new: dict[str, Any]) -> list[Break]:
    """Every breaking change from ``old`` to ``new``, in document order."""
    breaks: list[Break] = []
    new_paths = new.get("paths", {})
    for path, old_item in old.get("paths", {}).items():
        if path not in new_paths:
            breaks.append(Break("path-removed", path, "the path is gone"))
            continue
        for method in _METHODS:
            if method not in old_item:
                continue
            where = f"{method.upper()} {path}"
            if method not in new_paths[path]:
                breaks.append(Break("operation-removed", where, "the operation is gone"))
                continue
            breaks += _operation_breaks(
                where, _Doc(old), old_item[method], _Doc(new), new_paths[path][method]
            )
    return breaks


class _Doc:
    """A document, to resolve local ``$ref`` pointers in."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    def resolve(self, schema: Any) -> dict[str, Any]:
        seen = 0
        while isinstance(schema, dict) and "$ref" in schema and seen < _MAX_DEPTH:
            node: Any = self.document
            for part in str(schema["$ref"]).removeprefix("#/").split("/"):
                node = node.get(part.replace("~1", "/").replace("~0", "~"), {})
            schema, seen = node, seen + 1
        return schema if isinstance(schema, dict) else {}

    def flatten(self, schema: Any, prefix: str = "", depth: int = 0) -> dict[str, dict[str, Any]]:
        """Every property location under ``schema``, with its (merged) schema and required flag."""
        schema = self.resolve(schema)
        found: dict[str, dict[str, Any]] = {}
        if depth > _MAX_DEPTH:
            return found
        for key in ("anyOf", "oneOf", "allOf"):
            for branch in schema.get(key, []):
                found.update(self.flatten(branch, prefix, depth + 1))
        if "items" in schema:
            found.update(self.flatten(schema["items"], f"{prefix}[]", depth + 1))
        required = set(schema.get("required", []))
        for name, sub in schema.get("properties", {}).items():
            location = f"{prefix}.{name}" if prefix else name
            found[location] = {"schema": sub, "required": name in required}
            found.update(self.flatten(sub, location, depth + 1))
        return found

    def enum(self, schema: Any, depth: int = 0) -> set[Any] | None:
        """Accepted values when the schema restricts them (through anyOf etc.), else None."""
        schema = self.resolve(schema)
        if "enum" in schema:
            return set(schema["enum"])
        if "const" in schema:
            return {schema["const"]}
        branches = [*schema.get("anyOf", []), *schema.get("oneOf", [])]
        if not branches or depth > _MAX_DEPTH:
            return None
        values: set[Any] = set()
        for branch in branches:
            sub = self.enum(branch, depth + 1)
            if sub is None and self.resolve(branch).get("type") != "null":
                return None
            values |= sub or set()
        return values


def _operation_breaks(
    where: str, old_doc: _Doc, old: dict[str, Any], new_doc: _Doc, new: dict[str, Any]
) -> list[Break]:
    return [
        *_operation_id_breaks(where, old, new),
        *_parameter_breaks(where, old_doc, old, new_doc, new),
        *_body_breaks(where, old_doc, old, new_doc, new),
        *_response_breaks(where, old_doc, old, new_doc, new),
    ]


def _operation_id_breaks(where: str, old: dict[str, Any], new: dict[str, Any]) -> list[Break]:
    """A generated SDK names its method after the operationId: a new one renames the method."""
    before, after = old.get("operationId"), new.get("operationId")
    if before is None or before == after:
        return []
    detail = f"{before} is now {after or 'unnamed'}: generated clients' method is renamed"
    return [Break("operation-id-changed", where, detail)]


def _parameters(operation: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(p.get("in", "?"), p.get("name", "?")): p for p in operation.get("parameters", [])}


def _parameter_breaks(
    where: str, old_doc: _Doc, old: dict[str, Any], new_doc: _Doc, new: dict[str, Any]
) -> list[Break]:
    breaks: list[Break] = []
    old_params, new_params = _parameters(old), _parameters(new)
    for key, param in old_params.items():
        label = f"{where} {key[0]} parameter {key[1]}"
        if key not in new_params:
            breaks.append(Break("parameter-removed", label, "no longer accepted"))
            continue
        lost = _lost_values(old_doc, param.get("schema"), new_doc, new_params[key].get("schema"))
        if lost:
            breaks.append(Break("enum-value-removed", label, f"no longer accepts {lost}"))
    for key, param in new_params.items():
        was = old_params.get(key, {})
        if param.get("required") and not was.get("required"):
            label = f"{where} {key[0]} parameter {key[1]}"
            breaks.append(Break("parameter-now-required", label, "clients that omit it fail"))
    return breaks


def _lost_values(old_doc: _Doc, old: Any, new_doc: _Doc, new: Any) -> list[Any]:
    before, after = old_doc.enum(old), new_doc.enum(new)
    if before is None:
        return []
    return sorted((before - after) if after is not None else set(), key=str)


def _json_schema(part: dict[str, Any] | None, media: str = "application/json") -> Any:
    return ((part or {}).get("content", {}).get(media) or {}).get("schema")


def _body_breaks(
    where: str, old_doc: _Doc, old: dict[str, Any], new_doc: _Doc, new: dict[str, Any]
) -> list[Break]:
    old_body, new_body = old.get("requestBody"), new.get("requestBody")
    if old_body is None or new_body is None:
        return []
    breaks: list[Break] = []
    for media, content in old_body.get("content", {}).items():
        before = old_doc.flatten(content.get("schema"))
        after = new_doc.flatten(_json_schema(new_body, media))
        for location, field in before.items():
            label = f"{where} request field {location}"
            if location not in after:
                breaks.append(Break("request-field-removed", label, "no longer accepted"))
                continue
            lost = _lost_values(old_doc, field["schema"], new_doc, after[location]["schema"])
            if lost:
                breaks.append(Break("enum-value-removed", label, f"no longer accepts {lost}"))
    return breaks


def _response_breaks(
    where: str, old_doc: _Doc, old: dict[str, Any], new_doc: _Doc, new: dict[str, Any]
) -> list[Break]:
    breaks: list[Break] = []
    new_responses = new.get("responses", {})
    for status, response in old.get("responses", {}).items():
        if not str(status).startswith("2"):
            continue
        if status not in new_responses:
            breaks.append(Break("response-removed", f"{where} {status}", "success answer gone"))
            continue
        before = old_doc.flatten(_json_schema(response))
        after = new_doc.flatten(_json_schema(new_responses[status]))
        for location, field in before.items():
            label = f"{where} {status} field {location}"
            if location not in after:
                breaks.append(Break("response-field-removed", label, "no longer returned"))
            elif field["required"] and not after[location]["required"]:
                breaks.append(Break("response-field-optional", label, "may now be absent"))
    return breaks
