"""A benchmark suite: the `Suite` base class and the table of suites, keyed by name.

A suite is one module in benchmarks/suites/ that decorates a `Suite` subclass with
`@register_suite`; `benchmarks.suites.load_suites()` imports them all. The harness runs
suites and the leaderboard renders their results; both read `SUITES`.

Example:
>>> from benchmarks.suites import load_suites
>>> sorted(load_suites())[:2]
['generation', 'lm']
"""
import inspect

from benchmarks.provenance import code_fingerprint

SUITES = {}


def register_suite(cls):
    """Class decorator: register one instance of the Suite subclass `cls` under `cls.name`."""
    SUITES[cls.name] = cls()
    return cls


class Suite:
    """Base class: subclasses set name, tasks, primary, higher_is_better, and run()."""

    name = ""
    # A standalone suite measures its own models (a training ladder, a fixed benchmark
    # shape): it runs once per invocation, not once per --models entry. A per-model suite
    # may also define run_standalone(config, seed, out) (and standalone_config(quick)) for
    # a part that runs once, e.g. the engine-vs-keras-hub comparison.
    standalone = False
    standalone_key = ""
    primary = ""
    higher_is_better = {}
    title = ""
    description = ""

    def config(self, quick):
        return {}

    # The model tasks it scores (zoo.registry.ModelSpec.task), e.g. ("causal_lm",): a suite
    # selects models by what they do, never by family name.
    tasks = ("causal_lm",)

    def applies_to(self, entry):
        return entry.task in self.tasks

    def covers(self):
        return "tasks " + ", ".join(self.tasks)

    def skip_reason(self, entry):
        return f"suite does not apply to family '{entry.family}', task '{entry.task}'; it covers {self.covers()}"

    def run(self, entry, config, seed):
        raise NotImplementedError

    def standalone_parts(self):
        """The once-per-run parts, {result key: (config(quick) -> dict, run(config, seed, out)
        -> metrics)}: by default one, `standalone_key`, from `standalone_config` (else
        `config`) and `run_standalone`. A suite with several comparisons lists each (one
        result file and cache entry per part)."""
        return {self.standalone_key: (getattr(self, "standalone_config", self.config), self.run_standalone)}




def suite_code(suite):
    """The fingerprint of the code that makes `suite`'s results (see benchmarks.provenance)."""
    return code_fingerprint(inspect.getsourcefile(type(suite)))
