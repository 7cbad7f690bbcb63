"""Canonical messages: what the gateway answers portals, whatever dialect the national side spoke.

The adapter maps QCVN 109 ``CongDan`` records (any dialect) into these models; the gateway filters
them by the calling client's field set and serialises them. Field names are English; each one's
description names the QCVN 109 element it comes from.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from contracts.ids import NUMBER_PATTERN

__all__ = [
    "Address",
    "AdminEra",
    "AdminUnitEntry",
    "AdminUnitRef",
    "Citizen",
    "ClientGrants",
    "Household",
    "HouseholdHead",
    "HouseholdMember",
    "OtherEraUnits",
    "PersonRef",
    "Problem",
    "Sex",
    "VerifyFields",
    "VerifyRequest",
    "VerifyResult",
]


def _on_the_calendar(value: str) -> str:
    """``1994-02-30`` has the shape of a date but is none (bulk rows already said `invalid`)."""
    if value == "0000" or (len(value) > 4 and not _is_date(value)):
        raise ValueError("not a date on the calendar")
    return value


def _is_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


PartialDate = Annotated[
    str,
    Field(
        pattern=r"^[0-9]{4}(-[0-9]{2}-[0-9]{2})?$",  # ASCII: pydantic reads \d as Unicode
        description="ISO 8601 date, or only the year when the day is unknown (Nam).",
        examples=["1992-11-22", "1958"],
    ),
    AfterValidator(_on_the_calendar),
]


class Sex(StrEnum):
    """GioiTinh: 0 unknown, 1 male (Nam), 2 female (Nữ)."""

    UNKNOWN = "unknown"
    MALE = "male"
    FEMALE = "female"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


AdminEra = Literal["2021", "2025"]


class AdminUnitRef(_Model):
    """An administrative unit of one era: 2021 (63 provinces, districts) or 2025 (34, none)."""

    era: AdminEra
    code: str = Field(description="2 digits province, 3 district (2021 only), 5 ward/commune.")
    name: str
    level: Literal["province", "district", "commune"]
    parent_code: str | None = Field(
        None, description="The district of a 2021 commune; the province otherwise; none for one."
    )
    province_code: str
    province_name: str
    district_code: str | None = None
    district_name: str | None = None


class OtherEraUnits(_Model):
    """What the official conversion table of 01/7/2025 gives in the other era."""

    era: AdminEra
    units: tuple[AdminUnitRef, ...] = Field(
        description="Every candidate: old→new can be 1:N (part of a ward went to each)."
    )
    partial: bool = Field(
        description="True when the table does not determine one whole answer: several "
        "candidates, a part-merge, or nothing."
    )


class AdminUnitEntry(_Model):
    """A unit and its other-era counterparts (the shared catalogue, danh mục dùng chung)."""

    unit: AdminUnitRef
    other_era: OtherEraUnits


class Address(_Model):
    """An address (ThuongTru, NoiOHienTai, QueQuan, NoiDangKyKhaiSinh), in either era's codes."""

    province_code: str | None = Field(None, description="MaTinhThanh, 2 digits.", examples=["54"])
    province_name: str | None = None
    district_code: str | None = Field(None, description="MaQuanHuyen, 3 digits.")
    district_name: str | None = None
    commune_code: str | None = Field(
        None, description="MaPhuongXa (or QCVN's MaDonViHanhChinh), 5 digits."
    )
    commune_name: str | None = None
    detail: str | None = Field(None, description="ChiTiet: street, hamlet, house number.")
    country: str | None = Field(None, description="QuocGia, ISO 3166-1 alpha-2.", examples=["VN"])
    era: AdminEra | None = Field(
        None,
        description="Which era the codes belong to: 2021 (with a district) or 2025 (province "
        "of 34 + ward, no district). None when the codes are unknown in both.",
    )
    other_era: OtherEraUnits | None = Field(
        None, description="The commune in the other era's codes, as the official table gives it."
    )


class PersonRef(_Model):
    """A relative as the national record names them (Cha, Me, VoChong, NguoiDaiDien)."""

    full_name: str | None = None
    personal_id: str | None = None
    cmnd: str | None = None
    nationality: str | None = None


class HouseholdHead(_Model):
    """ChuHo: the head of the citizen's household and the citizen's relation to them."""

    relation_code: str | None = Field(None, description="QuanHe, e.g. CH01.")
    personal_id: str | None = None
    cmnd: str | None = None
    full_name: str | None = None


class Citizen(_Model):
    """One citizen record of the national population database (QCVN 109 ``CongDan``)."""

    SENSITIVE_FIELDS: ClassVar[frozenset[str]] = frozenset({"ethnicity_code", "religion_code"})

    personal_id: str | None = Field(None, description="SoDinhDanh, 12 digits.")
    cmnd: str | None = Field(None, description="SoCMND, legacy 9-digit card number.")
    full_name: str = Field(description="HoVaTen as one string.", examples=["Nguyễn Văn An"])
    family_name: str | None = Field(None, description="Ho (often empty in live data).")
    middle_name: str | None = Field(None, description="ChuDem (often empty in live data).")
    given_name: str | None = Field(None, description="Ten.")
    sex: Sex = Sex.UNKNOWN
    date_of_birth: PartialDate | None = None
    ethnicity_code: str | None = Field(None, description="DanToc, 2 digits (sensitive).")
    religion_code: str | None = Field(None, description="TonGiao, 2 digits (sensitive).")
    marital_status_code: str | None = Field(None, description="TinhTrangHonNhan.")
    blood_group_code: str | None = Field(None, description="NhomMau.")
    birth_registration_place: Address | None = None
    hometown: Address | None = None
    permanent_address: Address | None = None
    current_address: Address | None = None
    nationality: str | None = Field(None, description="QuocTich, ISO 3166-1 alpha-2.")
    father: PersonRef | None = None
    mother: PersonRef | None = None
    spouse: PersonRef | None = None
    representative: PersonRef | None = None
    household_head: HouseholdHead | None = None
    household_book_number: str | None = Field(None, description="SoSoHoKhau.")


class HouseholdMember(_Model):
    relation_code: str | None = Field(None, description="QuanHe to the head; CH01 is the head.")
    personal_id: str | None = None
    cmnd: str | None = None
    full_name: str | None = None
    sex: Sex = Sex.UNKNOWN
    date_of_birth: PartialDate | None = None


class Household(_Model):
    """A household (HoGiaDinh): its book number, its head and every member."""

    household_book_number: str | None = None
    head: HouseholdHead | None = None
    members: tuple[HouseholdMember, ...] = ()


class Problem(BaseModel):
    """RFC 9457 problem details, extended with a stable ``code`` and the failing ``layer``."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=["https://lgsp.example/problems/citizen_not_found"])
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    code: str = Field(description="Stable machine-readable error code.", examples=["not_found"])
    request_id: str | None = None
    layer: str | None = Field(
        None, description="Where it failed: client, gateway, ngsp or population-db."
    )

    def to_json_dict(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


FieldVerdict = Literal["match", "mismatch", "not_provided"]


class VerifyRequest(_Model):
    """What a citizen typed into a form, to be checked against the national record."""

    number: str = Field(
        description="12-digit personal id or 9-digit CMND; a bad one answers 422 with the "
        "number's own code (number_not_digits, unknown_province…).",
        examples=["054092000123"],
        # Documented here, checked by contracts.ids.parse_number (its codes, its audit record).
        json_schema_extra={"pattern": NUMBER_PATTERN},
    )
    full_name: str | None = Field(None, max_length=200, examples=["Nguyễn Văn An"])
    date_of_birth: PartialDate | None = None
    sex: Literal["male", "female"] | None = None
    strategy: Literal["exact", "normalised"] = Field(
        "exact",
        description="exact: same letters and diacritics; case, spacing and apostrophe variants "
        "never decide. normalised: also ignores diacritics (Đ = D); only for clients granted it.",
    )


class VerifyFields(_Model):
    full_name: FieldVerdict = "not_provided"
    date_of_birth: FieldVerdict = "not_provided"
    sex: FieldVerdict = "not_provided"


class VerifyResult(_Model):
    """Whether every provided field matches; never the stored values themselves."""

    match: bool = Field(
        description="True when the citizen exists and every provided field matches."
    )
    strategy: Literal["exact", "normalised"]
    fields: VerifyFields


class ClientGrants(_Model):
    """What the calling client may do (``GET /api/v1/me``)."""

    client_id: str
    name: str
    agency_code: str
    operations: list[str]
    field_set: str
    fields: list[str]
    verify_strategies: list[str]
    purpose_codes: list[str] | None
    rate_per_s: float
    burst: int
