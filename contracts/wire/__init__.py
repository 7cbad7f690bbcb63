"""The one wire codec of the national population service: tolerant in what it reads, exact in
what it sends.

The adapter (``adapters.ngsp.soap``), the contract suite (``verify-ngsp``'s "readable by this
gateway" verdict) and, for names and namespaces, the mock all use this package, so a go-live
report can never pass a national side the gateway cannot read. docs/wire-format.md lists every
shape it reads; contracts/examples/ holds a golden answer of each.
"""

from contracts.wire import _names
from contracts.wire._answers import parse_household, parse_lookup, parse_verify
from contracts.wire._envelope import fault_if_any, read_payload
from contracts.wire._errors import FaultClass, WireError, WireFault, WireRecordError
from contracts.wire._names import *  # noqa: F403  (the wire's names, listed once in its __all__)
from contracts.wire._write import SoapRequest, build_request

__all__ = [
    "FaultClass",
    "SoapRequest",
    "WireError",
    "WireFault",
    "WireRecordError",
    "build_request",
    "fault_if_any",
    "parse_household",
    "parse_lookup",
    "parse_verify",
    "read_payload",
]
__all__ += _names.__all__
