"""The mock answers in both envelope styles, and the shared codec reads both the same way."""

from __future__ import annotations

import httpx
import pytest
from lxml import etree

from contracts import wire
from contracts.suite.ngsp._soap import xsd_errors
from mocks.population import Citizen, Population
from tests.mocks.soap import HOUSEHOLD, LOOKUP, PATH, VERIFY, soap_request


@pytest.fixture
def citizen(population: Population) -> Citizen:
    (someone,) = population.sample(1, with_cmnd=True, year_only=False, page=5)
    return someone


async def _answers(client: httpx.AsyncClient, headers: dict[str, str], citizen: Citizen) -> dict:
    born = f"{citizen.birth_date:%Y%m%d}"
    bodies = {
        LOOKUP: soap_request(number=citizen.personal_id),
        VERIFY: soap_request(
            VERIFY, number=citizen.personal_id, full_name=citizen.full_name, birth=born
        ),
        HOUSEHOLD: soap_request(HOUSEHOLD, number=citizen.personal_id),
    }
    return {
        operation: (await client.post(PATH, content=body, headers=headers)).content
        for operation, body in bodies.items()
    }


def _body_child(content: bytes) -> etree._Element:
    return etree.fromstring(content)[-1][0]


async def test_bare_and_wrapped_answers_read_the_same(
    mock_client: httpx.AsyncClient, bearer: dict[str, str], citizen: Citizen
) -> None:
    wrapped = await _answers(mock_client, bearer, citizen)
    patch = await mock_client.patch("/__admin/config", json={"envelope_style": "bare"})
    assert patch.json()["envelope_style"] == "bare"
    bare = await _answers(mock_client, bearer, citizen)

    assert etree.QName(_body_child(wrapped[LOOKUP])).localname == "TraCuuThongTinCongDanResponse"
    assert _body_child(bare[LOOKUP]).tag == f"{{{wire.DAN_NS}}}CongdanCollection"
    assert _body_child(bare[VERIFY]).tag == f"{{{wire.DAN_NS}}}KetQuaXacThucResponse"
    number = citizen.personal_id
    assert wire.parse_lookup(bare[LOOKUP], number) == wire.parse_lookup(wrapped[LOOKUP], number)
    assert wire.parse_verify(bare[VERIFY]) is wire.parse_verify(wrapped[VERIFY]) is True
    household = wire.parse_household(bare[HOUSEHOLD], number)
    assert household is not None
    assert household == wire.parse_household(wrapped[HOUSEHOLD], number)


async def test_request_suffixed_operation_elements_are_answered(
    mock_client: httpx.AsyncClient, bearer: dict[str, str], citizen: Citizen
) -> None:
    """Deployments that name the element TraCuuThongTinCongDanRequest get the same answer."""
    body = soap_request(f"{LOOKUP}Request", number=citizen.personal_id)
    response = await mock_client.post(PATH, content=body, headers=bearer)
    assert response.status_code == 200
    found = wire.parse_lookup(response.content, citizen.personal_id)
    assert found is not None
    assert found.personal_id == citizen.personal_id


@pytest.mark.parametrize("dialect", ["qcvn", "live"])
async def test_2025_era_records_read_with_both_eras_codes(
    mock_client: httpx.AsyncClient, bearer: dict[str, str], citizen: Citizen, dialect: str
) -> None:
    """data_era 2025: province of 34 + new ward, no district; the codec names both eras."""
    config = {"data_era": "2025", "dialect": dialect}
    assert (await mock_client.patch("/__admin/config", json=config)).status_code == 200
    body = soap_request(number=citizen.personal_id)
    content = (await mock_client.post(PATH, content=body, headers=bearer)).content
    assert b"<MaQuanHuyen>" not in content
    assert xsd_errors(etree.fromstring(content)) == []  # the 2025 structure fits QCVN 109
    found = wire.parse_lookup(content, citizen.personal_id)
    assert found is not None
    address = found.permanent_address
    assert address is not None
    assert address.era == "2025"
    assert address.district_code is None
    assert address.commune_name
    assert address.province_name
    assert address.other_era is not None
    old = citizen.permanent_address.commune_code
    assert old in {u.code for u in address.other_era.units}  # back to the 2021 commune
