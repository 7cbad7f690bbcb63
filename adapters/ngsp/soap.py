"""The adapter's side of the wire: the shared codec (``contracts.wire``), errors translated.

Building and reading the population database's SOAP messages is the codec's job, shared with the
contract suite so both read the national side the same way. Here its errors become the adapter's
(``raise … from exc``): an unreadable answer is :class:`UpstreamProtocolError`, a SOAP Fault an
:class:`UpstreamFault`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from adapters.ngsp._errors import UpstreamFault, UpstreamProtocolError, UpstreamRecordError
from contracts import wire
from contracts.models import Citizen, Household
from contracts.wire import DAN_NS, DATA_NS, SOAP_NS, Operation, SoapRequest, build_request

__all__ = [
    "DAN_NS",
    "DATA_NS",
    "SOAP_NS",
    "Operation",
    "SoapRequest",
    "build_request",
    "parse_fault_if_any",
    "parse_household",
    "parse_lookup",
    "parse_verify",
]


@contextmanager
def _translated() -> Iterator[None]:
    """The codec's errors, turned into the adapter's at this boundary."""
    try:
        yield
    except wire.WireFault as fault:
        raise _fault(fault) from fault
    except wire.WireRecordError as exc:
        raise UpstreamRecordError(str(exc)) from exc
    except wire.WireError as exc:
        raise UpstreamProtocolError(str(exc)) from exc


def _fault(fault: wire.WireFault) -> UpstreamFault:
    return UpstreamFault(fault.fault_class, fault.code, fault.message)


def parse_fault_if_any(content: bytes) -> UpstreamFault | None:
    """A SOAP Fault carried in ``content`` (HTTP 500 answers), or None when it is not one."""
    fault = wire.fault_if_any(content)
    return None if fault is None else _fault(fault)


def parse_lookup(content: bytes, number: str | None = None) -> Citizen | None:
    """The citizen in a look-up answer (None: not found); with ``number``, it must be them."""
    with _translated():
        return wire.parse_lookup(content, number)


def parse_verify(content: bytes) -> bool:
    """``TonTai`` of a verification answer."""
    with _translated():
        return wire.parse_verify(content)


def parse_household(content: bytes, number: str | None = None) -> Household | None:
    """The household in an answer (None: none); with ``number``, it must hold them."""
    with _translated():
        return wire.parse_household(content, number)
