"""Families: who lives in each household, and how a member maps to its personal-id digits.

A family is addressed by ``(province, head_year, index)``: the province of birth registration of
all its members, the head's birth year, and its rank among the families of that cell. The
*census* says how many families each cell holds (from province and age weights and the target
population size); the *composition* of one family (head's sex, spouse, children, the head's
elderly parents) is drawn from a stream keyed by the seed and the address, so nothing is stored.

Every member has a *code* that records its role and its birth-year offset from the head. The six
random digits of a member's personal id are ``permutation(code * stride + index)``, keyed by the
id's own province/sex/year bucket; so an id decodes back to its family in O(1): invert the
permutation, split code and index, recover the head's year from the offset, and recompose.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date
from itertools import accumulate, pairwise

from mocks.population._keyed import Stream, key_of
from mocks.population._reference import PROVINCE_POPULATION_K

__all__ = [
    "CODES",
    "SNAPSHOT",
    "Census",
    "Member",
    "PopulationTooLarge",
    "Role",
    "compose",
    "decode_code",
]

SNAPSHOT = date(2021, 7, 1)  # the data is as of the 01/7/2021 go-live
FIRST_HEAD_YEAR = SNAPSHOT.year - 90
LAST_HEAD_YEAR = SNAPSHOT.year - 18
ID_SPACE = 1_000_000  # six random digits


class Role:
    HEAD = 0
    SPOUSE = 1
    CHILD = 2
    FATHER = 3  # the head's father
    MOTHER = 4  # the head's mother


# (role, lowest offset, highest offset): offset = member's birth year - head's birth year.
_LAYOUT = (
    (Role.HEAD, 0, 0),
    (Role.SPOUSE, -10, 10),
    (Role.CHILD, 18, 45),
    (Role.FATHER, -45, -18),
    (Role.MOTHER, -45, -18),
)
_BASES = tuple(accumulate((high - low + 1 for _, low, high in _LAYOUT), initial=0))
CODES = _BASES[-1]


def encode_code(role: int, offset: int) -> int:
    _, low, high = _LAYOUT[role]
    if not low <= offset <= high:
        raise ValueError(f"offset {offset} outside the layout of role {role}")
    return _BASES[role] + offset - low


def decode_code(code: int) -> tuple[int, int] | None:
    """(role, offset) of a code, or None when the code is outside the layout."""
    if not 0 <= code < CODES:
        return None
    role = bisect_right(_BASES, code) - 1
    return role, code - _BASES[role] + _LAYOUT[role][1]


@dataclass(frozen=True, slots=True)
class Member:
    role: int
    offset: int
    male: bool
    rank: int  # 0..3 among children; 0 otherwise

    @property
    def code(self) -> int:
        return encode_code(self.role, self.offset)

    @property
    def slot(self) -> int:
        """Position 0..7 in the household (head, spouse, father, mother, children by rank)."""
        if self.role == Role.CHILD:
            return 4 + self.rank
        return (0, 1, -1, 2, 3)[self.role]


# ----------------------------------------------------------------------------- composition


def _married(stream: Stream, age: int, head_male: bool) -> bool:
    if not head_male:
        return stream.chance(0.3)
    if age < 25:
        return stream.chance(0.45)
    if age < 30:
        return stream.chance(0.75)
    return stream.chance(0.92 if age < 65 else 0.75 if age < 75 else 0.55)


def _spouse(stream: Stream, head_year: int, head_male: bool) -> Member | None:
    gap = stream.between(-3, 10) if stream.chance(0.4) else stream.between(0, 5)
    offset = gap if head_male else -gap
    if head_year + offset > SNAPSHOT.year - 18:
        return None
    return Member(Role.SPOUSE, offset, not head_male, 0)


_CHILD_COUNTS = (8.0, 22.0, 42.0, 20.0, 8.0)  # 0..4 children ever born into the household
_CHILD_CUMULATIVE = tuple(accumulate(_CHILD_COUNTS))


def _stays_home(stream: Stream, age: int) -> bool:
    if age <= 22:
        return True
    return stream.chance(0.5 if age <= 30 else 0.2 if age <= 40 else 0.0)


def _children(
    stream: Stream, head_year: int, mother_offset: int | None, father_offset: int | None
) -> list[Member]:
    reference = 0 if mother_offset is None else mother_offset
    # A female head's husband may be younger than she is: the first child is 18+ years younger
    # than either parent (before, a father could be 16 years older than his child).
    youngest_parent = max(reference, 0 if father_offset is None else father_offset)
    offset = max(18, youngest_parent + 18, reference + stream.between(19, 30))
    children: list[Member] = []
    for birth in range(stream.pick(_CHILD_CUMULATIVE)):
        if birth:
            offset += stream.between(2, 6)
        too_old_mother = mother_offset is not None and offset - mother_offset > 44
        if offset > 45 or too_old_mother or head_year + offset > SNAPSHOT.year:
            break
        male = stream.chance(0.512)
        if _stays_home(stream, SNAPSHOT.year - head_year - offset):
            children.append(Member(Role.CHILD, offset, male, len(children)))
    return children


def _parents(stream: Stream, head_year: int) -> list[Member]:
    age = SNAPSHOT.year - head_year
    if not 22 <= age <= 60 or not stream.chance(0.16):
        return []
    father_offset = -stream.between(20, 40)
    mother_offset = min(-18, father_offset + stream.between(0, 6))
    kind = stream.below(20)  # both 10/20, mother only 7/20, father only 3/20
    parents: list[Member] = []
    if kind < 10 or kind >= 17:
        parents.append(Member(Role.FATHER, father_offset, True, 0))
    if kind < 17:
        parents.append(Member(Role.MOTHER, mother_offset, False, 0))
    return [p for p in parents if SNAPSHOT.year - (head_year + p.offset) <= 98]


def compose(family_key: int, head_year: int) -> tuple[Member, ...]:
    """The members of one family, head first, in household order."""
    stream = Stream(family_key)
    age = SNAPSHOT.year - head_year
    head_male = stream.chance(0.72)
    members = [Member(Role.HEAD, 0, head_male, 0)]
    spouse = _spouse(stream, head_year, head_male) if _married(stream, age, head_male) else None
    if spouse is not None:
        members.append(spouse)
    mother_offset = 0 if not head_male else None if spouse is None else spouse.offset
    father_offset = 0 if head_male else None if spouse is None else spouse.offset
    members.extend(_parents(stream, head_year))
    members.extend(_children(stream, head_year, mother_offset, father_offset))
    return tuple(members)


# ----------------------------------------------------------------------------- census


class PopulationTooLarge(ValueError):
    """The requested size does not fit the six random digits of the id layout."""


def _head_age_weight(age: int) -> float:
    if age < 22:
        return 0.2
    if age < 30:
        return 0.4 + 0.6 * (age - 22) / 8
    if age < 60:
        return 1.0
    if age < 75:
        return 1.0 - 0.5 * (age - 60) / 15
    return max(0.05, 0.5 - 0.45 * (age - 75) / 15)


HEAD_YEARS = tuple(range(FIRST_HEAD_YEAR, LAST_HEAD_YEAR + 1))
_YEAR_WEIGHTS = tuple(_head_age_weight(SNAPSHOT.year - year) for year in HEAD_YEARS)


def _mean_family_size(year: int, samples: int = 48) -> float:
    sizes = (len(compose(key_of(0x5EED, year, n), year)) for n in range(samples))
    return sum(sizes) / samples


@dataclass(frozen=True, slots=True)
class Cell:
    province: int
    head_year: int
    families: int


class Census:
    """How many families each (province, head year) cell holds, and the strides that follow."""

    def __init__(self, population_size: int, provinces: tuple[int, ...]) -> None:
        mean_sizes = [_mean_family_size(year) for year in HEAD_YEARS]
        total_weight = sum(w * s for w, s in zip(_YEAR_WEIGHTS, mean_sizes, strict=True))
        households = population_size / total_weight
        shares = [PROVINCE_POPULATION_K[p] for p in provinces]
        share_total = sum(shares)
        expected = [
            households * share / share_total * weight
            for share in shares
            for weight in _YEAR_WEIGHTS
        ]
        # Systematic rounding keeps the total exact and spreads small sizes over many cells.
        bounds = [round(x) for x in accumulate(expected, initial=0.0)]
        counts = [high - low for low, high in pairwise(bounds)]
        self.provinces = provinces
        self._years = len(HEAD_YEARS)
        self._counts = counts
        self._global = tuple(accumulate(counts, initial=0))
        self.households = self._global[-1]
        self.estimated_size = round(
            sum(c * mean_sizes[i % self._years] for i, c in enumerate(counts))
        )
        self._province_index = {p: i for i, p in enumerate(provinces)}
        self.strides = {p: max(1, *self._row(p)) for p in provinces}
        self._serial_starts = {p: tuple(accumulate(self._row(p), initial=0)) for p in provinces}
        self._check_fits()

    def _row(self, province: int) -> list[int]:
        start = self._province_index[province] * self._years
        return self._counts[start : start + self._years]

    def _check_fits(self) -> None:
        for province, stride in self.strides.items():
            if stride * CODES > ID_SPACE:
                raise PopulationTooLarge(
                    f"province {province:02d} would need {stride} families per birth year; "
                    f"at most {ID_SPACE // CODES} fit the six random id digits"
                )

    def families(self, province: int, head_year: int) -> int:
        """Number of families in the cell; 0 for unknown provinces or years."""
        index = self._province_index.get(province)
        if index is None or not FIRST_HEAD_YEAR <= head_year <= LAST_HEAD_YEAR:
            return 0
        return self._counts[index * self._years + head_year - FIRST_HEAD_YEAR]

    def serial(self, province: int, head_year: int, index: int) -> int:
        """Rank of a family among all families of its province (for book and CMND numbers)."""
        return self._serial_starts[province][head_year - FIRST_HEAD_YEAR] + index

    def from_serial(self, province: int, serial: int) -> tuple[int, int] | None:
        """(head_year, index) of the family with this serial, or None when out of range."""
        starts = self._serial_starts.get(province)
        if starts is None or not 0 <= serial < starts[-1]:
            return None
        offset = bisect_right(starts, serial) - 1
        return FIRST_HEAD_YEAR + offset, serial - starts[offset]

    def locate(self, rank: int) -> tuple[int, int, int]:
        """(province, head_year, index) of the ``rank``-th family of the whole country."""
        cell = bisect_right(self._global, rank) - 1
        province_index, year_offset = divmod(cell, self._years)
        return (
            self.provinces[province_index],
            FIRST_HEAD_YEAR + year_offset,
            rank - self._global[cell],
        )

    def province_range(self, province: int) -> tuple[int, int]:
        """The ranks [low, high) of the families of one province."""
        start = self._province_index[province] * self._years
        return self._global[start], self._global[start + self._years]
