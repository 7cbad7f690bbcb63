"""Reading population-database requests, and refusing malformed ones as the national side would.

A request that is not a SOAP 1.1 envelope, names an unknown operation or carries a value of the
wrong shape gets ``302 DATA_TYPE_INVALID``; a missing mandatory field ``200 RECORD_UNCOMPLETE``;
a malformed agency code ``106 AGENCY_ID_INCORRECT`` (docs/wire-format.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from lxml import etree

from contracts.wire import OPERATIONS, Operation
from mocks.soap._faults import SoapFault
from mocks.soap._xml import DAN_NS, SOAP_NS

__all__ = ["OPERATIONS", "Operation", "SoapRequest", "parse_request"]


# Deployments name the operation element TraCuuThongTinCongDan or TraCuuThongTinCongDanRequest
# (docs/wire-format.md); the mock accepts both, as a tolerant national side would.
_REQUEST_SUFFIX = "Request"
_HEADER_FIELDS = ("MaYeuCau", "MaDVC", "MaTichHop", "MaCanBo")
_AGENCY = re.compile(r"\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}")
_DIGITS = re.compile(r"[0-9]+")

# Requests are untrusted: never expand entities, never fetch anything, refuse huge documents.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


@dataclass(frozen=True, slots=True)
class SoapRequest:
    operation: str
    request_id: str  # MaYeuCau
    purpose_code: str  # MaDVC
    integration_code: str  # MaTichHop
    officer_id: str  # MaCanBo
    agency_code: str | None  # MaDonVi
    number: str  # SoDinhDanh (12 digits) or SoCMND (9 digits)
    full_name: str | None  # HoVaTen
    birth_date: date | None  # NgayThangNamSinh/NgayThangNam
    birth_year: int | None  # NgayThangNamSinh/Nam
    sex: str | None  # GioiTinh


def _operation_element(body: bytes) -> etree._Element:
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise SoapFault(302, f"Yêu cầu không phải XML hợp lệ: {exc}") from exc
    envelope_body = root.find(f"{{{SOAP_NS}}}Body")
    if root.tag != f"{{{SOAP_NS}}}Envelope" or envelope_body is None or len(envelope_body) == 0:
        raise SoapFault(302, "Yêu cầu không phải SOAP 1.1 Envelope có Body")
    return envelope_body[0]


def _split(tag: str) -> tuple[str | None, str]:
    """(namespace, local name) of a Clark-notation tag, without building a QName (hot path)."""
    if tag[:1] != "{":
        return None, tag
    namespace, _, local = tag[1:].partition("}")
    return namespace, local


def _fields(operation: etree._Element) -> dict[str, etree._Element]:
    found: dict[str, etree._Element] = {}
    for child in operation:
        tag = child.tag
        if isinstance(tag, str):
            namespace, local = _split(tag)
            if namespace in (DAN_NS, None) and local not in found:
                found[local] = child
    return found


def _text(fields: dict[str, etree._Element], name: str) -> str | None:
    element = fields.get(name)
    if element is None or element.text is None:
        return None
    return element.text.strip() or None


def parse_request(body: bytes) -> SoapRequest:
    """The request in ``body``; raises :class:`SoapFault` with the national side's code."""
    element = _operation_element(body)
    namespace, operation = _split(str(element.tag))
    operation = operation.removesuffix(_REQUEST_SUFFIX)
    if namespace != DAN_NS or operation not in OPERATIONS:
        raise SoapFault(302, f"Thao tác không được hỗ trợ: {operation}")
    fields = _fields(element)
    number = _text(fields, "SoDinhDanh") or _text(fields, "SoCMND")
    try:
        return _request(operation, fields)
    except SoapFault as fault:
        fault.operation, fault.number = operation, number
        raise


def _request(operation: str, fields: dict[str, etree._Element]) -> SoapRequest:
    header = [_text(fields, name) for name in _HEADER_FIELDS]
    missing = [name for name, value in zip(_HEADER_FIELDS, header, strict=True) if value is None]
    if missing:
        raise SoapFault(200, f"Thiếu trường bắt buộc: {', '.join(missing)}")
    agency = _text(fields, "MaDonVi")
    if agency is not None and not _AGENCY.fullmatch(agency):
        raise SoapFault(106, f"MaDonVi không đúng định dạng 000.00.00.H00: {agency}")
    birth_date, birth_year = _birth(fields.get("NgayThangNamSinh"))
    full_name = _text(fields, "HoVaTen")
    if operation == Operation.VERIFY and (
        full_name is None or (birth_date, birth_year) == (None, None)
    ):
        raise SoapFault(200, "Xác thực cần HoVaTen và NgayThangNamSinh")
    request_id, purpose, integration, officer = (value or "" for value in header)
    return SoapRequest(
        operation=operation,
        request_id=request_id,
        purpose_code=purpose,
        integration_code=integration,
        officer_id=officer,
        agency_code=agency,
        number=_number(fields),
        full_name=full_name,
        birth_date=birth_date,
        birth_year=birth_year,
        sex=_sex(_text(fields, "GioiTinh")),
    )


def _number(fields: dict[str, etree._Element]) -> str:
    personal_id, cmnd = _text(fields, "SoDinhDanh"), _text(fields, "SoCMND")
    if personal_id is not None and cmnd is not None:
        raise SoapFault(302, "Chỉ được gửi một trong SoDinhDanh và SoCMND")
    if personal_id is None and cmnd is None:
        raise SoapFault(200, "Thiếu SoDinhDanh hoặc SoCMND")
    if personal_id is not None:
        if len(personal_id) != 12 or not _DIGITS.fullmatch(personal_id):
            raise SoapFault(302, "SoDinhDanh phải gồm 12 chữ số")
        return personal_id
    assert cmnd is not None  # noqa: S101 - narrowed by the two checks above
    if len(cmnd) != 9 or not _DIGITS.fullmatch(cmnd):
        raise SoapFault(302, "SoCMND phải gồm 9 chữ số")
    return cmnd


def _birth(element: etree._Element | None) -> tuple[date | None, int | None]:
    if element is None:
        return None, None
    fields = _fields(element)
    full, year = _text(fields, "NgayThangNam"), _text(fields, "Nam")
    if full is not None:
        return _date(full), None
    if year is not None:
        if len(year) != 4 or not _DIGITS.fullmatch(year):
            raise SoapFault(302, "Nam phải có dạng yyyy")
        return None, int(year)
    return None, None


def _date(text: str) -> date:
    if len(text) != 8 or not _DIGITS.fullmatch(text):
        raise SoapFault(302, "NgayThangNam phải có dạng yyyyMMdd")
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError as exc:
        raise SoapFault(302, f"NgayThangNam không phải ngày hợp lệ: {text}") from exc


def _sex(text: str | None) -> str | None:
    if text is not None and text not in {"0", "1", "2"}:
        raise SoapFault(302, "GioiTinh phải là 0, 1 hoặc 2")
    return text
