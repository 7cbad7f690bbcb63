"""The three operations over HTTP, and the faults a malformed request gets."""

from __future__ import annotations

import dataclasses

import httpx
import pytest
from lxml import etree

from mocks.population import Citizen, Population
from mocks.service import verify_matches
from mocks.soap import SoapRequest
from tests.mocks.soap import HOUSEHOLD, PATH, VERIFY, soap_request
from tests.names import without_one_diacritic

DC = "{http://www.mic.gov.vn/dancu/1.0}"


@pytest.fixture
def citizen(population: Population) -> Citizen:
    (someone,) = population.sample(1, with_cmnd=True, year_only=False, page=3)
    return someone


async def _post(client: httpx.AsyncClient, headers: dict[str, str], body: bytes) -> httpx.Response:
    return await client.post(PATH, content=body, headers={**headers, "Content-Type": "text/xml"})


def _collection(response: httpx.Response) -> etree._Element:
    root = etree.fromstring(response.content)
    found = root.find(f".//{DC}CongdanCollection")
    assert found is not None
    return found


@pytest.mark.parametrize(
    "by", [pytest.param("id", id="by-personal-id"), pytest.param("cmnd", id="by-cmnd")]
)
async def test_lookup_finds_the_citizen(
    mock_client: httpx.AsyncClient, bearer: dict[str, str], citizen: Citizen, by: str
) -> None:
    number = citizen.personal_id if by == "id" else citizen.cmnd
    assert number is not None
    response = await _post(mock_client, bearer, soap_request(number=number))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    collection = _collection(response)
    assert collection.get("SoCongDan") == "1"
    assert collection.findtext(f"{DC}CongDan/{DC}SoDinhDanh") == citizen.personal_id
    assert collection.findtext(f"{DC}CongDan/{DC}SoCMND") == citizen.cmnd


async def test_lookup_of_an_unknown_citizen_is_an_empty_collection(
    mock_client: httpx.AsyncClient, bearer: dict[str, str]
) -> None:
    response = await _post(mock_client, bearer, soap_request(number="096599999999"))
    assert response.status_code == 200
    collection = _collection(response)
    assert collection.get("SoCongDan") == "0"
    assert collection.find(f"{DC}CongDan") is None


def _verify_request(citizen: Citizen, **changes: str) -> bytes:
    fields = {
        "number": citizen.personal_id,
        "full_name": citizen.full_name.upper(),
        "birth": citizen.birth_date.strftime("%Y%m%d"),
        "sex": citizen.sex_code,
        **changes,
    }
    return soap_request(VERIFY, **fields)  # type: ignore[arg-type]  # the known fields only


@pytest.mark.parametrize(
    ("changes", "exists"),
    [
        pytest.param({}, True, id="all-agree-name-in-any-case"),
        pytest.param({"full_name": "Nguyễn Văn Không Có"}, False, id="other-name"),
        pytest.param({"birth": "19000101"}, False, id="other-birth-date"),
        pytest.param({"number": "096599999999"}, False, id="unknown-id"),
    ],
)
async def test_verify_answers_whether_the_details_agree(
    mock_client: httpx.AsyncClient,
    bearer: dict[str, str],
    citizen: Citizen,
    changes: dict[str, str],
    exists: bool,
) -> None:
    response = await _post(mock_client, bearer, _verify_request(citizen, **changes))
    assert response.status_code == 200
    root = etree.fromstring(response.content)
    assert root.findtext(f".//{DC}KetQuaXacThucResponse/{DC}TonTai") == str(exists).lower()


async def test_verify_compares_names_by_the_one_matcher(
    mock_client: httpx.AsyncClient, bearer: dict[str, str], population: Population
) -> None:
    """Case, spacing and apostrophes never decide; one diacritic does (docs/matching.md)."""
    (person,) = population.sample(1, year_only=False)
    spaced = "  " + "   ".join(person.full_name.lower().split()) + " "
    verdicts = []
    for name in (spaced, person.full_name.upper(), without_one_diacritic(person.full_name)):
        response = await _post(mock_client, bearer, _verify_request(person, full_name=name))
        verdicts.append(etree.fromstring(response.content).findtext(f".//{DC}TonTai"))
    assert verdicts == ["true", "true", "false"]


@pytest.mark.parametrize(
    ("typed", "exists"),
    [
        pytest.param("H' BLĂNG NIÊ", True, id="u0027-capitals"),
        pytest.param("Hʼ Blăng  Niê", True, id="u02bc-spaces"),
        pytest.param("H’ Blang Niê", False, id="diacritic-dropped"),
    ],
)
def test_verify_reads_apostrophe_variants_of_ethnic_minority_names(
    population: Population, typed: str, exists: bool
) -> None:
    """An Ê Đê name recorded with U+2019 is the same name with any apostrophe-like mark."""
    (sampled,) = population.sample(1, year_only=False)
    person = dataclasses.replace(sampled, family_name="H’", middle_name="Blăng", given_name="Niê")
    request = SoapRequest(
        VERIFY, "r1", "1.001612", "LGSP", "officer-17", None, person.personal_id, typed,
        person.birth_date, None, None,
    )  # fmt: skip
    assert verify_matches(person, request) is exists


async def test_verify_of_a_year_only_record_matches_on_the_year(
    mock_client: httpx.AsyncClient, bearer: dict[str, str], population: Population
) -> None:
    (elder,) = population.sample(1, year_only=True)
    body = soap_request(
        VERIFY, number=elder.personal_id, full_name=elder.full_name, year=str(elder.birth_date.year)
    )
    response = await _post(mock_client, bearer, body)
    assert "<TonTai>true</TonTai>" in response.text


async def test_household_lists_every_member_with_the_head_first(
    mock_client: httpx.AsyncClient, bearer: dict[str, str], citizen: Citizen, population: Population
) -> None:
    household = population.household(citizen.personal_id)
    assert household is not None
    response = await _post(mock_client, bearer, soap_request(HOUSEHOLD, number=citizen.personal_id))
    root = etree.fromstring(response.content).find(f".//{DC}HoGiaDinh")
    assert root is not None
    assert root.get("SoThanhVien") == str(len(household.members))
    assert root.findtext(f"{DC}SoSoHoKhau") == citizen.household_book_number
    ids = [m.findtext(f"{DC}SoDinhDanh") for m in root.iterfind(f"{DC}ThanhVien")]
    assert ids == [m.person.personal_id for m in household.members]
    assert root.findtext(f"{DC}ThanhVien/{DC}QuanHe") == "CH01"


async def test_household_of_an_unknown_citizen_has_no_members(
    mock_client: httpx.AsyncClient, bearer: dict[str, str]
) -> None:
    response = await _post(mock_client, bearer, soap_request(HOUSEHOLD, number="096599999999"))
    assert 'SoThanhVien="0"' in response.text


@pytest.mark.parametrize(
    ("body", "code", "fault_class"),
    [
        pytest.param(b"not xml at all", "302", "Client", id="not-xml"),
        pytest.param(b"<a/>", "302", "Client", id="not-an-envelope"),
        pytest.param(
            soap_request("XoaCongDan", number="001092000123"),
            "302",
            "Client",
            id="unknown-operation",
        ),
        pytest.param(soap_request(number="12345"), "302", "Client", id="id-wrong-length"),
        pytest.param(soap_request(number="05409200012A"), "302", "Client", id="id-not-digits"),
        pytest.param(soap_request(number="12345678X"), "302", "Client", id="cmnd-not-digits"),
        pytest.param(soap_request(), "200", "Client", id="no-number"),
        pytest.param(
            soap_request(number="001092000123", extra="<dan:SoCMND>123456789</dan:SoCMND>"),
            "302",
            "Client",
            id="both-numbers",
        ),
        pytest.param(
            soap_request(number="001092000123", header={"MaYeuCau": ""}),
            "200",
            "Client",
            id="missing-request-id",
        ),
        pytest.param(
            soap_request(number="001092000123", header={"MaDonVi": "H45"}),
            "106",
            "Client",
            id="bad-agency-code",
        ),
        pytest.param(
            soap_request(VERIFY, number="001092000123", full_name="A", birth="1992-11-22"),
            "302",
            "Client",
            id="iso-date-in-request",
        ),
        pytest.param(
            soap_request(VERIFY, number="001092000123", full_name="A", birth="19921332"),
            "302",
            "Client",
            id="impossible-date",
        ),
        pytest.param(
            soap_request(VERIFY, number="001092000123"),
            "200",
            "Client",
            id="verify-without-details",
        ),
        pytest.param(
            soap_request(number="001092000123", sex="7"), "302", "Client", id="bad-sex-code"
        ),
    ],
)
async def test_a_malformed_request_gets_a_soap_fault_with_the_documented_code(
    mock_client: httpx.AsyncClient,
    bearer: dict[str, str],
    body: bytes,
    code: str,
    fault_class: str,
) -> None:
    response = await _post(mock_client, bearer, body)
    assert response.status_code == 500
    root = etree.fromstring(response.content)
    assert root.findtext(".//faultcode") == f"soapenv:{fault_class}"
    assert root.findtext(".//{http://dancuquocgia.bca}MaLoi") == code


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(None, id="no-token"),
        pytest.param("Bearer 00000000-0000-0000-0000-000000000000", id="unknown-token"),
        pytest.param("Basic bGdzcC1kZXYta2V5Omxnc3AtZGV2LXNlY3JldA==", id="basic-not-bearer"),
    ],
)
async def test_without_a_valid_token_the_answer_is_401_in_wso2_shape(
    mock_client: httpx.AsyncClient, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = await _post(mock_client, headers, soap_request(number="001092000123"))
    assert response.status_code == 401
    assert response.json()["fault"]["code"] == 900901


async def test_an_entity_bomb_is_not_expanded(
    mock_client: httpx.AsyncClient, bearer: dict[str, str]
) -> None:
    """Requests are untrusted: entities are not resolved, the request is just malformed."""
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        + soap_request(number="001092000123").replace(b"req-1", b"&b;")
    )
    response = await _post(mock_client, bearer, bomb)
    assert response.status_code in (200, 500)
    assert b"aaaaaaaaaa" not in response.content
