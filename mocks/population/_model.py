"""The mock's own records: a citizen as the national database holds it, before any wire dialect.

These are plain frozen dataclasses (not the canonical ``contracts`` models): the mock must be free
to hold what the national side holds, and the renderers in ``mocks.soap`` turn them into XML.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

__all__ = ["Address", "Citizen", "Household", "HouseholdMember", "PersonRef"]


@dataclass(frozen=True, slots=True)
class Address:
    commune_code: str  # MaPhuongXa / MaDonViHanhChinh, 5 digits
    district_code: str  # MaQuanHuyen, 3 digits
    province_code: str  # MaTinhThanh, 2 digits
    detail: str  # ChiTiet
    country: str = "VN"  # QuocGia

    def to_json(self) -> dict[str, Any]:
        return {
            "commune_code": self.commune_code,
            "district_code": self.district_code,
            "province_code": self.province_code,
            "detail": self.detail,
            "country": self.country,
        }


@dataclass(frozen=True, slots=True)
class PersonRef:
    """A relative or the head of household, as a citizen record names them."""

    personal_id: str
    cmnd: str | None
    full_name: str
    nationality: str = "VN"

    def to_json(self) -> dict[str, Any]:
        return {"personal_id": self.personal_id, "cmnd": self.cmnd, "full_name": self.full_name}


@dataclass(frozen=True, slots=True)
class Citizen:
    personal_id: str
    cmnd: str | None
    family_name: str
    middle_name: str
    given_name: str
    male: bool
    birth_date: date
    year_only: bool  # only the year of birth is known (NgayThangNamSinh/Nam)
    ethnicity_code: str
    religion_code: str
    marital_status_code: str
    blood_group_code: str
    birth_registration_place: Address
    hometown: Address
    permanent_address: Address
    current_address: Address
    father: PersonRef | None
    mother: PersonRef | None
    spouse: PersonRef | None
    representative: PersonRef | None
    relation_code: str  # QuanHe to the head of household
    head: PersonRef
    household_book_number: str
    nationality: str = "VN"

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.family_name, self.middle_name, self.given_name) if p)

    @property
    def date_of_birth(self) -> str:
        """ISO ``yyyy-mm-dd``, or ``yyyy`` when only the year is known."""
        return f"{self.birth_date.year:04d}" if self.year_only else self.birth_date.isoformat()

    @property
    def sex_code(self) -> str:
        """GioiTinh: 1 male (Nam), 2 female (Nữ)."""
        return "1" if self.male else "2"

    @property
    def province_code(self) -> str:
        """The two-digit GSO code of the province of birth registration (id digits 2-3)."""
        return self.personal_id[1:3]

    def ref(self) -> PersonRef:
        return PersonRef(self.personal_id, self.cmnd, self.full_name, self.nationality)

    def summary(self) -> dict[str, Any]:
        """The discovery view served by ``/__admin/citizens/sample``."""
        return {
            "personal_id": self.personal_id,
            "cmnd": self.cmnd,
            "full_name": self.full_name,
            "date_of_birth": self.date_of_birth,
            "year_only": self.year_only,
            "sex": "male" if self.male else "female",
            "province_code": self.province_code,
            "household_id": self.household_book_number,
            "relation_code": self.relation_code,
        }

    def to_json(self) -> dict[str, Any]:
        """Every field, for ``/__admin/citizens/{number}``."""
        refs = {
            "father": self.father,
            "mother": self.mother,
            "spouse": self.spouse,
            "representative": self.representative,
        }
        places = {
            "birth_registration_place": self.birth_registration_place,
            "hometown": self.hometown,
            "permanent_address": self.permanent_address,
            "current_address": self.current_address,
        }
        return {
            **self.summary(),
            "family_name": self.family_name,
            "middle_name": self.middle_name,
            "given_name": self.given_name,
            "ethnicity_code": self.ethnicity_code,
            "religion_code": self.religion_code,
            "marital_status_code": self.marital_status_code,
            "blood_group_code": self.blood_group_code,
            "nationality": self.nationality,
            **{name: place.to_json() for name, place in places.items()},
            **{name: None if ref is None else ref.to_json() for name, ref in refs.items()},
            "head": self.head.to_json(),
        }


@dataclass(frozen=True, slots=True)
class HouseholdMember:
    relation_code: str
    person: PersonRef
    male: bool
    birth_date: date
    year_only: bool

    @property
    def date_of_birth(self) -> str:
        return f"{self.birth_date.year:04d}" if self.year_only else self.birth_date.isoformat()


@dataclass(frozen=True, slots=True)
class Household:
    book_number: str  # SoSoHoKhau
    head: PersonRef
    members: tuple[HouseholdMember, ...]
    address: Address

    def to_json(self) -> dict[str, Any]:
        return {
            "household_id": self.book_number,
            "head": self.head.to_json(),
            "address": self.address.to_json(),
            "members": [
                {
                    **m.person.to_json(),
                    "relation_code": m.relation_code,
                    "sex": "male" if m.male else "female",
                    "date_of_birth": m.date_of_birth,
                }
                for m in self.members
            ],
        }
