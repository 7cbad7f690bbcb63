"""Bulk verification over HTTP, in process against the mock national side: the portal's view."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from gateway.audit import AuditQuery, open_audit_reader
from gateway.security.clients import (
    ClientRecord,
    Operation,
    demo_client,
    save_clients,
)
from gateway.settings import Settings
from tests.clients import client_record
from tests.conftest import PURPOSE_HEADERS, Stack
from tests.gateway.jobs.conftest import postgres_schema
from tests.gateway.jobs.support import eventually

JOBS = "/api/v1/verification-jobs"
HEADER = "So dinh danh,Ho va ten,Ngay sinh,Gioi tinh\n"
FORMULA = '=HYPERLINK("http://evil.example","x")'


def portal(client_id: str, operations: set[Operation]) -> ClientRecord:
    return client_record(
        client_id,
        name=f"Test portal {client_id}",
        operations=frozenset(operations),
        rate_per_s=1000.0,
        burst=1000,
    )


@pytest.fixture
async def api_jobs_dsn(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if getattr(request, "param", "sqlite") == "sqlite":
        yield f"sqlite:///{tmp_path / 'jobs.sqlite3'}"
        return
    async with postgres_schema() as dsn:
        yield dsn


@pytest.fixture
def overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    return dict(getattr(request, "param", {}))


@pytest.fixture
def settings(tmp_path: Path, api_jobs_dsn: str, overrides: dict[str, Any]) -> Settings:
    clients_file = tmp_path / "clients.yaml"
    others = [
        portal("other-portal", {Operation.VERIFY_BATCH}),
        portal("single-portal", {Operation.LOOKUP, Operation.VERIFY}),
    ]
    save_clients(clients_file, [demo_client(), *others])
    values: dict[str, Any] = {
        "ngsp_base_url": "http://ngsp.test",
        "audit_dsn": f"sqlite:///{tmp_path / 'audit.sqlite3'}",
        "log_format": "json",
        "clients_file": clients_file,
        "jobs_dsn": api_jobs_dsn,
        "jobs_upstream_rate_per_s": 2000.0,
        "jobs_concurrency": 8,
    }
    return Settings(**(values | overrides))


@pytest.fixture
async def headers(stack: Stack) -> dict[str, str]:
    """Bearer token and purpose headers, fetched once (a token costs an Argon2 check)."""
    return await stack.headers()


async def not_found_number(stack: Stack) -> str:
    for n in range(999_999, 0, -1):
        number = f"054092{n:06d}"
        if (await stack.mock.get(f"/__admin/citizens/{number}")).status_code == 404:
            return number
    raise AssertionError("no free number")  # pragma: no cover


async def register(stack: Stack) -> tuple[str, list[tuple[str, str]]]:
    """A register of every kind of row, and the (outcome, reason) each row should end with."""
    people = await stack.sample(n=3)
    a, b, c = people
    wrong_sex = "nữ" if b["sex"] == "male" else "nam"
    lines = [
        (f"{a['personal_id']},{a['full_name']},{a['date_of_birth']},{a['sex']}", ("matched", "")),
        (
            f"{b['personal_id']},{b['full_name']},{b['date_of_birth']},{wrong_sex}",
            ("mismatched", "sex_mismatch"),
        ),
        (f"{c['personal_id']},,,", ("matched", "number_only")),
        (f"{await not_found_number(stack)},Nguyễn Văn Không,1990,nam", ("not_found", "")),
        ("12345,Lê Văn C,,", ("invalid", "number_length")),
        (f'"{FORMULA.replace(chr(34), chr(34) * 2)}",x,,', ("invalid", "number_not_digits")),
        (f"{a['personal_id']},{a['full_name']},31/02/1990,", ("invalid", "birth_date_invalid")),
    ]
    return HEADER + "\n".join(line for line, _ in lines) + "\n", [want for _, want in lines]


MAPPING = {
    "number_column": "so dinh danh",
    "full_name_column": "ho va ten",
    "birth_date_column": "ngay sinh",
    "sex_column": "gioi tinh",
}


async def submit(
    stack: Stack, headers: dict[str, str], body: bytes, *, params: dict[str, str] | None = None
) -> dict[str, Any]:
    response = await stack.gateway.post(
        JOBS,
        content=body,
        params=MAPPING if params is None else params,
        headers={**headers, "Content-Type": "text/csv"},
    )
    assert response.status_code == 202, response.text
    job: dict[str, Any] = response.json()
    assert response.headers["Location"] == f"{JOBS}/{job['id']}"
    return job


async def finished(stack: Stack, headers: dict[str, str], job_id: str) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    async def check() -> bool:
        response = await stack.gateway.get(f"{JOBS}/{job_id}", headers=headers)
        seen.update(response.json())
        return seen["state"] in ("completed", "cancelled")

    await eventually(check, timeout_s=30, every_s=0.05)
    return seen


async def results(stack: Stack, headers: dict[str, str], job_id: str) -> list[list[str]]:
    response = await stack.gateway.get(f"{JOBS}/{job_id}/results", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.mark.parametrize(
    "api_jobs_dsn",
    ["sqlite", pytest.param("postgresql", marks=pytest.mark.services)],
    indirect=True,
)
async def test_a_register_is_verified_end_to_end(
    stack: Stack, headers: dict[str, str], settings: Settings
) -> None:
    """Every row ends with an outcome and reason; each verified row is audited on its own."""
    body, expected = await register(stack)
    job = await submit(stack, headers, body.encode())
    assert job["state"] in ("queued", "running", "completed")
    assert job["progress"]["total"] == len(expected)

    done = await finished(stack, headers, job["id"])
    progress = done["progress"]
    assert done["state"] == "completed"
    assert done["results_available"]
    assert (progress["done"], progress["matched"], progress["mismatched"]) == (7, 2, 1)
    assert (progress["not_found"], progress["invalid"], progress["failed"]) == (1, 3, 0)
    assert progress["eta_s"] == 0.0

    rows = await results(stack, headers, job["id"])
    assert rows[0] == ["row", "number", "outcome", "reason"]
    assert [row[0] for row in rows[1:]] == [str(n) for n in range(1, 8)]
    assert [(row[2], row[3]) for row in rows[1:]] == expected
    assert rows[6][1] == "'" + FORMULA, "formula echoed as text"

    key = settings.audit_hmac_key.get_secret_value().encode()
    async with open_audit_reader(settings.audit_dsn, hmac_key=key) as reader:
        per_row = [r async for r in reader.iter_records(AuditQuery(operation="verify_batch"))]
        submits = [
            r async for r in reader.iter_records(AuditQuery(operation="verify_batch_submit"))
        ]
    assert sorted(r.outcome for r in per_row) == ["mismatch", "not_found", "success", "success"]
    assert {(r.client_id, r.purpose_code, r.officer_id) for r in per_row} == {
        ("demo-portal", PURPOSE_HEADERS["X-Purpose-Code"], PURPOSE_HEADERS["X-Officer-Id"])
    }
    assert {r.request_id.split(".")[0] for r in per_row} == {job["id"]}
    assert [(r.outcome, r.status) for r in submits] == [("success", 202)]  # as answered


async def test_a_multipart_upload_with_bom_and_semicolons_is_read(
    stack: Stack, headers: dict[str, str]
) -> None:
    person = (await stack.sample(n=1))[0]
    line = f"{person['personal_id']};{person['full_name']};{person['date_of_birth']}"
    body = f"\ufeffnumber;full_name;birth_date\n{line}\n"
    response = await stack.gateway.post(
        JOBS,
        params={"delimiter": ";"},
        files={"file": ("register.csv", body.encode(), "text/csv")},
        headers=headers,
    )
    assert response.status_code == 202, response.text
    done = await finished(stack, headers, response.json()["id"])
    assert done["progress"]["matched"] == 1


async def test_the_purpose_headers_are_required(stack: Stack, headers: dict[str, str]) -> None:
    headers = {"Authorization": f"Bearer {await stack.token()}", "Content-Type": "text/csv"}
    response = await stack.gateway.post(JOBS, content=b"number\n", headers=headers)
    assert response.status_code == 422
    assert response.json()["code"] == "missing_purpose"


async def test_a_client_not_granted_batches_is_refused(
    stack: Stack, headers: dict[str, str]
) -> None:
    token = await stack.token("single-portal", "single-portal-secret")
    headers = {"Authorization": f"Bearer {token}", **PURPOSE_HEADERS}
    response = await stack.gateway.get(JOBS, headers=headers)
    assert response.status_code == 403
    assert response.json()["code"] == "operation_not_granted"


async def test_a_client_sees_only_its_own_jobs(stack: Stack, headers: dict[str, str]) -> None:
    job = await submit(stack, headers, b"number\n12345\n", params={})
    token = await stack.token("other-portal", "other-portal-secret")
    theirs = {"Authorization": f"Bearer {token}", **PURPOSE_HEADERS}
    for method, path in (("GET", ""), ("POST", "/cancel"), ("GET", "/results"), ("DELETE", "")):
        response = await stack.gateway.request(method, f"{JOBS}/{job['id']}{path}", headers=theirs)
        assert response.status_code == 404, (method, path)
        assert response.json()["code"] == "job_not_found"
    assert (await stack.gateway.get(JOBS, headers=theirs)).json() == {"jobs": []}
    mine = (await stack.gateway.get(JOBS, headers=headers)).json()["jobs"]
    assert [j["id"] for j in mine] == [job["id"]]


@pytest.mark.parametrize(
    ("upload", "refusal"),
    [
        pytest.param((b"", {}, "text/csv"), (422, "csv_empty"), id="empty"),
        pytest.param((b"id\n1\n", {}, "text/csv"), (422, "csv_missing_column"), id="no-number"),
        pytest.param(
            (b"number\n1\n", {"sex_column": "gioi_tinh"}, "text/csv"),
            (422, "csv_missing_column"),
            id="mapped-column-missing",
        ),
        pytest.param(
            (b"{}", {}, "application/json"), (415, "unsupported_media_type"), id="json-body"
        ),
    ],
)
async def test_an_unreadable_upload_is_refused_and_leaves_no_job(
    stack: Stack,
    headers: dict[str, str],
    upload: tuple[bytes, dict[str, str], str],
    refusal: tuple[int, str],
) -> None:
    body, params, media = upload
    response = await stack.gateway.post(
        JOBS, content=body, params=params, headers={**headers, "Content-Type": media}
    )
    assert (response.status_code, response.json()["code"]) == refusal, response.text
    assert (await stack.gateway.get(JOBS, headers=headers)).json() == {"jobs": []}


@pytest.mark.parametrize("overrides", [{"jobs_max_rows": 3}], indirect=True)
async def test_an_upload_over_the_row_limit_is_refused(
    stack: Stack, headers: dict[str, str]
) -> None:
    response = await stack.gateway.post(
        JOBS,
        content=b"number\n" + b"12345\n" * 4,
        headers={**headers, "Content-Type": "text/csv"},
    )
    assert response.status_code == 413
    assert response.json()["code"] == "too_many_rows"
    assert (await stack.gateway.get(JOBS, headers=headers)).json() == {"jobs": []}


@pytest.mark.parametrize("overrides", [{"jobs_upstream_rate_per_s": 20.0}], indirect=True)
async def test_cancel_stops_a_job_and_reports_the_rest_as_skipped(
    stack: Stack, headers: dict[str, str]
) -> None:
    people = await stack.sample(n=5)
    lines = [f"{p['personal_id']}" for p in people] * 40
    job = await submit(stack, headers, ("number\n" + "\n".join(lines) + "\n").encode(), params={})
    url = f"{JOBS}/{job['id']}"
    early = await stack.gateway.get(f"{url}/results", headers=headers)
    assert early.status_code == 409
    assert early.json()["code"] == "job_not_finished"

    cancelled = await stack.gateway.post(f"{url}/cancel", headers=headers)
    assert cancelled.status_code == 200
    body = cancelled.json()
    assert body["state"] == "cancelled"
    assert body["progress"]["done"] == body["progress"]["total"] == 200
    assert body["progress"]["skipped"] > 100  # at 20 calls/s most rows were still waiting

    rows = await results(stack, headers, job["id"])
    assert len(rows) == 201
    outcomes = [row[2] for row in rows[1:]]
    assert set(outcomes) <= {"matched", "skipped"}
    assert outcomes.count("skipped") == body["progress"]["skipped"]
    again = await stack.gateway.post(f"{url}/cancel", headers=headers)
    assert again.status_code == 200


async def test_a_finished_job_cannot_be_cancelled(stack: Stack, headers: dict[str, str]) -> None:
    job = await submit(stack, headers, b"number\n12345\n", params={})
    assert job["state"] == "completed"  # nothing to verify: done at once
    response = await stack.gateway.post(f"{JOBS}/{job['id']}/cancel", headers=headers)
    assert response.status_code == 409
    assert response.json()["code"] == "job_finished"


async def test_erasing_a_job_deletes_its_results(stack: Stack, headers: dict[str, str]) -> None:
    job = await submit(stack, headers, b"number\n12345\n", params={})
    url = f"{JOBS}/{job['id']}"
    assert (await stack.gateway.delete(url, headers=headers)).status_code == 204
    gone = await stack.gateway.get(f"{url}/results", headers=headers)
    assert gone.status_code == 410
    assert gone.json()["code"] == "job_erased"
    view = (await stack.gateway.get(url, headers=headers)).json()
    assert view["erased_at"] is not None
    assert not view["results_available"]


async def test_no_log_event_carries_a_citizen_number(stack: Stack, headers: dict[str, str]) -> None:
    """The rows are personal data: the job path logs counts and ids, never a number."""
    body, _ = await register(stack)
    with capture_logs() as events:
        job = await submit(stack, headers, body.encode())
        await finished(stack, headers, job["id"])
        await results(stack, headers, job["id"])
    numbers = [line.split(",")[0] for line in body.splitlines()[1:]]
    logged = repr(events)
    assert not [n for n in numbers if len(n) >= 9 and n in logged]


async def test_a_malformed_job_id_is_named_apart_from_an_unknown_one(
    stack: Stack, headers: dict[str, str]
) -> None:
    """`lgsp jobs status nope` said `invalid_field … see errors`: say which parameter, and why."""
    malformed = await stack.gateway.get(f"{JOBS}/nope", headers=headers)
    assert malformed.status_code == 422
    assert malformed.json()["code"] == "invalid_field"
    assert malformed.json()["detail"].startswith("path parameter job_id: ")
    unknown = await stack.gateway.get(f"{JOBS}/{'0' * 32}", headers=headers)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "job_not_found")


@pytest.mark.parametrize(
    "api_jobs_dsn",
    ["sqlite", pytest.param("postgresql", marks=pytest.mark.services)],
    indirect=True,
)
async def test_job_metrics_count_jobs_by_state_and_rows_by_outcome(
    stack: Stack, headers: dict[str, str]
) -> None:
    """A stuck bulk job was invisible on the dashboard: the scrape now shows jobs and rows."""
    body, expected = await register(stack)
    job = await submit(stack, headers, body.encode())
    await finished(stack, headers, job["id"])
    samples = _samples((await stack.gateway.get("/metrics")).text)
    assert samples['lgsp_jobs{state="completed"}'] == 1
    assert samples['lgsp_jobs{state="running"}'] == 0
    assert samples["lgsp_jobs_oldest_running_seconds"] == 0
    invalid = sum(1 for outcome, _ in expected if outcome == "invalid")
    stored = {k: v for k, v in samples.items() if k.startswith("lgsp_jobs_rows_stored_total")}
    assert sum(stored.values()) == len(expected) - invalid  # invalid rows never reach the worker
    assert samples['lgsp_jobs_rows_stored_total{outcome="skipped"}'] == 0  # every label present
    assert samples['lgsp_jobs_rows{outcome="invalid"}'] == invalid
    assert samples['lgsp_jobs_rows{outcome="matched"}'] == 2


def _samples(exposition: str) -> dict[str, float]:
    lines = (line for line in exposition.splitlines() if line and not line.startswith("#"))
    return {name: float(value) for name, value in (line.rsplit(" ", 1) for line in lines)}
