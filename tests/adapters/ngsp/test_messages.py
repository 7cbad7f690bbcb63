"""The adapter reads every dialect of the national answers and maps every failure (issue 2).

Each test scripts the national side with a golden message from contracts/examples/ and checks
what the gateway gets back: canonical models, None for "not found", or the right adapter error.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from lxml import etree

from adapters.ngsp import (
    CallContext,
    NgspClient,
    UpstreamFault,
    UpstreamProtocolError,
    UpstreamRejected,
    soap,
)
from contracts.admin_eras import other_era_of
from contracts.models import Address, HouseholdHead, PersonRef, Sex


def _canonical(xml: bytes) -> bytes:
    parser = etree.XMLParser(remove_blank_text=True, remove_comments=True)
    return etree.tostring(etree.fromstring(xml, parser), method="c14n")


async def test_first_call_fetches_a_token_and_sends_it_as_bearer(upstream, client, ctx):
    """The token comes from the client-credentials grant and rides on the SOAP request."""
    token = upstream.token()
    upstream.answer("lookup-not-found.xml")

    await client.lookup_citizen("054092000123", ctx)

    (grant,) = upstream.token_requests()
    assert grant.headers["Authorization"].startswith("Basic ")
    assert grant.content == b"grant_type=client_credentials"
    (request,) = upstream.soap_requests()
    assert request.headers["Authorization"] == f"Bearer {token}"
    assert request.headers["SOAPAction"] == '"TraCuuThongTinCongDan"'
    assert request.headers["Content-Type"] == "text/xml; charset=utf-8"


async def test_lookup_request_matches_the_golden_request(upstream, client, ctx, golden):
    """Field order and namespaces are those of real clients (contracts/examples)."""
    upstream.token()
    upstream.answer("lookup-not-found.xml")

    await client.lookup_citizen("054092000123", ctx)

    (request,) = upstream.soap_requests()
    assert _canonical(request.content) == _canonical(golden("lookup-request.xml"))


async def test_verify_request_matches_the_golden_request(upstream, client, make_ctx, golden):
    """A 9-digit number goes in SoCMND; a year-only birth date goes in Nam."""
    upstream.token()
    upstream.answer("verify-true.xml")
    ctx = make_ctx("req-0002")
    ctx.agency_code = None

    await client.verify_citizen("221234567", ctx, full_name="NGUYỄN VĂN AN", birth_year=1992, sex=1)

    (request,) = upstream.soap_requests()
    assert _canonical(request.content) == _canonical(golden("verify-request.xml"))


async def test_live_dialect_is_read_into_the_canonical_citizen(upstream, client, ctx):
    """Whole upper-case name in Ten, yyyyMMdd + Nam, split address codes, empty QuocTich."""
    upstream.token()
    upstream.answer("lookup-found-live.xml")

    citizen = await client.lookup_citizen("054092000123", ctx)

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
    assert [(u.code, u.name, u.province_code) for u in other.units] == [
        ("22015", "Phường Tuy Hòa", "66")
    ]
    assert other.partial is False  # old Phường 1 went wholly into new Phường Tuy Hòa
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


async def test_qcvn_dialect_is_read_into_the_canonical_citizen(upstream, client, ctx):
    """Split title-case name, yyyy-MM-dd, one MaDonViHanhChinh code resolved to its province."""
    upstream.token()
    upstream.answer("lookup-found-qcvn.xml")

    citizen = await client.lookup_citizen("054301004567", ctx)

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


async def test_empty_collection_means_not_found(upstream, client, ctx):
    """SoCongDan="0" with no CongDan is an answer, not an error."""
    upstream.token()
    upstream.answer("lookup-not-found.xml")

    assert await client.lookup_citizen("054092999999", ctx) is None
    assert ctx.attempts == 1


async def test_malformed_xml_is_a_protocol_error(upstream, client, ctx):
    upstream.token()
    upstream.answer("lookup-malformed.xml")

    with pytest.raises(UpstreamProtocolError) as caught:
        await client.lookup_citizen("054092000123", ctx)

    assert caught.value.layer == "population-db"
    assert "NGUYỄN" not in caught.value.reason  # the reason never carries the upstream body


@pytest.mark.parametrize(
    ("answer", "operation"),
    [
        pytest.param("verify-true.xml", "lookup", id="verify-answer-to-a-lookup"),
        pytest.param("lookup-found-live.xml", "household", id="lookup-answer-to-household"),
    ],
)
async def test_an_answer_to_another_operation_is_a_protocol_error(
    upstream, client, ctx, answer, operation
):
    upstream.token()
    upstream.answer(answer)
    call = client.lookup_citizen if operation == "lookup" else client.household

    with pytest.raises(UpstreamProtocolError):
        await call("054092000123", ctx)


async def test_plain_http_500_is_rejected_without_passing_the_body_on(upstream, client, ctx):
    """A 500 with no SOAP Fault is a definite failure; its body stays in the adapter."""
    upstream.token()
    upstream.mock.add_response(status_code=500, text="<html>Internal stack trace</html>")

    with pytest.raises(UpstreamRejected) as caught:
        await client.lookup_citizen("054092000123", ctx)

    assert caught.value.status == 500
    assert "stack trace" not in str(caught.value)
    assert ctx.attempts == 1


@pytest.mark.parametrize(
    ("http_status", "code"),
    [
        pytest.param(400, "upstream_rejected", id="400"),
        pytest.param(403, "upstream_rejected", id="403"),
        pytest.param(404, "upstream_rejected", id="404"),
        pytest.param(501, "upstream_rejected", id="501"),
    ],
)
async def test_other_statuses_are_rejections(upstream, client, ctx, http_status, code):
    upstream.token()
    upstream.status(http_status)

    with pytest.raises(UpstreamRejected) as caught:
        await client.lookup_citizen("054092000123", ctx)

    assert (caught.value.code, caught.value.status) == (code, http_status)


async def test_client_fault_names_the_population_db_error(upstream, client, ctx):
    """soapenv:Client: our request was wrong; the MaLoi code is kept, the free text is not used."""
    upstream.token()
    upstream.answer("fault-client.xml", status=500)

    with pytest.raises(UpstreamFault) as caught:
        await client.lookup_citizen("054092000123", ctx)

    fault = caught.value
    assert (fault.fault_class, fault.fault_code, fault.fault_string) == (
        "Client",
        "302",
        "DATA_TYPE_INVALID",
    )
    assert (fault.layer, fault.retryable) == ("population-db", False)
    assert ctx.attempts == 1


async def test_server_fault_is_transient(upstream, make_client, ctx):
    """soapenv:Server: the national side failed; marked retryable."""
    client = make_client(max_attempts=1)
    upstream.token()
    upstream.answer("fault-server.xml", status=500)

    with pytest.raises(UpstreamFault) as caught:
        await client.lookup_citizen("054092000123", ctx)

    assert (caught.value.fault_class, caught.value.fault_code) == ("Server", "500")
    assert caught.value.retryable is True


@pytest.mark.parametrize(
    ("answer", "exists"),
    [
        pytest.param("verify-true.xml", True, id="exists"),
        pytest.param("verify-false.xml", False, id="does-not-exist"),
    ],
)
async def test_verify_reads_ton_tai(upstream, client, ctx, answer, exists):
    upstream.token()
    upstream.answer(answer)

    result = await client.verify_citizen(
        "054092000123", ctx, full_name="NGUYỄN VĂN AN", birth_date=date(1992, 11, 22)
    )

    assert result is exists


async def test_verify_sends_the_full_birth_date_as_yyyymmdd(upstream, client, ctx):
    upstream.token()
    upstream.answer("verify-true.xml")

    await client.verify_citizen("054092000123", ctx, birth_date=date(1992, 11, 22))

    (request,) = upstream.soap_requests()
    assert b"<dan:NgayThangNam>19921122</dan:NgayThangNam>" in request.content


async def test_household_lists_members_and_their_relation_to_the_head(upstream, client, ctx):
    upstream.token()
    upstream.answer("household-found.xml")

    household = await client.household("054092000123", ctx)

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


async def test_household_without_members_means_not_found(upstream, client, ctx):
    upstream.token()
    upstream.answer("household-not-found.xml")

    assert await client.household("054092000123", ctx) is None


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("lookup-found-live.xml", id="lookup-live"),
        pytest.param("lookup-found-qcvn.xml", id="lookup-qcvn"),
        pytest.param("lookup-not-found.xml", id="lookup-not-found"),
        pytest.param("household-found.xml", id="household"),
        pytest.param("fault-client.xml", id="fault-client"),
        pytest.param("fault-server.xml", id="fault-server"),
    ],
)
def test_golden_answers_use_the_agreed_namespaces(golden: Callable[[str], bytes], name: str):
    """The examples are well-formed SOAP 1.1 with data in the QCVN 109 namespace."""
    root = etree.fromstring(golden(name))
    assert root.tag == f"{{{soap.SOAP_NS}}}Envelope"
    body = root.find(f"{{{soap.SOAP_NS}}}Body")
    assert body is not None
    payload = body[0]
    if payload.tag != f"{{{soap.SOAP_NS}}}Fault":
        assert payload.tag.startswith(f"{{{soap.DAN_NS}}}")
        assert payload[0].tag.startswith(f"{{{soap.DATA_NS}}}")


def test_ctx_type_is_what_the_gateway_builds():
    """CallContext keeps the fields the gateway fills in and reads back."""
    ctx = CallContext(request_id="r", purpose_code="p", officer_id="o")
    assert (ctx.agency_code, ctx.traceparent, ctx.attempts, ctx.upstream_ms) == (None, None, 0, 0)
    assert isinstance(NgspClient, type)


@pytest.mark.parametrize(
    ("variant", "canonical"),
    [
        pytest.param("lookup-found-bare-spring.xml", "lookup-found-live.xml", id="bare"),
        pytest.param("lookup-not-found-bare.xml", "lookup-not-found.xml", id="bare-not-found"),
        pytest.param("household-found-bare.xml", "household-found.xml", id="household-bare"),
    ],
)
async def test_bare_answers_read_like_wrapped_ones(upstream, client, ctx, variant, canonical):
    """Issue 17: a Spring-WS NGSP answers without the <Op>Response wrapper; nothing changes."""
    call = client.household if variant.startswith("household") else client.lookup_citizen
    upstream.token()
    upstream.answer(variant)
    upstream.answer(canonical)

    assert await call("054092000123", ctx) == await call("054092000123", ctx)


async def test_the_public_bare_verify_sample_is_true(upstream, client, ctx):
    upstream.token()
    upstream.answer("verify-true-bare-spring.xml")

    assert await client.verify_citizen("054092000123", ctx, full_name="A", birth_year=1992)


@pytest.mark.parametrize(
    "answer",
    ["lookup-wrong-person.xml", "lookup-unknown-root.xml", "lookup-impossible-date.xml"],
)
async def test_answers_that_must_be_refused_are_protocol_errors(upstream, client, ctx, answer):
    """Another citizen's record, an unknown body element, an impossible date: never served."""
    upstream.token()
    upstream.answer(answer)

    with pytest.raises(UpstreamProtocolError) as caught:
        await client.lookup_citizen("054092000123", ctx)

    assert "054092000" not in caught.value.reason  # no number in the reason


async def test_request_suffix_setting_names_the_operation_element(
    upstream, make_client, ctx, golden
):
    upstream.token()
    upstream.answer("lookup-not-found.xml")

    await make_client(request_suffix="Request").lookup_citizen("054092000123", ctx)

    (request,) = upstream.soap_requests()
    assert _canonical(request.content) == _canonical(golden("lookup-request-suffixed.xml"))
