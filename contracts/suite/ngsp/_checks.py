"""``verify-ngsp``: the provider side of the contract, checked against an NGSP endpoint.

The token contract (WSO2 client credentials, docs/wire-format.md), refusal of bad credentials and
of invalid or expired tokens, and for each SOAP operation two separate judgements of its answers:
*readable by this gateway* (the shared codec the adapter uses reads found, not found and a fault)
and *conforms to the QCVN 109 XSDs* (found, not found, and the SOAP Fault of a refused request).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from lxml import etree

from contracts import wire
from contracts.suite._context import CheckFailed, expect
from contracts.suite._facts import Fact, Facts
from contracts.suite._model import CheckResult, Concern, Exchange, redact
from contracts.suite._registry import Checklist
from contracts.suite.ngsp._soap import (
    DAN,
    DC,
    SOAPENV,
    Subject,
    parse_answer,
    soap_request,
    xsd_errors,
)

__all__ = [
    "NGSP_CHECKS",
    "NgspConfig",
    "NgspContext",
    "check",
    "subject_of",
    "verify_subject",
]

LOOKUP, VERIFY, HOUSEHOLD = wire.Operation.LOOKUP, wire.Operation.VERIFY, wire.Operation.HOUSEHOLD
NGSP_CHECKS = Checklist()
check = NGSP_CHECKS.check
WSO2_INVALID_CREDENTIALS = 900901


@dataclass(frozen=True, slots=True)
class NgspConfig:
    base_url: str
    consumer_key: str
    consumer_secret: str
    citizen: str | None = None
    absent_citizen: str | None = None
    mock_admin_url: str | None = None
    population_path: str = "/dancu/1.0/CongDan"
    token_path: str = "/token"  # noqa: S105 -- a URL path, not a secret
    timeout_s: float = 30.0
    request_suffix: wire.RequestSuffix = ""  # as LGSP_NGSP_REQUEST_SUFFIX of the gateway


@dataclass
class NgspContext:
    """One ``verify-ngsp`` run: the gateway suite's typed :class:`Facts`, of which it uses the
    given ``mock`` and the found ``citizen``, ``absent`` and ``person`` (and the token cache)."""

    config: NgspConfig
    http: httpx.Client
    mock: httpx.Client | None
    current: CheckResult | None = None
    facts: Facts = field(default_factory=Facts)
    exchanges: list[Exchange] = field(default_factory=list)

    def has(self, need: str) -> bool:
        """Whether ``need`` is at hand: the mock when given and readable, else a found fact."""
        try:
            fact = Fact(need)
        except ValueError:
            return False
        if fact is Fact.MOCK:
            return self.mock is not None and self.facts.mock_error is None
        return self.facts.holds(fact)

    def note(self, text: str) -> None:
        if self.current is not None:
            self.current.note(text)

    def post(self, path: str, label: str, **options: Any) -> httpx.Response:
        request_id = f"ct-{secrets.token_hex(4)}"
        started = time.perf_counter()
        response = self.http.post(path, **options)
        exchange = Exchange(
            request_id=request_id,
            method="POST",
            path=f"{path} ({label})",
            status=response.status_code,
            elapsed_ms=round((time.perf_counter() - started) * 1000, 1),
            client="ngsp",
            audited=False,
        )
        self.exchanges.append(exchange)
        if self.current is not None:
            self.current.exchanges.append(exchange)
        return response

    def token(self, *, fresh: bool = False) -> str:
        if fresh or self.facts.ngsp_token is None:
            response = self.request_token()
            expect(response.status_code == 200, f"token endpoint answered {response.status_code}")
            self.facts.ngsp_token = str(response.json()["access_token"])
        return self.facts.ngsp_token

    def request_token(
        self, secret: str | None = None, grant: str = "client_credentials"
    ) -> httpx.Response:
        auth = (self.config.consumer_key, secret or self.config.consumer_secret)
        return self.post(self.config.token_path, "token", data={"grant_type": grant}, auth=auth)

    def soap(self, operation: str, subject: Subject, token: str | None = None) -> httpx.Response:
        body = soap_request(
            operation,
            subject,
            request_id=f"ct-{secrets.token_hex(6)}",
            suffix=self.config.request_suffix,
        )
        headers = {
            "Authorization": f"Bearer {token or self.token()}",
            "Content-Type": "text/xml; charset=utf-8",
            "SOAPAction": f'"{operation}"',
        }
        return self.post(self.config.population_path, operation, content=body, headers=headers)


def valid_answer(ctx: NgspContext, response: httpx.Response, status: int = 200) -> etree._Element:
    """The answer's envelope, once its status is ``status`` and it validates against the XSDs."""
    expect(response.status_code == status, f"expected HTTP {status}, got {response.status_code}")
    try:
        root = parse_answer(response.content)
    except ValueError as exc:
        raise CheckFailed(str(exc)) from exc
    errors = xsd_errors(root)
    for error in errors[:10]:
        ctx.note(f"XSD: {error}")
    expect(not errors, f"the answer breaks the QCVN 109 schemas ({len(errors)} error(s))")
    return root


def subject_of(ctx: NgspContext, fact: Fact = Fact.CITIZEN) -> Subject:
    """The citizen (or, with ``Fact.ABSENT``, the number nobody holds) as a request subject."""
    number = ctx.facts.absent if fact is Fact.ABSENT else ctx.facts.citizen
    return Subject(str(number))


def verify_subject(ctx: NgspContext) -> Subject:
    """The sampled citizen's own name and birth date (with the mock), else placeholders."""
    person: dict[str, Any] = ctx.facts.person or {}
    birth = str(person.get("date_of_birth") or "1990").replace("-", "")
    full_name = str(person.get("full_name") or "NGUYEN VAN A")
    return Subject(str(ctx.facts.citizen), full_name, birth)


@check(
    "ngsp.token",
    Concern.CONNECTIVITY,
    "Token endpoint issues WSO2 bearer tokens",
    "POST {token path} with Basic consumer key:secret and grant_type=client_credentials answers "
    "200 JSON with access_token, token_type Bearer, a positive expires_in and scope.",
)
def token(ctx: NgspContext) -> None:
    response = ctx.request_token()
    expect(response.status_code == 200, f"token endpoint answered {response.status_code}")
    body = response.json()
    expect(isinstance(body.get("access_token"), str), "no access_token")
    expect(str(body.get("token_type")).lower() == "bearer", "token_type is not Bearer")
    expect(isinstance(body.get("expires_in"), int) and body["expires_in"] > 0, "bad expires_in")
    expect(isinstance(body.get("scope"), str), "no scope")
    ctx.facts.ngsp_token = str(body["access_token"])


@check(
    "ngsp.token-refusals",
    Concern.SECURITY,
    "Bad consumer credentials and other grants are refused",
    "A wrong consumer secret answers 401 invalid_client; another grant type answers 400 "
    "unsupported_grant_type.",
)
def token_refusals(ctx: NgspContext) -> None:
    wrong = ctx.request_token(secret=f"wrong-{secrets.token_hex(4)}")
    expect(wrong.status_code == 401, f"wrong secret answered {wrong.status_code}")
    expect(
        wrong.json().get("error") == "invalid_client", "wrong secret: error is not invalid_client"
    )
    grant = ctx.request_token(grant="password")
    expect(grant.status_code == 400, f"password grant answered {grant.status_code}")
    expect(
        grant.json().get("error") == "unsupported_grant_type", "error is not unsupported_grant_type"
    )


def _expect_refused(response: httpx.Response) -> None:
    expect(response.status_code == 401, f"expected 401, got {response.status_code}")
    code = response.json().get("fault", {}).get("code")
    expect(code == WSO2_INVALID_CREDENTIALS, f"fault code {code}, expected 900901")


@check(
    "ngsp.invalid-token",
    Concern.SECURITY,
    "Unknown tokens are refused",
    "A SOAP call with a bearer token NGSP never issued answers 401 with WSO2 fault 900901.",
    needs=(Fact.CITIZEN,),
)
def invalid_token(ctx: NgspContext) -> None:
    forged = "00000000-0000-4000-8000-000000000000"
    _expect_refused(ctx.soap(LOOKUP, subject_of(ctx), token=forged))


@check(
    "ngsp.expired-token",
    Concern.SECURITY,
    "Expired tokens are refused",
    "After every token is expired (mock admin), a SOAP call with the old token answers 401 "
    "with WSO2 fault 900901.",
    needs=(Fact.CITIZEN, Fact.MOCK),
    required=False,
)
def expired_token(ctx: NgspContext) -> None:
    old = ctx.token(fresh=True)
    if ctx.mock is None:
        raise CheckFailed("no mock admin")
    expect(
        ctx.mock.post("/__admin/tokens/expire").status_code < 400, "mock could not expire tokens"
    )
    _expect_refused(ctx.soap(LOOKUP, subject_of(ctx), token=old))
    ctx.token(fresh=True)


@check(
    "ngsp.lookup",
    Concern.DATA_CONTRACT,
    "TraCuuThongTinCongDan answers a valid CongdanCollection",
    "A look-up of a known citizen validates against the XSDs and holds one CongDan with the "
    "SoDinhDanh asked for.",
    needs=(Fact.CITIZEN,),
)
def lookup(ctx: NgspContext) -> None:
    root = valid_answer(ctx, ctx.soap(LOOKUP, subject_of(ctx)))
    numbers = root.findall(f".//{{{DC}}}CongDan/{{{DC}}}SoDinhDanh")
    expect(len(numbers) == 1, f"{len(numbers)} CongDan in the answer, expected 1")
    expect(numbers[0].text == ctx.facts.citizen, "the CongDan is not the citizen asked for")


@check(
    "ngsp.lookup-not-found",
    Concern.DATA_CONTRACT,
    "An unknown citizen is an empty collection, not a fault",
    "A look-up of a number nobody holds answers a valid CongdanCollection with no CongDan.",
    needs=(Fact.ABSENT,),
)
def lookup_not_found(ctx: NgspContext) -> None:
    root = valid_answer(ctx, ctx.soap(LOOKUP, subject_of(ctx, Fact.ABSENT)))
    expect(root.find(f".//{{{DC}}}CongdanCollection") is not None, "no CongdanCollection")
    expect(not root.findall(f".//{{{DC}}}CongDan"), "an unknown number returned a CongDan")


@check(
    "ngsp.verify",
    Concern.DATA_CONTRACT,
    "XacThucThongTinCongDan answers a valid TonTai",
    "A verification answers a valid KetQuaXacThucResponse; with the mock, the sampled citizen's "
    "own name and birth date give TonTai true.",
    needs=(Fact.CITIZEN,),
)
def verify(ctx: NgspContext) -> None:
    person = ctx.facts.person or {}
    root = valid_answer(ctx, ctx.soap(VERIFY, verify_subject(ctx)))
    found = root.find(f".//{{{DC}}}TonTai")
    expect(found is not None, "no TonTai in the answer")
    if person:
        expect(
            found is not None and found.text == "true", "the citizen's own details did not verify"
        )


@check(
    "ngsp.household",
    Concern.DATA_CONTRACT,
    "CungCapThongTinHoGiaDinh answers a valid HoGiaDinh",
    "The household of a known citizen validates against the XSDs with SoThanhVien ≥ 1; of an "
    "unknown number, SoThanhVien 0.",
    needs=(Fact.CITIZEN,),
)
def household(ctx: NgspContext) -> None:
    root = valid_answer(ctx, ctx.soap(HOUSEHOLD, subject_of(ctx)))
    found = root.find(f".//{{{DC}}}HoGiaDinh")
    expect(found is not None and int(found.get("SoThanhVien", "0")) >= 1, "no household members")
    if ctx.facts.absent:
        root = valid_answer(ctx, ctx.soap(HOUSEHOLD, subject_of(ctx, Fact.ABSENT)))
        found = root.find(f".//{{{DC}}}HoGiaDinh")
        expect(found is not None and found.get("SoThanhVien") == "0", "unknown number has members")


@check(
    "ngsp.fault-shape",
    Concern.DATA_CONTRACT,
    "A refused request is a valid SOAP Client fault",
    "A look-up whose number is neither 12 nor 9 digits answers HTTP 500 with a SOAP 1.1 Fault "
    "(faultcode Client) whose detail Loi/MaLoi is 302 DATA_TYPE_INVALID, valid against the XSDs.",
)
def fault_shape(ctx: NgspContext) -> None:
    root = valid_answer(ctx, ctx.soap(LOOKUP, Subject("12345")), status=500)
    fault = root.find(f".//{{{SOAPENV}}}Fault")
    expect(fault is not None, "no SOAP Fault in the answer")
    code = fault.findtext("faultcode") if fault is not None else None
    expect(str(code).endswith("Client"), f"faultcode {code}, expected Client")
    ma_loi = root.findtext(f".//{{{DAN}}}MaLoi")
    expect(ma_loi == "302", f"MaLoi {ma_loi}, expected 302")
    ctx.note(redact(f"fault: {code} / MaLoi {ma_loi}"))
