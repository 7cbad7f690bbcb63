"""The one rule for whether a typed name or birth date agrees with a national record.

Every place that compares a citizen's details uses this module: the gateway's interactive verify,
the bulk job's rows, the contract suite's data checks and the mock's ``XacThucThongTinCongDan``.
docs/matching.md holds the table of examples the tests run as their cases.

Names, by strategy (granted per client; ``exact`` is the default):

- ``exact``: the same letters with the same diacritics. Differences a person does not read as a
  different name never decide: Unicode composition (NFC), letter case (records are upper case,
  citizens type mixed case), runs of white space, and the apostrophe-like marks of ethnic-minority
  names (U+0027 ``'``, U+2018 ``‘``, U+2019 ``’``, U+02BC ``ʼ``). A changed diacritic is a
  different name: ``Đức`` is not ``Dức``.
- ``normalised``: additionally ignores diacritics and reads ``Đ``/``đ`` as ``d``, so ``Đức``,
  ``Duc`` and ``Dục`` agree. Looser, so only for clients granted it.

Birth dates (ISO text, ``yyyy`` or ``yyyy-mm-dd``): a typed year matches a record's year; a typed
full date matches a full date; when the record holds only the year (the day was never
registered), a typed full date is compared on its year, because the record cannot say more.
"""

from __future__ import annotations

import unicodedata
from enum import StrEnum

__all__ = ["APOSTROPHES", "Strategy", "dates_match", "name_key", "names_match"]

APOSTROPHES = "\u0027\u2018\u2019\u02bc"
_TO_APOSTROPHE = str.maketrans(dict.fromkeys(APOSTROPHES, "'"))
_D_STROKE = str.maketrans({"Đ": "D", "đ": "d"})


class Strategy(StrEnum):
    EXACT = "exact"
    NORMALISED = "normalised"


def _exact_key(text: str) -> str:
    # NFC again after case folding: folding a precomposed capital can leave a decomposed form.
    folded = unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).casefold())
    return " ".join(folded.translate(_TO_APOSTROPHE).split())


def _normalised_key(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", _exact_key(text).translate(_D_STROKE))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def name_key(text: str, strategy: Strategy = Strategy.EXACT) -> str:
    """The form two names are compared in: equal keys, same name under this strategy."""
    if strategy is Strategy.NORMALISED:
        return _normalised_key(text)
    return _exact_key(text)


def names_match(typed: str, recorded: str, strategy: Strategy = Strategy.EXACT) -> bool:
    """Whether a typed name is the recorded one under ``strategy`` (see the module docstring)."""
    return name_key(typed, strategy) == name_key(recorded, strategy)


def dates_match(typed: str, recorded: str) -> bool:
    """Partial ISO dates (``yyyy`` or ``yyyy-mm-dd``) as described in the module docstring."""
    if len(typed) == 4 or len(recorded) == 4:
        return typed[:4] == recorded[:4]
    return typed == recorded
