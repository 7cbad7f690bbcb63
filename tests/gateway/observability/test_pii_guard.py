"""The suite-wide personal-data check (tests/pii_guard.py) collects what it must and can fail."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest

from tests.gateway.observability.conftest import EXAMPLES
from tests.pii_guard import PersonalData, find_leaks

REPO = Path(__file__).resolve().parents[3]
CITIZEN = {
    "personal_id": "054092000189",
    "cmnd": "221234567",
    "full_name": "Trần Thị Bích",
    "date_of_birth": "1990-05-17",
}


def _data(**fields: object) -> PersonalData:
    data = PersonalData()
    data.add_json({**CITIZEN, **fields})
    return data


def test_citizen_fields_are_collected_at_any_depth() -> None:
    data = PersonalData()
    data.add_json({"members": [CITIZEN], "head": {"personal_id": "079190001234"}})
    assert data.numbers == {"054092000189", "221234567", "079190001234"}
    assert data.names == {"Trần Thị Bích"}
    assert data.dates == {"1990-05-17"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("full_name", "An", id="one-word-name"),
        pytest.param("date_of_birth", "1990", id="year-only-date"),
        pytest.param("personal_id", "12345", id="not-a-number-shape"),
    ],
)
def test_values_too_vague_to_search_for_are_not_collected(field: str, value: str) -> None:
    data = PersonalData()
    data.add_json({field: value})
    assert (data.numbers, data.names, data.dates) == (set(), set(), set())


def test_soap_answers_are_collected() -> None:
    data = PersonalData()
    data.add_xml((EXAMPLES / "lookup-found-live.xml").read_text(encoding="utf-8"))
    assert "054092000123" in data.numbers
    assert "NGUYỄN VĂN AN" in data.names
    assert "1992-11-22" in data.dates


def test_numbers_asked_about_in_paths_are_collected() -> None:
    data = PersonalData()
    request = httpx.Request("GET", "http://gateway.test/api/v1/citizens/054092999999")
    data.add_exchange(request, httpx.Response(404, json={"code": "citizen_not_found"}))
    assert data.numbers == {"054092999999"}


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        pytest.param('{"detail":"054092000189"}', "number", id="number"),
        pytest.param("cmnd=221234567;", "number", id="cmnd"),
        pytest.param('{"note":"TRẦN THỊ BÍCH"}', "name", id="name-any-case"),
        pytest.param('{"note":"Tr\\u1ea7n Th\\u1ecb B\\u00edch"}', "name", id="name-json-escaped"),
        pytest.param("born 1990-05-17.", "birth date", id="iso-date"),
        pytest.param("<NgayThangNam>19900517</NgayThangNam>", "birth date", id="compact-date"),
    ],
)
def test_values_in_clear_are_found(text: str, kind: str) -> None:
    (leak,) = find_leaks([("test_x (stderr call)", text)], _data())
    assert (leak.where, leak.kind) == ("test_x (stderr call)", kind)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param('{"detail":"054*******89"}', id="masked-number"),
        pytest.param('{"id":"90540920001890"}', id="inside-a-longer-run"),
        pytest.param('{"timestamp":"1990-05-17T10:00:00Z"}', id="a-timestamp-is-not-a-birth-date"),
        pytest.param('{"event":"request_completed","status":200}', id="nothing-personal"),
    ],
)
def test_masked_or_unrelated_output_is_clean(text: str) -> None:
    assert find_leaks([("test_x (stderr call)", text)], _data()) == []


def test_the_report_shows_values_masked() -> None:
    (leak,) = find_leaks([("t", "054092000189")], _data())
    assert leak.shown == "054*******89"


PLANTED = '''
    import sys

    import httpx

    from gateway.logs import configure_logging, get_logger

    CITIZEN = {
        "personal_id": "054092000189",
        "full_name": "Trần Thị Bích",
        "date_of_birth": "1990-05-17",
    }


    def _fetch_sample():
        """What the e2e tests do: fetch citizens from the mock's sample endpoint."""
        transport = httpx.MockTransport(lambda request: httpx.Response(200, json=[CITIZEN]))
        with httpx.Client(transport=transport) as client:
            return client.get("http://ngsp.test/__admin/citizens/sample").json()[0]


    def test_guarded_logging_is_clean():
        configure_logging("info", "json")
        person = _fetch_sample()
        get_logger("t").info("looked_up", detail=f"GET /c/{person['personal_id']}", **person)


    def test_leaks_a_name_under_a_key_the_guard_does_not_know():
        configure_logging("info", "json")
        get_logger("t").info("looked_up", note=_fetch_sample()["full_name"])


    def test_leaks_a_number_bypassing_the_logger():
        print("debug:", _fetch_sample()["personal_id"])


    def test_leaks_a_birth_date_on_stderr():
        sys.stderr.write("born " + _fetch_sample()["date_of_birth"] + "\\n")
'''


def test_a_planted_leak_fails_the_session_and_is_named(tmp_path: Path) -> None:
    """The check over the whole suite is not decoration: a session that leaks fails."""
    (tmp_path / "test_planted.py").write_text(textwrap.dedent(PLANTED), encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.pii_guard", "-c", "pytest.ini", "-q"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    out = result.stdout
    assert result.returncode == 1, out
    assert "4 passed" in out
    section = out.split("personal data in clear in captured output")[1]
    assert "test_leaks_a_name_under_a_key_the_guard_does_not_know (stderr call): name" in section
    assert "test_leaks_a_number_bypassing_the_logger (stdout call): number 054*******89" in section
    assert "test_leaks_a_birth_date_on_stderr (stderr call): birth date" in section
    assert "test_guarded_logging_is_clean" not in section
    assert "054092000189" not in out
