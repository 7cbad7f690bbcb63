"""Exact in what it sends: one request shape, the field order of real clients.

``soapenv`` envelope, the operation element and every field in the service namespace (prefix
``dan``), header fields first (MaYeuCau, MaDVC, MaTichHop, MaCanBo, MaDonVi), then the subject.
The only deployment choice is the operation element's name (``suffix``: docs/wire-format.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from lxml import etree

from contracts.wire._names import DAN_NS, SOAP_NS, RequestSuffix, operation_element

__all__ = ["SoapRequest", "build_request"]


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


def build_request(request: SoapRequest, suffix: RequestSuffix = "") -> bytes:
    """The SOAP 1.1 envelope of ``request``; ``suffix`` names the operation element."""
    envelope = etree.Element(f"{{{SOAP_NS}}}Envelope", nsmap={"soapenv": SOAP_NS, "dan": DAN_NS})
    etree.SubElement(envelope, f"{{{SOAP_NS}}}Header")
    body = etree.SubElement(envelope, f"{{{SOAP_NS}}}Body")
    name = operation_element(request.operation, suffix)
    operation = etree.SubElement(body, f"{{{DAN_NS}}}{name}")
    for field, value in _fields(request):
        etree.SubElement(operation, f"{{{DAN_NS}}}{field}").text = value
    _append_birth(operation, request)
    if request.sex is not None:
        etree.SubElement(operation, f"{{{DAN_NS}}}GioiTinh").text = str(request.sex)
    return bytes(etree.tostring(envelope, xml_declaration=True, encoding="utf-8"))


def _fields(request: SoapRequest) -> Iterator[tuple[str, str]]:
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
