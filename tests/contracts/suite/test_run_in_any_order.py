"""The checklist's verdicts do not depend on the order it is listed in, nor on what else runs.

Against the healthy deployment every check passes in registration order (test_run_against_stack).
Here the same checks, listed reversed or shuffled, and each selected alone (``--only``: the runner
then runs the producers of what it needs first), must give that same verdict: passed.
"""

from __future__ import annotations

import random
import time

import pytest

from contracts.suite import CHECKS, RunReport, Status, run_suite
from contracts.suite._registry import Checklist
from tests.contracts.suite.conftest import Deployment

pytestmark = pytest.mark.process

# The rate-limit check leaves the basic portal throttled: its burst of 40 at 5 calls a second
# (conftest) is whole again after 8 s, before the next run may call as that portal.
_THROTTLED_CHECK, _REFILL_S = "security.rate-limit", 8.0


def _not_passed(report: RunReport) -> dict[str, str]:
    return {
        r.check_id: f"{r.status.value}: {r.message}"
        for r in report.results
        if r.status is not Status.PASSED
    }


def _listed(how: str) -> Checklist:
    if how == "reversed":
        return Checklist(reversed(CHECKS))
    return Checklist(random.Random(19).sample(list(CHECKS), len(CHECKS)))


@pytest.mark.slow  # a whole run, Schemathesis included: about 30 s
@pytest.mark.parametrize("how", ["reversed", "shuffled"])
def test_every_check_passes_whatever_order_it_is_listed_in(healthy: Deployment, how: str) -> None:
    report = run_suite(healthy.config(), checks=_listed(how))
    assert {r.check_id for r in report.results} == {c.check_id for c in CHECKS}
    assert _not_passed(report) == {}


@pytest.mark.parametrize(
    "check_id",
    [
        pytest.param(c.check_id, marks=pytest.mark.slow)  # Schemathesis: about 20 s
        if c.check_id == "data.peer-conformance"
        else c.check_id
        for c in CHECKS
    ],
)
def test_every_check_passes_selected_alone(healthy: Deployment, check_id: str) -> None:
    report = run_suite(healthy.config(), only={check_id})
    if check_id == _THROTTLED_CHECK:
        time.sleep(_REFILL_S)
    assert [r.check_id for r in report.results] == [check_id]
    assert _not_passed(report) == {}
