"""``verify-ngsp`` against an independent NGSP double whose answers the gateway cannot read.

The double answers look-ups with a record born on 31 February: inside the QCVN 109 XSDs (the
schema's yyyyMMdd pattern accepts it) yet unreadable by the adapter. Before issue 17 the suite
judged only the schemas and would have passed it; now it must say "readable by this gateway:
failed" while the schema verdict still passes.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from contracts.suite import NgspConfig, verify_ngsp

EXAMPLES = Path(__file__).resolve().parents[3] / "contracts" / "examples"
CITIZEN, ABSENT = "054092000123", "054092999999"  # the record of lookup-found-live.xml; nobody
TOKEN = json.loads((EXAMPLES / "token-ok.json").read_text("utf-8"))


def _example(name: str, status: int = 200) -> httpx.Response:
    content = (EXAMPLES / name).read_bytes()
    return httpx.Response(status, content=content, headers={"Content-Type": "text/xml"})


def _soap(request: httpx.Request, lookup_answer: str) -> httpx.Response:
    if request.headers.get("Authorization") != f"Bearer {TOKEN['access_token']}":
        return httpx.Response(401, json={"fault": {"code": 900901, "message": "Invalid"}})
    body = request.content
    if b"12345<" in body:
        return _example("fault-client.xml", 500)
    operation = request.headers["SOAPAction"].strip('"')
    absent = ABSENT.encode() in body
    if operation == "XacThucThongTinCongDan":
        return _example("verify-true.xml")
    if operation == "CungCapThongTinHoGiaDinh":
        return _example("household-not-found.xml" if absent else "household-found.xml")
    return _example("lookup-not-found.xml" if absent else lookup_answer)


def _double(lookup_answer: str) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            if request.content != b"grant_type=client_credentials":
                return httpx.Response(400, json={"error": "unsupported_grant_type"})
            if request.headers["Authorization"] != httpx.BasicAuth("k", "s")._auth_header:
                return httpx.Response(401, json={"error": "invalid_client"})
            return httpx.Response(200, json=TOKEN)
        return _soap(request, lookup_answer)

    return httpx.MockTransport(handle)


def _run(lookup_answer: str) -> dict[str, str]:
    config = NgspConfig("https://ngsp.double", "k", "s", citizen=CITIZEN, absent_citizen=ABSENT)
    report = verify_ngsp(config, transport=_double(lookup_answer))
    return dict(report.aspect_verdicts())


def test_a_double_the_gateway_cannot_read_fails_readability_only() -> None:
    assert _run("lookup-impossible-date.xml") == {
        "readable by this gateway": "failed",
        "conforms to the QCVN 109 XSDs": "passed",
    }


def test_the_same_double_with_a_readable_record_passes_both() -> None:
    """The control: only the unreadable answer makes the difference."""
    assert _run("lookup-found-live.xml") == {
        "readable by this gateway": "passed",
        "conforms to the QCVN 109 XSDs": "passed",
    }
