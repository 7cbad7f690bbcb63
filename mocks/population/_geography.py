"""Provinces and communes of 2021 with their GSO codes, read from the packaged official list.

The list is ``vietnam-provinces==0.6.0`` (63 provinces, 691 districts, ~10,000 communes: the
structure in force at the 01/7/2021 go-live). Codes travel zero-padded: province 2 digits,
district 3, commune 5.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

import vietnam_provinces

__all__ = ["Commune", "Geography", "geography"]


@dataclass(frozen=True, slots=True)
class Commune:
    code: str
    name: str
    district_code: str
    district_name: str
    province_code: str
    province_name: str

    @property
    def is_urban(self) -> bool:
        """Wards (phường) and townships (thị trấn) have streets; rural communes have hamlets."""
        return self.name.startswith(("Phường", "Thị trấn"))


@dataclass(frozen=True, slots=True)
class Geography:
    """Province codes (ints, ascending), their names, and each province's communes."""

    province_codes: tuple[int, ...]
    province_names: dict[int, str]
    communes: dict[int, tuple[Commune, ...]]
    by_code: dict[str, Commune]


def _communes_of(province: dict[str, Any]) -> tuple[Commune, ...]:
    code = f"{province['code']:02d}"
    return tuple(
        Commune(
            code=f"{ward['code']:05d}",
            name=ward["name"],
            district_code=f"{district['code']:03d}",
            district_name=district["name"],
            province_code=code,
            province_name=province["name"],
        )
        for district in province["districts"]
        for ward in district["wards"]
    )


@cache
def geography() -> Geography:
    """The 2021 administrative units, loaded once per process (~0.1 s)."""
    with open(vietnam_provinces.NESTED_DIVISIONS_JSON_PATH, encoding="utf-8") as handle:
        provinces: list[dict[str, Any]] = json.load(handle)
    provinces.sort(key=lambda province: int(province["code"]))
    communes = {int(p["code"]): _communes_of(p) for p in provinces}
    return Geography(
        province_codes=tuple(communes),
        province_names={int(p["code"]): str(p["name"]) for p in provinces},
        communes=communes,
        by_code={c.code: c for group in communes.values() for c in group},
    )
