"""The one wire codec of the national population service: tolerant in what it reads, exact in
what it sends.

The adapter (``adapters.ngsp.soap``), the contract suite (``verify-ngsp``'s "readable by this
gateway" verdict) and, for names and namespaces, the mock all use this package, so a go-live
report can never pass a national side the gateway cannot read. docs/wire-format.md lists every
shape it reads; contracts/examples/ holds a golden answer of each.
"""

from contracts.wire._answers import parse_household, parse_lookup, parse_verify
from contracts.wire._envelope import fault_if_any, read_payload
from contracts.wire._errors import FaultClass, WireError, WireFault, WireRecordError
from contracts.wire._names import (
    DAN_NS,
    DATA_NS,
    OPERATIONS,
    RESULT_ELEMENT,
    SOAP_NS,
    Operation,
    RequestSuffix,
    operation_element,
    response_element,
)
from contracts.wire._write import SoapRequest, build_request

__all__ = [
    "DAN_NS",
    "DATA_NS",
    "OPERATIONS",
    "RESULT_ELEMENT",
    "SOAP_NS",
    "FaultClass",
    "Operation",
    "RequestSuffix",
    "SoapRequest",
    "WireError",
    "WireFault",
    "WireRecordError",
    "build_request",
    "fault_if_any",
    "operation_element",
    "parse_household",
    "parse_lookup",
    "parse_verify",
    "read_payload",
    "response_element",
]
