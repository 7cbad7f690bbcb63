"""The one wire codec reads every shape in contracts/examples/ and refuses what must be refused.

Each golden answer is read as the adapter and the contract suite read it; a variant (bare,
another namespace, another prefix, unqualified) must give exactly the model its canonical
counterpart gives, and each answer marked ``readable: false`` must be refused.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from contracts import wire
from contracts.admin_eras import other_era_of
from contracts.models import Address, HouseholdHead, PersonRef, Sex

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


@pytest.mark.parametrize(
    "name",
    [
        e["file"]
        for e in CATALOGUE
        if e["file"].endswith(".xml")
        and e.get("http_status") in {200, 500}  # answers, not requests
        and e.get("readable", True)
        and e.get("valid_xml", True)
        and "same_as" not in e  # variants differ from the agreed form on purpose
    ],
)
def test_golden_answers_use_the_agreed_namespaces(name: str) -> None:
    """Every canonical example is well-formed SOAP 1.1 with data in the QCVN 109 namespace."""
    root = etree.fromstring((EXAMPLES / name).read_bytes())
    assert root.tag == f"{{{wire.SOAP_NS}}}Envelope"
    body = root.find(f"{{{wire.SOAP_NS}}}Body")
    assert body is not None
    payload = body[0]
    if payload.tag != f"{{{wire.SOAP_NS}}}Fault":
        assert payload.tag.startswith(f"{{{wire.DAN_NS}}}")
        assert payload[0].tag.startswith(f"{{{wire.DATA_NS}}}")


def test_live_dialect_is_read_into_the_canonical_citizen() -> None:
    """Whole upper-case name in Ten, yyyyMMdd + Nam, split address codes, empty QuocTich."""
    content = (EXAMPLES / "lookup-found-live.xml").read_bytes()
    citizen = wire.parse_lookup(content, "054092000123")
    assert citizen is not None
    assert citizen.personal_id == "054092000123"
    assert citizen.cmnd is None  # empty element
    assert (citizen.family_name, citizen.middle_name) == (None, None)
    assert citizen.given_name == citizen.full_name == "NGUYỄN VĂN AN"
    assert citizen.sex is Sex.MALE
    assert citizen.date_of_birth == "1992-11-22"
    assert citizen.nationality is None  # <QuocTich/>
    assert citizen.blood_group_code is None  # <NhomMau/>
    assert citizen.permanent_address == Address(
        province_code="54",
        province_name="Tỉnh Phú Yên",
        district_code="555",
        district_name="Thành phố Tuy Hoà",
        commune_code="22015",
        commune_name="Phường 1",
        detail="12 Trần Hưng Đạo",
        country="VN",
        era="2021",
        other_era=other_era_of("22015", "2021"),
    )
    other = citizen.permanent_address.other_era
    assert other is not None
    # 22015 with district 555 is old Phường 1 of Tuy Hoà, whose whole went to new 22015
    assert [(u.code, u.name, u.province_code) for u in other.units] == [
        ("22015", "Phường Tuy Hòa", "66")
    ]
    assert other.partial is False
    assert citizen.hometown == Address(province_code="54", country="VN")
    assert citizen.father == PersonRef(
        full_name="NGUYỄN VĂN BÌNH",
        personal_id="054062000456",
        cmnd="220123456",
        nationality="VN",
    )
    assert citizen.mother == PersonRef(full_name="LÊ THỊ CÚC")
    assert citizen.spouse is None  # every child empty
    assert citizen.household_head == HouseholdHead(
        relation_code="CH01", personal_id="054092000123", full_name="NGUYỄN VĂN AN"
    )
    assert citizen.household_book_number == "540123456"


def test_qcvn_dialect_is_read_into_the_canonical_citizen() -> None:
    """Split title-case name, yyyy-MM-dd, one MaDonViHanhChinh code resolved to its province."""
    citizen = wire.parse_lookup((EXAMPLES / "lookup-found-qcvn.xml").read_bytes(), QCVN_PERSON)
    assert citizen is not None
    assert (citizen.family_name, citizen.middle_name, citizen.given_name) == (
        "Trần",
        "Thị Bích",
        "Ngọc",
    )
    assert citizen.full_name == "Trần Thị Bích Ngọc"
    assert citizen.sex is Sex.FEMALE
    assert citizen.date_of_birth == "2001-03-15"
    assert citizen.nationality == "VN"
    assert citizen.ethnicity_code == "01"
    assert citizen.permanent_address is not None
    assert citizen.permanent_address.commune_code == "22018"
    assert citizen.permanent_address.district_code == "555"
    assert citizen.permanent_address.province_code == "54"
    assert citizen.permanent_address.detail == "45 Lê Lợi"
    assert citizen.current_address is None  # absent element
    assert citizen.father is None
    assert citizen.mother is not None
    assert citizen.mother.personal_id == "054175001234"


@pytest.mark.parametrize(
    ("answer", "exists"),
    [
        pytest.param("verify-true.xml", True, id="exists"),
        pytest.param("verify-false.xml", False, id="does-not-exist"),
        pytest.param("verify-true-bare-spring.xml", True, id="public-spring-ws-sample"),
    ],
)
def test_verify_reads_ton_tai(answer: str, exists: bool) -> None:
    assert wire.parse_verify((EXAMPLES / answer).read_bytes()) is exists


def test_household_lists_members_and_their_relation_to_the_head() -> None:
    content = (EXAMPLES / "household-found.xml").read_bytes()
    household = wire.parse_household(content, "054092000123")
    assert household is not None
    assert household.household_book_number == "540123456"
    assert household.head == HouseholdHead(
        relation_code="CH01", personal_id="054092000123", full_name="NGUYỄN VĂN AN"
    )
    assert [(m.relation_code, m.full_name) for m in household.members] == [
        ("CH01", "NGUYỄN VĂN AN"),
        ("CH02", "TRẦN THỊ MAI"),
        ("CH04", "NGUYỄN VĂN BÌNH"),
    ]
    assert [m.date_of_birth for m in household.members] == ["1992-11-22", "1994-05-08", "1962"]
    assert household.members[1].sex is Sex.FEMALE
    assert household.members[2].personal_id is None


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


# The request of lookup-request.xml; other requests are this one with fields replaced.
LOOKUP_REQUEST = wire.SoapRequest(
    operation=wire.Operation.LOOKUP,
    request_id="req-0001",
    purpose_code="1.001612",
    integration_code="LGSP-PY",
    officer_id="officer-17",
    agency_code="000.00.00.H45",
    number="054092000123",
)


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
    written = wire.build_request(LOOKUP_REQUEST, suffix)
    assert _canonical(written) == _canonical((EXAMPLES / golden).read_bytes())


def test_a_verify_request_writes_name_year_and_sex() -> None:
    request = replace(
        LOOKUP_REQUEST,
        operation=wire.Operation.VERIFY,
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
