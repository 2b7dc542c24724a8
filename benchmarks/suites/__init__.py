"""Benchmark suites: one module each, registered by name on import (see benchmarks.suite)."""
import importlib
import pkgutil

from benchmarks.suite import SUITES


def load_suites():
    """Import every module in this folder (each registers its suite) and return SUITES.

    Adding a suite is adding a file here.

    Example:
    >>> from benchmarks.suites import load_suites
    >>> load_suites()["lm"].primary
    'shakespeare_validation_bpb'
    """
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")
    return SUITES
