"""The synthetic national population: O(1) look-up by personal id, CMND or household book.

Nothing is stored per citizen. A :class:`Population` holds only the census (families per province
and head birth year, a few thousand integers) and a small cache of recently built families. An id
is decoded to its family (see :mod:`mocks.population._families`), the family is recomposed from
the seed, and the citizen is read off it together with the relatives it references, so every
reference resolves to a citizen whose own record agrees.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from contracts.ids import century_sex_digit, year_of
from mocks.lru import LRU
from mocks.population._families import (
    SNAPSHOT,
    Census,
    Member,
    Role,
    compose,
    decode_code,
)
from mocks.population._geography import geography
from mocks.population._keyed import FeistelPermutation, Stream, key_of
from mocks.population._model import Citizen, Household, HouseholdMember, PersonRef
from mocks.population._people import (
    FamilyTraits,
    Kin,
    PersonTraits,
    family_traits,
    person_traits,
)
from mocks.population._reference import Relation

__all__ = ["Population"]

_CMND_SPACE = 1_000_000_000
_CMND_PER_PROVINCE = 15_000_000  # 63 provinces x 15M < 10**9; 8 slots per family
_BOOK_SPACE = 1_000_000
_FAMILY_CACHE = 4096
_CITIZEN_CACHE = 8192


class _Married:
    SINGLE = "1"  # chưa kết hôn
    MARRIED = "2"  # đã kết hôn
    DIVORCED = "3"  # ly hôn
    WIDOWED = "4"  # góa


@dataclass(frozen=True, slots=True)
class _Resident:
    member: Member
    year: int
    personal_id: str
    cmnd: str | None
    traits: PersonTraits

    @property
    def full_name(self) -> str:
        t = self.traits
        return " ".join(p for p in (t.family_name, t.middle_name, t.given_name) if p)

    def ref(self) -> PersonRef:
        return PersonRef(self.personal_id, self.cmnd, self.full_name)


@dataclass(frozen=True, slots=True)
class _Family:
    province: int
    head_year: int
    index: int
    book_number: str
    traits: FamilyTraits
    residents: tuple[_Resident, ...]

    def first(self, role: int) -> _Resident | None:
        return next((r for r in self.residents if r.member.role == role), None)


class Population:
    """A deterministic synthetic population of about ``size`` citizens (from ``seed``)."""

    def __init__(self, size: int, seed: int) -> None:
        self.seed = seed
        self._geo = geography()
        self.census = Census(size, self._geo.province_codes)
        self._province_rank = {p: i for i, p in enumerate(self._geo.province_codes)}
        self._id_perms: dict[tuple[int, int, int], FeistelPermutation] = {}
        self._book_perms: dict[int, FeistelPermutation] = {}
        self._cmnd_perm = FeistelPermutation(_CMND_SPACE, key_of(seed, 2))
        self._families: LRU[tuple[int, int, int], _Family] = LRU(_FAMILY_CACHE)
        self._citizens: LRU[str, Citizen] = LRU(_CITIZEN_CACHE)

    @property
    def size(self) -> int:
        """The number of citizens, estimated from the census (within about 1 % of the truth)."""
        return self.census.estimated_size

    # ------------------------------------------------------------------ look-ups

    def get(self, personal_id: str) -> Citizen | None:
        """The citizen with this 12-digit personal id, or None."""
        return self._cached_or(personal_id, self._locate_id)

    def by_cmnd(self, cmnd: str) -> Citizen | None:
        """The citizen with this legacy 9-digit CMND, or None."""
        return self._cached_or(cmnd, self._locate_cmnd)

    def _cached_or(
        self, number: str, locate: Callable[[str], tuple[_Family, int] | None]
    ) -> Citizen | None:
        """A citizen built recently, else the one ``locate`` finds (both numbers key the cache)."""
        citizen = self._citizens.get(number)
        if citizen is None:
            found = locate(number)
            citizen = None if found is None else self._citizen(*found)
        return citizen

    def find(self, number: str) -> Citizen | None:
        """By personal id (12 digits) or CMND (9 digits)."""
        return self.get(number) if len(number) == 12 else self.by_cmnd(number)

    def household(self, number: str) -> Household | None:
        """The household of the citizen with this personal id or CMND, or None."""
        found = self._locate_id(number) if len(number) == 12 else self._locate_cmnd(number)
        return None if found is None else self._household(found[0])

    def household_by_book(self, book_number: str) -> Household | None:
        family = self._family_by_book(book_number)
        return None if family is None else self._household(family)

    def sample(
        self,
        n: int,
        *,
        province: str | None = None,
        with_cmnd: bool | None = None,
        year_only: bool | None = None,
        household: str | None = None,
        male: bool | None = None,
        page: int = 0,
    ) -> list[Citizen]:
        """Up to ``n`` distinct citizens matching every given filter; the same call, the same list.

        ``province`` is the 2-digit GSO code of birth registration; ``household`` a book number
        (its members, head first); ``page`` gives another deterministic draw.
        """
        if household is not None:
            candidates: Iterator[tuple[_Family, int]] = self._members_of(household)
        else:
            candidates = self._random_residents(province, page)
        chosen: dict[str, Citizen] = {}
        for attempt, (family, position) in enumerate(candidates):
            if len(chosen) >= n or attempt >= 5_000 * max(n, 1):
                break
            resident = family.residents[position]
            if _matches(resident, with_cmnd, year_only, male):
                chosen.setdefault(resident.personal_id, self._citizen(family, position))
        return list(chosen.values())

    # ------------------------------------------------------------------ decoding numbers

    def _id_perm(self, province: int, century_sex: int, yy: int) -> FeistelPermutation:
        key = (province, century_sex, yy)
        perm = self._id_perms.get(key)
        if perm is None:
            perm = FeistelPermutation(1_000_000, key_of(self.seed, 1, *key))
            self._id_perms[key] = perm
        return perm

    def _book_perm(self, province: int) -> FeistelPermutation:
        perm = self._book_perms.get(province)
        if perm is None:
            perm = FeistelPermutation(_BOOK_SPACE, key_of(self.seed, 3, province))
            self._book_perms[province] = perm
        return perm

    def _locate_id(self, personal_id: str) -> tuple[_Family, int] | None:
        if len(personal_id) != 12 or not personal_id.isascii() or not personal_id.isdigit():
            return None
        province, century_sex, yy = int(personal_id[:3]), int(personal_id[3]), int(personal_id[4:6])
        stride = self.census.strides.get(province)
        if stride is None:
            return None
        slot = self._id_perm(province, century_sex, yy).inverse(int(personal_id[6:]))
        code, index = divmod(slot, stride)
        decoded = decode_code(code)
        if decoded is None:
            return None
        role, offset = decoded
        head_year = year_of(century_sex, yy) - offset
        if index >= self.census.families(province, head_year):
            return None
        family = self._family(province, head_year, index)
        position = _position(family, role, offset, century_sex % 2 == 0)
        return None if position is None else (family, position)

    def _locate_cmnd(self, cmnd: str) -> tuple[_Family, int] | None:
        if len(cmnd) != 9 or not cmnd.isascii() or not cmnd.isdigit():
            return None
        rank, rest = divmod(self._cmnd_perm.inverse(int(cmnd)), _CMND_PER_PROVINCE)
        if rank >= len(self._geo.province_codes):
            return None
        province = self._geo.province_codes[rank]
        serial, slot = divmod(rest, 8)
        cell = self.census.from_serial(province, serial)
        if cell is None:
            return None
        family = self._family(province, *cell)
        for position, resident in enumerate(family.residents):
            if resident.member.slot == slot and resident.cmnd == cmnd:
                return family, position
        return None

    def _family_by_book(self, book_number: str) -> _Family | None:
        if len(book_number) != 9 or not book_number.isascii() or not book_number.isdigit():
            return None
        province = int(book_number[:3])
        if province not in self.census.strides:
            return None
        serial = self._book_perm(province).inverse(int(book_number[3:]))
        cell = self.census.from_serial(province, serial)
        return None if cell is None else self._family(province, *cell)

    # ------------------------------------------------------------------ building families

    def _family(self, province: int, head_year: int, index: int) -> _Family:
        key = (province, head_year, index)
        family = self._families.get(key)
        if family is None:
            family = self._families.put(key, self._build_family(province, head_year, index))
        return family

    def _build_family(self, province: int, head_year: int, index: int) -> _Family:
        family_key = key_of(self.seed, 10, province, head_year, index)
        traits = family_traits(Stream(key_of(family_key, 1)), self._geo, province)
        serial = self.census.serial(province, head_year, index)
        residents: list[_Resident] = []
        for member in compose(family_key, head_year):
            kin = _kin(member, traits, residents)
            stream = Stream(key_of(family_key, 2, member.slot))
            year = head_year + member.offset
            person = person_traits(
                stream, member, geo=self._geo, province=province, year=year, family=traits, kin=kin
            )
            residents.append(
                _Resident(
                    member=member,
                    year=year,
                    personal_id=self._personal_id(province, head_year, index, member),
                    cmnd=self._cmnd(province, serial, member) if person.has_cmnd else None,
                    traits=person,
                )
            )
        book = f"{province:03d}{self._book_perm(province).forward(serial):06d}"
        return _Family(province, head_year, index, book, traits, tuple(residents))

    def _personal_id(self, province: int, head_year: int, index: int, member: Member) -> str:
        year = head_year + member.offset
        century_sex = century_sex_digit(year, male=member.male)
        yy = year % 100
        stride = self.census.strides[province]
        digits = self._id_perm(province, century_sex, yy).forward(member.code * stride + index)
        return f"{province:03d}{century_sex}{yy:02d}{digits:06d}"

    def _cmnd(self, province: int, serial: int, member: Member) -> str:
        rank = self._province_rank[province] * _CMND_PER_PROVINCE + serial * 8 + member.slot
        return f"{self._cmnd_perm.forward(rank):09d}"

    # ------------------------------------------------------------------ reading citizens

    def _citizen(self, family: _Family, position: int) -> Citizen:
        resident = family.residents[position]
        citizen = self._citizens.get(resident.personal_id)
        if citizen is None:
            citizen = self._citizens.put(resident.personal_id, self._read(family, position))
            if citizen.cmnd is not None:
                self._citizens.put(citizen.cmnd, citizen)
        return citizen

    def _read(self, family: _Family, position: int) -> Citizen:
        resident = family.residents[position]
        traits, member = resident.traits, resident.member
        head = family.residents[0]
        father, mother, spouse = _relatives(family, member)
        guardian = father or mother if member.role == Role.CHILD and _age(resident) < 18 else None
        return Citizen(
            personal_id=resident.personal_id,
            cmnd=resident.cmnd,
            family_name=traits.family_name,
            middle_name=traits.middle_name,
            given_name=traits.given_name,
            male=member.male,
            birth_date=traits.birth_date,
            year_only=traits.year_only,
            ethnicity_code=traits.ethnicity,
            religion_code=traits.religion,
            marital_status_code=_marital_status(family, resident),
            blood_group_code=traits.blood_group,
            birth_registration_place=traits.birth_place,
            hometown=traits.hometown,
            permanent_address=family.traits.home,
            current_address=traits.current,
            father=None if father is None else father.ref(),
            mother=None if mother is None else mother.ref(),
            spouse=None if spouse is None else spouse.ref(),
            representative=None if guardian is None else guardian.ref(),
            relation_code=_relation(member),
            head=head.ref(),
            household_book_number=family.book_number,
        )

    def _household(self, family: _Family) -> Household:
        members = tuple(
            HouseholdMember(
                relation_code=_relation(r.member),
                person=r.ref(),
                male=r.member.male,
                birth_date=r.traits.birth_date,
                year_only=r.traits.year_only,
            )
            for r in family.residents
        )
        return Household(family.book_number, family.residents[0].ref(), members, family.traits.home)

    def _members_of(self, book_number: str) -> Iterator[tuple[_Family, int]]:
        family = self._family_by_book(book_number)
        if family is not None:
            yield from ((family, position) for position in range(len(family.residents)))

    def _random_residents(self, province: str | None, page: int) -> Iterator[tuple[_Family, int]]:
        code = int(province) if province is not None and province.isdigit() else 0
        if province is not None and code not in self.census.strides:
            return
        low, high = self.census.province_range(code) if code else (0, self.census.households)
        if high <= low:
            return
        stream = Stream(key_of(self.seed, 4, code, page))
        while True:
            province_code, head_year, index = self.census.locate(low + stream.below(high - low))
            family = self._family(province_code, head_year, index)
            position = stream.below(8)  # rejection keeps every citizen equally likely
            if position < len(family.residents):
                yield family, position


def _position(family: _Family, role: int, offset: int, male: bool) -> int | None:
    for position, resident in enumerate(family.residents):
        member = resident.member
        if member.role == role and member.offset == offset and member.male == male:
            return position
    return None


def _kin(member: Member, traits: FamilyTraits, built: list[_Resident]) -> Kin:
    """Family name and ethnicity a member inherits from those already built (head first)."""
    if member.role in (Role.HEAD, Role.FATHER):
        return Kin(traits.family_name, traits.ethnicity)
    if member.role != Role.CHILD:
        return Kin(None, traits.ethnicity)
    head = built[0]
    spouse = next((r for r in built if r.member.role == Role.SPOUSE), None)
    father = head if head.member.male else spouse
    line = father if father is not None else head
    return Kin(line.traits.family_name, line.traits.ethnicity)


def _relatives(
    family: _Family, member: Member
) -> tuple[_Resident | None, _Resident | None, _Resident | None]:
    """(father, mother, spouse) of a member, as far as they live in the same household."""
    head, spouse = family.residents[0], family.first(Role.SPOUSE)
    if member.role == Role.HEAD:
        return family.first(Role.FATHER), family.first(Role.MOTHER), spouse
    if member.role == Role.SPOUSE:
        return None, None, head
    if member.role == Role.CHILD:
        parents = (head, spouse)
        father = next((p for p in parents if p is not None and p.member.male), None)
        mother = next((p for p in parents if p is not None and not p.member.male), None)
        return father, mother, None
    other = Role.MOTHER if member.role == Role.FATHER else Role.FATHER
    return None, None, family.first(other)


def _relation(member: Member) -> str:
    if member.role == Role.SPOUSE:
        return Relation.HUSBAND if member.male else Relation.WIFE
    return {
        Role.HEAD: Relation.HEAD,
        Role.CHILD: Relation.CHILD,
        Role.FATHER: Relation.FATHER,
        Role.MOTHER: Relation.MOTHER,
    }[member.role]


def _age(resident: _Resident) -> int:
    born = resident.traits.birth_date
    return SNAPSHOT.year - born.year - ((SNAPSHOT.month, SNAPSHOT.day) < (born.month, born.day))


def _marital_status(family: _Family, resident: _Resident) -> str:
    role = resident.member.role
    if role == Role.SPOUSE:
        return _Married.MARRIED
    if role == Role.CHILD:
        return _Married.SINGLE
    if role in (Role.FATHER, Role.MOTHER):
        both = family.first(Role.FATHER) and family.first(Role.MOTHER)
        return _Married.MARRIED if both else _Married.WIDOWED
    if family.first(Role.SPOUSE) is not None:
        return _Married.MARRIED
    age = _age(resident)
    return _Married.SINGLE if age < 30 else _Married.WIDOWED if age >= 60 else _Married.DIVORCED


def _matches(
    resident: _Resident, with_cmnd: bool | None, year_only: bool | None, male: bool | None
) -> bool:
    if with_cmnd is not None and (resident.cmnd is not None) != with_cmnd:
        return False
    if year_only is not None and resident.traits.year_only != year_only:
        return False
    return male is None or resident.member.male == male
