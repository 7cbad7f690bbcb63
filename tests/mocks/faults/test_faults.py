"""Fault injection through the admin API and scenario files, checked against the journal."""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from lxml import etree

from mocks.app import MockApp, create_mock_app
from mocks.faults import load_scenario
from mocks.http import SimulatedHangTimeout, SimulatedReset, SimulatedTruncation
from mocks.population import Citizen, Population
from mocks.settings import MockSettings
from tests.mocks.conftest import CREDENTIALS, FakeClock
from tests.mocks.soap import HOUSEHOLD, LOOKUP, soap_request

PATH = "/dancu/1.0/CongDan"
SCENARIOS = Path(__file__).resolve().parents[3] / "mocks" / "scenarios"


class FaultDriver:
    """What an integration tester does against the mock: arm faults, call, read the journal."""

    def __init__(self, client: httpx.AsyncClient, citizen: Citizen) -> None:
        self.client = client
        self.citizen = citizen
        self.token = ""

    async def login(self) -> httpx.Response:
        response = await self.client.post(
            "/token", auth=CREDENTIALS, data={"grant_type": "client_credentials"}
        )
        if response.status_code == 200:
            self.token = response.json()["access_token"]
        return response

    async def arm(self, rule: dict[str, Any]) -> dict[str, Any]:
        response = await self.client.post("/__admin/faults", json=rule)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    async def lookup(self, number: str | None = None, operation: str = LOOKUP) -> httpx.Response:
        body = soap_request(operation, number=number or self.citizen.personal_id)
        headers = {"Authorization": f"Bearer {self.token}"}
        return await self.client.post(PATH, content=body, headers=headers)

    async def journal(self, **params: str | int) -> dict[str, Any]:
        journal: dict[str, Any] = (await self.client.get("/__admin/journal", params=params)).json()
        return journal


@pytest.fixture
def citizen(population: Population) -> Citizen:
    (someone,) = population.sample(1, page=7)
    return someone


@pytest.fixture
async def driver(mock_client: httpx.AsyncClient, citizen: Citizen) -> FaultDriver:
    driver = FaultDriver(mock_client, citizen)
    await driver.login()
    return driver


@pytest.mark.parametrize(
    ("status", "content_type", "retry_after"),
    [
        pytest.param(500, "text/html", None, id="500"),
        pytest.param(502, "text/html", None, id="502"),
        pytest.param(503, "application/json", "4", id="503-with-retry-after"),
        pytest.param(504, "application/json", None, id="504"),
        pytest.param(429, "application/json", "4", id="429-with-retry-after"),
    ],
)
async def test_http_errors_come_with_the_gateways_body(
    driver: FaultDriver, status: int, content_type: str, retry_after: str | None
) -> None:
    rule = {"kind": "http_error", "status": status}
    if retry_after is not None:
        rule["retry_after"] = int(retry_after)
    await driver.arm({"action": rule})
    response = await driver.lookup()
    assert response.status_code == status
    assert response.headers["content-type"].startswith(content_type)
    assert response.headers.get("retry-after") == retry_after
    journal = await driver.journal()
    assert journal["by_outcome"] == {"ok": 1, "injected:http_error": 1}  # token, then look-up


async def test_429_defaults_to_retry_after_one_second(driver: FaultDriver) -> None:
    await driver.arm({"action": {"kind": "http_error", "status": 429}})
    response = await driver.lookup()
    assert response.headers["retry-after"] == "1"
    assert response.json()["fault"]["code"] == 900800


@pytest.mark.parametrize(
    ("code", "fault_class", "expected_class"),
    [
        pytest.param(201, None, "Client", id="201-record-not-found-is-client"),
        pytest.param(500, None, "Server", id="500-data-incorrect-is-server"),
        pytest.param(108, "Server", "Server", id="class-chosen-by-tester"),
    ],
)
async def test_soap_fault_with_a_chosen_code(
    driver: FaultDriver, code: int, fault_class: str | None, expected_class: str
) -> None:
    action: dict[str, Any] = {"kind": "soap_fault", "code": code}
    if fault_class:
        action["fault_class"] = fault_class
    await driver.arm({"action": action})
    response = await driver.lookup()
    assert response.status_code == 500
    root = etree.fromstring(response.content)
    assert root.findtext(".//faultcode") == f"soapenv:{expected_class}"
    assert root.findtext(".//{http://dancuquocgia.bca}MaLoi") == str(code)


async def test_malformed_xml_is_a_200_that_does_not_parse(driver: FaultDriver) -> None:
    await driver.arm({"action": {"kind": "malformed_xml"}})
    response = await driver.lookup()
    assert response.status_code == 200
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(response.content)


@pytest.mark.parametrize(
    ("action", "error"),
    [
        pytest.param({"kind": "reset"}, SimulatedReset, id="reset-is-a-read-error"),
        pytest.param(
            {"kind": "truncated"}, SimulatedTruncation, id="truncated-is-a-protocol-error"
        ),
        pytest.param({"kind": "hang", "seconds": 0.05}, SimulatedHangTimeout, id="hang-times-out"),
    ],
)
async def test_network_faults_in_process_raise_the_httpx_error_a_client_would_see(
    driver: FaultDriver, action: dict[str, Any], error: type[httpx.TransportError]
) -> None:
    """Under httpx.ASGITransport there is no socket: the fault surfaces as httpx's own error."""
    await driver.arm({"action": action})
    with pytest.raises(error) as caught:
        await driver.lookup()
    assert isinstance(caught.value, httpx.TransportError)
    journal = await driver.journal(operation=LOOKUP)
    assert journal["count"] == 1
    assert journal["entries"][0]["outcome"] == f"injected:{action['kind']}"


async def test_a_hang_ends_when_the_client_gives_up(driver: FaultDriver) -> None:
    """The client's own deadline cancels the held request; the journal still records it."""
    await driver.arm({"action": {"kind": "hang", "seconds": 30}})
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(driver.lookup(), timeout=0.05)
    journal = await driver.journal()
    assert journal["by_outcome"]["injected:hang"] == 1


async def test_releasing_hangs_lets_held_requests_go(
    driver: FaultDriver, mock_app: MockApp
) -> None:
    await driver.arm({"action": {"kind": "hang", "seconds": 30}})
    held = asyncio.ensure_future(driver.lookup())
    async with asyncio.timeout(5):
        while mock_app.state.held == 0:  # noqa: ASYNC110 - poll the mock's state under a deadline
            await asyncio.sleep(0)
    assert (await driver.client.get("/__admin")).json()["held"] == 1
    assert (await driver.client.post("/__admin/hangs/release")).status_code == 204
    with pytest.raises(SimulatedHangTimeout):
        await asyncio.wait_for(held, timeout=5)


@pytest.mark.parametrize(
    ("latency", "at_least_ms"),
    [
        pytest.param({"ms": 30}, 30, id="fixed"),
        pytest.param({"distribution": "uniform", "min_ms": 20, "max_ms": 40}, 20, id="uniform"),
        pytest.param(
            {"distribution": "lognormal", "median_ms": 20, "sigma": 0.01}, 15, id="lognormal"
        ),
    ],
)
async def test_latency_delays_the_answer_and_the_answer_still_comes(
    driver: FaultDriver, latency: dict[str, Any], at_least_ms: float
) -> None:
    await driver.arm({"action": {"kind": "latency", **latency}})
    response = await driver.lookup()
    assert response.status_code == 200
    (entry,) = (await driver.journal(operation=LOOKUP))["entries"]
    assert entry["duration_ms"] >= at_least_ms
    assert entry["outcome"] == "ok"


async def test_expire_tokens_makes_this_and_later_calls_401(driver: FaultDriver) -> None:
    await driver.arm({"action": {"kind": "expire_tokens"}, "times": 1})
    first = await driver.lookup()
    assert first.status_code == 401
    assert "expired" in first.json()["fault"]["description"]
    await driver.login()
    assert (await driver.lookup()).status_code == 200


async def test_fail_twice_then_succeed(driver: FaultDriver) -> None:
    await driver.arm(
        {
            "id": "fail-twice",
            "match": {"operation": LOOKUP},
            "sequence": [
                {"kind": "http_error", "status": 503},
                {"kind": "soap_fault", "code": 500},
            ],
        }
    )
    statuses = [(await driver.lookup()).status_code for _ in range(4)]
    assert statuses == [503, 500, 200, 200]
    rule = (await driver.client.get("/__admin/faults/fail-twice")).json()
    assert rule["fired"] == 2
    assert rule["exhausted"] is True


async def test_a_repeating_sequence_starts_over(driver: FaultDriver) -> None:
    await driver.arm(
        {"sequence": [{"kind": "http_error", "status": 502}, {"kind": "pass"}], "repeat": True}
    )
    statuses = [(await driver.lookup()).status_code for _ in range(4)]
    assert statuses == [502, 200, 502, 200]


async def test_times_limits_how_often_an_action_fires(driver: FaultDriver) -> None:
    await driver.arm({"action": {"kind": "http_error", "status": 504}, "times": 1})
    assert [(await driver.lookup()).status_code for _ in range(2)] == [504, 200]


@pytest.mark.parametrize(
    ("match", "hit", "missed"),
    [
        pytest.param({"operation": HOUSEHOLD}, HOUSEHOLD, LOOKUP, id="per-operation"),
        pytest.param({"personal_id": "SELF"}, "SELF", "OTHER", id="per-citizen"),
    ],
)
async def test_rules_scoped_to_an_operation_or_a_citizen(
    driver: FaultDriver, population: Population, match: dict[str, str], hit: str, missed: str
) -> None:
    (other,) = population.sample(1, page=8)
    numbers = {"SELF": driver.citizen.personal_id, "OTHER": other.personal_id}
    scoped = {key: numbers.get(value, value) for key, value in match.items()}
    await driver.arm({"match": scoped, "action": {"kind": "http_error", "status": 503}})

    async def call(which: str) -> int:
        if which in numbers:
            return (await driver.lookup(numbers[which])).status_code
        return (await driver.lookup(operation=which)).status_code

    assert await call(hit) == 503
    assert await call(missed) == 200


async def test_probability_is_repeatable_from_the_seed(
    mock_settings: MockSettings, citizen: Citizen
) -> None:
    """Same seed, same rules, same requests: the same requests fail."""

    async def run() -> list[int]:
        app = create_mock_app(mock_settings, clock=FakeClock())
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
            driver = FaultDriver(client, citizen)
            await driver.login()
            await driver.arm({"probability": 0.5, "action": {"kind": "http_error", "status": 503}})
            return [(await driver.lookup()).status_code for _ in range(20)]

    first, second = await run(), await run()
    assert first == second
    assert {200, 503} == set(first)


async def test_probability_zero_never_fires(driver: FaultDriver) -> None:
    await driver.arm({"probability": 0, "action": {"kind": "reset"}})
    assert [(await driver.lookup()).status_code for _ in range(5)] == [200] * 5


async def test_faults_on_the_token_endpoint(driver: FaultDriver) -> None:
    await driver.arm(
        {
            "match": {"operation": "token"},
            "action": {"kind": "http_error", "status": 503},
            "times": 1,
        }
    )
    assert (await driver.login()).status_code == 503
    assert (await driver.login()).status_code == 200
    journal = await driver.journal(operation="token")
    assert journal["count"] == 3  # the fixture's login, the failed one, the good one


async def test_the_journal_counts_per_operation_and_citizen_and_resets(
    driver: FaultDriver, population: Population
) -> None:
    (other,) = population.sample(1, page=9)
    await driver.lookup()
    await driver.lookup()
    await driver.lookup(other.personal_id)
    await driver.lookup(operation=HOUSEHOLD)
    journal = await driver.journal()
    assert journal["by_operation"] == {"token": 1, LOOKUP: 3, HOUSEHOLD: 1}
    assert journal["by_number"] == {driver.citizen.personal_id: 3, other.personal_id: 1}
    per_citizen = await driver.journal(operation=LOOKUP, personal_id=driver.citizen.personal_id)
    assert per_citizen["count"] == 2
    assert {e["request_id"] for e in per_citizen["entries"]} == {"req-1"}
    assert (await driver.client.delete("/__admin/journal")).status_code == 204
    assert (await driver.journal())["total"] == 0


async def test_rules_can_be_listed_and_removed(driver: FaultDriver) -> None:
    created = await driver.arm({"action": {"kind": "http_error", "status": 502}})
    listed = (await driver.client.get("/__admin/faults")).json()["faults"]
    assert [rule["id"] for rule in listed] == [created["id"]]
    assert (await driver.client.delete(f"/__admin/faults/{created['id']}")).status_code == 204
    assert (await driver.client.delete(f"/__admin/faults/{created['id']}")).status_code == 404
    assert (await driver.lookup()).status_code == 200


@pytest.mark.parametrize(
    "rule",
    [
        pytest.param({"action": {"kind": "explode"}}, id="unknown-kind"),
        pytest.param({}, id="neither-action-nor-sequence"),
        pytest.param({"action": {"kind": "reset"}, "sequence": [{"kind": "reset"}]}, id="both"),
        pytest.param({"probability": 2, "action": {"kind": "reset"}}, id="probability-above-one"),
        pytest.param({"action": {"kind": "http_error", "status": 418}}, id="status-not-offered"),
    ],
)
async def test_invalid_rules_are_refused_with_400(
    driver: FaultDriver, rule: dict[str, Any]
) -> None:
    response = await driver.client.post("/__admin/faults", json=rule)
    assert response.status_code == 400
    assert "error" in response.json()


# ---------------------------------------------------------------- scenario files


async def test_a_scenario_file_loaded_at_start_drives_the_faults(
    tmp_path: Path, mock_settings: MockSettings, citizen: Citizen
) -> None:
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(
        "dialect: live\n"
        "faults:\n"
        f"  - {{id: one, match: {{personal_id: '{citizen.personal_id}'}}, "
        "action: {kind: http_error, status: 502}, times: 1}\n"
        "  - {id: two, match: {operation: CungCapThongTinHoGiaDinh},"
        " action: {kind: malformed_xml}}\n",
        encoding="utf-8",
    )
    app = create_mock_app(mock_settings.model_copy(update={"scenario": scenario}))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://m") as c:
        driver = FaultDriver(c, citizen)
        await driver.login()
        assert (await driver.lookup()).status_code == 502
        answer = await driver.lookup()
        assert citizen.full_name.upper() in answer.text  # the scenario chose the live dialect
        household = await driver.lookup(operation=HOUSEHOLD)
        with pytest.raises(etree.XMLSyntaxError):
            etree.fromstring(household.content)
        journal = await driver.journal()
    assert journal["by_outcome"] == {
        "ok": 2,
        "injected:http_error": 1,
        "injected:malformed_xml": 1,
    }
    assert journal["by_number"] == {citizen.personal_id: 3}


async def test_a_scenario_can_be_put_through_the_admin_api(driver: FaultDriver) -> None:
    text = (SCENARIOS / "retry-then-succeed.yaml").read_bytes()
    response = await driver.client.put("/__admin/scenario", content=text)
    assert response.status_code == 200
    assert response.json()["faults"] == ["fail-twice"]
    assert [(await driver.lookup()).status_code for _ in range(3)] == [503, 500, 200]


async def test_an_invalid_scenario_is_refused(driver: FaultDriver) -> None:
    response = await driver.client.put("/__admin/scenario", content=b"faults: [{kind: nope}]")
    assert response.status_code == 400


@pytest.mark.parametrize("path", sorted(SCENARIOS.iterdir()), ids=lambda p: p.name)
def test_every_example_scenario_is_valid(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.faults


EVERY_KIND = {
    "001000000001": ({"kind": "latency", "ms": 5}, "not_found"),
    "001000000002": ({"kind": "latency", "distribution": "uniform", "max_ms": 5}, "not_found"),
    "001000000003": ({"kind": "latency", "distribution": "lognormal", "median_ms": 2}, "not_found"),
    "001000000004": ({"kind": "hang", "seconds": 0.01}, "injected:hang"),
    "001000000005": ({"kind": "http_error", "status": 500}, "injected:http_error"),
    "001000000006": ({"kind": "http_error", "status": 502}, "injected:http_error"),
    "001000000007": ({"kind": "http_error", "status": 503}, "injected:http_error"),
    "001000000008": ({"kind": "http_error", "status": 504}, "injected:http_error"),
    "001000000009": ({"kind": "http_error", "status": 429}, "injected:http_error"),
    "001000000010": ({"kind": "reset"}, "injected:reset"),
    "001000000011": ({"kind": "malformed_xml"}, "injected:malformed_xml"),
    "001000000012": ({"kind": "truncated"}, "injected:truncated"),
    "001000000013": ({"kind": "soap_fault", "code": 201}, "injected:soap_fault"),
    "001000000014": ({"kind": "expire_tokens"}, "injected:expire_tokens:unauthorized"),
    "001000000015": ({"kind": "pass"}, "not_found"),
}


async def test_every_fault_kind_from_one_scenario_file_with_journal_counts(
    tmp_path: Path, mock_settings: MockSettings, citizen: Citizen
) -> None:
    """One rule per kind, keyed by citizen number, loaded from a file at start-up."""
    lines = ["faults:"]
    for number, (action, _) in EVERY_KIND.items():
        rule = {"id": f"n{number[-2:]}", "match": {"personal_id": number}, "action": action}
        lines.append(f"  - {json.dumps(rule)}")  # JSON is YAML: one flow mapping per line
    scenario = tmp_path / "every-kind.yaml"
    scenario.write_text("\n".join(lines) + "\n", encoding="utf-8")
    app = create_mock_app(mock_settings.model_copy(update={"scenario": scenario}))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://m") as c:
        driver = FaultDriver(c, citizen)
        for number in EVERY_KIND:
            await driver.login()
            for _ in range(2):
                # reset, truncated and hang surface as transport errors in process
                with contextlib.suppress(httpx.TransportError):
                    await driver.lookup(number)
        journal = await driver.journal(operation=LOOKUP, limit=1000)
    assert journal["count"] == 2 * len(EVERY_KIND)
    assert journal["by_number"] == dict.fromkeys(EVERY_KIND, 2)
    for number, (_, outcome) in EVERY_KIND.items():
        entries = [e for e in journal["entries"] if e["number"] == number]
        assert [e["outcome"] for e in entries] == [outcome, outcome], number
        assert all(e["rule"] == f"n{number[-2:]}" for e in entries) or outcome == "not_found"
