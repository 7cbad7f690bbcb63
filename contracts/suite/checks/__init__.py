"""The checks, one module per concern; importing this package registers them.

The running order is not this one: the runner derives it from what each check needs and produces
and from its phase (``contracts/suite/_plan.py``): the rate-limit check exhausts one identity's
burst, the audit checks read the trail of everything before them, the summaries judge every
answer of the run, the auditor's included. Registration order only breaks ties, and picks the
producer run first for a check selected alone; the modules are imported by name, in
``RUNNING_ORDER``, so that no import sorting can change it.
"""

from importlib import import_module

__all__ = ["RUNNING_ORDER"]

RUNNING_ORDER = (
    "connectivity",
    "security",
    "data",
    "resilience",
    "operations",
    "audit",
    "summary",
    "conformance",
)

for _module in RUNNING_ORDER:
    import_module(f"{__name__}.{_module}")
