"""Which era an address's codes belong to, and its names and other-era codes (cached).

A record does not say its era; its codes do: a district (MaQuanHuyen) exists only before 2025; a
province plus ward with no district is 2025 when the table has that ward in that province; a lone
commune code (QCVN's MaDonViHanhChinh) is read as 2021 when it is one, else as 2025.
"""

from __future__ import annotations

from functools import lru_cache

from contracts.admin_eras._convert import Era, Unit, convert, unit
from contracts.admin_eras._views import other_era_units
from contracts.models import OtherEraUnits

__all__ = ["address_era", "commune_of", "other_era_of"]

_CACHE = 32_768  # every commune of both eras fits: a look-up resolves four addresses


@lru_cache(maxsize=_CACHE)
def address_era(province: str | None, district: str | None, commune: str) -> Era | None:
    """The era of an address's codes (cached: a look-up reads four addresses)."""
    if district:
        return "2021" if unit(commune, "2021") is not None else None
    if province:
        new = unit(commune, "2025")
        if new is not None and new.province_code == province:
            return "2025"
        return "2021" if unit(commune, "2021") is not None else None
    if unit(commune, "2021") is not None:
        return "2021"
    return "2025" if unit(commune, "2025") is not None else None


@lru_cache(maxsize=_CACHE)
def commune_of(code: str, era: Era) -> Unit | None:
    return unit(code, era)


@lru_cache(maxsize=_CACHE)
def other_era_of(code: str, era: Era) -> OtherEraUnits | None:
    """The commune's counterparts in the other era (a frozen model, safe to share)."""
    conversion = convert(code, era)
    return None if conversion is None else other_era_units(conversion)
