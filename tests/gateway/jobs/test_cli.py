"""``lgsp verify-batch`` and ``lgsp jobs``: a portal's command line against real servers."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from gateway.cli import app
from gateway.jobs._portal import PortalClient, PortalError, Purpose
from tests.e2e.processes import gateway_and_mock

PURPOSE = ["--purpose", "1.001612", "--officer", "officer-17"]


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The mock national side and a gateway, as processes on loopback ports."""
    with gateway_and_mock(
        tmp_path_factory.mktemp("servers"), LGSP_JOBS_UPSTREAM_RATE_PER_S="500"
    ) as urls:
        yield urls


def register(mock_url: str, path: Path, people: int = 30) -> Path:
    sample = httpx.get(f"{mock_url}/__admin/citizens/sample", params={"n": people}).json()
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["So CCCD", "Ho ten", "Ngay sinh"])
        writer.writerows([p["personal_id"], p["full_name"], p["date_of_birth"]] for p in sample)
        writer.writerow(["12345", "Sai Số", ""])
    return path


def lgsp(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


@pytest.mark.process
def test_verify_batch_uploads_watches_and_downloads(
    servers: tuple[str, str], tmp_path: Path
) -> None:
    gateway_url, mock_url = servers
    source = register(mock_url, tmp_path / "register.csv")
    code, output = lgsp(
        "verify-batch",
        str(source),
        *PURPOSE,
        "--url",
        gateway_url,
        "--client-secret",
        "demo-secret",
        "--number-column",
        "so cccd",
        "--full-name-column",
        "ho ten",
        "--birth-date-column",
        "ngay sinh",
        "--poll-interval",
        "0.2",
    )
    assert code == 0, output
    assert "accepted: 31 rows" in output
    assert "completed" in output
    with (tmp_path / "register.csv.results.csv").open(encoding="utf-8-sig") as result_file:
        rows = list(csv.DictReader(result_file))
    assert len(rows) == 31
    assert [row["outcome"] for row in rows] == ["matched"] * 30 + ["invalid"]
    assert rows[-1]["reason"] == "number_length"


@pytest.mark.process
def test_a_job_submitted_without_waiting_is_watched_listed_fetched_and_erased(
    servers: tuple[str, str], tmp_path: Path
) -> None:
    gateway_url, mock_url = servers
    source = register(mock_url, tmp_path / "register.csv", people=5)
    connection = ["--url", gateway_url, "--client-secret", "demo-secret"]
    code, output = lgsp(
        "verify-batch",
        str(source),
        *PURPOSE,
        *connection,
        "--number-column",
        "so cccd",
        "--no-wait",
    )
    assert code == 0, output
    job_id = output.strip().splitlines()[-1]
    target = tmp_path / "later.csv"
    code, output = lgsp("jobs", "watch", job_id, *PURPOSE, *connection, "-o", str(target))
    assert code == 0, output
    assert len(target.read_text(encoding="utf-8-sig").splitlines()) == 7
    code, output = lgsp("jobs", "status", job_id, *connection)
    assert code == 0, output
    assert "completed" in output
    code, output = lgsp("jobs", "cancel", job_id, *connection)
    assert code == 1
    assert "job_finished" in output
    code, output = lgsp("jobs", "list", *connection)
    assert code == 0, output
    assert job_id in output
    again = tmp_path / ("a-long-folder-name-" * 4) / "again.csv"  # wider than a terminal
    again.parent.mkdir()
    code, output = lgsp("jobs", "results", job_id, *PURPOSE, *connection, "-o", str(again))
    assert code == 0, output
    assert f"Results: {again} (6 rows)" in output, "one line, the path never cut"
    assert again.read_bytes() == target.read_bytes()
    code, output = lgsp("jobs", "erase", job_id, *connection)
    assert code == 0, output
    assert f"Job {job_id} erased." in output
    code, output = lgsp("jobs", "results", job_id, *PURPOSE, *connection, "-o", str(again))
    assert code == 1
    assert "410 job_erased" in output


def test_the_portal_client_renews_a_refused_token_and_reports_problems() -> None:
    """A revoked token is renewed once; a problem response becomes a PortalError."""
    tokens: list[str] = []

    def gateway(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth2/token":
            tokens.append(f"t{len(tokens)}")
            return httpx.Response(200, json={"access_token": tokens[-1], "expires_in": 900})
        assert request.headers["X-Purpose-Code"] == "1.001612"
        if request.headers["Authorization"] == "Bearer t0":
            return httpx.Response(401, json={"code": "token_revoked", "detail": "rotated"})
        problem = {"code": "job_not_found", "detail": "No verification job with this id."}
        return httpx.Response(404, content=json.dumps(problem))

    purpose = Purpose("1.001612", "officer-17")
    transport = httpx.MockTransport(gateway)
    portal = PortalClient("http://gw", "demo-portal", "s", purpose, transport=transport)
    with portal, pytest.raises(PortalError) as caught:
        portal.job("0" * 32)
    assert tokens == ["t0", "t1"]
    assert (caught.value.status, caught.value.code) == (404, "job_not_found")
