"""The two vendored tables (PROVENANCE.md), read once into indexes by code.

``conversion-2025-07-01.csv`` gives the 2025 units and every (new ward, old ward) pair;
``communes-before-2025-07-01.csv`` the 2021-era names of communes, districts and provinces. Rows
without codes (titles, province headers) are skipped; names are stripped of stray spaces.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path

__all__ = ["Link", "NewUnit", "OldUnit", "Tables", "tables"]

_HERE = Path(__file__).resolve().parent
CONVERSION_CSV = _HERE / "conversion-2025-07-01.csv"
COMMUNES_CSV = _HERE / "communes-before-2025-07-01.csv"
_NAMED_CODE = re.compile(r"^\s*(.*?)\s*\((\d+)\)\s*$")  # "Tỉnh Đắk Lắk (66)"
_TITLE_ROWS = 2


@dataclass(frozen=True, slots=True)
class NewUnit:
    """A ward, commune or special zone since 01/7/2025 (province → ward, no district)."""

    code: str
    name: str
    province_code: str
    province_name: str


@dataclass(frozen=True, slots=True)
class OldUnit:
    """A commune of the 63-province era with its district; or a whole district (3-digit code)."""

    code: str
    name: str
    district_code: str
    district_name: str
    province_code: str
    province_name: str


@dataclass(frozen=True, slots=True)
class Link:
    """One row of the conversion table: ``old`` went wholly or ``partly`` into ``new``."""

    new: str
    old: str
    partly: bool
    note: str


@dataclass(frozen=True, slots=True)
class Tables:
    new_units: dict[str, NewUnit]
    old_units: dict[str, OldUnit]
    new_to_old: dict[str, tuple[Link, ...]]
    old_to_new: dict[str, tuple[Link, ...]]
    new_provinces: dict[str, str]  # code -> name, the 34
    old_provinces: dict[str, str]  # code -> name, the 63


def _split(text: str) -> tuple[str, str]:
    """("Tỉnh Đắk Lắk", "66") from "Tỉnh Đắk Lắk (66)"; ("", "") when there is no code."""
    match = _NAMED_CODE.match(text.replace("\n", " "))
    return (match.group(1), match.group(2)) if match else ("", "")


def _clean(text: str) -> str:
    return " ".join(text.split())


def _partly(note: str) -> bool:
    """Whether the note says only part of the old unit went in ("Nhập một phần …")."""
    words = " ".join(note.lower().split())
    return "một phần" in words or "phần còn lại" in words


def _old_communes() -> dict[str, OldUnit]:
    units: dict[str, OldUnit] = {}
    with COMMUNES_CSV.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            code = row["Mã PX"].strip()
            if code:
                units[code] = OldUnit(
                    code=code,
                    name=_clean(row["Phường Xã"]),
                    district_code=row["Mã QH"].strip(),
                    district_name=_clean(row["Quận Huyện"]),
                    province_code=row["Mã TP"].strip(),
                    province_name=_clean(row["Tỉnh Thành Phố"]),
                )
    return units


def _conversion_rows() -> list[list[str]]:
    with CONVERSION_CSV.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))[_TITLE_ROWS:]
    return [row for row in rows if len(row) >= 8 and row[2].strip()]


@cache
def tables() -> Tables:
    """Every index, built on first use (≈ 10,600 rows)."""
    old_units = _old_communes()
    new_units: dict[str, NewUnit] = {}
    new_to_old: defaultdict[str, list[Link]] = defaultdict(list)
    old_to_new: defaultdict[str, list[Link]] = defaultdict(list)
    for row in _conversion_rows():
        new_code = row[2].strip()
        province_name, province_code = _split(row[0])
        new_units.setdefault(
            new_code, NewUnit(new_code, _clean(row[1]), province_code, province_name)
        )
        old = _old_unit(row, old_units)
        link = Link(new_code, old.code, _partly(row[5]), _clean(row[5]))
        new_to_old[new_code].append(link)
        old_to_new[old.code].append(link)
    return Tables(
        new_units=new_units,
        old_units=old_units,
        new_to_old={code: tuple(links) for code, links in new_to_old.items()},
        old_to_new={code: tuple(links) for code, links in old_to_new.items()},
        new_provinces={u.province_code: u.province_name for u in new_units.values()},
        old_provinces={u.province_code: u.province_name for u in old_units.values()},
    )


def _old_unit(row: list[str], known: dict[str, OldUnit]) -> OldUnit:
    """The old commune of a row: from the GSO list, else as the row names it; or its district.

    Five special zones were made of whole districts with no commune in the table: their old
    unit is the district itself (a 3-digit code).
    """
    district_name, district_code = _split(row[6])
    province_name, province_code = _split(row[7])
    code = row[4].strip()
    if not code:
        unit = OldUnit(
            district_code, district_name, district_code, district_name, province_code, province_name
        )
    else:
        unit = known.get(code) or OldUnit(
            code, _clean(row[3]), district_code, district_name, province_code, province_name
        )
    known.setdefault(unit.code, unit)
    return unit
