"""Provinces and communes of 2021 with their GSO codes, read from the packaged official list.

The list is ``vietnam-provinces==0.6.0`` (63 provinces, 691 districts, ~10,000 communes: the
structure in force at the 01/7/2021 go-live). Codes travel zero-padded: province 2 digits,
district 3, commune 5.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from contracts.admin_units import Commune, all_communes, province_name

__all__ = ["Commune", "Geography", "geography", "is_urban"]


def is_urban(commune: Commune) -> bool:
    """Wards (phường) and townships (thị trấn) have streets; rural communes have hamlets."""
    return commune.name.startswith(("Phường", "Thị trấn"))


@dataclass(frozen=True, slots=True)
class Geography:
    """Province codes (ints, ascending), their names, and each province's communes."""

    province_codes: tuple[int, ...]
    province_names: dict[int, str]
    communes: dict[int, tuple[Commune, ...]]
    by_code: dict[str, Commune]


@cache
def geography() -> Geography:
    """The 2021 administrative units of ``contracts.admin_units``, grouped once per process."""
    grouped: dict[int, list[Commune]] = {}
    for unit in all_communes():
        grouped.setdefault(int(unit.province_code), []).append(unit)
    communes = {code: tuple(grouped[code]) for code in sorted(grouped)}
    return Geography(
        province_codes=tuple(communes),
        province_names={code: str(province_name(f"{code:02d}")) for code in communes},
        communes=communes,
        by_code={c.code: c for group in communes.values() for c in group},
    )
