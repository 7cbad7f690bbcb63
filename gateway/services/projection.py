"""Data minimisation: keep only the fields a client's field set allows."""

from __future__ import annotations

from contracts.models import Citizen
from gateway.security.clients import FieldSet

__all__ = ["BASIC_FIELDS", "fields_for", "project_citizen"]

BASIC_FIELDS = frozenset(
    {
        "personal_id",
        "cmnd",
        "full_name",
        "family_name",
        "middle_name",
        "given_name",
        "sex",
        "date_of_birth",
    }
)
_ALL_FIELDS = frozenset(Citizen.model_fields)
_FIELDS = {
    FieldSet.BASIC: BASIC_FIELDS,
    FieldSet.FULL: _ALL_FIELDS - Citizen.SENSITIVE_FIELDS,
    FieldSet.SENSITIVE: _ALL_FIELDS,
}


def fields_for(field_set: FieldSet) -> frozenset[str]:
    return _FIELDS[field_set]


def project_citizen(citizen: Citizen, field_set: FieldSet) -> tuple[bytes, tuple[str, ...]]:
    """The JSON body holding only allowed, present fields, and those fields' names."""
    allowed = _FIELDS[field_set]
    present = tuple(sorted(name for name in allowed if getattr(citizen, name) is not None))
    return citizen.model_dump_json(include=set(present), exclude_none=True).encode(), present
