"""The three answers, read into canonical models by the one codec the adapter and suite share.

A look-up or household answer about another citizen than the one asked for is refused: handing
person B's record to a request about person A is the one content error that must never pass.
"""

from __future__ import annotations

from lxml import etree

from contracts.models import Citizen, Household
from contracts.wire import _records as records
from contracts.wire._envelope import read_payload
from contracts.wire._errors import WireRecordError
from contracts.wire._names import Operation

__all__ = ["parse_household", "parse_lookup", "parse_verify"]

_BOOLEAN = {"true": True, "1": True, "false": False, "0": False}


def parse_lookup(content: bytes, number: str | None = None) -> Citizen | None:
    """The ``CongDan`` of a ``CongdanCollection``; None when the collection is empty.

    With ``number`` (the SoDinhDanh or SoCMND asked for) the record must carry it.
    """
    collection = read_payload(content, Operation.LOOKUP)
    found = [records.citizen(record) for record in records.all_named(collection, "CongDan")]
    if number is not None:
        found = [c for c in found if number in (c.personal_id, c.cmnd)] or _not_asked_for(found)
    if len(found) > 1:
        # Picking one would hand a portal someone's record by the order of the XML.
        raise WireRecordError(f"the answer holds {len(found)} CongDan for one number")
    return found[0] if found else None


def _not_asked_for(found: list[Citizen]) -> list[Citizen]:
    if found:
        raise WireRecordError("the CongDan in the answer is not the citizen asked for")
    return found


def parse_verify(content: bytes) -> bool:
    """``TonTai`` of a ``KetQuaXacThucResponse``: whether the details match a citizen."""
    result = read_payload(content, Operation.VERIFY)
    text = (records.text(records.fields(result), "TonTai") or "").lower()
    if text not in _BOOLEAN:
        raise WireRecordError(f"TonTai must be a boolean, got {text[:10]!r}")
    return _BOOLEAN[text]


def parse_household(content: bytes, number: str | None = None) -> Household | None:
    """The ``HoGiaDinh``; None when it has no members. With ``number``, one must be that citizen."""
    household = read_payload(content, Operation.HOUSEHOLD)
    members = tuple(records.member(m) for m in records.children(household, "ThanhVien"))
    if not members:
        return None
    if number is not None and not any(number in (m.personal_id, m.cmnd) for m in members):
        raise WireRecordError("the HoGiaDinh in the answer does not hold the citizen asked for")
    found = records.fields(household)
    head: etree._Element | None = found.get("ChuHo")
    return Household(
        household_book_number=records.text(found, "SoSoHoKhau"),
        head=None if head is None else records.head(head),
        members=members,
    )
