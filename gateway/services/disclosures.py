"""Who an answer discloses: the data subjects its audit record must name, and what about each.

The audit trail files a record under every number whose holder the answer told something about,
so that a citizen's "who looked me up" finds it whichever number they give. These functions read
the answer *as the client received it* (after data minimisation): a relative counts only when the
client's field set let the relative's entry through, and then with the fields it actually held.
"""

from __future__ import annotations

from collections.abc import Iterable

from contracts.models import Citizen, Household, HouseholdHead, HouseholdMember, PersonRef
from gateway.audit import Disclosure

__all__ = ["household_disclosures", "lookup_disclosures", "verify_disclosures"]

RELATIVES = ("father", "mother", "spouse", "representative", "household_head")
"""The entries of a citizen record that name another person by number."""


def _numbers(person: PersonRef | HouseholdHead | HouseholdMember | Citizen) -> list[str]:
    return [number for number in (person.personal_id, person.cmnd) if number]


def _present(person: PersonRef | HouseholdHead | HouseholdMember) -> tuple[str, ...]:
    return tuple(sorted(person.model_dump(exclude_none=True)))


def _subject(asked: str, citizen: Citizen, fields: tuple[str, ...]) -> list[Disclosure]:
    numbers = dict.fromkeys([asked, *_numbers(citizen)])  # ordered, once each
    return [Disclosure(number, "subject", fields) for number in numbers]


def lookup_disclosures(
    asked: str, citizen: Citizen, fields: tuple[str, ...]
) -> tuple[Disclosure, ...]:
    """The person asked about (both numbers) and each relative the returned ``fields`` named."""
    found = _subject(asked, citizen, fields)
    for relation in RELATIVES:
        person = getattr(citizen, relation)
        if relation in fields and person is not None:
            about = _present(person)
            found += [Disclosure(n, "relative", about, relation) for n in _numbers(person)]
    return tuple(found)


def household_disclosures(asked: str, household: Household) -> tuple[Disclosure, ...]:
    """Every member (the one asked about as ``subject``), and the head if not among them."""
    found: list[Disclosure] = []
    for member in household.members:
        numbers = _numbers(member)
        role = "subject" if asked in numbers else "household_member"
        found += [Disclosure(n, role, _present(member), member.relation_code) for n in numbers]
    head = household.head
    if head is not None:
        listed = {d.number for d in found}
        about, relation = _present(head), head.relation_code
        found += [
            Disclosure(n, "household_member", about, relation)
            for n in _numbers(head)
            if n not in listed
        ]
    return tuple(found)


def verify_disclosures(
    asked: str, citizen: Citizen, verdicts: Iterable[tuple[str, str]]
) -> tuple[Disclosure, ...]:
    """The person verified (both numbers); fields name each verdict given (``full_name:match``).

    A verification returns no stored value, but confirming or denying a typed one discloses it.
    """
    fields = tuple(f"{name}:{verdict}" for name, verdict in verdicts if verdict != "not_provided")
    return tuple(_subject(asked, citizen, fields or ("existence:confirmed",)))
