"""Namespaces and the one escaping helper shared by the SOAP parser and renderers."""

from __future__ import annotations

__all__ = ["DAN_NS", "DATA_NS", "SOAP_NS", "escape"]

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
DAN_NS = "http://dancuquocgia.bca"
DATA_NS = "http://www.mic.gov.vn/dancu/1.0"


def escape(text: str) -> str:
    """Escape text for an element or a double-quoted attribute (fast path when nothing to do)."""
    if "&" not in text and "<" not in text and ">" not in text and '"' not in text:
        return text
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )
