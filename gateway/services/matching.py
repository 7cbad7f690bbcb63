"""Comparing what a citizen typed into a form with the national record, field by field.

Two strategies, chosen per request and granted per client:

- ``exact`` (default): the same characters after Unicode NFC composition and trimming. NFC only
  undoes encoding differences (a precomposed "ệ" versus "e" + two combining marks), which are not
  differences a person can see.
- ``normalised``: additionally ignores case, runs of spaces and Vietnamese diacritics
  ("nguyen  van AN" matches "NGUYỄN VĂN AN"; "đ" counts as "d"). Looser, so only for clients
  granted it.

Birth dates: a typed year matches a record's year; a typed full date matches a full date; when
the record only holds the year (the day was never registered), a typed full date is compared on
its year, because the record cannot say more.
"""

from __future__ import annotations

import unicodedata
from enum import StrEnum

from contracts.models import Sex

__all__ = ["FieldResult", "Strategy", "dates_match", "names_match"]


class Strategy(StrEnum):
    EXACT = "exact"
    NORMALISED = "normalised"


class FieldResult(StrEnum):
    MATCH = "match"
    MISMATCH = "mismatch"
    NOT_PROVIDED = "not_provided"


def _exact_form(text: str) -> str:
    return unicodedata.normalize("NFC", text.strip())


def _loose_form(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    letters = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(letters.casefold().split())


def names_match(typed: str, recorded: str, strategy: Strategy) -> bool:
    if strategy is Strategy.NORMALISED:
        return _loose_form(typed) == _loose_form(recorded)
    return _exact_form(typed) == _exact_form(recorded)


def dates_match(typed: str, recorded: str) -> bool:
    """Partial ISO dates (``yyyy`` or ``yyyy-mm-dd``) as described in the module docstring."""
    if len(typed) == 4 or len(recorded) == 4:
        return typed[:4] == recorded[:4]
    return typed == recorded


def result(provided: object, matched: bool) -> FieldResult:
    if provided is None:
        return FieldResult.NOT_PROVIDED
    return FieldResult.MATCH if matched else FieldResult.MISMATCH


def sex_result(typed: Sex | None, recorded: Sex) -> FieldResult:
    return result(typed, typed == recorded and recorded is not Sex.UNKNOWN)
