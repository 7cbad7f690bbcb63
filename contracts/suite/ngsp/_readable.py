"""``verify-ngsp``'s first verdict: are the national side's answers readable by this gateway?

Each check reads a real answer with the codec the adapter uses (``contracts.wire``), so a go-live
report can never pass a national side the gateway cannot read (issue 17: the suite passed answers
the adapter refused). Schema conformance is the other verdict, judged by the data-contract checks.
"""

from __future__ import annotations

import httpx

from contracts import wire
from contracts.suite._context import CheckFailed, expect
from contracts.suite._facts import Fact
from contracts.suite._model import Concern
from contracts.suite.ngsp._checks import (
    HOUSEHOLD,
    LOOKUP,
    VERIFY,
    NgspContext,
    check,
    subject_of,
    verify_subject,
)
from contracts.suite.ngsp._soap import Subject

__all__: list[str] = []

R = Concern.READABILITY


def _ok(response: httpx.Response) -> bytes:
    expect(response.status_code == 200, f"expected HTTP 200, got {response.status_code}")
    return response.content


def _unreadable(exc: Exception) -> CheckFailed:
    return CheckFailed(f"not readable by this gateway: {exc}")


@check(
    "ngsp.readable-lookup",
    R,
    "The gateway reads look-up answers",
    "The adapter's codec reads the look-up of a known citizen as that citizen, and of an unknown "
    "number as not found (any envelope shape the codec accepts).",
    needs=(Fact.CITIZEN,),
)
def readable_lookup(ctx: NgspContext) -> None:
    number = str(ctx.facts.citizen)
    try:
        found = wire.parse_lookup(_ok(ctx.soap(LOOKUP, subject_of(ctx))), number)
        absent = ctx.facts.absent
        if absent:
            answer = _ok(ctx.soap(LOOKUP, subject_of(ctx, Fact.ABSENT)))
            expect(wire.parse_lookup(answer, str(absent)) is None, "an unknown number was found")
    except (wire.WireError, wire.WireFault) as exc:
        raise _unreadable(exc) from exc
    expect(found is not None, "the known citizen was read as not found")


@check(
    "ngsp.readable-verify",
    R,
    "The gateway reads verification answers",
    "The adapter's codec reads TonTai; with the mock, the sampled citizen's own details read true.",
    needs=(Fact.CITIZEN,),
)
def readable_verify(ctx: NgspContext) -> None:
    try:
        exists = wire.parse_verify(_ok(ctx.soap(VERIFY, verify_subject(ctx))))
    except (wire.WireError, wire.WireFault) as exc:
        raise _unreadable(exc) from exc
    if ctx.facts.person:
        expect(exists, "the citizen's own details read as not verified")


@check(
    "ngsp.readable-household",
    R,
    "The gateway reads household answers",
    "The adapter's codec reads the household of a known citizen, holding that citizen.",
    needs=(Fact.CITIZEN,),
)
def readable_household(ctx: NgspContext) -> None:
    number = str(ctx.facts.citizen)
    try:
        found = wire.parse_household(_ok(ctx.soap(HOUSEHOLD, subject_of(ctx))), number)
    except (wire.WireError, wire.WireFault) as exc:
        raise _unreadable(exc) from exc
    expect(found is not None, "the known citizen's household was read as empty")


@check(
    "ngsp.readable-fault",
    R,
    "The gateway reads a refusal as a Client fault",
    "A look-up with a malformed number answers a SOAP Fault the codec reads as class Client with "
    "MaLoi 302, so the gateway neither retries it nor mistakes it for an outage.",
)
def readable_fault(ctx: NgspContext) -> None:
    response = ctx.soap(LOOKUP, Subject("12345"))
    expect(response.status_code == 500, f"expected HTTP 500, got {response.status_code}")
    fault = wire.fault_if_any(response.content)
    expect(fault is not None, "not readable by this gateway: no SOAP Fault in the answer")
    assert fault is not None  # noqa: S101 - narrowed by expect
    expect(fault.fault_class == "Client", f"fault class {fault.fault_class}, expected Client")
    expect(fault.code == "302", f"MaLoi {fault.code}, expected 302")


@check(
    "ngsp.readable-eras",
    R,
    "The gateway reads addresses of both administrative eras",
    "With the mock serving 2021 and then 2025 address codes (data_era), the codec reads the "
    "same citizen's address in each era with names and the other era's codes.",
    needs=(Fact.CITIZEN, Fact.MOCK),
    required=False,
)
def readable_eras(ctx: NgspContext) -> None:
    if ctx.mock is None:
        raise CheckFailed("no mock admin")
    before = ctx.mock.get("/__admin/config").json().get("data_era", "2021")
    try:
        seen = {era: _address_era(ctx, era) for era in ("2021", "2025")}
    finally:
        ctx.mock.patch("/__admin/config", json={"data_era": before})
    expect(seen == {"2021": "2021", "2025": "2025"}, f"addresses read as eras {seen}")


def _address_era(ctx: NgspContext, era: str) -> str | None:
    assert ctx.mock is not None  # noqa: S101 - checked by the caller
    switched = ctx.mock.patch("/__admin/config", json={"data_era": era})
    expect(switched.status_code == 200, f"the mock could not switch to data_era {era}")
    try:
        citizen = wire.parse_lookup(_ok(ctx.soap(LOOKUP, subject_of(ctx))), str(ctx.facts.citizen))
    except (wire.WireError, wire.WireFault) as exc:
        raise _unreadable(exc) from exc
    address = None if citizen is None else citizen.permanent_address
    expect(address is not None, "the citizen has no permanent address")
    assert address is not None  # noqa: S101 - narrowed by expect
    expect(bool(address.commune_name and address.province_name), f"{era} address not named")
    expect(address.other_era is not None, f"{era} address has no other-era codes")
    return address.era
