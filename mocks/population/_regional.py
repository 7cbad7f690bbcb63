"""Where the national averages do not hold: provinces with their own ethnic and religious mix.

Shares are rounded from the 2019 census tables by province (GSO): the largest groups of the
provinces where ethnic minorities or a religion are concentrated. Provinces not listed draw from
the national tables with the Kinh share raised, so the country as a whole stays close to the
national shares.
"""

from __future__ import annotations

from functools import cache

from mocks.population._reference import ETHNIC_TABLE, RELIGION_TABLE, Weighted

__all__ = ["ethnic_mix", "religion_mix"]

# province -> [(ethnic code, share)]; the remainder is Kinh.
_ETHNIC: dict[int, list[tuple[str, float]]] = {
    2: [("08", 0.33), ("02", 0.24), ("09", 0.15), ("07", 0.10)],
    4: [("02", 0.41), ("07", 0.31), ("08", 0.11), ("09", 0.10)],
    6: [("02", 0.53), ("09", 0.17), ("07", 0.10), ("08", 0.06)],
    8: [("02", 0.26), ("09", 0.12), ("13", 0.08), ("08", 0.03)],
    10: [("08", 0.25), ("02", 0.15), ("09", 0.14), ("26", 0.05)],
    11: [("03", 0.38), ("08", 0.35), ("23", 0.03)],
    12: [("08", 0.40), ("03", 0.33), ("09", 0.13), ("33", 0.04)],
    14: [("03", 0.54), ("08", 0.16), ("04", 0.08), ("23", 0.02)],
    15: [("02", 0.20), ("09", 0.11), ("08", 0.11), ("03", 0.06)],
    17: [("04", 0.64), ("03", 0.04), ("02", 0.03), ("09", 0.02)],
    20: [("07", 0.42), ("02", 0.35), ("09", 0.04)],
    62: [("16", 0.24), ("12", 0.12), ("29", 0.06), ("18", 0.04)],
    64: [("10", 0.30), ("12", 0.13), ("02", 0.01)],
    66: [("11", 0.19), ("07", 0.04), ("02", 0.03), ("20", 0.03)],
    67: [("20", 0.09), ("07", 0.07), ("02", 0.06), ("08", 0.05)],
    68: [("15", 0.12), ("28", 0.03), ("34", 0.02), ("02", 0.02), ("07", 0.02)],
    58: [("14", 0.12), ("19", 0.11)],
    84: [("05", 0.32)],
    94: [("05", 0.30), ("06", 0.05)],
    91: [("05", 0.12), ("06", 0.02)],
    95: [("05", 0.08), ("06", 0.03)],
    79: [("06", 0.045), ("05", 0.005)],
}
_NATIONAL_KINH_SHARE = 0.955  # for unlisted provinces, so that the country comes out near 85 %

# province -> [(religion code, share)]; the remainder has no religion (00).
_RELIGION: dict[int, list[tuple[str, float]]] = {
    36: [("01", 0.27), ("02", 0.02)],
    37: [("01", 0.15), ("02", 0.02)],
    75: [("01", 0.30), ("02", 0.08), ("03", 0.02)],
    89: [("05", 0.40), ("02", 0.05), ("06", 0.01)],
    72: [("04", 0.30), ("02", 0.05), ("01", 0.02)],
    94: [("02", 0.30), ("05", 0.02)],
    84: [("02", 0.30), ("01", 0.01)],
    79: [("02", 0.11), ("01", 0.08), ("03", 0.01), ("04", 0.005)],
    66: [("03", 0.12), ("01", 0.10), ("02", 0.06)],
    64: [("03", 0.14), ("01", 0.10), ("02", 0.05)],
    68: [("01", 0.20), ("03", 0.08), ("02", 0.06)],
    58: [("06", 0.04), ("02", 0.03), ("07", 0.03)],
}

_MINORITY_NATIONAL = [(code, share) for code, _, share in ETHNIC_TABLE if code != "01"]


def _with_remainder(listed: list[tuple[str, float]], remainder_code: str) -> Weighted:
    rest = max(0.0, 1.0 - sum(share for _, share in listed))
    return Weighted([(remainder_code, rest), *listed])


@cache
def ethnic_mix(province: int) -> Weighted:
    listed = _ETHNIC.get(province)
    if listed is not None:
        return _with_remainder(listed, "01")
    total = sum(share for _, share in _MINORITY_NATIONAL)
    minority = 1.0 - _NATIONAL_KINH_SHARE
    return _with_remainder([(c, s / total * minority) for c, s in _MINORITY_NATIONAL], "01")


@cache
def religion_mix(province: int) -> Weighted:
    listed = _RELIGION.get(province)
    if listed is not None:
        return _with_remainder(listed, "00")
    return Weighted([(code, share) for code, _, share in RELIGION_TABLE])
