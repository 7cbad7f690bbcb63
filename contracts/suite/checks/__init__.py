"""The checks, one module per concern; importing this package registers them in running order.

Order matters where checks have effects: the rate-limit check (in ``operations``) exhausts one
identity's burst, the audit checks read the trail of everything before them, and the summaries
judge every answer of the run, the auditor's included. The modules are imported by name, in
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
    "conformance",  # last: its Schemathesis traffic must not count in the run's own summaries
)

for _module in RUNNING_ORDER:
    import_module(f"{__name__}.{_module}")
