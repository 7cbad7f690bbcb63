"""OpenAPI path templates: which one a concrete request path belongs to.

Shared by the gateway (``Allow`` on 405 lists the template's methods) and the contract suite
(spec coverage), so both read a path the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

__all__ = ["match_template"]


@cache
def _pattern(template: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$")


def match_template(templates: Iterable[str], path: str) -> str | None:
    """The template ``path`` (query string ignored) belongs to, or None.

    Where several match, the most literal wins, as routing does: ``/citizens/verify`` is its
    own resource, not ``/citizens/{number}`` with the number "verify".
    """
    bare = path.split("?", 1)[0]
    matching = [t for t in templates if _pattern(t).match(bare)]
    return min(matching, key=lambda t: t.count("{")) if matching else None
