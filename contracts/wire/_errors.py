"""What reading the wire can go wrong with.

::

    WireError          the bytes are not an answer this gateway can read (not XML, not a SOAP
                       envelope, an unknown body element)
    └── WireRecordError  the envelope is fine but the record in it is not usable: a value of
                       the wrong shape, another citizen than the one asked for, several
                       records for one number. About one record, not about the service.
    WireFault          the national side answered a SOAP Fault: its class and MaLoi code

Both are the codec's own; the adapter translates them into its errors at its boundary, and the
contract suite reports them as "not readable by this gateway".
"""

from __future__ import annotations

from typing import Literal

__all__ = ["FaultClass", "WireError", "WireFault", "WireRecordError"]

FaultClass = Literal["Client", "Server"]


class WireError(ValueError):
    """An answer this gateway cannot read. The message names what, never a personal value."""


class WireRecordError(WireError):
    """The answer is readable but its record is not usable; says nothing of the service's health."""


class WireFault(Exception):
    """A SOAP Fault: ``fault_class`` Client (the request is wrong) or Server (transient)."""

    def __init__(self, fault_class: FaultClass, code: str | None, message: str) -> None:
        super().__init__(f"{fault_class} fault {code or '-'}: {message}")
        self.fault_class: FaultClass = fault_class
        self.code = code
        self.message = message
