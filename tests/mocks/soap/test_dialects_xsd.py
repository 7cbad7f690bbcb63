"""Every answer, in every dialect, is valid against contracts/xsd and has its dialect's shape."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import xmlschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from contracts.xsd import ENVELOPE_XSD
from mocks.population import Population
from mocks.soap import (
    SoapFault,
    dialect_for,
    render_fault,
    render_household,
    render_lookup,
    render_verify,
)
from tests.mocks.soap import HOUSEHOLD, LOOKUP, PATH, VERIFY, soap_request

DC = "{http://www.mic.gov.vn/dancu/1.0}"
NOW = "2021-06-23T10:00:00+07:00"
DIALECTS = ["qcvn", "live", "mixed"]


@pytest.fixture(scope="module")
def schema() -> Any:
    return xmlschema.XMLSchema(str(ENVELOPE_XSD))


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(page=st.integers(0, 10**6), dialect=st.sampled_from(DIALECTS))
def test_every_lookup_and_household_answer_is_valid(
    schema: Any, population: Population, page: int, dialect: str
) -> None:
    (citizen,) = population.sample(1, page=page)
    household = population.household(citizen.personal_id)
    chosen = dialect_for(dialect, citizen.personal_id)
    schema.validate(render_lookup(citizen, chosen, NOW).decode())
    schema.validate(render_household(household, chosen).decode())


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(render_lookup(None, "qcvn", NOW), id="lookup-not-found"),
        pytest.param(render_household(None, "live"), id="household-not-found"),
        pytest.param(render_verify(True), id="verify-true"),
        pytest.param(render_verify(False), id="verify-false"),
        pytest.param(render_fault(SoapFault(302, "SoDinhDanh <sai>")), id="fault"),
    ],
)
def test_fixed_answers_are_valid(schema: Any, body: bytes) -> None:
    schema.validate(body.decode())


def test_requests_of_the_wire_format_are_valid(schema: Any) -> None:
    """The XSD also describes requests: the test helper's requests conform."""
    schema.validate(soap_request(number="054092000123").decode())
    body = soap_request(VERIFY, number="221234567", full_name="NGUYỄN VĂN AN", birth="19921122")
    schema.validate(body.decode())


def test_qcvn_splits_the_name_and_uses_one_administrative_code(population: Population) -> None:
    (citizen,) = population.sample(1, year_only=False, page=5)
    record = _record(render_lookup(citizen, "qcvn", NOW))
    assert record.findtext(f"{DC}HoVaTen/{DC}Ho") == citizen.family_name
    assert record.findtext(f"{DC}HoVaTen/{DC}Ten") == citizen.given_name
    assert record.findtext(f"{DC}NgayThangNamSinh/{DC}NgayThangNam") == citizen.date_of_birth
    assert record.find(f"{DC}ThuongTru/{DC}MaDonViHanhChinh") is not None
    assert record.find(f"{DC}ThuongTru/{DC}MaTinhThanh") is None
    assert record.findtext(f"{DC}QuocTich") == "VN"


def test_live_puts_the_whole_upper_case_name_in_ten(population: Population) -> None:
    (citizen,) = population.sample(1, year_only=False, page=5)
    record = _record(render_lookup(citizen, "live", NOW))
    assert record.findtext(f"{DC}HoVaTen/{DC}Ho") == ""  # present but empty
    assert record.findtext(f"{DC}HoVaTen/{DC}Ten") == citizen.full_name.upper()
    born = citizen.birth_date
    assert record.findtext(f"{DC}NgayThangNamSinh/{DC}NgayThangNam") == born.strftime("%Y%m%d")
    assert record.findtext(f"{DC}NgayThangNamSinh/{DC}Nam") == str(born.year)
    assert (
        record.findtext(f"{DC}ThuongTru/{DC}MaPhuongXa") == citizen.permanent_address.commune_code
    )
    assert (
        record.findtext(f"{DC}ThuongTru/{DC}MaTinhThanh") == citizen.permanent_address.province_code
    )
    assert record.findtext(f"{DC}QuocTich") == ""


@pytest.mark.parametrize("dialect", ["qcvn", "live"])
def test_year_only_births_carry_only_nam(population: Population, dialect: str) -> None:
    (elder,) = population.sample(1, year_only=True)
    record = _record(render_lookup(elder, dialect, NOW))
    assert record.find(f"{DC}NgayThangNamSinh/{DC}NgayThangNam") is None
    assert record.findtext(f"{DC}NgayThangNamSinh/{DC}Nam") == elder.date_of_birth


def test_mixed_uses_both_dialects_and_always_the_same_for_one_citizen(
    population: Population,
) -> None:
    people = population.sample(40, page=11)
    chosen = {c.personal_id: dialect_for("mixed", c.personal_id) for c in people}
    assert set(chosen.values()) == {"qcvn", "live"}
    assert all(dialect_for("mixed", pid) == d for pid, d in chosen.items())


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_answers_served_over_http_are_valid_in_each_dialect(
    mock_client: httpx.AsyncClient,
    bearer: dict[str, str],
    population: Population,
    schema: Any,
    dialect: str,
) -> None:
    """The dialect can be switched at run time; every served answer stays valid."""
    assert (
        await mock_client.patch("/__admin/config", json={"dialect": dialect})
    ).status_code == 200
    for citizen in population.sample(4, page=21):
        for operation in (LOOKUP, HOUSEHOLD):
            body = soap_request(operation, number=citizen.personal_id)
            response = await mock_client.post(PATH, content=body, headers=bearer)
            assert response.status_code == 200
            schema.validate(response.text)


def _record(body: bytes) -> etree._Element:
    record = etree.fromstring(body).find(f".//{DC}CongDan")
    assert record is not None
    return record
