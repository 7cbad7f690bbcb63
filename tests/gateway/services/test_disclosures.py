"""Who an answer discloses: read from what the client received, never from the full record."""

from __future__ import annotations

from contracts.models import Citizen, Household, HouseholdHead, HouseholdMember, PersonRef, Sex
from gateway.audit import Disclosure
from gateway.security.clients import FieldSet
from gateway.services.disclosures import (
    household_disclosures,
    lookup_disclosures,
    verify_disclosures,
)
from gateway.services.projection import project_citizen

CHILD_ID, CHILD_CMND = "054210001111", "221000111"
FATHER_ID, MOTHER_CMND = "054082002222", "221000333"
CITIZEN = Citizen(
    personal_id=CHILD_ID,
    cmnd=CHILD_CMND,
    full_name="Nguyễn Văn Bình",
    father=PersonRef(full_name="Nguyễn Văn An", personal_id=FATHER_ID),
    mother=PersonRef(full_name="Trần Thị Cúc", cmnd=MOTHER_CMND),
)


def _roles(disclosures: tuple[Disclosure, ...]) -> dict[str, tuple[str, str | None]]:
    return {d.number: (d.role, d.relation) for d in disclosures}


def test_a_full_lookup_discloses_the_person_under_both_numbers_and_each_parent() -> None:
    _, fields = project_citizen(CITIZEN, FieldSet.FULL)
    found = lookup_disclosures(CHILD_CMND, CITIZEN, fields)
    assert _roles(found) == {
        CHILD_CMND: ("subject", None),
        CHILD_ID: ("subject", None),
        FATHER_ID: ("relative", "father"),
        MOTHER_CMND: ("relative", "mother"),
    }
    father = next(d for d in found if d.number == FATHER_ID)
    assert father.fields == ("full_name", "personal_id")


def test_a_basic_lookup_names_no_relative_it_never_showed() -> None:
    _, fields = project_citizen(CITIZEN, FieldSet.BASIC)
    assert set(_roles(lookup_disclosures(CHILD_ID, CITIZEN, fields))) == {CHILD_ID, CHILD_CMND}


def test_a_household_names_every_member_and_a_head_listed_only_as_head() -> None:
    household = Household(
        household_book_number="HB1",
        head=HouseholdHead(relation_code="CH01", personal_id="054060009999", full_name="Head"),
        members=(
            HouseholdMember(relation_code="CH02", personal_id=FATHER_ID, sex=Sex.MALE),
            HouseholdMember(relation_code="CH05", personal_id=CHILD_ID, cmnd=CHILD_CMND),
        ),
    )
    assert _roles(household_disclosures(CHILD_ID, household)) == {
        FATHER_ID: ("household_member", "CH02"),
        CHILD_ID: ("subject", "CH05"),
        CHILD_CMND: ("subject", "CH05"),
        "054060009999": ("household_member", "CH01"),
    }


def test_a_verify_discloses_the_verdicts_it_gave() -> None:
    verdicts = [("full_name", "match"), ("date_of_birth", "mismatch"), ("sex", "not_provided")]
    [by_id, by_cmnd] = verify_disclosures(CHILD_ID, CITIZEN, verdicts)
    assert (by_id.number, by_cmnd.number) == (CHILD_ID, CHILD_CMND)
    assert by_id.fields == ("full_name:match", "date_of_birth:mismatch")
