"""The shared catalogue of administrative units, and 2025-era addresses in look-ups (issue 17)."""

from __future__ import annotations

import pytest

from mocks.settings import MockSettings
from tests.conftest import Stack


@pytest.fixture
def mock_settings() -> MockSettings:
    """Every mock record in the 2025 structure (province of 34 + ward, no district)."""
    return MockSettings(population_size=20_000, seed=2021, dialect="mixed", data_era="2025")


async def test_an_old_ward_lists_every_new_candidate_and_says_partial(stack: Stack) -> None:
    headers = {"Authorization": f"Bearer {await stack.token()}"}
    response = await stack.gateway.get(
        "/api/v1/catalogues/admin-units/22024", params={"era": "2021"}, headers=headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["unit"]["name"], body["unit"]["level"], body["unit"]["parent_code"]) == (
        "Phường 9",
        "commune",
        "555",
    )
    other = body["other_era"]
    assert [(u["code"], u["province_code"]) for u in other["units"]] == [
        ("22015", "66"),
        ("22045", "66"),
    ]
    assert other["partial"] is True


async def test_the_era_decides_which_place_a_code_is(stack: Stack) -> None:
    headers = {"Authorization": f"Bearer {await stack.token()}"}
    url = "/api/v1/catalogues/admin-units/22015"
    old = (await stack.gateway.get(url, params={"era": "2021"}, headers=headers)).json()
    new = (await stack.gateway.get(url, params={"era": "2025"}, headers=headers)).json()
    assert old["unit"]["name"] == "Phường 1"
    assert new["unit"]["name"] == "Phường Tuy Hòa"
    assert new["unit"]["parent_code"] == "66"
    assert len(new["other_era"]["units"]) == 8


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        pytest.param("/api/v1/catalogues/admin-units/99999", 404, "admin_unit_not_found", id="404"),
        pytest.param("/api/v1/catalogues/admin-units/2a", 422, None, id="not-digits"),
        pytest.param("/api/v1/catalogues/admin-units/22015?era=2030", 422, None, id="bad-era"),
        pytest.param(
            "/api/v1/catalogues/admin-units/22015?era=2021&era=2025",
            422,
            "duplicate_parameter",
            id="era-twice",
        ),
    ],
)
async def test_bad_codes_are_problems_not_500s(
    stack: Stack, path: str, status: int, code: str | None
) -> None:
    headers = {"Authorization": f"Bearer {await stack.token()}"}
    response = await stack.gateway.get(path, headers=headers)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/problem+json")
    if code:
        assert response.json()["code"] == code
    if status == 404:
        assert response.json()["layer"] == "gateway"  # local reference data, no national call


async def test_the_catalogue_needs_a_client(stack: Stack) -> None:
    response = await stack.gateway.get("/api/v1/catalogues/admin-units/22024")
    assert response.status_code == 401


async def test_a_2025_era_citizen_has_names_and_both_eras_codes(stack: Stack) -> None:
    """The mock serves the new structure; the gateway names it and adds the 2021 codes."""
    (person,) = await stack.sample(n=1)
    response = await stack.gateway.get(
        f"/api/v1/citizens/{person['personal_id']}", headers=await stack.headers()
    )
    assert response.status_code == 200, response.text
    address = response.json()["permanent_address"]
    assert address["era"] == "2025"
    assert "district_code" not in address
    assert address["commune_name"]
    assert address["province_name"]
    old_codes = [u["code"] for u in address["other_era"]["units"]]
    record = (await stack.mock.get(f"/__admin/citizens/{person['personal_id']}")).json()
    assert record["permanent_address"]["commune_code"] in old_codes  # the 2021 record's commune
    assert all(u["era"] == "2021" and u["district_code"] for u in address["other_era"]["units"])
