"""The wire's names, written once: namespaces, operations, their answers and result elements.

The adapter, the contract suite and the mock all take these from here, so the three can never
disagree about what the national side is called (docs/wire-format.md).
"""

from __future__ import annotations

from typing import Final, Literal

__all__ = [
    "DAN_NS",
    "DATA_NS",
    "OPERATIONS",
    "RESULT_ELEMENT",
    "SOAP_NS",
    "Operation",
    "RequestSuffix",
    "operation_element",
    "response_element",
]

SOAP_NS: Final = "http://schemas.xmlsoap.org/soap/envelope/"
DAN_NS: Final = "http://dancuquocgia.bca"  # the service: requests, answer wrappers, fault detail
DATA_NS: Final = "http://www.mic.gov.vn/dancu/1.0"  # QCVN 109 data: CongdanCollection, …

# "" sends <TraCuuThongTinCongDan>; "Request" sends <TraCuuThongTinCongDanRequest>, the element
# name of the one public Spring-WS sample (anhnbt/lgsp input-output.xml). A deployment setting.
RequestSuffix = Literal["", "Request"]


class Operation:
    """The population-database operations the gateway calls (names as real clients send them)."""

    LOOKUP: Final = "TraCuuThongTinCongDan"
    VERIFY: Final = "XacThucThongTinCongDan"
    HOUSEHOLD: Final = "CungCapThongTinHoGiaDinh"


OPERATIONS: Final = frozenset({Operation.LOOKUP, Operation.VERIFY, Operation.HOUSEHOLD})

# The data element each operation answers with, wrapped in <Op>Response or bare in the Body.
RESULT_ELEMENT: Final = {
    Operation.LOOKUP: "CongdanCollection",
    Operation.VERIFY: "KetQuaXacThucResponse",
    Operation.HOUSEHOLD: "HoGiaDinh",
}


def operation_element(operation: str, suffix: RequestSuffix = "") -> str:
    """The local name of the request element for ``operation`` in a deployment's style."""
    return f"{operation}{suffix}"


def response_element(operation: str) -> str:
    """The local name of the wrapper a wrapped answer puts around the result."""
    return f"{operation}Response"
