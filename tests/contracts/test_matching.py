"""The one name matcher: the documented examples, and properties over generated names.

The examples are the table in docs/matching.md, read from the page itself, so the manual and the
tests cannot drift apart.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.matching import APOSTROPHES, Strategy, dates_match, names_match

_FORMS: list[Literal["NFC", "NFD"]] = ["NFC", "NFD"]

DOC = Path(__file__).parents[2] / "docs" / "matching.md"
_TABLE = re.compile(r"<!-- matching-examples:start -->(.*?)<!-- matching-examples:end -->", re.S)
_ROW = re.compile(r"^\| `([^`]*)` \| `([^`]*)` \| (match|mismatch) \| (match|mismatch) \| (.+) \|$")


def documented_examples() -> list[pytest.ParameterSet]:
    found = _TABLE.search(DOC.read_text(encoding="utf-8"))
    assert found is not None, "docs/matching.md lost its example table markers"
    rows = [line for line in found.group(1).splitlines() if line.startswith("| `")]
    cases = []
    for line in rows:
        parsed = _ROW.match(line)
        assert parsed is not None, f"unreadable example row in docs/matching.md: {line}"
        typed, recorded, exact, normalised, why = parsed.groups()
        cases.append(pytest.param(typed, recorded, exact, normalised, id=why))
    return cases


EXAMPLES = documented_examples()


def test_the_documented_table_is_read_whole() -> None:
    """A parser that silently read no rows would make every example pass."""
    assert len(EXAMPLES) >= 12


@pytest.mark.parametrize(("typed", "recorded", "exact", "normalised"), EXAMPLES)
def test_documented_example(typed: str, recorded: str, exact: str, normalised: str) -> None:
    verdicts = {
        strategy: "match" if names_match(typed, recorded, strategy) else "mismatch"
        for strategy in Strategy
    }
    assert verdicts == {Strategy.EXACT: exact, Strategy.NORMALISED: normalised}


def test_upper_case_record_against_a_wrong_diacritic() -> None:
    """The issue's own pair: a wrong letter is a mismatch under exact, forgiven by normalised."""
    assert not names_match("NGUYỄN VĂN ĐỨC", "Nguyễn Văn Dức", Strategy.EXACT)
    assert names_match("NGUYỄN VĂN ĐỨC", "Nguyễn Văn Dức", Strategy.NORMALISED)
    assert names_match("H' BLĂNG NIÊ", "H’ Blăng Niê", Strategy.EXACT)


@pytest.mark.parametrize(
    ("typed", "recorded", "agree"),
    [
        pytest.param("1992", "1992-11-22", True, id="year-against-full-date"),
        pytest.param("1992-11-22", "1992", True, id="full-date-against-year-only-record"),
        pytest.param("1992-11-22", "1992-11-22", True, id="same-date"),
        pytest.param("1992-11-23", "1992-11-22", False, id="other-day"),
        pytest.param("1993", "1992-11-22", False, id="other-year"),
    ],
)
def test_birth_dates(typed: str, recorded: str, agree: bool) -> None:
    assert dates_match(typed, recorded) is agree


# ---------------------------------------------------------------- properties over generated names

# Vietnamese vowels by base letter: each family differs only by diacritics (and đ from d).
FAMILIES = (
    "aàáảãạăằắẳẵặâầấẩẫậ",
    "eèéẻẽẹêềếểễệ",
    "iìíỉĩị",
    "oòóỏõọôồốổỗộơờớởỡợ",
    "uùúủũụưừứửữự",
    "yỳýỷỹỵ",
    "dđ",
)
CONSONANTS = "bcghklmnpqrstvx"
LETTERS = "".join(FAMILIES) + CONSONANTS
FAMILY_OF = {letter: family for family in FAMILIES for letter in family}
SPACES = [" ", "  ", "\t", "\u00a0", " \u3000 "]

syllables = st.text(alphabet=LETTERS, min_size=1, max_size=7)
# an optional apostrophe after the first letter, as in H'Hen, Y'Moan
marked = st.tuples(syllables, st.booleans()).map(
    lambda pair: pair[0][0] + "'" + pair[0][1:] if pair[1] else pair[0]
)
names = st.lists(marked, min_size=1, max_size=5).map(" ".join)


@st.composite
def written_variants(draw: st.DrawFn, name: str) -> str:
    """The same name as another hand or system writes it: case, spacing, apostrophe, encoding."""
    words = []
    for word in name.split(" "):
        letters = [ch.upper() if draw(st.booleans()) else ch for ch in word]
        mark = draw(st.sampled_from(APOSTROPHES))
        words.append("".join(letters).replace("'", mark))
    text = draw(st.sampled_from(["", " ", "  "])) + words[0]
    for word in words[1:]:
        text += draw(st.sampled_from(SPACES)) + word
    form = draw(st.sampled_from(_FORMS))
    return unicodedata.normalize(form, text + draw(st.sampled_from(["", " ", "\n"])))


@given(st.data(), names)
def test_a_name_matches_itself_however_it_is_written(data: st.DataObject, name: str) -> None:
    variant = data.draw(written_variants(name))
    assert names_match(variant, name, Strategy.EXACT)
    assert names_match(name, variant, Strategy.EXACT)


@given(st.data(), names)
def test_one_changed_diacritic_decides_exact_but_not_normalised(
    data: st.DataObject, name: str
) -> None:
    positions = [i for i, ch in enumerate(name) if ch in FAMILY_OF]
    if not positions:
        name, positions = name + "a", [len(name)]
    where = data.draw(st.sampled_from(positions))
    family = FAMILY_OF[name[where]]
    other = data.draw(st.sampled_from([ch for ch in family if ch != name[where]]))
    changed = name[:where] + other + name[where + 1 :]
    assert not names_match(changed, name, Strategy.EXACT)
    assert names_match(changed, name, Strategy.NORMALISED)
