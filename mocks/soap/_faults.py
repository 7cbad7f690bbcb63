"""SOAP Faults of the national side: the NGSP error codes and how a fault travels (HTTP 500).

``Client`` faults say the request is wrong and are never worth retrying; ``Server`` faults say the
national side failed and are transient. The codes are those of the provincial NGSP connection guide.
"""

from __future__ import annotations

from mocks.soap._xml import DAN_NS, SOAP_NS, escape

__all__ = ["FAULT_NAMES", "SoapFault", "render_fault"]

FAULT_NAMES: dict[int, str] = {
    100: "AUTHEN_ERROR",
    101: "IP_DISALLOWED",
    106: "AGENCY_ID_INCORRECT",
    108: "PROVINCE_ID_INCORRECT",
    200: "RECORD_UNCOMPLETE",
    201: "RECORD_NOT_FOUND",
    302: "DATA_TYPE_INVALID",
    500: "DATA_INCORRECT",
}


class SoapFault(Exception):
    """A request the national side answers with a SOAP Fault.

    ``operation`` and ``number`` carry what could be read of the request before it failed, so the
    journal and fault rules can still name it.
    """

    def __init__(
        self,
        code: int,
        message: str,
        *,
        fault_class: str | None = None,
        operation: str | None = None,
        number: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.fault_class = fault_class or ("Server" if code >= 500 else "Client")
        self.operation = operation
        self.number = number

    @property
    def name(self) -> str:
        return FAULT_NAMES.get(self.code, "ERROR")


def render_fault(fault: SoapFault) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<soapenv:Envelope xmlns:soapenv="{SOAP_NS}" xmlns:dan="{DAN_NS}">'
        "<soapenv:Body><soapenv:Fault>"
        f"<faultcode>soapenv:{fault.fault_class}</faultcode>"
        f"<faultstring>{escape(fault.name)}</faultstring>"
        f"<detail><dan:Loi><dan:MaLoi>{fault.code}</dan:MaLoi>"
        f"<dan:MoTa>{escape(fault.message)}</dan:MoTa></dan:Loi></detail>"
        "</soapenv:Fault></soapenv:Body></soapenv:Envelope>"
    ).encode()
