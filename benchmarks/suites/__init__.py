"""Benchmark suites: one module each, registered by name on import."""
from benchmarks.suites import generation, lm  # noqa: F401
