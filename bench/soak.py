"""Memory under steady load: the gateway's resident set sampled while open-loop load runs.

The sampler reads ``/proc/<pid>/status`` once a second from a thread, so it keeps its pace while
the generator owns the event loop. *Flat* is judged on the least-squares slope of VmRSS after the
first minute (pools and caches fill during it: growth then is not a leak), and only when at least
another minute follows; a shorter soak (``make bench``'s quick one) reports no verdict.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from bench.jobs_bench import memory_kib
from bench.open_loop import OpenLoopResult, run_open_loop
from bench.target import Target

__all__ = ["FLAT_MIB_PER_MIN", "SoakResult", "soak"]

FLAT_MIB_PER_MIN = 1.0  # at most 60 MiB an hour; a leak of a few hundred bytes a call shows
SETTLE_SAMPLES = 60  # one a second: the first minute


@dataclass(frozen=True)
class SoakResult:
    seconds: float
    rate: float
    samples_mib: list[float]
    max_rss_mib: float
    peak_vmhwm_mib: float  # includes the Argon2 spike of the one token request at set-up
    slope_mib_per_min: float | None  # None: too short to judge
    load: OpenLoopResult

    @property
    def flat(self) -> bool | None:
        if self.slope_mib_per_min is None:
            return None
        return self.slope_mib_per_min <= FLAT_MIB_PER_MIN


def slope_per_minute(samples: list[float]) -> float:
    """Least-squares slope per minute of ``samples`` taken once a second."""
    n = len(samples)
    if n < 2:
        return 0.0
    mean_x, mean_y = (n - 1) / 2, sum(samples) / n
    cov = sum((i - mean_x) * (y - mean_y) for i, y in enumerate(samples))
    var = sum((i - mean_x) ** 2 for i in range(n))
    return cov / var * 60


class _Sampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.samples: list[float] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(1.0):
            self.samples.append(memory_kib(self.pid)["VmRSS"] / 1024)


def soak(target: Target, pid: int, rate: float, seconds: float) -> SoakResult:
    """``rate`` requests/s for ``seconds`` while sampling ``pid``'s memory each second."""
    sampler = _Sampler(pid)
    sampler.start()
    load = run_open_loop(target, rate, seconds, warmup_s=0.0)
    sampler.stop.set()
    sampler.join()
    samples = sampler.samples
    steady = samples[SETTLE_SAMPLES:]
    return SoakResult(
        seconds=seconds,
        rate=rate,
        samples_mib=[round(x, 1) for x in samples],
        max_rss_mib=max(samples, default=0.0),
        peak_vmhwm_mib=memory_kib(pid)["VmHWM"] / 1024,
        slope_mib_per_min=slope_per_minute(steady) if len(steady) >= SETTLE_SAMPLES else None,
        load=load,
    )
