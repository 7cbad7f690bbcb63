"""The adapter reads every dialect of the national answers and maps every failure (issue 2).

Each test scripts the national side with a golden message from contracts/examples/ and checks
what the gateway gets back: canonical models, None for "not found", or the right adapter error.
"""

from __future__ import annotations

from datetime import date

import pytest
from lxml import etree

from adapters.ngsp import (
    CallContext,
    UpstreamFault,
    UpstreamProtocolError,
    UpstreamRejected,
)
from contracts import wire


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


@pytest.mark.parametrize(
    ("answer", "operation", "number"),
    [
        pytest.param("lookup-found-live.xml", "lookup", "054092000123", id="lookup-live"),
        pytest.param("lookup-found-qcvn.xml", "lookup", "054301004567", id="lookup-qcvn"),
        pytest.param("lookup-found-bare-spring.xml", "lookup", "054092000123", id="lookup-bare"),
        pytest.param("household-found.xml", "household", "054092000123", id="household"),
        pytest.param("verify-true.xml", "verify", "054092000123", id="verify-true"),
        pytest.param("verify-false.xml", "verify", "054092000123", id="verify-false"),
    ],
)
async def test_answers_are_handed_back_as_the_codec_reads_them(
    upstream, client, ctx, golden, *, answer, operation, number
):
    """Reading is the codec's (tested in tests/contracts/wire); the adapter adds nothing to it."""
    upstream.token()
    upstream.answer(answer)
    content = golden(answer)
    got: object
    read: object
    if operation == "lookup":
        got, read = await client.lookup_citizen(number, ctx), wire.parse_lookup(content, number)
    elif operation == "household":
        got, read = await client.household(number, ctx), wire.parse_household(content, number)
    else:
        got = await client.verify_citizen(number, ctx, full_name="NGUYỄN VĂN AN", birth_year=1992)
        read = wire.parse_verify(content)

    assert got == read
    assert got is not None  # a found citizen or household, or a verdict: not "not found"


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


async def test_verify_sends_the_full_birth_date_as_yyyymmdd(upstream, client, ctx):
    upstream.token()
    upstream.answer("verify-true.xml")

    await client.verify_citizen("054092000123", ctx, birth_date=date(1992, 11, 22))

    (request,) = upstream.soap_requests()
    assert b"<dan:NgayThangNam>19921122</dan:NgayThangNam>" in request.content


async def test_household_without_members_means_not_found(upstream, client, ctx):
    upstream.token()
    upstream.answer("household-not-found.xml")

    assert await client.household("054092000123", ctx) is None


def test_call_context_defaults_are_what_the_gateway_reads_back() -> None:
    """CallContext keeps the fields the gateway fills in and reads back."""
    ctx = CallContext(request_id="r", purpose_code="p", officer_id="o")
    assert (ctx.agency_code, ctx.traceparent, ctx.attempts, ctx.upstream_ms) == (None, None, 0, 0)


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
