"""The portal API's rules: grants, purpose, data minimisation, verify, household, limits."""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

import pytest
import yaml

from gateway.security.clients import ClientRecord, FieldSet, Operation, save_clients
from gateway.settings import Settings
from tests.clients import client_record
from tests.conftest import PURPOSE_HEADERS, Faked, Gateway, Stack, make_settings
from tests.gateway.api.records import CITIZEN, NUMBER
from tests.names import without_one_diacritic


def client(client_id: str, **overrides: Any) -> ClientRecord:
    values: dict[str, Any] = {
        "name": f"Test portal {client_id}",
        "operations": frozenset({Operation.LOOKUP, Operation.VERIFY, Operation.HOUSEHOLD}),
        "field_set": FieldSet.FULL,
    } | overrides
    return client_record(client_id, **values)


CLIENTS = [
    client("basic-portal", field_set=FieldSet.BASIC),
    client("full-portal", field_set=FieldSet.FULL),
    client("sensitive-portal", field_set=FieldSet.SENSITIVE),
    client("lookup-only", operations=frozenset({Operation.LOOKUP})),
    client("normalising", verify_strategies=frozenset({"exact", "normalised"})),
    client("one-purpose", purpose_codes=frozenset({"1.001193"})),
    client("slow-portal", rate_per_s=0.01, burst=2),
]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    clients_file = tmp_path / "clients.yaml"
    save_clients(clients_file, CLIENTS)
    return make_settings(tmp_path, clients_file=clients_file)


async def headers_for(gateway: Gateway, client_id: str, **extra: str) -> dict[str, str]:
    token = await gateway.token(client_id, f"{client_id}-secret")
    return {"Authorization": f"Bearer {token}", **PURPOSE_HEADERS, **extra}


async def lookup(gateway: Gateway, client_id: str, number: str, **extra: str) -> Any:
    headers = await headers_for(gateway, client_id, **extra)
    return await gateway.gateway.get(f"/api/v1/citizens/{number}", headers=headers)


async def a_citizen(stack: Stack) -> dict[str, Any]:
    return (await stack.sample(n=1))[0]


# ------------------------------------------------------------------ data minimisation

NAMES = {"full_name", "family_name", "middle_name", "given_name"}


async def faked_lookup(faked: Faked, client_id: str) -> set[str]:
    """The fields a client's look-up of the faked national record answered with."""
    faked.ngsp.add(CITIZEN)
    response = await lookup(faked, client_id, NUMBER)
    assert response.status_code == 200, response.text
    return set(response.json())


async def test_basic_client_sees_identity_only(faked: Faked) -> None:
    """A basic field set gets numbers, name, sex and birth date; nothing else."""
    identity = {"personal_id", "cmnd", "sex", "date_of_birth"} | NAMES
    assert await faked_lookup(faked, "basic-portal") == identity


async def test_full_client_never_sees_sensitive_fields(faked: Faked) -> None:
    """Ethnicity and religion are sensitive (Decree 13/2023): not in the full field set."""
    fields = await faked_lookup(faked, "full-portal")
    assert {"permanent_address", "father", "nationality", "marital_status_code"} <= fields
    assert not {"ethnicity_code", "religion_code"} & fields


async def test_sensitive_client_sees_ethnicity_and_religion(faked: Faked) -> None:
    assert {"ethnicity_code", "religion_code"} <= await faked_lookup(faked, "sensitive-portal")


# ------------------------------------------------------------------ grants and purpose


async def test_ungranted_operation_is_403(stack: Stack) -> None:
    headers = await headers_for(stack, "lookup-only")
    number = (await a_citizen(stack))["personal_id"]
    response = await stack.gateway.get(f"/api/v1/citizens/{number}/household", headers=headers)
    assert response.status_code == 403
    assert response.json()["code"] == "operation_not_granted"


async def test_purpose_outside_the_clients_list_is_403(stack: Stack) -> None:
    response = await lookup(stack, "one-purpose", (await a_citizen(stack))["personal_id"])
    assert response.status_code == 403
    assert response.json()["code"] == "purpose_not_granted"


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        pytest.param({"X-Purpose-Code": ""}, "missing_purpose", id="missing-purpose"),
        pytest.param({"X-Purpose-Code": "lookup"}, "invalid_purpose", id="purpose-not-a-code"),
        pytest.param({"X-Officer-Id": ""}, "missing_officer", id="missing-officer"),
        pytest.param({"X-Officer-Id": "a b"}, "invalid_officer", id="officer-with-space"),
        pytest.param({"X-Case-Id": "x" * 65}, "invalid_case", id="case-too-long"),
    ],
)
async def test_bad_purpose_headers_are_422(
    stack: Stack, headers: dict[str, str], code: str
) -> None:
    response = await lookup(stack, "full-portal", "054092000123", **headers)
    assert response.status_code == 422
    assert response.json()["code"] == code


async def test_disabled_client_is_refused_at_once(stack: Stack, settings: Settings) -> None:
    """Disabling a client in the registry file stops its already-issued token."""
    headers = await headers_for(stack, "full-portal")
    assert settings.clients_file is not None
    data = yaml.safe_load(settings.clients_file.read_text())
    for item in data["clients"]:
        item["enabled"] = item["client_id"] != "full-portal"
    settings.clients_file.write_text(yaml.safe_dump(data))
    response = await stack.gateway.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "token_revoked"


async def test_me_lists_the_clients_grants(stack: Stack) -> None:
    response = await stack.gateway.get(
        "/api/v1/me", headers=await headers_for(stack, "basic-portal")
    )
    grants = response.json()
    assert grants["client_id"] == "basic-portal"
    assert grants["field_set"] == "basic"
    assert "ethnicity_code" not in grants["fields"]


# ------------------------------------------------------------------ rate limits


async def test_over_the_rate_is_429_with_retry_after(stack: Stack) -> None:
    headers = await headers_for(stack, "slow-portal")
    statuses = [
        (await stack.gateway.get("/api/v1/citizens/12345", headers=headers)) for _ in range(3)
    ]
    assert [r.status_code for r in statuses] == [422, 422, 429]
    limited = statuses[-1]
    assert limited.json()["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) >= 1
    assert limited.headers["RateLimit-Remaining"] == "0"


# ------------------------------------------------------------------ verify


async def verify(stack: Stack, client_id: str, **payload: Any) -> Any:
    return await stack.gateway.post(
        "/api/v1/citizens/verify", json=payload, headers=await headers_for(stack, client_id)
    )


def _loosen(name: str) -> str:
    """The way a hurried clerk types a name: lower case, extra spaces, no diacritics."""
    plain = unicodedata.normalize("NFD", name.replace("Đ", "D").replace("đ", "d"))
    letters = "".join(ch for ch in plain if not unicodedata.combining(ch)).lower()
    return "  " + "   ".join(letters.split()) + " "


async def test_verify_exact_match(stack: Stack) -> None:
    person = await a_citizen(stack)
    lookup_body = (await lookup(stack, "full-portal", person["personal_id"])).json()
    response = await verify(
        stack,
        "full-portal",
        number=person["personal_id"],
        full_name=lookup_body["full_name"],
        date_of_birth=person["date_of_birth"],
        sex=person["sex"],
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "match": True,
        "strategy": "exact",
        "fields": {"full_name": "match", "date_of_birth": "match", "sex": "match"},
    }


@pytest.mark.parametrize(
    "typed", [pytest.param("1994-02-30", id="no-30-february"), pytest.param("0000", id="year-0")]
)
async def test_verify_refuses_a_birth_date_that_is_not_on_the_calendar(
    stack: Stack, typed: str
) -> None:
    """A bulk row with such a date is `invalid`; the interactive call used to answer mismatch."""
    person = await a_citizen(stack)
    response = await verify(stack, "full-portal", number=person["personal_id"], date_of_birth=typed)
    assert response.status_code == 422, response.text
    assert "date_of_birth" in response.json()["detail"]


async def test_verify_exact_refuses_loosened_name(stack: Stack) -> None:
    person = await a_citizen(stack)
    response = await verify(
        stack, "full-portal", number=person["personal_id"], full_name=_loosen(person["full_name"])
    )
    assert response.json()["fields"]["full_name"] == "mismatch"
    assert response.json()["match"] is False


async def test_verify_normalised_accepts_case_spacing_and_diacritics(stack: Stack) -> None:
    person = await a_citizen(stack)
    response = await verify(
        stack,
        "normalising",
        number=person["personal_id"],
        full_name=_loosen(person["full_name"]),
        strategy="normalised",
    )
    assert response.json()["fields"]["full_name"] == "match"


async def test_verify_case_never_decides_but_one_diacritic_does(stack: Stack) -> None:
    """Issue #24: capitals match under exact; one dropped diacritic only under normalised."""
    person = await a_citizen(stack)
    capitals = person["full_name"].upper()
    verdicts = [
        (await verify(stack, "normalising", number=person["personal_id"], **typed)).json()
        for typed in (
            {"full_name": capitals},
            {"full_name": without_one_diacritic(capitals)},
            {"full_name": without_one_diacritic(capitals), "strategy": "normalised"},
        )
    ]
    assert [v["fields"]["full_name"] for v in verdicts] == ["match", "mismatch", "match"]


async def test_verify_normalised_is_403_for_exact_only_clients(stack: Stack) -> None:
    person = await a_citizen(stack)
    response = await verify(
        stack, "full-portal", number=person["personal_id"], full_name="x", strategy="normalised"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "strategy_not_granted"


async def test_verify_year_matches_full_birth_date(stack: Stack) -> None:
    person = (await stack.sample(n=1, year_only="false"))[0]
    response = await verify(
        stack,
        "full-portal",
        number=person["personal_id"],
        date_of_birth=person["date_of_birth"][:4],
    )
    assert response.json()["fields"]["date_of_birth"] == "match"


async def test_verify_wrong_sex_is_a_mismatch_not_an_error(stack: Stack) -> None:
    person = await a_citizen(stack)
    other = "female" if person["sex"] == "male" else "male"
    response = await verify(stack, "full-portal", number=person["personal_id"], sex=other)
    assert response.status_code == 200
    assert response.json() == {
        "match": False,
        "strategy": "exact",
        "fields": {"full_name": "not_provided", "date_of_birth": "not_provided", "sex": "mismatch"},
    }


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        pytest.param(
            {"number": "054092000123", "nickname": "x"}, 422, "unknown_field", id="unknown-field"
        ),
        pytest.param({"full_name": "x"}, 422, "missing_field", id="missing-number"),
        pytest.param(
            {"number": "054092000123", "date_of_birth": "22/11/1992"},
            422,
            "invalid_field",
            id="date-not-iso",
        ),
        pytest.param(
            {"number": "054092000123", "sex": "m"}, 422, "invalid_field", id="sex-not-an-enum"
        ),
        pytest.param({"number": "12"}, 422, "number_length", id="short-number"),
    ],
)
async def test_bad_verify_bodies_are_clear_problems(
    stack: Stack, payload: dict[str, Any], status: int, code: str
) -> None:
    response = await verify(stack, "full-portal", **payload)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code


async def test_malformed_json_is_400(stack: Stack) -> None:
    headers = {**(await headers_for(stack, "full-portal")), "Content-Type": "application/json"}
    response = await stack.gateway.post(
        "/api/v1/citizens/verify", content=b"{not json", headers=headers
    )
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_body"


async def test_oversized_body_is_413(stack: Stack) -> None:
    headers = {**(await headers_for(stack, "full-portal")), "Content-Type": "application/json"}
    response = await stack.gateway.post(
        "/api/v1/citizens/verify", content=b" " * (65 * 1024), headers=headers
    )
    assert response.status_code == 413
    assert response.json()["code"] == "body_too_large"
    assert response.json()["request_id"] == response.headers["X-Request-ID"]
    assert response.json()["instance"] == "/api/v1/citizens/verify"


async def test_oversized_headers_are_431(stack: Stack) -> None:
    response = await stack.gateway.get("/healthz", headers={"X-Padding": "x" * 17_000})
    assert response.status_code == 431
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["request_id"] == response.headers["X-Request-ID"]


# ------------------------------------------------------------------ household


async def test_household_lists_members_with_relations(stack: Stack) -> None:
    person = await a_citizen(stack)
    response = await stack.gateway.get(
        f"/api/v1/citizens/{person['personal_id']}/household",
        headers=await headers_for(stack, "full-portal"),
    )
    assert response.status_code == 200, response.text
    household = response.json()
    numbers = {m.get("personal_id") for m in household["members"]}
    assert person["personal_id"] in numbers
    assert any(m.get("relation_code") == "CH01" for m in household["members"])
