"""Overload protection: admission control, request deadlines and abandoning gone callers.

:class:`Admission` is what a running gateway holds (``runtime.admission``); routes enter
``admission.admitted(request, client)`` around their audited call. See ``_controller`` for the
policy (limit, short queue, weighted fair shares, bulk rows last), ``_deadline`` for the
``X-Request-Timeout`` header, ``_disconnect`` for gone callers.
"""

from gateway.admission._adaptive import AimdLimit
from gateway.admission._bulk import AdmittedRowVerifier
from gateway.admission._controller import AdmissionController, AdmissionStats, Priority, Shed
from gateway.admission._deadline import (
    DECLARED_TIMEOUT,
    TIMEOUT_HEADERS,
    RequestDeadline,
    request_deadline,
)
from gateway.admission._disconnect import DisconnectWatch
from gateway.admission._gate import Admission, Gate
from gateway.admission._metrics import AdmissionCollector

__all__ = [
    "DECLARED_TIMEOUT",
    "TIMEOUT_HEADERS",
    "Admission",
    "AdmissionCollector",
    "AdmissionController",
    "AdmissionStats",
    "AdmittedRowVerifier",
    "AimdLimit",
    "DisconnectWatch",
    "Gate",
    "Priority",
    "RequestDeadline",
    "Shed",
    "request_deadline",
]
