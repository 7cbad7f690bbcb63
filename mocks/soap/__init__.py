"""SOAP 1.1 of the population database: reading requests, rendering answers and faults."""

from mocks.soap._faults import FAULT_NAMES, SoapFault, render_fault
from mocks.soap._render import (
    DataEra,
    EnvelopeStyle,
    dialect_for,
    era_for,
    render_citizen,
    render_collection,
    render_household,
    render_lookup,
    render_verify,
)
from mocks.soap._request import OPERATIONS, Operation, SoapRequest, parse_request
from mocks.soap._xml import DAN_NS, DATA_NS, SOAP_NS

__all__ = [
    "DAN_NS",
    "DATA_NS",
    "FAULT_NAMES",
    "OPERATIONS",
    "SOAP_NS",
    "DataEra",
    "EnvelopeStyle",
    "Operation",
    "SoapFault",
    "SoapRequest",
    "dialect_for",
    "era_for",
    "parse_request",
    "render_citizen",
    "render_collection",
    "render_fault",
    "render_household",
    "render_lookup",
    "render_verify",
]
