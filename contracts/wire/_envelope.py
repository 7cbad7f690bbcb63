"""Tolerant in what it reads: find an operation's result in any envelope shape seen in practice.

Accepted (each has a golden example in contracts/examples/, docs/wire-format.md):

- wrapped: ``Body/<Op>Response/<Result>`` (the QCVN 109 shape the gateway's XSDs describe);
- bare: ``Body/<Result>``, as Spring-WS ``@ResponsePayload`` endpoints answer;
- the wrapper and the result in the service namespace, the data namespace, or none; any prefixes.

Strict where it protects: not XML, not a SOAP 1.1 envelope, or a body element that is not the
operation's answer (another operation's, a foreign namespace) is a :class:`WireError`; a SOAP Fault
is a :class:`WireFault`.
"""

from __future__ import annotations

from lxml import etree

from contracts.wire._errors import FaultClass, WireError, WireFault
from contracts.wire._names import DAN_NS, DATA_NS, RESULT_ELEMENT, SOAP_NS, response_element

__all__ = [
    "PAYLOAD_NAMESPACES",
    "fault_if_any",
    "local_name",
    "parse_xml",
    "read_fault",
    "read_payload",
    "split_tag",
]

# resolve_entities/no_network: answers are untrusted input; never expand entities or fetch DTDs.
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, huge_tree=False, remove_blank_text=True
)
_ENVELOPE = f"{{{SOAP_NS}}}Envelope"
_BODY = f"{{{SOAP_NS}}}Body"
_FAULT = f"{{{SOAP_NS}}}Fault"
# Namespaces a payload element may be in: the data's, the service's, or none at all.
PAYLOAD_NAMESPACES = frozenset({DATA_NS, DAN_NS, ""})


def parse_xml(content: bytes) -> etree._Element:
    """The document's root; :class:`WireError` when ``content`` is not well-formed XML."""
    try:
        return etree.fromstring(content, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise WireError(f"the answer is not well-formed XML: {exc}") from exc


def split_tag(tag: str) -> tuple[str, str]:
    """(namespace or "", local name) of a Clark-notation tag, without building a QName."""
    if tag[:1] != "{":
        return "", tag
    namespace, _, local = tag[1:].partition("}")
    return namespace, local


def local_name(element: etree._Element) -> str:
    return split_tag(str(element.tag))[1]


def _body_child(content: bytes) -> etree._Element:
    root = parse_xml(content)
    body = root.find(_BODY)
    if root.tag != _ENVELOPE or body is None:
        raise WireError("the answer is not a SOAP 1.1 envelope with a body")
    for child in body:
        if isinstance(child.tag, str):  # skip comments and processing instructions
            return child
    raise WireError("the answer's SOAP body is empty")


def _is_payload(element: etree._Element, local: str) -> bool:
    namespace, name = split_tag(str(element.tag))
    return name == local and namespace in PAYLOAD_NAMESPACES


def read_payload(content: bytes, operation: str) -> etree._Element:
    """The result element of ``operation``'s answer, bare or wrapped; raises on faults."""
    first = _body_child(content)
    if first.tag == _FAULT:
        raise read_fault(first)
    result = RESULT_ELEMENT[operation]
    if _is_payload(first, result):
        return first
    wrapper = response_element(operation)
    if not _is_payload(first, wrapper):
        raise WireError(f"expected {wrapper} or {result} in the SOAP body, got {local_name(first)}")
    for child in first:
        if isinstance(child.tag, str):
            if _is_payload(child, result):
                return child
            raise WireError(f"expected {result} in {wrapper}, got {local_name(child)}")
    raise WireError(f"{wrapper} is empty: expected {result}")


def read_fault(fault: etree._Element) -> WireFault:
    """The class, MaLoi code and message of a SOAP 1.1 ``Fault`` element."""
    code_text = (fault.findtext("faultcode") or "").strip()
    fault_class: FaultClass = (
        "Client" if code_text.split(":")[-1].startswith("Client") else "Server"
    )
    detail_code = None
    for element in fault.iter():
        if isinstance(element.tag, str) and local_name(element) == "MaLoi":
            detail_code = (element.text or "").strip() or None
    return WireFault(fault_class, detail_code, (fault.findtext("faultstring") or "").strip())


def fault_if_any(content: bytes) -> WireFault | None:
    """The SOAP Fault carried in ``content`` (HTTP 500 answers), or None when it is not one."""
    try:
        root = etree.fromstring(content, _PARSER)
    except etree.XMLSyntaxError:
        return None
    fault = root.find(f"{_BODY}/{_FAULT}")
    return None if fault is None else read_fault(fault)
