"""Fault rules as testers write them (admin API body or scenario file), validated by pydantic.

A rule says *which* requests it applies to (``match``: an operation, a citizen number, or both;
nothing means every request), *how often* (``probability``, ``times``) and *what* happens: one
``action``, or a ``sequence`` of actions taken one per matching request ("fail twice, then
succeed" is ``sequence: [{kind: http_error, status: 503}, {kind: http_error, status: 503}]``).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "Action",
    "ExpireTokens",
    "Hang",
    "HttpError",
    "Latency",
    "Malformed",
    "Match",
    "Pass",
    "Reset",
    "RuleSpec",
    "Scenario",
    "SoapFaultAction",
    "Truncated",
]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Latency(_Spec):
    """Delay the answer, then go on (other rules may still act). Not terminal."""

    kind: Literal["latency"]
    distribution: Literal["fixed", "uniform", "lognormal"] = "fixed"
    ms: float = Field(0.0, ge=0, description="fixed: the delay.")
    min_ms: float = Field(0.0, ge=0, description="uniform: lower bound.")
    max_ms: float = Field(0.0, ge=0, description="uniform: upper bound.")
    median_ms: float = Field(0.0, ge=0, description="lognormal: the median delay.")
    sigma: float = Field(0.5, ge=0, description="lognormal: shape (std-dev of the log).")


class Hang(_Spec):
    """Hold the request without answering until the client gives up (or ``seconds`` pass)."""

    kind: Literal["hang"]
    seconds: float | None = Field(None, gt=0, description="Default: setting max_hang_s.")


class HttpError(_Spec):
    """An HTTP error from the NGSP gateway (no SOAP): 429, 500, 502, 503 or 504."""

    kind: Literal["http_error"]
    status: Literal[429, 500, 502, 503, 504] = 503
    retry_after: int | None = Field(None, ge=0, description="Retry-After seconds (429: default 1).")


class Reset(_Spec):
    """Drop the connection with no answer at all (TCP reset)."""

    kind: Literal["reset"]


class Malformed(_Spec):
    """HTTP 200 whose body is not well-formed XML."""

    kind: Literal["malformed_xml"]


class Truncated(_Spec):
    """Start the real answer, then close the connection part-way through the body."""

    kind: Literal["truncated"]
    fraction: float = Field(0.5, gt=0, lt=1, description="Share of the body sent.")


class SoapFaultAction(_Spec):
    """A SOAP Fault (HTTP 500) with the chosen NGSP code."""

    kind: Literal["soap_fault"]
    code: int = Field(500, description="100, 101, 106, 108, 200, 201, 302, 500, ...")
    fault_class: Literal["Client", "Server"] | None = Field(
        None, description="Default: Server for codes >= 500, else Client."
    )
    message: str = "Lỗi mô phỏng từ mock"


class ExpireTokens(_Spec):
    """Expire every issued token now; the request itself then meets its own expired token."""

    kind: Literal["expire_tokens"]


class Pass(_Spec):
    """Answer normally (a step of a sequence that lets one request through)."""

    kind: Literal["pass"]


Action = Annotated[
    Latency
    | Hang
    | HttpError
    | Reset
    | Malformed
    | Truncated
    | SoapFaultAction
    | ExpireTokens
    | Pass,
    Field(discriminator="kind"),
]


class Match(_Spec):
    operation: str | None = Field(
        None,
        description="TraCuuThongTinCongDan, XacThucThongTinCongDan, "
        "CungCapThongTinHoGiaDinh, or token; none: every operation.",
    )
    personal_id: str | None = Field(
        None, description="The request's SoDinhDanh or SoCMND; none: every citizen."
    )

    def applies(self, operation: str, number: str | None) -> bool:
        if self.operation is not None and self.operation != operation:
            return False
        return self.personal_id is None or self.personal_id == number


class RuleSpec(_Spec):
    id: str | None = Field(None, description="Chosen by the tester, or assigned (rule-1, ...).")
    match: Match = Match()
    probability: float = Field(
        1.0, ge=0, le=1, description="Chance that a matching request is hit."
    )
    action: Action | None = None
    sequence: list[Action] | None = Field(None, min_length=1)
    times: int | None = Field(None, ge=1, description="action: fire at most this many times.")
    repeat: bool = Field(False, description="sequence: start over after the last step.")

    @model_validator(mode="after")
    def _one_behaviour(self) -> RuleSpec:
        if (self.action is None) == (self.sequence is None):
            raise ValueError("a rule has exactly one of 'action' and 'sequence'")
        if self.sequence is not None and self.times is not None:
            raise ValueError("'times' applies to 'action'; a sequence ends after its last step")
        return self


class Scenario(_Spec):
    """A scenario file: optional run-time configuration, then the fault rules in order."""

    dialect: Literal["qcvn", "live", "mixed"] | None = None
    token_lifetime_s: int | None = Field(None, ge=1)
    faults: list[RuleSpec] = []
