"""Benchmarks, run as modules (``python -m bench.audit_bench``); results in docs/performance.md."""
