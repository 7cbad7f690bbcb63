"""The way out: the NGSP client for the national population database (CSDLQG về dân cư).

``NgspClient`` is the one entry point; ``NgspConfig`` its settings; ``CallContext`` what each call
carries and reports back; ``create_http_client`` the shared HTTP client; ``NgspObserver`` the
events a host can watch; the exceptions are the adapter's error tree (see ``_errors``).
"""

from adapters.ngsp import _errors
from adapters.ngsp._errors import *  # noqa: F403  (the error tree, listed once in its __all__)
from adapters.ngsp.breaker import CircuitBreaker
from adapters.ngsp.client import CallContext, NgspClient
from adapters.ngsp.clock import Clock, SystemClock
from adapters.ngsp.config import NgspConfig
from adapters.ngsp.observer import BreakerState, NgspObserver, NullObserver
from adapters.ngsp.token import TokenManager
from adapters.ngsp.transport import TransportKind, create_http_client

__all__ = [
    "BreakerState",
    "CallContext",
    "CircuitBreaker",
    "Clock",
    "NgspClient",
    "NgspConfig",
    "NgspObserver",
    "NullObserver",
    "SystemClock",
    "TokenManager",
    "TransportKind",
    "create_http_client",
]
__all__ += _errors.__all__
