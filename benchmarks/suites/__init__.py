"""Benchmark suites: one module each, registered by name on import."""
import importlib
import pkgutil

# Every module in this folder is a suite: adding a suite is adding a file.
for _info in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_info.name}")
