"""The mock's HTTP surface: the token and SOAP endpoints (raw ASGI) and the admin API."""

from mocks.http._admin import admin_routes
from mocks.http._effects import SimulatedHangTimeout, SimulatedReset, SimulatedTruncation
from mocks.http._soap import handle_soap
from mocks.http._token import handle_token

__all__ = [
    "SimulatedHangTimeout",
    "SimulatedReset",
    "SimulatedTruncation",
    "admin_routes",
    "handle_soap",
    "handle_token",
]
