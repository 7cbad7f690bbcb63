"""The optional AIMD limit: down when data calls are slow, back up when they are fast and busy."""

from __future__ import annotations

from gateway.admission import Admission, AdmissionController, AimdLimit
from gateway.settings import Settings


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def aimd(limit: int = 20, min_limit: int = 2) -> tuple[AdmissionController, AimdLimit, FakeClock]:
    clock = FakeClock()
    controller = AdmissionController(limit, queue_max=limit)
    return controller, AimdLimit(controller, target_s=1.0, min_limit=min_limit, clock=clock), clock


def test_a_slow_call_lowers_the_limit_once_per_target_period() -> None:
    controller, adaptive, clock = aimd()
    for _ in range(10):
        adaptive.on_sample(2.0)  # one slow burst ...
    assert controller.limit == 18  # ... is one step of 10 %
    clock.now += 1.5
    adaptive.on_sample(2.0)
    assert controller.limit == 16


def test_the_limit_never_falls_below_its_floor() -> None:
    controller, adaptive, clock = aimd(limit=4, min_limit=3)
    for _ in range(20):
        clock.now += 2
        adaptive.on_sample(5.0)
    assert controller.limit == 3


async def test_fast_busy_calls_raise_it_back_to_the_configured_ceiling() -> None:
    controller, adaptive, clock = aimd(limit=10)
    clock.now += 2
    adaptive.on_sample(3.0)
    assert controller.limit == 9
    for _ in range(5):
        await controller.acquire("portal", 1.0, wait_s=0.0)  # half the limit in use
    for _ in range(200):
        adaptive.on_sample(0.05)
    assert controller.limit == 10


def test_fast_calls_on_an_idle_gateway_do_not_inflate_it() -> None:
    controller, adaptive, clock = aimd(limit=10)
    clock.now += 2
    adaptive.on_sample(3.0)
    for _ in range(200):
        adaptive.on_sample(0.05)  # nothing in flight: no evidence the limit is too low
    assert controller.limit == 9


def test_the_settings_switch_it_on() -> None:
    assert Admission.from_settings(Settings()).adaptive is None
    adaptive = Admission.from_settings(Settings(admission_adaptive=True)).adaptive
    assert adaptive is not None
    assert adaptive.limit == Settings().admission_limit
