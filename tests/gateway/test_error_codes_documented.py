"""Every problem ``code`` the gateway raises is in the README's errors table (or docs/jobs.md).

Portals program against these codes; one the table does not list is a contract nobody can rely
on. The codes are collected from the source: each ``GatewayError`` subclass raised with a literal
code, and the codes the error translators and request limits send.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import gateway.errors

ROOT = Path(__file__).resolve().parents[2]
_RAISERS = {
    name
    for name, value in vars(gateway.errors).items()
    if isinstance(value, type) and issubclass(value, gateway.errors.GatewayError)
} | {"_challenge", "_problem", "send_problem", "problem_response"}


def _literal_codes(tree: ast.AST) -> set[str]:
    codes: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name not in _RAISERS:
            continue
        literals = [a.value for a in node.args if isinstance(a, ast.Constant)]
        literals += [
            k.value.value
            for k in node.keywords
            if k.arg == "code"
            if isinstance(k.value, ast.Constant)
        ]
        codes.update(v for v in literals if isinstance(v, str) and re.fullmatch(r"[a-z_]+", v))
    return codes


def _raised_codes() -> set[str]:
    codes: set[str] = set()
    for path in (ROOT / "gateway").rglob("*.py"):
        codes |= _literal_codes(ast.parse(path.read_text(encoding="utf-8")))
    codes |= set(gateway.errors._VALIDATION_CODES.values())
    return codes


def _documented() -> set[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    text += (ROOT / "docs" / "jobs.md").read_text(encoding="utf-8")
    return set(re.findall(r"`([a-z_]+)`", text))


def test_every_raised_code_is_documented() -> None:
    raised = _raised_codes()
    assert len(raised) > 20  # the scan found the codes, so an empty difference means something
    assert sorted(raised - _documented()) == []


def _subclasses(tree: type[Exception]) -> set[type[Exception]]:
    found = set(tree.__subclasses__())
    for child in list(found):
        found |= _subclasses(child)
    return found


def _tree_codes(classes: set[type[Exception]]) -> set[str]:
    """Class-attribute codes, and the ``code="..."`` literals the classes are raised with."""
    codes = {str(getattr(cls, "code", None)) for cls in classes if hasattr(cls, "code")}
    names = {cls.__name__ for cls in classes}
    for path in [*(ROOT / "gateway").rglob("*.py"), *(ROOT / "adapters").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in names:
                codes |= {
                    k.value.value
                    for k in node.keywords
                    if k.arg == "code"
                    and isinstance(k.value, ast.Constant)
                    and isinstance(k.value.value, str)
                }
    return codes


# Class defaults every raise overrides (or start-up only): never in an answer.
_NEVER_SENT = {
    "csv_invalid",
    "job_config_invalid",
    "job_error",
    "job_state_conflict",
    "upstream_error",
    "upstream_unavailable",
}


def test_every_translated_tree_code_is_documented() -> None:
    """Each tree the one problem handler translates (``gateway.problems``) names its codes in
    classes and raises; every code a portal can get is in the tables too."""
    import gateway.problems  # noqa: PLC0415 (the registry under test)

    classes = {c for tree in gateway.problems._TRANSLATIONS for c in {tree, *_subclasses(tree)}}
    codes = _tree_codes(classes) - _NEVER_SENT
    assert len(codes) > 20
    assert sorted(codes - _documented()) == []
