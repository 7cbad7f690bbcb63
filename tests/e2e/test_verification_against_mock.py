"""Verification verdicts through every layer, against the mock national side, in process.

Two promises, each kept interactively (``POST /api/v1/citizens/verify``) and in a bulk job:

- issue #24: citizens verified with their own name and birth date exactly as the mock's sample
  lists them (mixed case) all match under ``exact``, whichever dialect the national side answers
  in (``live`` returns names in capitals);
- issue #17: any subset of name / birth date / sex, each right or wrong, gets the right verdict
  per field, and no row fails because the national verify operation cannot judge its subset.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from itertools import combinations, product
from pathlib import Path
from typing import Any

import pytest

from contracts.matching import Strategy, names_match
from gateway.audit import AuditQuery, open_audit_reader
from gateway.settings import Settings
from mocks.settings import MockSettings
from tests.conftest import Stack, make_settings
from tests.gateway.jobs.support import eventually

VERIFY = "/api/v1/citizens/verify"
JOBS = "/api/v1/verification-jobs"
SAMPLED = 40
FIELDS = ("full_name", "date_of_birth", "sex")
REASONS = {"full_name": "full_name_mismatch", "date_of_birth": "birth_date_mismatch"}


@pytest.fixture
def mock_settings(request: pytest.FixtureRequest) -> MockSettings:
    dialect = getattr(request, "param", "mixed")
    return MockSettings(population_size=5_000, seed=2024, dialect=dialect)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, jobs_upstream_rate_per_s=2000.0)


@pytest.fixture
async def headers(stack: Stack) -> dict[str, str]:
    """Bearer token and purpose headers, fetched once (a token costs an Argon2 check)."""
    return await stack.headers()


async def verify(stack: Stack, headers: dict[str, str], **typed: str) -> dict[str, Any]:
    response = await stack.gateway.post(VERIFY, json=typed, headers=headers)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def run_job(stack: Stack, headers: dict[str, str], rows: list[list[str]]) -> list[list[str]]:
    """Submit a register (number, full_name, birth_date, sex), wait, return its result rows."""
    text = io.StringIO()
    csv.writer(text).writerows([["number", "full_name", "birth_date", "sex"], *rows])
    created = await stack.gateway.post(
        JOBS, content=text.getvalue().encode(), headers={**headers, "Content-Type": "text/csv"}
    )
    assert created.status_code == 202, created.text
    path = f"{JOBS}/{created.json()['id']}"

    async def finished() -> bool:
        state = (await stack.gateway.get(path, headers=headers)).json()["state"]
        return state in ("completed", "cancelled")

    await eventually(finished, timeout_s=30, every_s=0.05)
    response = await stack.gateway.get(f"{path}/results", headers=headers)
    assert response.status_code == 200, response.text
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))[1:]


# ------------------------------------------------------------------ issue #24: 40 citizens


async def recorded_in_other_case(stack: Stack, headers: dict[str, str], people: list[Any]) -> int:
    """How many records the national side returns with the name in another case than listed."""
    count = 0
    for person in people:
        response = await stack.gateway.get(
            f"/api/v1/citizens/{person['personal_id']}", headers=headers
        )
        recorded = response.json()["full_name"]
        assert names_match(person["full_name"], recorded, Strategy.EXACT)
        count += recorded != person["full_name"]
    return count


@pytest.mark.parametrize(
    ("mock_settings", "other_case"),
    [
        pytest.param("live", SAMPLED, id="live"),
        pytest.param("qcvn", 0, id="qcvn"),
        pytest.param("mixed", None, id="mixed"),
    ],
    indirect=["mock_settings"],
)
async def test_forty_citizens_match_their_listed_names_in_every_dialect(
    stack: Stack, headers: dict[str, str], other_case: int | None
) -> None:
    people = await stack.sample(n=SAMPLED)
    differ = await recorded_in_other_case(stack, headers, people)
    if other_case is None:  # mixed: some records in capitals, some not
        assert 0 < differ < SAMPLED
    else:
        assert differ == other_case

    verdicts = [
        await verify(
            stack,
            headers,
            number=p["personal_id"],
            full_name=p["full_name"],
            date_of_birth=p["date_of_birth"],
        )
        for p in people
    ]
    assert [v["fields"]["full_name"] for v in verdicts] == ["match"] * SAMPLED
    assert [v["match"] for v in verdicts] == [True] * SAMPLED

    rows = [[p["personal_id"], p["full_name"], p["date_of_birth"], ""] for p in people]
    results = await run_job(stack, headers, rows)
    assert [(r[2], r[3]) for r in results] == [("matched", "")] * SAMPLED


# ------------------------------------------------------------------ issue #17: partial details


def subsets() -> Iterator[tuple[dict[str, bool], str]]:
    """Every subset of the three details, each detail right (True) or wrong (False), with an id."""
    for size in range(len(FIELDS) + 1):
        for given in combinations(FIELDS, size):
            for rightness in product((True, False), repeat=size):
                case = dict(zip(given, rightness, strict=True))
                label = "+".join(f"{f}{'' if ok else '-wrong'}" for f, ok in case.items())
                yield case, label or "number-only"


CASES = list(subsets())


def typed_details(person: dict[str, Any], case: dict[str, bool]) -> dict[str, str]:
    """The details of one case: right ones as listed (name in capitals), wrong ones changed."""
    other_sex = "female" if person["sex"] == "male" else "male"
    values = {
        "full_name": (person["full_name"].upper(), person["full_name"] + " Thị"),
        "date_of_birth": (person["date_of_birth"], str(int(person["date_of_birth"][:4]) - 1)),
        "sex": (person["sex"], other_sex),
    }
    return {field: values[field][0 if right else 1] for field, right in case.items()}


def expected_fields(case: dict[str, bool]) -> dict[str, str]:
    return {
        field: "not_provided" if field not in case else "match" if case[field] else "mismatch"
        for field in FIELDS
    }


def expected_row(case: dict[str, bool]) -> tuple[str, str]:
    if not case:
        return "matched", "number_only"
    wrong = [REASONS.get(field, f"{field}_mismatch") for field, ok in case.items() if not ok]
    return ("mismatched", "+".join(wrong)) if wrong else ("matched", "")


async def audit_records(settings: Settings, operation: str) -> list[Any]:
    key = settings.audit_hmac_key.get_secret_value().encode()
    async with open_audit_reader(settings.audit_dsn, hmac_key=key) as reader:
        return [r async for r in reader.iter_records(AuditQuery(operation=operation))]


@pytest.fixture
async def person(stack: Stack) -> dict[str, Any]:
    """A citizen whose record holds a full birth date and a known sex."""
    (found,) = await stack.sample(n=1, year_only="false")
    return found


async def test_every_subset_of_details_is_judged_interactively(
    stack: Stack, headers: dict[str, str], person: dict[str, Any], settings: Settings
) -> None:
    got, want = [], []
    for case, label in CASES:
        typed = typed_details(person, case)
        answer = await verify(stack, headers, number=person["personal_id"], **typed)
        got.append((label, answer["match"], answer["fields"]))
        want.append((label, all(case.values()), expected_fields(case)))
    assert got == want

    audited = await audit_records(settings, "verify")
    assert len(audited) == len(CASES)
    assert {r.fields_returned for r in audited} == {()}, "a verdict discloses no field"
    assert sorted(r.outcome for r in audited) == sorted(
        "success" if all(case.values()) else "mismatch" for case, _ in CASES
    )


async def test_every_subset_of_details_is_judged_in_a_bulk_job(
    stack: Stack, headers: dict[str, str], person: dict[str, Any], settings: Settings
) -> None:
    rows = []
    for case, _ in CASES:
        typed = typed_details(person, case)
        sex = {"male": "nam", "female": "nữ"}.get(typed.get("sex", ""), "")
        birth = typed.get("date_of_birth", "")
        rows.append([person["personal_id"], typed.get("full_name", ""), birth, sex])
    results = await run_job(stack, headers, rows)
    got = [(label, r[2], r[3]) for (_, label), r in zip(CASES, results, strict=True)]
    assert got == [(label, *expected_row(case)) for case, label in CASES]

    audited = await audit_records(settings, "verify_batch")
    assert len(audited) == len(CASES)
    assert {r.fields_returned for r in audited} == {()}
