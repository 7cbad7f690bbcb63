"""A national record for route tests over the faked adapter, with a field of every field set."""

from __future__ import annotations

from contracts.models import Citizen, Household, HouseholdHead, HouseholdMember, Sex

NUMBER = "054092000123"
NAMES = {"full_name": "Trần Thị Bích", "family_name": "Trần", "middle_name": "Thị"}
ADDRESS = {"province_code": "54", "district_code": "555", "commune_code": "22024"}

# Grouped as the field sets see them: basic (identity), full (plus these), sensitive (plus these).
CITIZEN = Citizen.model_validate(
    {"personal_id": NUMBER, "cmnd": "221000123", "sex": "female", "date_of_birth": "1992-11-22"}
    | NAMES
    | {"given_name": "Bích"}
    | {"nationality": "VN", "marital_status_code": "2", "permanent_address": ADDRESS}
    | {"father": {"full_name": "Trần Văn Cường", "personal_id": "054060000456"}}
    | {"ethnicity_code": "01", "religion_code": "00"}
)
HOUSEHOLD = Household(
    household_book_number="HB-17",
    head=HouseholdHead(relation_code="CH01", personal_id=NUMBER, full_name=CITIZEN.full_name),
    members=(HouseholdMember(relation_code="CH01", personal_id=NUMBER, sex=Sex.FEMALE),),
)
