"""The one wire codec reads every shape in contracts/examples/ and refuses what must be refused.

Each golden answer is read as the adapter and the contract suite read it; a variant (bare,
another namespace, another prefix, unqualified) must give exactly the model its canonical
counterpart gives, and each answer marked ``readable: false`` must be refused.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from contracts import wire

EXAMPLES = Path(__file__).resolve().parents[3] / "contracts" / "examples"
CATALOGUE: list[dict[str, Any]] = json.loads((EXAMPLES / "catalogue.json").read_text("utf-8"))[
    "examples"
]
# The number each golden answer was asked about (lookup-request.xml / household-request.xml).
ASKED = {
    "TraCuuThongTinCongDan": "054092000123",
    "CungCapThongTinHoGiaDinh": "054092000123",
}
QCVN_PERSON = "054301004567"  # the citizen of lookup-found-qcvn.xml


def _answers(*, readable: bool) -> list[Any]:
    return [
        pytest.param(e, id=e["file"])
        for e in CATALOGUE
        if e["file"].endswith(".xml")
        and e.get("http_status") == 200
        and e.get("readable", True) is readable
        and e.get("valid_xml", True)
    ]


def _asked(entry: dict[str, Any]) -> str | None:
    if "qcvn" in entry["file"] or "qcvn" in entry.get("same_as", ""):
        return QCVN_PERSON
    return ASKED.get(entry["exchange"])


def _read(entry: dict[str, Any], file: str | None = None) -> object:
    content = (EXAMPLES / (file or entry["file"])).read_bytes()
    operation = entry["exchange"]
    if operation == wire.Operation.LOOKUP:
        return wire.parse_lookup(content, _asked(entry))
    if operation == wire.Operation.HOUSEHOLD:
        return wire.parse_household(content, _asked(entry))
    return wire.parse_verify(content)


@pytest.mark.parametrize("entry", _answers(readable=True))
def test_every_readable_answer_reads_like_its_canonical_form(entry: dict[str, Any]) -> None:
    """Bare or wrapped, any namespace or prefix: the same model as the canonical answer."""
    result = _read(entry)
    if "same_as" in entry:
        assert result == _read(entry, entry["same_as"])
    else:
        assert result is not None or "not-found" in entry["file"]


@pytest.mark.parametrize("entry", _answers(readable=False))
def test_answers_marked_unreadable_are_refused(entry: dict[str, Any]) -> None:
    with pytest.raises(wire.WireError):
        _read(entry)


def test_the_variants_are_really_different_documents() -> None:
    """A same_as pair that were one document would prove nothing."""
    for entry in CATALOGUE:
        if "same_as" in entry:
            variant = (EXAMPLES / entry["file"]).read_bytes()
            assert variant != (EXAMPLES / entry["same_as"]).read_bytes()


def test_the_public_spring_ws_sample_reads_true() -> None:
    assert wire.parse_verify((EXAMPLES / "verify-true-bare-spring.xml").read_bytes()) is True


def test_not_xml_is_refused() -> None:
    with pytest.raises(wire.WireError, match="not well-formed XML"):
        wire.parse_lookup((EXAMPLES / "lookup-malformed.xml").read_bytes())


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        pytest.param(b"<a/>", "not a SOAP 1.1 envelope", id="not-an-envelope"),
        pytest.param(
            f'<e:Envelope xmlns:e="{wire.SOAP_NS}"><e:Body/></e:Envelope>'.encode(),
            "body is empty",
            id="empty-body",
        ),
        pytest.param(
            f'<e:Envelope xmlns:e="{wire.SOAP_NS}"><e:Body>'
            f'<x:CongdanCollection xmlns:x="urn:other"/></e:Body></e:Envelope>'.encode(),
            "expected TraCuuThongTinCongDanResponse or CongdanCollection",
            id="foreign-namespace",
        ),
        pytest.param(
            f'<e:Envelope xmlns:e="{wire.SOAP_NS}"><e:Body><d:TraCuuThongTinCongDanResponse '
            f'xmlns:d="{wire.DAN_NS}"><d:HoGiaDinh/></d:TraCuuThongTinCongDanResponse>'
            f"</e:Body></e:Envelope>".encode(),
            "expected CongdanCollection in",
            id="another-operations-result",
        ),
    ],
)
def test_shapes_that_are_not_a_look_up_answer_are_refused(document: bytes, reason: str) -> None:
    with pytest.raises(wire.WireError, match=reason):
        wire.parse_lookup(document)


def test_a_record_carrying_the_cmnd_asked_for_is_accepted() -> None:
    """Asked by the 9-digit card number, the record must carry it in SoCMND."""
    content = (EXAMPLES / "lookup-found-qcvn.xml").read_bytes()
    citizen = wire.parse_lookup(content, "221987654")
    assert citizen is not None
    assert citizen.cmnd == "221987654"
    with pytest.raises(wire.WireError, match="not the citizen asked for"):
        wire.parse_lookup(content, "221987655")


def test_a_household_without_the_citizen_asked_for_is_refused() -> None:
    content = (EXAMPLES / "household-found-bare.xml").read_bytes()
    with pytest.raises(wire.WireError, match="does not hold the citizen"):
        wire.parse_household(content, "054092000999")


def test_a_fault_is_read_whatever_the_shape_around_it() -> None:
    with pytest.raises(wire.WireFault) as caught:
        wire.parse_lookup((EXAMPLES / "fault-client.xml").read_bytes())
    assert (caught.value.fault_class, caught.value.code) == ("Client", "302")


def _canonical(xml: bytes) -> bytes:
    parser = etree.XMLParser(remove_blank_text=True, remove_comments=True)
    return etree.tostring(etree.fromstring(xml, parser), method="c14n")


@pytest.mark.parametrize(
    ("suffix", "golden"),
    [
        pytest.param("", "lookup-request.xml", id="plain"),
        pytest.param("Request", "lookup-request-suffixed.xml", id="request-suffix"),
    ],
)
def test_requests_are_written_exactly_as_the_golden_ones(
    suffix: wire.RequestSuffix, golden: str
) -> None:
    request = wire.SoapRequest(
        operation=wire.Operation.LOOKUP,
        request_id="req-0001",
        purpose_code="1.001612",
        integration_code="LGSP-PY",
        officer_id="officer-17",
        agency_code="000.00.00.H45",
        number="054092000123",
    )
    written = wire.build_request(request, suffix)
    assert _canonical(written) == _canonical((EXAMPLES / golden).read_bytes())


def test_a_verify_request_writes_name_year_and_sex() -> None:
    request = wire.SoapRequest(
        operation=wire.Operation.VERIFY,
        request_id="r",
        purpose_code="p",
        integration_code="i",
        officer_id="o",
        number="221234567",
        full_name="AN",
        birth_date=date(1992, 11, 22),
        sex=1,
    )
    root = etree.fromstring(wire.build_request(request))
    texts = {etree.QName(e).localname: e.text for e in root.iter() if len(e) == 0}
    assert texts["SoCMND"] == "221234567"
    assert texts["NgayThangNam"] == "19921122"
    assert texts["GioiTinh"] == "1"


def test_a_2025_era_address_gets_names_and_both_eras_codes() -> None:
    """Province of 34 + ward, no district: read as 2025, named, with every old ward merged in."""
    content = (EXAMPLES / "lookup-found-2025.xml").read_bytes()
    citizen = wire.parse_lookup(content, "054092000123")
    assert citizen is not None
    address = citizen.permanent_address
    assert address is not None
    assert address.era == "2025"
    assert (address.province_code, address.province_name) == ("66", "Tỉnh Đắk Lắk")
    assert (address.commune_code, address.commune_name) == ("22015", "Phường Tuy Hòa")
    assert address.district_code is None
    assert address.other_era is not None
    assert address.other_era.era == "2021"
    assert [u.code for u in address.other_era.units] == [
        "22015", "22018", "22024", "22030", "22033", "22036", "22312", "22315",
    ]  # fmt: skip
    assert address.other_era.partial is True  # Phường 9 and two communes only partly
    assert citizen.personal_id is not None
    assert citizen.personal_id.startswith("054")  # ids keep the old birth-province digits


def test_the_same_code_in_a_2021_address_is_another_place() -> None:
    """22015 with district 555 is old Phường 1 of Tuy Hoà, whose whole went to new 22015."""
    citizen = wire.parse_lookup((EXAMPLES / "lookup-found-live.xml").read_bytes())
    assert citizen is not None
    address = citizen.permanent_address
    assert address is not None
    assert (address.era, address.commune_name, address.district_code) == ("2021", "Phường 1", "555")
    assert address.other_era is not None
    assert [u.code for u in address.other_era.units] == ["22015"]


def _with_records(*changes: tuple[str, str]) -> bytes:
    """lookup-found-qcvn.xml with its CongDan repeated, each copy's text edited by ``changes``."""
    document = etree.fromstring((EXAMPLES / "lookup-found-qcvn.xml").read_bytes())
    (record,) = [e for e in document.iter() if etree.QName(e).localname == "CongDan"]
    parent = record.getparent()
    assert parent is not None
    for old, new in changes:
        copy = etree.fromstring(etree.tostring(record).replace(old.encode(), new.encode()))
        parent.insert(parent.index(record), copy)  # before the original: order must not matter
    return bytes(etree.tostring(document))


def test_another_citizen_listed_first_does_not_displace_the_one_asked_for() -> None:
    content = _with_records((QCVN_PERSON, "054301009999"))
    citizen = wire.parse_lookup(content, QCVN_PERSON)
    assert citizen is not None
    assert citizen.personal_id == QCVN_PERSON


def test_two_records_for_the_number_asked_are_refused_as_ambiguous() -> None:
    """Picking one would hand a portal someone's record by the order of the XML."""
    content = _with_records(("221987654", "221987655"))  # same id, another CMND
    with pytest.raises(wire.WireRecordError, match="2 CongDan for one number"):
        wire.parse_lookup(content, QCVN_PERSON)


@pytest.mark.parametrize(
    ("written", "read"),
    [
        pytest.param("19920000", "1992", id="day-and-month-unknown"),
        pytest.param("19920500", "1992", id="day-unknown"),
        pytest.param("1992-00-00", "1992", id="qcvn-form-unknown"),
    ],
)
def test_an_unknown_day_or_month_reads_as_the_year(written: str, read: str) -> None:
    content = (EXAMPLES / "lookup-found-qcvn.xml").read_bytes()
    original = re.search(rb"<(?:\w+:)?NgayThangNam>([^<]+)<", content)
    assert original is not None
    citizen = wire.parse_lookup(content.replace(original.group(1), written.encode()), QCVN_PERSON)
    assert citizen is not None
    assert citizen.date_of_birth == read


def test_a_record_level_error_is_a_wire_error_of_its_own_kind() -> None:
    """The adapter tells one bad record (no breaker) from a broken service (breaker)."""
    content = (EXAMPLES / "lookup-found-qcvn.xml").read_bytes()
    with pytest.raises(wire.WireRecordError):
        wire.parse_lookup(content, "221987655")
    with pytest.raises(wire.WireError) as not_xml:
        wire.parse_lookup(b"<<<", QCVN_PERSON)
    assert not isinstance(not_xml.value, wire.WireRecordError)
