"""Typed details against a national record, field by field: the verdicts verify and jobs give.

The rule for each field is ``contracts.matching`` (docs/matching.md); this module only applies it
to the three details a form or a register row may give, any of which may be missing. A missing
detail is ``not_provided`` and never decides; a detail the record lacks (no birth date) cannot be
confirmed, so it is a ``mismatch``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from contracts.matching import Strategy, dates_match, names_match
from contracts.models import Citizen, Sex, VerifyFields

__all__ = ["Details", "FieldResult", "Strategy", "compare_details"]


class FieldResult(StrEnum):
    MATCH = "match"
    MISMATCH = "mismatch"
    NOT_PROVIDED = "not_provided"


@dataclass(frozen=True, slots=True)
class Details:
    """What was typed: a name, a birth date (partial ISO: ``yyyy`` or ``yyyy-mm-dd``), a sex."""

    full_name: str | None = None
    date_of_birth: str | None = None
    sex: Sex | None = None

    @property
    def given(self) -> bool:
        return any(value is not None for value in (self.full_name, self.date_of_birth, self.sex))


def _verdict(provided: object, matched: bool) -> FieldResult:
    if provided is None:
        return FieldResult.NOT_PROVIDED
    return FieldResult.MATCH if matched else FieldResult.MISMATCH


def _name(typed: str | None, citizen: Citizen, strategy: Strategy) -> FieldResult:
    return _verdict(typed, typed is not None and names_match(typed, citizen.full_name, strategy))


def _birth(typed: str | None, citizen: Citizen) -> FieldResult:
    recorded = citizen.date_of_birth
    matched = typed is not None and recorded is not None and dates_match(typed, recorded)
    return _verdict(typed, matched)


def _sex(typed: Sex | None, citizen: Citizen) -> FieldResult:
    return _verdict(typed, typed == citizen.sex and citizen.sex is not Sex.UNKNOWN)


def compare_details(typed: Details, citizen: Citizen, strategy: Strategy) -> VerifyFields:
    """The verdict of each typed detail against the record; the record's values never leave."""
    return VerifyFields(
        full_name=_name(typed.full_name, citizen, strategy),
        date_of_birth=_birth(typed.date_of_birth, citizen),
        sex=_sex(typed.sex, citizen),
    )
