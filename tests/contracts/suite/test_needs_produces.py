"""Checks declare what they need and produce; the runner orders, completes and skips by that alone.

No gateway is needed here: the declarations are checked statically, and the runs use a transport
that answers nothing a check would call (the checks that run are fakes, or are skipped first).
"""

from __future__ import annotations

import httpx
import pytest
from typer.testing import CliRunner

from contracts.suite import CHECKS, Credentials, Status, SuiteConfig, run_suite
from contracts.suite._context import CheckSkipped, RunContext
from contracts.suite._facts import FOUND, GIVEN, CitizenPool, Fact
from contracts.suite._model import Concern
from contracts.suite._plan import plan, producers
from contracts.suite._registry import Checklist
from gateway.cli import app

OFFLINE = SuiteConfig("http://gateway.invalid", Credentials("portal", "portal-secret"))


def _unreachable(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"no call expected, got {request.method} {request.url}")


def test_every_declared_need_and_product_is_a_fact() -> None:
    for item in CHECKS:
        assert all(isinstance(n, Fact) for n in (*item.needs, *item.produces)), item.check_id


def test_every_need_is_given_found_or_produced_no_later_than_its_consumer() -> None:
    """A check never waits for a fact nobody makes, nor for one made in a later phase."""
    for item in CHECKS:
        for need in item.needs:
            makers = producers(CHECKS, need)
            assert need in GIVEN | FOUND or makers, f"{item.check_id} needs {need}"
            late = [m.check_id for m in makers if m.phase > item.phase]
            assert not late, f"{item.check_id} needs {need} from later {late}"


def test_the_full_plan_runs_producers_first_and_phases_in_turn() -> None:
    order = [step.check for step in plan(CHECKS)]
    assert sorted(c.check_id for c in order) == sorted(c.check_id for c in CHECKS)
    assert [c.phase for c in order] == sorted(c.phase for c in order)
    for position, item in enumerate(order):
        later = {f for c in order[position + 1 :] for f in c.produces}
        assert not later & set(item.needs), item.check_id


def test_the_plan_does_not_depend_on_registration_order_but_for_ties() -> None:
    """Reversed, the list still puts every producer before its consumers."""
    reversed_checks = Checklist(reversed(CHECKS))
    order = [step.check for step in plan(reversed_checks)]
    for position, item in enumerate(order):
        later = {f for c in order[position + 1 :] for f in c.produces}
        assert not later & set(item.needs), item.check_id
    assert order[-1].check_id == "data.spec-coverage"


def test_a_check_selected_alone_brings_one_producer_of_each_need() -> None:
    steps = plan(CHECKS, {"audit.upstream-attempts"})
    assert [(s.check.check_id, s.selected) for s in steps] == [
        ("resilience.retry-then-succeed", False),
        ("audit.upstream-attempts", True),
    ]
    [lookup, subject] = plan(CHECKS, {"audit.subject-view"})
    assert (lookup.check.check_id, subject.check.check_id) == ("data.lookup", "audit.subject-view")


def test_a_selected_producer_is_not_run_twice() -> None:
    steps = plan(CHECKS, {"audit.subject-view", "data.minimisation"})
    assert [s.check.check_id for s in steps] == ["data.minimisation", "audit.subject-view"]
    assert all(s.selected for s in steps)


def test_an_unknown_check_id_is_refused() -> None:
    with pytest.raises(ValueError, match=r"no-such\.check"):
        plan(CHECKS, {"no-such.check"})


def test_a_given_need_missing_skips_the_check_and_its_helpers_never_run() -> None:
    """Without --mock-admin, the attempts' comparison is skipped, naming the missing fact."""
    auditor = SuiteConfig(
        OFFLINE.gateway_url, OFFLINE.client, auditor=Credentials("auditor", "auditor-secret")
    )
    report = run_suite(
        auditor, only={"audit.upstream-attempts"}, transport=httpx.MockTransport(_unreachable)
    )
    [result] = report.results
    assert result.status is Status.SKIPPED
    assert result.message.startswith("needs mock: --mock-admin")
    [helper] = result.notes
    assert helper.startswith("ran resilience.retry-then-succeed first for attempts: skipped (")
    assert "needs mock: --mock-admin" in helper


def _fake_checklist(produce: bool) -> Checklist:
    fakes = Checklist()

    @fakes.check("fake.consumer", Concern.AUDIT, "t", "p", needs=(Fact.ATTEMPTS,))
    def consumer(ctx: RunContext) -> None:
        ctx.note(f"{len(ctx.facts.attempts)} attempt count(s)")

    @fakes.check("fake.producer", Concern.RESILIENCE, "t", "p", produces=(Fact.ATTEMPTS,))
    def producer(ctx: RunContext) -> None:
        if produce:
            ctx.facts.attempts["ct-1"] = 2

    return fakes


@pytest.mark.parametrize("only", [None, {"fake.consumer"}])
def test_a_produced_need_is_met_whatever_the_registration_order(only: set[str] | None) -> None:
    report = run_suite(
        OFFLINE,
        checks=_fake_checklist(True),
        only=only,
        transport=httpx.MockTransport(_unreachable),
    )
    consumer = next(r for r in report.results if r.check_id == "fake.consumer")
    assert (consumer.status, consumer.notes[-1]) == (Status.PASSED, "1 attempt count(s)")
    assert len(report.results) == (1 if only else 2)


def test_a_need_no_check_produced_is_a_skip_with_the_fact_named_never_a_crash() -> None:
    report = run_suite(
        OFFLINE, checks=_fake_checklist(False), transport=httpx.MockTransport(_unreachable)
    )
    statuses = {r.check_id: (r.status, r.message) for r in report.results}
    assert statuses["fake.consumer"] == (
        Status.SKIPPED,
        "needs attempts, which no check produced in this run (it comes from fake.producer)",
    )


def test_the_pool_hands_each_scenario_its_own_citizen_until_spent() -> None:
    pool = CitizenPool(["054092000001", "054092000002"])
    taken = {pool.take(), pool.take()}
    assert taken == set(pool.everyone)
    assert pool.take() is None
    assert pool
    assert not CitizenPool()


def test_cli_only_refuses_an_unknown_check() -> None:
    result = CliRunner().invoke(
        app,
        ["contract", "run", "--gateway", "http://127.0.0.1:9", "--client", "a:b", "--only", "nope"],
    )
    assert result.exit_code == 2
    assert "no check with the id nope" in result.output


def test_a_need_that_is_no_fact_is_a_skip_naming_it() -> None:
    odd = Checklist()
    odd.check("fake.odd", Concern.AUDIT, "t", "p", needs=("moon-phase",))(lambda ctx: None)
    report = run_suite(OFFLINE, checks=odd, transport=httpx.MockTransport(_unreachable))
    [result] = report.results
    assert (result.status, result.message) == (Status.SKIPPED, "needs moon-phase")


@pytest.mark.parametrize(
    "check_id", ["data.response-schemas", "data.problem-details", "data.request-id-echo"]
)
def test_a_review_with_no_answer_to_judge_is_skipped_never_passed(check_id: str) -> None:
    """A review judges the run's answers; with none (or, for problems, no error) it cannot pass."""
    [review] = [c for c in CHECKS if c.check_id == check_id]
    assert review.needs, "selected alone, a producer must run first to give it answers"
    with httpx.Client(transport=httpx.MockTransport(_unreachable)) as client:
        ctx = RunContext(OFFLINE, None, client, None)  # type: ignore[arg-type]  # never read
        with pytest.raises(CheckSkipped, match="no answer"):
            review.run(ctx)
