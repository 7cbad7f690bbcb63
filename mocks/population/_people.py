"""Traits of people: names, birth dates, codes and places, drawn per family and per member.

A family's shared traits (family name, ethnicity, religion, home and hometown) come from one keyed
stream; each member's own traits (given names, birth day, CMND, blood group…) from a stream keyed
by the family and the member's slot. Kinship rules live here: children take the father's family
name (the mother's when no father lives in the household), the head's father shares the head's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from mocks.population._families import SNAPSHOT, Member, Role
from mocks.population._geography import Commune, Geography, is_urban
from mocks.population._keyed import Stream
from mocks.population._model import Address
from mocks.population._reference import (
    BLOOD_GROUPS,
    ETHNIC_GROUPS,
    FAMILY_NAMES_NORTH,
    FAMILY_NAMES_SOUTH,
    FEMALE_GIVEN,
    FEMALE_MIDDLE,
    MALE_GIVEN,
    MALE_MIDDLE,
    Weighted,
)
from mocks.population._regional import ethnic_mix, religion_mix

__all__ = ["FamilyTraits", "PersonTraits", "family_traits", "person_traits"]

_SOUTH_FROM = 46  # Thừa Thiên Huế and southwards write Huỳnh/Võ rather than Hoàng/Vũ
_MIGRATION = Weighted([("79", 35.0), ("74", 20.0), ("01", 20.0), ("75", 15.0), ("48", 10.0)])
_STREETS = (
    "Lê Lợi",
    "Trần Hưng Đạo",
    "Nguyễn Huệ",
    "Hai Bà Trưng",
    "Lý Thường Kiệt",
    "Hùng Vương",
    "Quang Trung",
    "Nguyễn Trãi",
    "Lê Duẩn",
    "Phan Chu Trinh",
    "Điện Biên Phủ",
    "Võ Thị Sáu",
)


@dataclass(frozen=True, slots=True)
class FamilyTraits:
    family_name: str
    ethnicity: str
    religion: str
    home: Address  # permanent address of the household (ThuongTru)
    hometown: Address  # QueQuan of the head's line


@dataclass(frozen=True, slots=True)
class PersonTraits:
    family_name: str
    middle_name: str
    given_name: str
    birth_date: date
    year_only: bool
    has_cmnd: bool
    ethnicity: str
    religion: str
    blood_group: str
    birth_place: Address
    hometown: Address
    current: Address


def _family_names(province: int) -> Weighted:
    return FAMILY_NAMES_SOUTH if province >= _SOUTH_FROM else FAMILY_NAMES_NORTH


def _pick(stream: Stream, table: Weighted) -> str:
    return table.values[stream.pick(table.cumulative)]


def _detail(stream: Stream, commune: Commune) -> str:
    if is_urban(commune):
        return f"Số {stream.between(1, 250)} đường {_STREETS[stream.below(len(_STREETS))]}"
    province = int(commune.province_code)
    hamlet = "Ấp" if province >= 70 else "Xóm" if province < 40 and stream.chance(0.5) else "Thôn"
    return f"{hamlet} {stream.between(1, 15)}"


def _address(stream: Stream, geo: Geography, province: int) -> Address:
    communes = geo.communes[province]
    commune = communes[stream.below(len(communes))]
    return Address(
        commune.code, commune.district_code, commune.province_code, _detail(stream, commune)
    )


def family_traits(stream: Stream, geo: Geography, province: int) -> FamilyTraits:
    migrated = stream.chance(0.12)
    residence = int(_pick(stream, _MIGRATION)) if migrated else province
    return FamilyTraits(
        family_name=_pick(stream, _family_names(province)),
        ethnicity=_pick(stream, ethnic_mix(province)),
        religion=_pick(stream, religion_mix(province)),
        home=_address(stream, geo, residence),
        hometown=_address(stream, geo, province),
    )


def _birth(stream: Stream, year: int) -> tuple[date, bool]:
    first = date(year, 1, 1)
    days = (SNAPSHOT - first).days if year == SNAPSHOT.year else (date(year + 1, 1, 1) - first).days
    born = first + timedelta(days=stream.below(days))
    chance = 0.35 if year < 1950 else 0.12 if year < 1965 else 0.03 if year < 1980 else 0.005
    return born, stream.chance(chance)


def _has_cmnd(stream: Stream, year: int) -> bool:
    if year > 2002:
        return False
    return stream.chance(0.75 if year <= 1985 else 0.55 if year <= 1995 else 0.35)


@dataclass(frozen=True, slots=True)
class Kin:
    """What a member inherits: the family name of its line, and the ethnicity of its parents."""

    family_name: str | None  # None: draw one's own (spouses, the head's mother)
    ethnicity: str


def person_traits(
    stream: Stream,
    member: Member,
    *,
    geo: Geography,
    province: int,
    year: int,
    family: FamilyTraits,
    kin: Kin,
) -> PersonTraits:
    born, year_only = _birth(stream, year)
    own_line = kin.family_name is None
    middle, given = (MALE_MIDDLE, MALE_GIVEN) if member.male else (FEMALE_MIDDLE, FEMALE_GIVEN)
    family_name = _pick(stream, _family_names(province)) if own_line else kin.family_name
    hometown = _address(stream, geo, province) if own_line else family.hometown
    if member.role == Role.CHILD and family.home.province_code == f"{province:02d}":
        birth_place = family.home
    else:
        birth_place = hometown
    moved = stream.chance(0.05)
    return PersonTraits(
        family_name=family_name or "",
        middle_name=_pick(stream, middle),
        given_name=_pick(stream, given),
        birth_date=born,
        year_only=year_only,
        has_cmnd=_has_cmnd(stream, year),
        ethnicity=kin.ethnicity if not own_line or stream.chance(0.9) else _own(stream),
        religion=family.religion,
        blood_group=_pick(stream, BLOOD_GROUPS),
        birth_place=birth_place,
        hometown=hometown,
        current=_address(stream, geo, int(family.home.province_code)) if moved else family.home,
    )


def _own(stream: Stream) -> str:
    return _pick(stream, ETHNIC_GROUPS)
