"""National records into the canonical models: forgiving about content.

Any element may be missing or empty; names, dates and addresses come in the QCVN and the live
dialects; fields may be in the data namespace, the service namespace or none. A value of the
wrong shape (a date that is not one) is a :class:`WireRecordError`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from lxml import etree

from contracts.admin_eras import Era, Unit, address_era, commune_of, other_era_of
from contracts.admin_units import Commune, commune
from contracts.models import (
    Address,
    Citizen,
    HouseholdHead,
    HouseholdMember,
    PersonRef,
    Sex,
)
from contracts.wire._errors import WireRecordError
from contracts.wire._names import DAN_NS, DATA_NS

__all__ = ["children", "citizen", "fields", "head", "member", "text"]

_DATA_PREFIX = f"{{{DATA_NS}}}"
_DAN_PREFIX = f"{{{DAN_NS}}}"
_DATA_CUT = len(_DATA_PREFIX)
_DAN_CUT = len(_DAN_PREFIX)


def _name_of(tag: object) -> str | None:
    """The local name of a payload field's tag; None for comments and foreign namespaces."""
    if not isinstance(tag, str):
        return None
    if tag.startswith(_DATA_PREFIX):  # the usual case first: this is the hot path
        return tag[_DATA_CUT:]
    if tag.startswith(_DAN_PREFIX):
        return tag[_DAN_CUT:]
    return None if tag[:1] == "{" else tag


def all_named(parent: etree._Element | None, name: str) -> list[etree._Element]:
    """Every payload child of ``parent`` with local name ``name``, in document order."""
    if parent is None:
        return []
    return [
        element
        for element in parent
        if isinstance(element.tag, str) and etree.QName(element).localname == name
    ]


def fields(parent: etree._Element | None) -> dict[str, etree._Element]:
    """The payload children of ``parent`` by local name (the first of each name).

    One pass over the children: a record is read field by field, and an ``Element.find`` per
    field rescanned the children each time (two thirds of a look-up's parsing time).
    """
    found: dict[str, etree._Element] = {}
    if parent is None:
        return found
    for element in parent:  # _name_of, inlined: a call per element was a third of this loop
        tag = element.tag
        if not isinstance(tag, str):
            continue
        if tag.startswith(_DATA_PREFIX):
            found.setdefault(tag[_DATA_CUT:], element)
        elif tag.startswith(_DAN_PREFIX):
            found.setdefault(tag[_DAN_CUT:], element)
        elif tag[:1] != "{":
            found.setdefault(tag, element)
    return found


def children(parent: etree._Element, local: str) -> Iterator[etree._Element]:
    """Every payload child of ``parent`` called ``local``, in document order."""
    return (element for element in parent if _name_of(element.tag) == local)


def text(found: dict[str, etree._Element], name: str) -> str | None:
    element = found.get(name)
    if element is None or element.text is None:
        return None
    return element.text.strip() or None


def citizen(record: etree._Element) -> Citizen:
    found = fields(record)
    family, middle, given, full = _name(found.get("HoVaTen"))
    return Citizen(
        personal_id=text(found, "SoDinhDanh"),
        cmnd=text(found, "SoCMND"),
        full_name=full,
        family_name=family,
        middle_name=middle,
        given_name=given,
        sex=_sex(text(found, "GioiTinh")),
        date_of_birth=_birth(found.get("NgayThangNamSinh")),
        ethnicity_code=text(found, "DanToc"),
        religion_code=text(found, "TonGiao"),
        marital_status_code=text(found, "TinhTrangHonNhan"),
        blood_group_code=text(found, "NhomMau"),
        birth_registration_place=_address(found.get("NoiDangKyKhaiSinh")),
        hometown=_address(found.get("QueQuan")),
        permanent_address=_address(found.get("ThuongTru")),
        current_address=_address(found.get("NoiOHienTai")),
        nationality=text(found, "QuocTich"),
        father=_person(found.get("Cha")),
        mother=_person(found.get("Me")),
        spouse=_person(found.get("VoChong")),
        representative=_person(found.get("NguoiDaiDien")),
        household_head=_optional_head(found.get("ChuHo")),
        household_book_number=text(found, "SoSoHoKhau"),
    )


def _name(element: etree._Element | None) -> tuple[str | None, str | None, str | None, str]:
    """(family, middle, given, full). Live data leaves Ho/ChuDem empty and puts all in Ten."""
    if element is None:
        return None, None, None, ""
    if len(element) == 0:  # plain text HoVaTen, as in relatives' references
        full = " ".join((element.text or "").split())
        return None, None, full or None, full
    found = fields(element)
    parts = [text(found, tag) for tag in ("Ho", "ChuDem", "Ten")]
    full = " ".join(" ".join(p for p in parts if p).split())
    return parts[0], parts[1], parts[2], full


def _plain_name(element: etree._Element | None) -> str | None:
    return _name(element)[3] or None


def _sex(code: str | None) -> Sex:
    return {"1": Sex.MALE, "2": Sex.FEMALE}.get(code or "", Sex.UNKNOWN)


def _birth(element: etree._Element | None) -> str | None:
    """ISO date (or year only) from ``NgayThangNam`` (yyyyMMdd or yyyy-MM-dd) and/or ``Nam``."""
    if element is None:
        return None
    found = fields(element)
    full = text(found, "NgayThangNam")
    if full:
        digits = full.replace("-", "")
        if (
            len(digits) == 8
            and digits.isascii()
            and digits.isdigit()
            and "00"
            in (
                digits[4:6],
                digits[6:8],
            )
        ):
            return _year(digits[:4])  # day or month unknown ("19920000"): the year is what is known
        try:
            return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8])).isoformat()
        except ValueError as exc:
            raise WireRecordError("NgayThangNam is not a date") from exc
    year = text(found, "Nam")
    return None if year is None else _year(year)


def _year(year: str) -> str:
    if len(year) != 4 or not year.isascii() or not year.isdigit() or year == "0000":
        raise WireRecordError("Nam is not a year")
    return year


def _address(element: etree._Element | None) -> Address | None:
    if element is None:
        return None
    found = fields(element)
    commune_code = text(found, "MaPhuongXa") or text(found, "MaDonViHanhChinh")
    province = text(found, "MaTinhThanh")
    district = text(found, "MaQuanHuyen")
    era = address_era(province, district, commune_code) if commune_code else None
    address = Address(
        **_names(commune_code, era, province, district),
        detail=text(found, "ChiTiet"),
        country=text(found, "QuocGia"),
        era=era,
        other_era=other_era_of(commune_code, era) if commune_code and era else None,
    )
    return address if address.model_dump(exclude_none=True) else None


def _names(
    code: str | None, era: Era | None, province: str | None, district: str | None
) -> dict[str, str | None]:
    """Codes and names of the commune's units in its era (the record's codes win)."""
    names: dict[str, str | None] = {"commune_code": code, "province_code": province}
    if code is None or era is None:
        return names | {"district_code": district}
    unit: Commune | Unit | None = None
    if era == "2021":
        unit = commune(code)  # the mock's own 2021 list first
    if unit is None:
        unit = commune_of(code, era)
    if unit is None:
        return names | {"district_code": district}
    return names | {
        "province_code": province or unit.province_code,
        "province_name": unit.province_name,
        "district_code": district or unit.district_code,
        "district_name": unit.district_name,
        "commune_name": unit.name,
    }


def _person(element: etree._Element | None) -> PersonRef | None:
    if element is None:
        return None
    found = fields(element)
    person = PersonRef(
        full_name=_plain_name(found.get("HoVaTen")),
        personal_id=text(found, "SoDinhDanh"),
        cmnd=text(found, "SoCMND"),
        nationality=text(found, "QuocTich"),
    )
    return person if person.model_dump(exclude_none=True) else None


def head(element: etree._Element) -> HouseholdHead:
    return _head(fields(element))


def _head(found: dict[str, etree._Element]) -> HouseholdHead:
    """Who someone is in a household: ChuHo and each ThanhVien carry these fields alike."""
    return HouseholdHead(
        relation_code=text(found, "QuanHe"),
        personal_id=text(found, "SoDinhDanh"),
        cmnd=text(found, "SoCMND"),
        full_name=_plain_name(found.get("HoVaTen")),
    )


def _optional_head(element: etree._Element | None) -> HouseholdHead | None:
    if element is None:
        return None
    found = head(element)
    return found if found.model_dump(exclude_none=True) else None


def member(element: etree._Element) -> HouseholdMember:
    found = fields(element)
    return HouseholdMember(
        **_head(found).model_dump(),
        sex=_sex(text(found, "GioiTinh")),
        date_of_birth=_birth(found.get("NgayThangNamSinh")),
    )
