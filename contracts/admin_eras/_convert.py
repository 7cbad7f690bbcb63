"""Units of either era by code, and what the official table says they became (or came from).

A code means nothing without its era: new ward codes reuse old numbers for other places (22015 is
old Phường 1 and new Phường Tuy Hòa). Old→new can be 1:N; every candidate is given and the result
says ``partial`` whenever the table does not determine one answer for the whole unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal

from contracts.admin_eras._table import Link, OldUnit, tables

__all__ = ["Conversion", "Era", "Level", "Unit", "convert", "other", "unit"]

Era = Literal["2021", "2025"]
Level = Literal["province", "district", "commune"]


@dataclass(frozen=True, slots=True)
class Unit:
    """One administrative unit of one era, with its parents (no district in 2025)."""

    era: Era
    code: str
    name: str
    level: Level
    province_code: str
    province_name: str
    district_code: str | None = None
    district_name: str | None = None

    @property
    def parent_code(self) -> str | None:
        """The district of a 2021 commune, the province of a district or 2025 ward, else None."""
        if self.level == "province":
            return None
        if self.level == "commune" and self.era == "2021":
            return self.district_code
        return self.province_code


@dataclass(frozen=True, slots=True)
class Conversion:
    """``unit`` and its counterparts in the other era; ``partial`` when not one whole answer."""

    unit: Unit
    candidates: tuple[Unit, ...]
    partial: bool

    @property
    def other_era(self) -> Era:
        return other(self.unit.era)


def other(era: Era) -> Era:
    return "2025" if era == "2021" else "2021"


def unit(code: str, era: Era) -> Unit | None:
    """The unit with this code in ``era`` (2 digits province, 3 district, 5 commune)."""
    code = code.strip()
    if era == "2025":
        return _new_unit(code)
    return _old_unit(code)


def _new_unit(code: str) -> Unit | None:
    found = tables().new_units.get(code)
    if found is not None:
        return Unit("2025", code, found.name, "commune", found.province_code, found.province_name)
    name = tables().new_provinces.get(code)
    return None if name is None else Unit("2025", code, name, "province", code, name)


def _old_unit(code: str) -> Unit | None:
    if len(code) == 5 and (found := tables().old_units.get(code)) is not None:
        return _old_commune(found)
    if len(code) == 3 and (district := _old_districts().get(code)) is not None:
        return Unit("2021", code, district.district_name, "district", district.province_code,
                    district.province_name, code, district.district_name)  # fmt: skip
    name = tables().old_provinces.get(code)
    return None if name is None else Unit("2021", code, name, "province", code, name)


def _old_commune(found: OldUnit) -> Unit:
    return Unit(
        "2021",
        found.code,
        found.name,
        "commune",
        found.province_code,
        found.province_name,
        found.district_code,
        found.district_name,
    )


@cache
def _old_districts() -> dict[str, OldUnit]:
    return {u.district_code: u for u in tables().old_units.values()}


def convert(code: str, era: Era) -> Conversion | None:
    """What the table says ``code`` of ``era`` became (2021) or came from (2025); None: unknown."""
    found = unit(code, era)
    if found is None:
        return None
    links = _links(found)
    counterparts = {link.new if era == "2021" else link.old for link in links}
    candidates = tuple(
        sorted(
            (u for c in counterparts if (u := _counterpart(c, found)) is not None),
            key=lambda u: u.code,
        )
    )
    if found.level == "province":
        candidates = _parents(candidates)
    return Conversion(found, candidates, _partial(found, links, candidates))


def _counterpart(code: str, found: Unit) -> Unit | None:
    if found.era == "2021":
        return unit(code, "2025")
    old = tables().old_units.get(code)
    return None if old is None else _old_commune(old) if len(code) == 5 else _district(old)


def _district(old: OldUnit) -> Unit:
    return Unit("2021", old.district_code, old.district_name, "district", old.province_code,
                old.province_name, old.district_code, old.district_name)  # fmt: skip


def _links(found: Unit) -> list[Link]:
    """The table rows that touch ``found`` (every commune of it, for a province or district)."""
    t = tables()
    index = t.old_to_new if found.era == "2021" else t.new_to_old
    own = list(index.get(found.code, ()))  # a district-origin special zone links the district
    if found.level == "commune":
        return own
    return own + [link for code in _members(found) for link in index.get(code, ())]


def _members(found: Unit) -> list[str]:
    t = tables()
    if found.era == "2025":
        return [u.code for u in t.new_units.values() if u.province_code == found.code]
    if found.level == "district":
        return [u.code for u in t.old_units.values() if u.district_code == found.code]
    return [u.code for u in t.old_units.values() if u.province_code == found.code]


def _parents(candidates: tuple[Unit, ...]) -> tuple[Unit, ...]:
    """For a province or district: the other era's provinces its communes are in."""
    provinces = {u.province_code: u for u in candidates}
    era = candidates[0].era if candidates else "2025"
    return tuple(
        Unit(era, code, u.province_name, "province", code, u.province_name)
        for code, u in sorted(provinces.items())
    )


def _partial(found: Unit, links: list[Link], candidates: tuple[Unit, ...]) -> bool:
    """Not one whole answer: several candidates, a part-merge, or nothing in the table."""
    if not candidates:
        return True
    if found.level == "province":
        return len(candidates) > 1
    if found.era == "2021":
        return len(candidates) > 1 or any(link.partly for link in links)
    return any(link.partly for link in links)
