"""Data contract: every operation answers in its documented shape, and no more than allowed."""

from __future__ import annotations

import csv
import io
import time
from typing import Any

import httpx

from contracts.matching import Strategy, names_match
from contracts.suite._context import CheckSkipped, RunContext, expect
from contracts.suite._facts import Fact
from contracts.suite._model import Concern
from contracts.suite._registry import check
from contracts.suite.checks.security import LOOKUP, expect_problem, grants, lookup_path

D = Concern.DATA_CONTRACT
VERIFY = "/api/v1/citizens/verify"
HOUSEHOLD = "/api/v1/citizens/{number}/household"
SENSITIVE_FIELDS = frozenset({"ethnicity_code", "religion_code"})
JOBS = "/api/v1/verification-jobs"
JOB = "/api/v1/verification-jobs/{job_id}"
JOB_WAIT_S = 60.0  # three rows at the default 20 rows/s take well under a second
RESULT_HEADER = ["row", "number", "outcome", "reason"]
AUDITED = (Fact.AUDITED_CALLS,)  # what a check making data calls leaves for the audit checks
LOOKS_UP = (Fact.AUDITED_CALLS, Fact.CITIZEN_LOOKUPS)  # ... when it looks the citizen up
REFUSED = (Fact.AUDITED_CALLS, Fact.PROBLEM_ANSWERS)  # ... when its calls are answered problems


def data_call(
    ctx: RunContext, identity: str, method: str, path: str, template: str, **kw: Any
) -> httpx.Response:
    """A data call that passed authentication and purpose: the gateway must audit it."""
    return ctx.call(
        method,
        path,
        template=template,
        identity=identity,
        audited=True,
        headers=ctx.as_identity(identity),
        **kw,
    )


@check(
    "data.lookup",
    D,
    "Look-up by personal id",
    "GET /api/v1/citizens/{number} for a citizen who exists answers 200 with a Citizen whose "
    "personal_id is the one asked for.",
    needs=(Fact.CITIZEN,),
    produces=LOOKS_UP,
)
def lookup(ctx: RunContext) -> None:
    response = data_call(ctx, "client", "GET", lookup_path(ctx), LOOKUP)
    expect(response.status_code == 200, f"look-up answered {response.status_code}")
    expect(response.json().get("personal_id") == ctx.facts.citizen, "another citizen came back")


@check(
    "data.lookup-cmnd",
    D,
    "Look-up by legacy 9-digit CMND",
    "GET /api/v1/citizens/{cmnd} answers 200 with the citizen holding that CMND.",
    needs=(Fact.CMND,),
    required=False,
    produces=(Fact.AUDITED_CALLS, Fact.CMND_LOOKUPS),
)
def lookup_cmnd(ctx: RunContext) -> None:
    cmnd = str(ctx.facts.cmnd)
    response = data_call(ctx, "client", "GET", f"/api/v1/citizens/{cmnd}", LOOKUP)
    expect(response.status_code == 200, f"CMND look-up answered {response.status_code}")
    expect(response.json().get("cmnd") == cmnd, "the answer does not hold the CMND asked for")


@check(
    "data.verify",
    D,
    "Verification of typed details",
    "POST /api/v1/citizens/verify answers a VerifyResult: the sampled citizen's own details "
    "match (the name typed in capitals, as ID cards print it: case never decides, "
    "docs/matching.md), a wrong birth year does not, and no stored value is returned.",
    needs=(Fact.CITIZEN,),
    produces=AUDITED,
)
def verify(ctx: RunContext) -> None:
    if "verify" not in grants(ctx, "client").get("operations", []):
        response = data_call(ctx, "client", "POST", VERIFY, VERIFY, json={"number": "0"})
        expect_problem(response, 403, "operation_not_granted")
        return
    person: dict[str, Any] = ctx.facts.person or {}
    typed = {"number": str(ctx.facts.citizen)}
    if person.get("date_of_birth"):
        typed["date_of_birth"] = str(person["date_of_birth"])[:4]
    response = data_call(ctx, "client", "POST", VERIFY, VERIFY, json=typed)
    expect(response.status_code == 200, f"verify answered {response.status_code}")
    expect(response.json().get("match") is True, "the citizen's own birth year did not match")
    if person.get("full_name"):
        _verify_name(ctx, typed, str(person["full_name"]))
    if "date_of_birth" in typed:
        wrong = {**typed, "date_of_birth": str(int(typed["date_of_birth"]) - 1)}
        response = data_call(ctx, "client", "POST", VERIFY, VERIFY, json=wrong)
        expect(response.status_code == 200, f"verify answered {response.status_code}")
        expect(response.json().get("match") is False, "a wrong birth year matched")
    leaked = set(response.json()) - {"match", "strategy", "fields"}
    expect(not leaked, f"verify returned more than its verdict: {sorted(leaked)}")


def _verify_name(ctx: RunContext, typed: dict[str, str], listed: str) -> None:
    """The name as the sample lists it, in capitals: the verdict the one matcher gives."""
    capitals = listed.upper()
    want = "match" if names_match(capitals, listed, Strategy.EXACT) else "mismatch"
    response = data_call(
        ctx, "client", "POST", VERIFY, VERIFY, json={**typed, "full_name": capitals}
    )
    expect(response.status_code == 200, f"verify with a name answered {response.status_code}")
    got = response.json().get("fields", {}).get("full_name")
    expect(got == want, f"the citizen's own name in capitals gave full_name {got}, not {want}")


@check(
    "data.household",
    D,
    "Household of a citizen",
    "GET /api/v1/citizens/{number}/household answers 200 with a Household listing its members "
    "(or 403 operation_not_granted when the client lacks the household grant).",
    needs=(Fact.CITIZEN,),
    produces=AUDITED,
)
def household(ctx: RunContext) -> None:
    path = f"{lookup_path(ctx)}/household"
    response = data_call(ctx, "client", "GET", path, HOUSEHOLD)
    if "household" not in grants(ctx, "client").get("operations", []):
        expect_problem(response, 403, "operation_not_granted")
        return
    expect(response.status_code == 200, f"household answered {response.status_code}")
    expect(len(response.json().get("members", [])) >= 1, "the household has no members")


@check(
    "data.not-found",
    D,
    "Unknown citizen is 404",
    "A well-formed number that the population database does not hold answers 404 "
    "citizen_not_found from layer population-db.",
    needs=(Fact.ABSENT,),
    produces=REFUSED,
)
def not_found(ctx: RunContext) -> None:
    path = f"/api/v1/citizens/{ctx.facts.absent}"
    response = data_call(ctx, "client", "GET", path, LOOKUP)
    expect_problem(response, 404, "citizen_not_found")
    expect(response.json().get("layer") == "population-db", "404 not from layer population-db")


@check(
    "data.invalid-number",
    D,
    "Malformed numbers are refused before the national side",
    "Numbers of the wrong length, with non-digits, or with an unknown province code answer 422 "
    "number_length / number_not_digits / unknown_province.",
    produces=REFUSED,
)
def invalid_number(ctx: RunContext) -> None:
    for number, code in (
        ("12345", "number_length"),
        ("05409200012x", "number_not_digits"),
        ("099092000123", "unknown_province"),
    ):
        response = data_call(ctx, "client", "GET", f"/api/v1/citizens/{number}", LOOKUP)
        expect_problem(response, 422, code)


@check(
    "data.malformed-body",
    D,
    "Malformed request bodies are refused",
    "A verify body that is not JSON answers 400 malformed_body; one with an unknown field "
    "answers 422 unknown_field.",
)
def malformed_body(ctx: RunContext) -> None:
    headers = {**ctx.as_identity("client"), "Content-Type": "application/json"}
    broken = ctx.call(
        "POST", VERIFY, template=VERIFY, identity="client", headers=headers, content=b"{not json"
    )
    expect_problem(broken, 400, "malformed_body")
    extra = ctx.call(
        "POST",
        VERIFY,
        template=VERIFY,
        identity="client",
        headers=headers,
        json={"number": "054092000123", "nickname": "x"},
    )
    expect_problem(extra, 422, "unknown_field")


@check(
    "data.minimisation",
    D,
    "The portal gets only its field set",
    "The look-up answer holds no field beyond the client's granted fields (GET /api/v1/me), and "
    "no ethnicity or religion unless its field set is sensitive.",
    needs=(Fact.CITIZEN,),
    produces=LOOKS_UP,
)
def minimisation(ctx: RunContext) -> None:
    _minimised(ctx, "client")


@check(
    "data.minimisation-basic",
    D,
    "A basic client never gets sensitive data",
    "A client without the sensitive field set (--basic-client) gets no ethnicity_code or "
    "religion_code, and nothing beyond its own field list (Decree 13/2023).",
    needs=(Fact.BASIC, Fact.CITIZEN),
    produces=LOOKS_UP,
)
def minimisation_basic(ctx: RunContext) -> None:
    field_set = _minimised(ctx, "basic")
    expect(field_set != "sensitive", "the basic client is granted the sensitive field set")


def _minimised(ctx: RunContext, identity: str) -> str:
    allowed = set(grants(ctx, identity).get("fields", []))
    field_set = str(grants(ctx, identity).get("field_set"))
    response = data_call(ctx, identity, "GET", lookup_path(ctx), LOOKUP)
    expect(response.status_code == 200, f"{identity} look-up answered {response.status_code}")
    present = {k for k, v in response.json().items() if v is not None}
    ctx.note(f"{identity} ({field_set}) received: {', '.join(sorted(present))}")
    expect(not present - allowed, f"fields beyond the grant: {sorted(present - allowed)}")
    if field_set != "sensitive":
        expect(
            not present & SENSITIVE_FIELDS,
            f"sensitive fields: {sorted(present & SENSITIVE_FIELDS)}",
        )
    return field_set


@check(
    "data.bulk-verification",
    D,
    "Bulk verification job, end to end",
    "POST /api/v1/verification-jobs with a three-row CSV (the test citizen, the absent number, a "
    "malformed number) answers 202; the job completes; its result file has one line per row, "
    "matched / not_found / invalid; DELETE erases it and the results then answer 410.",
    needs=(Fact.CITIZEN, Fact.ABSENT),
    required=False,
    produces=AUDITED,
)
def bulk_verification(ctx: RunContext) -> None:
    if "verify_batch" not in grants(ctx, "client").get("operations", []):
        raise CheckSkipped("the --client identity is not granted verify_batch")
    register = f"number\r\n{ctx.facts.citizen}\r\n{ctx.facts.absent}\r\n12345\r\n"
    headers = {**ctx.as_identity("client"), "Content-Type": "text/csv"}
    created = ctx.call(
        "POST",
        JOBS,
        template=JOBS,
        identity="client",
        audited=True,
        headers=headers,
        content=register.encode(),
    )
    expect(created.status_code == 202, f"the upload answered {created.status_code}")
    job_id = str(created.json()["id"])
    job_path = f"{JOBS}/{job_id}"
    state = _wait_for_job(ctx, job_path)
    expect(state == "completed", f"the job ended {state}, not completed")
    results = ctx.call(
        "GET",
        f"{job_path}/results",
        identity="client",
        audited=True,
        headers=ctx.as_identity("client"),
    )
    expect(results.status_code == 200, f"the result file answered {results.status_code}")
    expect(
        results.headers.get("content-type", "").startswith("text/csv"),
        "the result file is not text/csv",
    )
    rows = list(csv.reader(io.StringIO(results.content.decode("utf-8-sig"))))
    expect(rows[:1] == [RESULT_HEADER], f"result header {rows[:1]!r}, not {RESULT_HEADER}")
    outcomes = [(row[0], row[2]) for row in rows[1:]]
    ctx.note(f"result rows: {', '.join(f'{n}={o}' for n, o in outcomes)}")
    expected = [("1", "matched"), ("2", "not_found"), ("3", "invalid")]
    expect(outcomes == expected, f"outcomes {outcomes}, expected {expected}")
    erased = ctx.call("DELETE", job_path, template=JOB, identity="client", headers=headers)
    expect(erased.status_code == 204, f"DELETE answered {erased.status_code}")
    gone = ctx.call(
        "GET", f"{job_path}/results", identity="client", headers=ctx.as_identity("client")
    )
    expect_problem(gone, 410, "job_erased")


def _wait_for_job(ctx: RunContext, job_path: str) -> str:
    """Poll the job (backing off) until it is finished; its last state."""
    deadline, pause, state = time.monotonic() + JOB_WAIT_S, 0.1, "unknown"
    while time.monotonic() < deadline:
        answer = ctx.call(
            "GET", job_path, template=JOB, identity="client", headers=ctx.as_identity("client")
        )
        expect(answer.status_code == 200, f"the job's state answered {answer.status_code}")
        state = str(answer.json()["state"])
        if state in ("completed", "cancelled"):
            return state
        time.sleep(pause)
        pause = min(pause * 2, 2.0)
    return state


CATALOGUE = "/api/v1/catalogues/admin-units/{code}"


def _catalogue(ctx: RunContext, code: str, era: str) -> dict[str, Any]:
    response = ctx.call(
        "GET",
        f"/api/v1/catalogues/admin-units/{code}",
        template=CATALOGUE,
        identity="client",
        headers=ctx.as_identity("client", purpose=False),
        params={"era": era},
    )
    expect(response.status_code == 200, f"catalogue {code} ({era}) answered {response.status_code}")
    body: dict[str, Any] = response.json()
    return body


@check(
    "data.admin-units-both-eras",
    D,
    "Administrative units of both eras (since 01/7/2025)",
    "GET /api/v1/catalogues/admin-units/{code}: old Phường 9 of Tuy Hoà (22024, 2021) gives new "
    "wards 22015 and 22045 of Đắk Lắk (66), partial; new Phường Tuy Hòa (22015, 2025) gives the "
    "eight old wards merged into it; the same number names different places per era.",
)
def admin_units_both_eras(ctx: RunContext) -> None:
    old = _catalogue(ctx, "22024", "2021")
    units = [(u["code"], u["province_code"]) for u in old["other_era"]["units"]]
    expect(units == [("22015", "66"), ("22045", "66")], f"22024 (2021) became {units}")
    expect(old["other_era"]["partial"] is True, "a 1:N conversion is not marked partial")
    new = _catalogue(ctx, "22015", "2025")
    merged = len(new["other_era"]["units"])
    expect(merged == 8, f"22015 (2025) lists {merged} old wards, expected 8")
    expect(new["unit"]["name"] != _catalogue(ctx, "22015", "2021")["unit"]["name"], "eras ignored")
