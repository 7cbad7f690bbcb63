"""``verify-ngsp``'s side of the wire: the gateway's own codec, and the QCVN 109 schemas.

Requests are written by the shared codec (``contracts.wire``), so the suite sends exactly what
the gateway sends. Every answer is judged twice: *readable by this gateway* (the codec the adapter
uses reads it) and *conforms to the QCVN 109 XSDs* (``contracts/xsd/soap-envelope.xsd``). The two
can differ: a bare Spring-WS answer is readable and outside the schemas; an impossible date can be
inside the schemas and unreadable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

from lxml import etree

from contracts import wire
from contracts.xsd import ENVELOPE_XSD

__all__ = ["DAN", "DC", "SOAPENV", "Subject", "parse_answer", "soap_request", "xsd_errors"]

SOAPENV = wire.SOAP_NS
DAN = wire.DAN_NS
DC = wire.DATA_NS


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
    suffix: wire.RequestSuffix = "",
) -> bytes:
    """The request the gateway would send for ``subject`` (the codec's writer)."""
    birth = subject.birth or ""
    request = wire.SoapRequest(
        operation=operation,
        request_id=request_id,
        purpose_code=purpose_code,
        integration_code=integration_code,
        officer_id=officer_id,
        number=subject.number,
        full_name=subject.full_name,
        birth_date=date(int(birth[:4]), int(birth[4:6]), int(birth[6:]))
        if len(birth) == 8
        else None,
        birth_year=int(birth) if len(birth) == 4 else None,
        sex=subject.sex,
    )
    return wire.build_request(request, suffix)


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
