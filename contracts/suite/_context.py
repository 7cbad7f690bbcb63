"""One run's state: the configuration, the HTTP clients, the tokens, and every call made.

Every call goes through :meth:`RunContext.call`, which gives it a request id of the run
(``ct-<run>-<n>``), times it, and records an :class:`Exchange` on the running check and on the
run (the audit checks later look every audited one up in the trail). It also notes, per call,
how the answer breaks the contract: an undocumented status or a body off its schema, a problem
that is not ``application/problem+json`` with a stable ``code``, a request id not echoed.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from contracts.suite._facts import GIVEN, Fact, Facts
from contracts.suite._model import CheckResult, Exchange, redact
from contracts.suite._openapi import OpenApiContract

__all__ = [
    "CheckFailed",
    "CheckSkipped",
    "Credentials",
    "Defect",
    "RunContext",
    "SuiteConfig",
    "expect",
]

PROBLEM_MEDIA_TYPE = "application/problem+json"
# Paths whose error answers have their own documented format, not problem+json: RFC 6749's JSON
# errors on the token endpoint, and the readiness report (with its reasons) on /readyz.
_OWN_ERROR_FORMATS = ("/oauth2/", "/readyz")
# Statuses any /api/v1 operation may answer as a problem (README "Errors"), listed or not in
# the operation's OpenAPI responses: an unlisted one is a documentation gap, not a break.
API_WIDE_PROBLEMS = frozenset({400, 401, 403, 404, 413, 422, 429, 431, 503})


# Facts read off the calls the run made so far (RunContext._observed), not stored in Facts.
_OBSERVED = frozenset(
    {Fact.AUDITED_CALLS, Fact.PROBLEM_ANSWERS, Fact.CITIZEN_LOOKUPS, Fact.CMND_LOOKUPS}
)


class CheckFailed(Exception):
    """A check's expectation did not hold; the message is the report's one-line reason."""


class CheckSkipped(Exception):
    """The check cannot judge this deployment (the message says why); not a failure."""


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(redact(message))


@dataclass(frozen=True, slots=True)
class Credentials:
    client_id: str
    secret: str

    @classmethod
    def parse(cls, text: str) -> Credentials:
        """``ID:SECRET`` (the secret may itself contain colons)."""
        client_id, sep, secret = text.partition(":")
        if not sep or not client_id or not secret:
            raise ValueError("credentials must be given as CLIENT_ID:SECRET")
        return cls(client_id, secret)


@dataclass(frozen=True, slots=True)
class SuiteConfig:
    gateway_url: str
    client: Credentials
    basic_client: Credentials | None = None
    auditor: Credentials | None = None
    mock_admin_url: str | None = None
    citizen: str | None = None  # a number known to exist (else sampled from the mock)
    absent_citizen: str | None = None  # a well-formed number known not to exist
    purpose_code: str = "1.001612"
    officer_id: str = "contract-suite"
    timeout_s: float = 30.0
    slow_call_ms: float = 3000.0
    admin_token: str | None = None  # LGSP_ADMIN_TOKEN: lets the suite flip the maintenance switch


@dataclass(frozen=True, slots=True)
class Defect:
    """A way one answer broke the contract, found while the call was recorded."""

    kind: str  # "schema", "problem", "request-id"
    exchange: Exchange
    detail: str


@dataclass
class RunContext:
    config: SuiteConfig
    contract: OpenApiContract
    gateway: httpx.Client
    mock: httpx.Client | None
    run_id: str = field(default_factory=lambda: secrets.token_hex(4))
    exchanges: list[Exchange] = field(default_factory=list)
    defects: list[Defect] = field(default_factory=list)
    current: CheckResult | None = None
    facts: Facts = field(default_factory=Facts)  # what the targets and earlier checks learned
    _tokens: dict[str, str] = field(default_factory=dict)
    _counter: int = 0

    def identity(self, name: str) -> Credentials | None:
        return {
            "client": self.config.client,
            "basic": self.config.basic_client,
            "auditor": self.config.auditor,
        }.get(name)

    def has(self, need: str) -> bool:
        """Whether ``need`` is at hand now: given by the tester, found, or produced so far.

        A name that is no :class:`Fact` is never at hand: its check is skipped naming it.
        """
        try:
            fact = Fact(need)
        except ValueError:
            return False
        if fact in GIVEN:
            if fact is Fact.MOCK:  # given, but unusable when it could not be read
                return self.mock is not None and self.facts.mock_error is None
            return self.identity(need) is not None
        return self._observed(fact) if fact in _OBSERVED else self.facts.holds(fact)

    def _observed(self, fact: Fact) -> bool:
        """The facts read off the run's own calls rather than stored."""
        if fact is Fact.AUDITED_CALLS:
            return bool(self.audited_calls())
        if fact is Fact.PROBLEM_ANSWERS:
            return any(exchange.status >= 400 for exchange in self.exchanges)
        number = self.facts.citizen if fact is Fact.CITIZEN_LOOKUPS else self.facts.cmnd
        return number is not None and bool(self.audited_calls(f"/api/v1/citizens/{number}"))

    def audited_calls(self, path: str | None = None) -> list[Exchange]:
        """The run's calls the gateway must have audited (to ``path`` only, when given)."""
        wanted = None if path is None else redact(path)
        return [e for e in self.exchanges if e.audited and wanted in (None, e.path)]

    def next_request_id(self) -> str:
        self._counter += 1
        return f"ct-{self.run_id}-{self._counter:04d}"

    def token(self, name: str) -> str:
        """A bearer token for one of the suite's identities (fetched once, then reused)."""
        if name not in self._tokens:
            credentials = self.identity(name)
            if credentials is None:
                raise CheckFailed(f"no credentials for the {name} identity")
            response = self.request_token(credentials)
            expect(
                response.status_code == 200,
                f"{name} client {credentials.client_id} got no token: {response.status_code}",
            )
            self._tokens[name] = str(response.json()["access_token"])
        return self._tokens[name]

    def request_token(self, credentials: Credentials, secret: str | None = None) -> httpx.Response:
        """``POST /oauth2/token`` (client credentials, HTTP Basic), recorded like any call."""
        return self.call(
            "POST",
            "/oauth2/token",
            template="/oauth2/token",
            data={"grant_type": "client_credentials"},
            auth=(credentials.client_id, secret or credentials.secret),
        )

    def note(self, text: str) -> None:
        """Add a line of evidence to the running check."""
        if self.current is not None:
            self.current.note(text)

    def purpose_headers(self, **extra: str) -> dict[str, str]:
        return {
            "X-Purpose-Code": self.config.purpose_code,
            "X-Officer-Id": self.config.officer_id,
            **extra,
        }

    def as_identity(self, name: str, *, purpose: bool = True) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token(name)}"}
        return {**headers, **self.purpose_headers()} if purpose else headers

    def call(
        self,
        method: str,
        path: str,
        *,
        template: str | None = None,
        identity: str = "-",
        audited: bool = False,
        headers: dict[str, str] | None = None,
        **options: Any,
    ) -> httpx.Response:
        """Make one gateway call and record it (``template``: its OpenAPI path, to validate)."""
        request_id = self.next_request_id()
        started = time.perf_counter()
        response = self.gateway.request(
            method, path, headers={"X-Request-ID": request_id, **(headers or {})}, **options
        )
        exchange = Exchange(
            request_id=request_id,
            method=method,
            path=redact(path),
            status=response.status_code,
            elapsed_ms=round((time.perf_counter() - started) * 1000, 1),
            client=identity,
            audited=audited,
        )
        self.exchanges.append(exchange)
        if self.current is not None:
            self.current.exchanges.append(exchange)
        self._inspect(exchange, response, template)
        return response

    def _inspect(self, exchange: Exchange, response: httpx.Response, template: str | None) -> None:
        if response.headers.get("X-Request-ID") != exchange.request_id:
            self._defect("request-id", exchange, "X-Request-ID not echoed")
        problem = response.headers.get("content-type", "").startswith(PROBLEM_MEDIA_TYPE)
        if exchange.status >= 400 and not exchange.path.startswith(_OWN_ERROR_FORMATS):
            self._check_problem(exchange, response, problem)
        if template is not None:
            body = _json_or_none(response)
            if body is None and response.content:
                self._defect("schema", exchange, "the body is not JSON")
                return
            if not self.contract.documents(template, exchange.method, exchange.status):
                self._undocumented(exchange, problem)
            for violation in self.contract.violations(
                template, exchange.method, exchange.status, body, problem=problem
            ):
                self._defect("schema", exchange, violation)

    def _undocumented(self, exchange: Exchange, problem: bool) -> None:
        """A status the operation does not list: tolerated for API-wide problem statuses."""
        kind = "doc-gap" if problem and exchange.status in API_WIDE_PROBLEMS else "schema"
        self._defect(
            kind, exchange, f"status {exchange.status} is not documented for this operation"
        )

    def _check_problem(self, exchange: Exchange, response: httpx.Response, problem: bool) -> None:
        if not problem:
            self._defect("problem", exchange, "error answer is not application/problem+json")
            return
        body = _json_or_none(response)
        if not isinstance(body, dict) or not isinstance(body.get("code"), str):
            self._defect("problem", exchange, "problem without a string 'code'")
            return
        if body.get("type") != f"urn:lgsp:problem:{body['code']}":
            self._defect("problem", exchange, "problem 'type' does not name its 'code'")
        if body.get("status") != exchange.status:
            self._defect("problem", exchange, "problem 'status' differs from the HTTP status")
        if body.get("request_id") != exchange.request_id:
            self._defect("problem", exchange, "problem 'request_id' is not the request's id")

    def _defect(self, kind: str, exchange: Exchange, detail: str) -> None:
        self.defects.append(Defect(kind, exchange, redact(detail)))

    def mock_admin(self) -> httpx.Client:
        if self.mock is None:
            raise CheckFailed("no --mock-admin URL given")
        return self.mock


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
