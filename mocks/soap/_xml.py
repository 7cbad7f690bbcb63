"""Namespaces (from the shared wire codec) and the one escaping helper of parser and renderers."""

from __future__ import annotations

from contracts.wire import DAN_NS, DATA_NS, SOAP_NS

__all__ = ["DAN_NS", "DATA_NS", "SOAP_NS", "escape"]


def escape(text: str) -> str:
    """Escape text for an element or a double-quoted attribute (fast path when nothing to do)."""
    if "&" not in text and "<" not in text and ">" not in text and '"' not in text:
        return text
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )
