"""A small builder of QCVN 109 SOAP requests and a validator of answers, for ``verify-ngsp``.

The contract package may not import the adapter's builder, and an NGSP endpoint must be checked
with requests built independently of the code under test anyway. Requests follow
``contracts/xsd/dancu-service.xsd`` (``YeuCauType``: the header fields in their order, then the
subject); every answer is validated against ``contracts/xsd/soap-envelope.xsd``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from lxml import etree

from contracts.xsd import ENVELOPE_XSD

__all__ = ["DAN", "DC", "SOAPENV", "Subject", "parse_answer", "soap_request", "xsd_errors"]

SOAPENV = "http://schemas.xmlsoap.org/soap/envelope/"
DAN = "http://dancuquocgia.bca"
DC = "http://www.mic.gov.vn/dancu/1.0"


@dataclass(frozen=True, slots=True)
class Subject:
    """Who the request is about: a 12-digit SoDinhDanh or a 9-digit SoCMND (sent as given)."""

    number: str
    full_name: str | None = None
    birth: str | None = None  # yyyyMMdd or yyyy
    sex: int | None = None  # GioiTinh 0/1/2


def soap_request(
    operation: str,
    subject: Subject,
    *,
    request_id: str,
    purpose_code: str = "1.001612",
    integration_code: str = "LGSP-CONTRACT",
    officer_id: str = "contract-suite",
) -> bytes:
    envelope = etree.Element(f"{{{SOAPENV}}}Envelope", nsmap={"soapenv": SOAPENV, "dan": DAN})
    etree.SubElement(envelope, f"{{{SOAPENV}}}Header")
    body = etree.SubElement(envelope, f"{{{SOAPENV}}}Body")
    call = etree.SubElement(body, f"{{{DAN}}}{operation}")
    for name, value in (
        ("MaYeuCau", request_id),
        ("MaDVC", purpose_code),
        ("MaTichHop", integration_code),
        ("MaCanBo", officer_id),
        ("SoCMND" if len(subject.number) == 9 else "SoDinhDanh", subject.number),
        ("HoVaTen", subject.full_name),
    ):
        if value is not None:
            etree.SubElement(call, f"{{{DAN}}}{name}").text = value
    if subject.birth is not None:
        birth = etree.SubElement(call, f"{{{DAN}}}NgayThangNamSinh")
        part = "Nam" if len(subject.birth) == 4 else "NgayThangNam"
        etree.SubElement(birth, f"{{{DAN}}}{part}").text = subject.birth
    if subject.sex is not None:
        etree.SubElement(call, f"{{{DAN}}}GioiTinh").text = str(subject.sex)
    return bytes(etree.tostring(envelope, xml_declaration=True, encoding="utf-8"))


@cache
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(ENVELOPE_XSD)))


def parse_answer(content: bytes) -> etree._Element:
    """The answer's root element; raises ``ValueError`` when it is not well-formed XML."""
    try:
        return etree.fromstring(content, parser=etree.XMLParser(resolve_entities=False))
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"the answer is not well-formed XML: {exc}") from exc


def xsd_errors(root: etree._Element) -> list[str]:
    """Why ``root`` breaks the envelope schema (empty when it validates)."""
    schema = _schema()
    if schema.validate(root):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]  # type: ignore[attr-defined]
