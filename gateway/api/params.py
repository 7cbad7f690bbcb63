"""The rules for the gateway's header and path parameters: one definition validates and documents.

Each :class:`HeaderRule` becomes a FastAPI ``Header`` whose pattern, length and required-ness
pydantic enforces and the OpenAPI publishes, so the contract cannot drift from the check. The
rule also names the gateway's stable problem codes: the validation handler
(``gateway.errors``) turns pydantic's ``missing`` / ``string_pattern_mismatch`` for that header
into ``missing_purpose``, ``invalid_officer``… (see :func:`parameter_codes`).

Patterns use ``[0-9]`` and ASCII letters, never ``\\d`` or ``\\w``: both engines (pydantic's and a
client's) read those as Unicode classes, and a header carries Latin-1 at most.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Header

from contracts.ids import NUMBER_PATTERN

__all__ = [
    "CASE_ID",
    "NUMBER_PATTERN",
    "OFFICER_ID",
    "PURPOSE_CODE",
    "HeaderRule",
    "parameter_codes",
]


@dataclass(frozen=True, slots=True)
class HeaderRule:
    """A request header: its name, its syntax, and the problem codes for its absence or misuse."""

    name: str
    pattern: str
    max_length: int
    required: bool
    missing_code: str
    invalid_code: str
    description: str

    def header(self) -> Any:
        """The FastAPI parameter that enforces and documents this rule."""
        return Header(  # an optional one gets its ``= None`` where it is declared
            alias=self.name,
            pattern=self.pattern,
            min_length=1,
            max_length=self.max_length,
            description=self.description,
        )


PURPOSE_CODE = HeaderRule(
    name="X-Purpose-Code",
    pattern=r"^[0-9]\.[0-9]{6}(\.[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2})?$",
    max_length=24,
    required=True,
    missing_code="missing_purpose",
    invalid_code="invalid_purpose",
    description="MaDVC: the administrative procedure code, e.g. 1.001612 (422 `missing_purpose` "
    "when absent, `invalid_purpose` when malformed).",
)
OFFICER_ID = HeaderRule(
    name="X-Officer-Id",
    pattern=r"^[A-Za-z0-9_.@-]{1,64}$",
    max_length=64,
    required=True,
    missing_code="missing_officer",
    invalid_code="invalid_officer",
    description="MaCanBo: the officer asking; 1-64 of letters, digits, . _ @ - (422 "
    "`missing_officer` / `invalid_officer`).",
)
CASE_ID = HeaderRule(
    name="X-Case-Id",
    pattern=r"^[A-Za-z0-9_./:-]{1,64}$",
    max_length=64,
    required=False,
    missing_code="invalid_case",
    invalid_code="invalid_case",
    description="Optional dossier / case id; 1-64 of letters, digits, . _ / : - (422 "
    "`invalid_case`).",
)

_RULES = (PURPOSE_CODE, OFFICER_ID, CASE_ID)


def parameter_codes() -> dict[tuple[str, str], tuple[str, str]]:
    """``(location, name)`` → ``(code when absent or empty, code when malformed)``."""
    return {("header", rule.name): (rule.missing_code, rule.invalid_code) for rule in _RULES}
