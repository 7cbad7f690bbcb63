"""QCVN 109 XML schemas of the population-database messages (docs/wire-format.md).

``soap-envelope.xsd`` imports ``dancu-service.xsd`` (requests, response wrappers, fault detail),
which imports ``dancu-data.xsd`` (``CongdanCollection``, ``KetQuaXacThucResponse``,
``HoGiaDinh``); validating a whole SOAP message against the envelope schema checks all three.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["DATA_XSD", "ENVELOPE_XSD", "SCHEMA_DIR", "SERVICE_XSD"]

SCHEMA_DIR = Path(__file__).resolve().parent
ENVELOPE_XSD = SCHEMA_DIR / "soap-envelope.xsd"
SERVICE_XSD = SCHEMA_DIR / "dancu-service.xsd"
DATA_XSD = SCHEMA_DIR / "dancu-data.xsd"
