"""SOAP 1.1 messages of the national population database: build requests, parse answers.

Requests follow the field order of real clients (docs/wire-format.md). Parsing is deliberately
forgiving about *content* (any element may be missing or empty; names, dates and addresses come in
the QCVN and the live dialects) and strict about *shape* (not XML, no SOAP body, or an unexpected
body element is a protocol error).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from lxml import etree

from adapters.ngsp._errors import UpstreamFault, UpstreamProtocolError
from contracts.admin_units import commune
from contracts.models import (
    Address,
    Citizen,
    Household,
    HouseholdHead,
    HouseholdMember,
    PersonRef,
    Sex,
)

__all__ = [
    "DAN_NS",
    "DATA_NS",
    "SOAP_NS",
    "Operation",
    "SoapRequest",
    "build_request",
    "parse_household",
    "parse_lookup",
    "parse_verify",
]

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
DAN_NS = "http://dancuquocgia.bca"
DATA_NS = "http://www.mic.gov.vn/dancu/1.0"


class Operation:
    LOOKUP = "TraCuuThongTinCongDan"
    VERIFY = "XacThucThongTinCongDan"
    HOUSEHOLD = "CungCapThongTinHoGiaDinh"


@dataclass(frozen=True, slots=True)
class SoapRequest:
    """The fields of one population-database request (MaYeuCau … subject)."""

    operation: str
    request_id: str  # MaYeuCau: the gateway's request id, the same on every retry
    purpose_code: str  # MaDVC
    integration_code: str  # MaTichHop
    officer_id: str  # MaCanBo
    number: str  # SoDinhDanh (12 digits) or SoCMND (9 digits)
    agency_code: str | None = None  # MaDonVi
    full_name: str | None = None  # HoVaTen (verify)
    birth_date: date | None = None  # NgayThangNam (verify)
    birth_year: int | None = None  # Nam, when the day is unknown (verify)
    sex: int | None = None  # GioiTinh (verify)


# resolve_entities/no_network: answers are untrusted input; never expand entities or fetch DTDs.
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, huge_tree=False, remove_blank_text=True
)


def build_request(request: SoapRequest) -> bytes:
    envelope = etree.Element(f"{{{SOAP_NS}}}Envelope", nsmap={"soapenv": SOAP_NS, "dan": DAN_NS})
    etree.SubElement(envelope, f"{{{SOAP_NS}}}Header")
    body = etree.SubElement(envelope, f"{{{SOAP_NS}}}Body")
    operation = etree.SubElement(body, f"{{{DAN_NS}}}{request.operation}")
    for name, value in _request_fields(request):
        etree.SubElement(operation, f"{{{DAN_NS}}}{name}").text = value
    _append_birth(operation, request)
    if request.sex is not None:
        etree.SubElement(operation, f"{{{DAN_NS}}}GioiTinh").text = str(request.sex)
    return bytes(etree.tostring(envelope, xml_declaration=True, encoding="utf-8"))


def _request_fields(request: SoapRequest) -> Iterator[tuple[str, str]]:
    yield "MaYeuCau", request.request_id
    yield "MaDVC", request.purpose_code
    yield "MaTichHop", request.integration_code
    yield "MaCanBo", request.officer_id
    if request.agency_code:
        yield "MaDonVi", request.agency_code
    yield ("SoDinhDanh" if len(request.number) == 12 else "SoCMND"), request.number
    if request.full_name is not None:
        yield "HoVaTen", request.full_name


def _append_birth(operation: etree._Element, request: SoapRequest) -> None:
    if request.birth_date is None and request.birth_year is None:
        return
    birth = etree.SubElement(operation, f"{{{DAN_NS}}}NgayThangNamSinh")
    if request.birth_date is not None:
        text = request.birth_date.strftime("%Y%m%d")
        etree.SubElement(birth, f"{{{DAN_NS}}}NgayThangNam").text = text
    else:
        etree.SubElement(birth, f"{{{DAN_NS}}}Nam").text = f"{request.birth_year:04d}"


# ---------------------------------------------------------------- parsing the envelope


def _body_payload(content: bytes, operation: str) -> etree._Element:
    """The single data element inside ``<Operation>Response``; raises on faults and bad shapes."""
    try:
        root = etree.fromstring(content, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise UpstreamProtocolError(f"answer is not well-formed XML: {exc}") from exc
    body = root.find(f"{{{SOAP_NS}}}Body")
    if root.tag != f"{{{SOAP_NS}}}Envelope" or body is None or len(body) == 0:
        raise UpstreamProtocolError("answer is not a SOAP 1.1 envelope with a body")
    first = body[0]
    if first.tag == f"{{{SOAP_NS}}}Fault":
        raise _fault(first)
    if etree.QName(first).localname != f"{operation}Response" or len(first) == 0:
        raise UpstreamProtocolError(f"expected {operation}Response with content")
    return first[0]


def _fault(fault: etree._Element) -> UpstreamFault:
    code_text = (fault.findtext("faultcode") or "").strip()
    fault_class = "Client" if code_text.split(":")[-1].startswith("Client") else "Server"
    detail_code = None
    for element in fault.iter():
        if isinstance(element.tag, str) and etree.QName(element).localname == "MaLoi":
            detail_code = (element.text or "").strip() or None
    return UpstreamFault(fault_class, detail_code, (fault.findtext("faultstring") or "").strip())


def parse_fault_if_any(content: bytes) -> UpstreamFault | None:
    """A SOAP Fault carried in ``content`` (HTTP 500 answers), or None when it is not one."""
    try:
        root = etree.fromstring(content, _PARSER)
    except etree.XMLSyntaxError:
        return None
    fault = root.find(f"{{{SOAP_NS}}}Body/{{{SOAP_NS}}}Fault")
    return None if fault is None else _fault(fault)


# ---------------------------------------------------------------- operations


def parse_lookup(content: bytes) -> Citizen | None:
    """The first ``CongDan`` of a ``CongdanCollection``; None when the collection is empty."""
    collection = _body_payload(content, Operation.LOOKUP)
    _expect(collection, "CongdanCollection")
    record = collection.find(f"{{{DATA_NS}}}CongDan")
    return None if record is None else _citizen(record)


def parse_verify(content: bytes) -> bool:
    result = _body_payload(content, Operation.VERIFY)
    _expect(result, "KetQuaXacThucResponse")
    text = (_child_text(result, "TonTai") or "").lower()
    if text not in {"true", "false", "1", "0"}:
        raise UpstreamProtocolError(f"TonTai must be a boolean, got {text!r}")
    return text in {"true", "1"}


def parse_household(content: bytes) -> Household | None:
    household = _body_payload(content, Operation.HOUSEHOLD)
    _expect(household, "HoGiaDinh")
    members = tuple(_member(m) for m in household.iterfind(f"{{{DATA_NS}}}ThanhVien"))
    if not members:
        return None
    head = household.find(f"{{{DATA_NS}}}ChuHo")
    return Household(
        household_book_number=_child_text(household, "SoSoHoKhau"),
        head=None if head is None else _head(head),
        members=members,
    )


def _expect(element: etree._Element, localname: str) -> None:
    if element.tag != f"{{{DATA_NS}}}{localname}":
        raise UpstreamProtocolError(f"expected {localname}, got {etree.QName(element).localname}")


# ---------------------------------------------------------------- records


_DATA_PREFIX = f"{{{DATA_NS}}}"


def _fields(parent: etree._Element | None) -> dict[str, etree._Element]:
    """The data-namespace children of ``parent`` by local name (the first of each name).

    One pass over the children: a record is read field by field, and an ``Element.find`` per
    field rescanned the children each time (two thirds of a look-up's parsing time).
    """
    found: dict[str, etree._Element] = {}
    if parent is None:
        return found
    for element in parent:
        tag = element.tag
        if isinstance(tag, str) and tag.startswith(_DATA_PREFIX):
            found.setdefault(tag[len(_DATA_PREFIX) :], element)
    return found


def _text(fields: dict[str, etree._Element], name: str) -> str | None:
    element = fields.get(name)
    if element is None or element.text is None:
        return None
    return element.text.strip() or None


def _child_text(parent: etree._Element, name: str) -> str | None:
    return _text(_fields(parent), name)


def _citizen(record: etree._Element) -> Citizen:
    fields = _fields(record)
    family, middle, given, full = _name(fields.get("HoVaTen"))
    return Citizen(
        personal_id=_text(fields, "SoDinhDanh"),
        cmnd=_text(fields, "SoCMND"),
        full_name=full,
        family_name=family,
        middle_name=middle,
        given_name=given,
        sex=_sex(_text(fields, "GioiTinh")),
        date_of_birth=_birth(fields.get("NgayThangNamSinh")),
        ethnicity_code=_text(fields, "DanToc"),
        religion_code=_text(fields, "TonGiao"),
        marital_status_code=_text(fields, "TinhTrangHonNhan"),
        blood_group_code=_text(fields, "NhomMau"),
        birth_registration_place=_address(fields.get("NoiDangKyKhaiSinh")),
        hometown=_address(fields.get("QueQuan")),
        permanent_address=_address(fields.get("ThuongTru")),
        current_address=_address(fields.get("NoiOHienTai")),
        nationality=_text(fields, "QuocTich"),
        father=_person(fields.get("Cha")),
        mother=_person(fields.get("Me")),
        spouse=_person(fields.get("VoChong")),
        representative=_person(fields.get("NguoiDaiDien")),
        household_head=_optional_head(fields.get("ChuHo")),
        household_book_number=_text(fields, "SoSoHoKhau"),
    )


def _name(element: etree._Element | None) -> tuple[str | None, str | None, str | None, str]:
    """(family, middle, given, full). Live data leaves Ho/ChuDem empty and puts all in Ten."""
    if element is None:
        return None, None, None, ""
    if len(element) == 0:  # plain text HoVaTen, as in relatives' references
        full = " ".join((element.text or "").split())
        return None, None, full or None, full
    fields = _fields(element)
    parts = [_text(fields, tag) for tag in ("Ho", "ChuDem", "Ten")]
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
    fields = _fields(element)
    full = _text(fields, "NgayThangNam")
    if full:
        digits = full.replace("-", "")
        try:
            return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8])).isoformat()
        except ValueError as exc:
            raise UpstreamProtocolError("NgayThangNam is not a date") from exc
    year = _text(fields, "Nam")
    if year is None:
        return None
    if len(year) != 4 or not year.isascii() or not year.isdigit():
        raise UpstreamProtocolError("Nam is not a year")
    return year


def _address(element: etree._Element | None) -> Address | None:
    if element is None:
        return None
    fields = _fields(element)
    commune_code = _text(fields, "MaPhuongXa") or _text(fields, "MaDonViHanhChinh")
    known = commune(commune_code) if commune_code else None
    province = _text(fields, "MaTinhThanh") or (known.province_code if known else None)
    district = _text(fields, "MaQuanHuyen") or (known.district_code if known else None)
    address = Address(
        province_code=province,
        province_name=known.province_name if known else None,
        district_code=district,
        district_name=known.district_name if known else None,
        commune_code=commune_code,
        commune_name=known.name if known else None,
        detail=_text(fields, "ChiTiet"),
        country=_text(fields, "QuocGia"),
    )
    return address if address.model_dump(exclude_none=True) else None


def _person(element: etree._Element | None) -> PersonRef | None:
    if element is None:
        return None
    fields = _fields(element)
    person = PersonRef(
        full_name=_plain_name(fields.get("HoVaTen")),
        personal_id=_text(fields, "SoDinhDanh"),
        cmnd=_text(fields, "SoCMND"),
        nationality=_text(fields, "QuocTich"),
    )
    return person if person.model_dump(exclude_none=True) else None


def _head(element: etree._Element) -> HouseholdHead:
    fields = _fields(element)
    return HouseholdHead(
        relation_code=_text(fields, "QuanHe"),
        personal_id=_text(fields, "SoDinhDanh"),
        cmnd=_text(fields, "SoCMND"),
        full_name=_plain_name(fields.get("HoVaTen")),
    )


def _optional_head(element: etree._Element | None) -> HouseholdHead | None:
    if element is None:
        return None
    head = _head(element)
    return head if head.model_dump(exclude_none=True) else None


def _member(element: etree._Element) -> HouseholdMember:
    fields = _fields(element)
    return HouseholdMember(
        relation_code=_text(fields, "QuanHe"),
        personal_id=_text(fields, "SoDinhDanh"),
        cmnd=_text(fields, "SoCMND"),
        full_name=_plain_name(fields.get("HoVaTen")),
        sex=_sex(_text(fields, "GioiTinh")),
        date_of_birth=_birth(fields.get("NgayThangNamSinh")),
    )
