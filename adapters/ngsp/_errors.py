"""The adapter's exception tree: every way the way out can fail, in the gateway's terms.

Lower-layer errors (httpx, lxml) are translated here with ``raise ... from exc`` so nothing above
the adapter ever sees a transport or parser exception::

    NgspError                       base; carries ``code``, ``layer`` and ``retryable``
    ├── UpstreamUnavailable         the link failed; worth retrying (transient)
    │   ├── UpstreamConnectError    could not connect, or the connection was reset
    │   ├── UpstreamTimeout         one attempt ran out of time
    │   └── UpstreamHTTPError       429, 502, 503, 504 (``status``, optional ``retry_after``)
    ├── DeadlineExceeded            the overall deadline ended the retries (→ 504)
    ├── CircuitOpen                 failing fast while the national side recovers (→ 503)
    ├── RetryBudgetExhausted        retries would exceed their share of traffic (→ 502)
    ├── UpstreamRejected            a definite non-transient HTTP failure (other 4xx/5xx) (→ 502)
    ├── UpstreamAuthError           NGSP refused our consumer credentials or token (→ 502)
    ├── UpstreamProtocolError       the answer was not the expected XML (→ 502)
    │   └── UpstreamRecordError     readable, but its record is unusable: a malformed value,
    │                               another citizen, several records for one number (→ 502;
    │                               about one record, so it neither opens the breaker nor retries)
    └── UpstreamFault               a SOAP Fault (``fault_code``, ``fault_class``) (→ 502/422)

``layer`` is ``ngsp`` for link and platform failures and ``population-db`` for answers from the
population database itself (faults, malformed records). ``reason`` is for logs: it never carries
an upstream body or personal data, and nothing here is meant to be shown to a portal as is.
Suggested statuses are in brackets; the gateway's one exception handler decides.
"""

from __future__ import annotations

__all__ = [
    "CircuitOpen",
    "DeadlineExceeded",
    "NgspError",
    "RetryBudgetExhausted",
    "UpstreamAuthError",
    "UpstreamConnectError",
    "UpstreamFault",
    "UpstreamHTTPError",
    "UpstreamProtocolError",
    "UpstreamRecordError",
    "UpstreamRejected",
    "UpstreamTimeout",
    "UpstreamUnavailable",
]


class NgspError(Exception):
    """Base of every adapter failure."""

    code = "upstream_error"
    layer = "ngsp"
    retryable = False

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UpstreamUnavailable(NgspError):
    code = "upstream_unavailable"
    retryable = True


class UpstreamConnectError(UpstreamUnavailable):
    code = "upstream_connect_error"


class UpstreamTimeout(UpstreamUnavailable):
    code = "upstream_timeout"


class UpstreamHTTPError(UpstreamUnavailable):
    code = "upstream_http_error"

    def __init__(self, status: int, retry_after: float | None = None) -> None:
        super().__init__(f"NGSP answered HTTP {status}")
        self.status = status
        self.retry_after = retry_after


class DeadlineExceeded(NgspError):
    code = "upstream_deadline_exceeded"


class CircuitOpen(NgspError):
    code = "upstream_circuit_open"

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"circuit open; next probe in {retry_after:.1f}s")
        self.retry_after = retry_after


class RetryBudgetExhausted(NgspError):
    code = "upstream_retry_budget_exhausted"


class UpstreamRejected(NgspError):
    code = "upstream_rejected"

    def __init__(self, status: int) -> None:
        super().__init__(f"NGSP answered HTTP {status}")
        self.status = status


class UpstreamAuthError(NgspError):
    code = "upstream_auth_error"


class UpstreamProtocolError(NgspError):
    code = "upstream_bad_response"
    layer = "population-db"


class UpstreamRecordError(UpstreamProtocolError):
    """One record the gateway cannot use; the national side itself may be perfectly healthy."""


class UpstreamFault(NgspError):
    """A SOAP Fault. ``fault_class`` is ``Client`` (our request was wrong) or ``Server``."""

    code = "upstream_fault"
    layer = "population-db"

    def __init__(self, fault_class: str, fault_code: str | None, fault_string: str) -> None:
        super().__init__(f"SOAP {fault_class} fault {fault_code or '?'}: {fault_string}")
        self.fault_class = fault_class
        self.fault_code = fault_code
        self.fault_string = fault_string
        self.retryable = fault_class == "Server"
