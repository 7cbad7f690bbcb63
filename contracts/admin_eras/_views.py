"""The catalogue's and the address's view of a conversion, as canonical models (JSON)."""

from __future__ import annotations

from contracts.admin_eras._convert import Conversion, Era, Unit, convert
from contracts.models import AdminUnitEntry, AdminUnitRef, OtherEraUnits

__all__ = ["entry", "other_era_units", "unit_ref"]


def unit_ref(unit: Unit) -> AdminUnitRef:
    return AdminUnitRef(
        era=unit.era,
        code=unit.code,
        name=unit.name,
        level=unit.level,
        parent_code=unit.parent_code,
        province_code=unit.province_code,
        province_name=unit.province_name,
        district_code=unit.district_code,
        district_name=unit.district_name,
    )


def other_era_units(conversion: Conversion) -> OtherEraUnits:
    return OtherEraUnits(
        era=conversion.other_era,
        units=tuple(unit_ref(u) for u in conversion.candidates),
        partial=conversion.partial,
    )


def entry(code: str, era: Era) -> AdminUnitEntry | None:
    """The unit ``code`` of ``era`` with its other-era counterparts; None when unknown."""
    conversion = convert(code, era)
    if conversion is None:
        return None
    return AdminUnitEntry(unit=unit_ref(conversion.unit), other_era=other_era_units(conversion))
