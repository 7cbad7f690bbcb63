"""Administrative units of both eras: 2021 (63 provinces, districts) and 2025 (34, no districts).

Vendored official tables (PROVENANCE.md): the old→new conversion table effective 01/7/2025 and the
GSO commune list of 04/01/2025. ``unit(code, era)`` names a unit; ``convert(code, era)`` gives the
other era's counterparts, every candidate where old→new is 1:N, with a ``partial`` flag. Used by
the gateway's address mapping and catalogue service, ``lgsp admin-units``, and the mock.
"""

from contracts.admin_eras._address import address_era, commune_of, other_era_of
from contracts.admin_eras._convert import Conversion, Era, Level, Unit, convert, other, unit
from contracts.admin_eras._table import tables
from contracts.admin_eras._views import entry, other_era_units, unit_ref

__all__ = [
    "Conversion",
    "Era",
    "Level",
    "Unit",
    "address_era",
    "commune_of",
    "convert",
    "entry",
    "other",
    "other_era_of",
    "other_era_units",
    "tables",
    "unit",
    "unit_ref",
]
