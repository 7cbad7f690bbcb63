"""Discovery and housekeeping under /__admin: samples, records, configuration, reset."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mocks.population import Population


async def _sample(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    response = await client.get("/__admin/citizens/sample", params=params)
    assert response.status_code == 200, response.text
    people: list[dict[str, Any]] = response.json()
    return people


async def test_a_sample_lists_known_good_citizens(mock_client: httpx.AsyncClient) -> None:
    people = await _sample(mock_client, n=5)
    assert len(people) == 5
    keys = {
        "personal_id",
        "full_name",
        "date_of_birth",
        "sex",
        "cmnd",
        "province_code",
        "household_id",
        "year_only",
        "relation_code",
    }
    for person in people:
        assert keys <= person.keys()
        assert person["sex"] in {"male", "female"}
        assert person["personal_id"][1:3] == person["province_code"]


async def test_the_same_sample_twice_is_the_same_list(mock_client: httpx.AsyncClient) -> None:
    assert await _sample(mock_client, n=3) == await _sample(mock_client, n=3)
    assert await _sample(mock_client, n=3, page=1) != await _sample(mock_client, n=3)


@pytest.mark.parametrize(
    ("params", "check"),
    [
        pytest.param({"province": "54"}, lambda p: p["province_code"] == "54", id="province"),
        pytest.param({"with_cmnd": "true"}, lambda p: p["cmnd"] is not None, id="with-cmnd"),
        pytest.param({"with_cmnd": "false"}, lambda p: p["cmnd"] is None, id="without-cmnd"),
        pytest.param(
            {"year_only": "true"},
            lambda p: p["year_only"] and len(p["date_of_birth"]) == 4,
            id="year-only",
        ),
        pytest.param({"sex": "female"}, lambda p: p["sex"] == "female", id="sex"),
    ],
)
async def test_sample_filters(
    mock_client: httpx.AsyncClient, params: dict[str, str], check: Any
) -> None:
    people = await _sample(mock_client, n=8, **params)
    assert len(people) == 8
    assert all(check(person) for person in people)


async def test_sample_by_household_lists_its_members(
    mock_client: httpx.AsyncClient, population: Population
) -> None:
    (someone,) = population.sample(1, page=4)
    people = await _sample(mock_client, n=20, household=someone.household_book_number)
    household = population.household_by_book(someone.household_book_number)
    assert household is not None
    assert [p["personal_id"] for p in people] == [m.person.personal_id for m in household.members]
    assert people[0]["relation_code"] == "CH01"


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"n": "-1"}, id="negative-n"),
        pytest.param({"n": "lots"}, id="n-not-a-number"),
        pytest.param({"n": "100000"}, id="n-too-large"),
        pytest.param({"with_cmnd": "maybe"}, id="flag-not-boolean"),
    ],
)
async def test_bad_sample_parameters_get_400(
    mock_client: httpx.AsyncClient, params: dict[str, str]
) -> None:
    response = await mock_client.get("/__admin/citizens/sample", params=params)
    assert response.status_code == 400


async def test_unknown_province_samples_nobody(mock_client: httpx.AsyncClient) -> None:
    assert await _sample(mock_client, n=3, province="99") == []


async def test_a_citizen_record_by_id_or_cmnd(
    mock_client: httpx.AsyncClient, population: Population
) -> None:
    (someone,) = population.sample(1, with_cmnd=True)
    for number in (someone.personal_id, someone.cmnd):
        record = (await mock_client.get(f"/__admin/citizens/{number}")).json()
        assert record["personal_id"] == someone.personal_id
        assert record["permanent_address"]["commune_code"] == someone.permanent_address.commune_code
    assert (await mock_client.get("/__admin/citizens/096599999999")).status_code == 404


async def test_a_household_by_book_number_or_member(
    mock_client: httpx.AsyncClient, population: Population
) -> None:
    (someone,) = population.sample(1)
    by_book = (await mock_client.get(f"/__admin/households/{someone.household_book_number}")).json()
    by_member = (await mock_client.get(f"/__admin/households/{someone.personal_id}")).json()
    assert by_book == by_member
    assert by_book["household_id"] == someone.household_book_number
    assert (await mock_client.get("/__admin/households/000000000")).status_code == 404


async def test_info_and_config(mock_client: httpx.AsyncClient) -> None:
    info = (await mock_client.get("/__admin")).json()
    assert info["dialect"] == "mixed"
    assert abs(info["population_size"] - 50_000) < 1_000
    bad = await mock_client.patch("/__admin/config", json={"dialect": "klingon"})
    assert bad.status_code == 400
    good = await mock_client.patch("/__admin/config", json={"dialect": "qcvn"})
    assert good.json()["dialect"] == "qcvn"


async def test_reset_restores_the_start_state(mock_client: httpx.AsyncClient) -> None:
    await mock_client.post("/__admin/faults", json={"action": {"kind": "reset"}})
    patch = {"dialect": "live", "envelope_style": "bare", "data_era": "2025", "token_lifetime_s": 9}
    assert (await mock_client.patch("/__admin/config", json=patch)).json() == patch
    await mock_client.get("/__admin/citizens/sample")
    assert (await mock_client.post("/__admin/reset")).status_code == 204
    assert (await mock_client.get("/__admin/faults")).json() == {"faults": []}
    assert (await mock_client.get("/__admin/config")).json() == {
        "dialect": "mixed",
        "envelope_style": "wrapped",
        "data_era": "2021",
        "token_lifetime_s": 3600,
    }
    assert (await mock_client.get("/__admin/journal")).json()["total"] == 0
