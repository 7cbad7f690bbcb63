"""Names typed slightly wrong, for the tests of the one matcher (``contracts/matching.py``)."""

from __future__ import annotations

import unicodedata

__all__ = ["without_one_diacritic"]


def without_one_diacritic(name: str) -> str:
    """The name with its first marked letter (or Đ) written plain: a different name to `exact`."""
    for i, ch in enumerate(name):
        plain = unicodedata.normalize("NFD", ch.replace("Đ", "D").replace("đ", "d"))[0]
        if plain != ch:
            return name[:i] + plain + name[i + 1 :]
    raise AssertionError("the sampled name has no diacritic")  # pragma: no cover
