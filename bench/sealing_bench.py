"""Cost of sealing a bulk-job row (issue #16): ``python -m bench.sealing_bench [--rows N]``.

Times sealing a typical row's details and number (ingest), opening its details (claim) and its
number (result download), in microseconds per row.
"""

from __future__ import annotations

import argparse
import timeit
from datetime import date

from gateway.jobs import RowInput
from gateway.jobs._sealing import JobKeys, new_key


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=20_000)
    rows = parser.parse_args().rows
    keys = JobKeys("8f6c1d0e2a4b4c6d8e0f1a2b3c4d5e6f", new_key(), new_key())
    row = RowInput(12345, "054092000123", "Nguyễn Văn An", date(1992, 5, 17), 1992, 1)
    details, number = keys.seal_details(row), keys.seal_number(row.ordinal, row.number)
    steps = {
        "seal details + number": lambda: (
            keys.seal_details(row),
            keys.seal_number(row.ordinal, row.number),
        ),
        "open details": lambda: keys.open_details(row.ordinal, details, 0),
        "open number": lambda: keys.open_number(row.ordinal, number),
    }
    for name, step in steps.items():
        print(f"{name}: {timeit.timeit(step, number=rows) / rows * 1e6:.1f} us/row")


if __name__ == "__main__":
    main()
