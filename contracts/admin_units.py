"""Administrative units of 2021 (63 provinces, districts, communes) with their GSO codes.

The list comes from the packaged ``vietnam-provinces==0.6.0`` data (pre-2025 structure, the one in
force at the 01/7/2021 go-live), never typed by hand. Codes are zero-padded strings as they
travel in QCVN 109 messages: province 2 digits, district 3, commune 5.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

import vietnam_provinces

__all__ = ["Commune", "all_communes", "commune", "province_codes", "province_name"]


@dataclass(frozen=True, slots=True)
class Commune:
    """A commune (phường/xã/thị trấn) with the district and province it belongs to."""

    code: str
    name: str
    district_code: str
    district_name: str
    province_code: str
    province_name: str


@cache
def _provinces() -> list[dict[str, Any]]:
    with open(vietnam_provinces.NESTED_DIVISIONS_JSON_PATH, encoding="utf-8") as handle:
        data: list[dict[str, Any]] = json.load(handle)
    return data


@cache
def province_codes() -> frozenset[str]:
    """The 63 two-digit GSO province codes."""
    return frozenset(f"{p['code']:02d}" for p in _provinces())


@cache
def _province_names() -> dict[str, str]:
    return {f"{p['code']:02d}": p["name"] for p in _provinces()}


def province_name(code: str) -> str | None:
    return _province_names().get(code)


@cache
def _communes() -> dict[str, Commune]:
    index: dict[str, Commune] = {}
    for province in _provinces():
        for district in province["districts"]:
            for ward in district["wards"]:
                index[f"{ward['code']:05d}"] = Commune(
                    code=f"{ward['code']:05d}",
                    name=ward["name"],
                    district_code=f"{district['code']:03d}",
                    district_name=district["name"],
                    province_code=f"{province['code']:02d}",
                    province_name=province["name"],
                )
    return index


def commune(code: str) -> Commune | None:
    """The commune with this 5-digit code, or None when the code is unknown."""
    return _communes().get(code)


def all_communes() -> list[Commune]:
    """Every commune, province by province and within one in the official list's order."""
    return list(_communes().values())
