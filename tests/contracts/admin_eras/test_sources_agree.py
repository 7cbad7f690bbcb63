"""The two sources of the 2021 units say the same thing.

The mock's population and the wire records name communes from the ``vietnam_provinces`` package
(``contracts/admin_units.py``); era conversion reads the official tables vendored under
``contracts/admin_eras``. A commune the mock can give a citizen must exist in the official table
with the same district and province, or a look-up's address could not be converted.
"""

from __future__ import annotations

from contracts.admin_eras._table import tables
from contracts.admin_units import all_communes


def test_every_commune_of_the_package_is_in_the_official_2021_table() -> None:
    official = tables().old_units
    communes = list(all_communes())
    assert len(communes) > 10_000  # the whole country, not an empty list passing by accident
    missing = [c.code for c in communes if c.code not in official]
    assert not missing, f"communes the official 2021 table lacks: {missing[:10]}"
    moved = [
        c.code
        for c in communes
        if (c.district_code, c.province_code)
        != (official[c.code].district_code, official[c.code].province_code)
    ]
    assert not moved, f"communes in another district or province officially: {moved[:10]}"
    renamed = [c.code for c in communes if c.name.casefold() != official[c.code].name.casefold()]
    assert not renamed, f"communes named otherwise officially: {renamed[:10]}"
