"""The benchmark harness: suite registry, model resolution (train if missing), result cache.

A suite is one file in benchmarks/suites/ that registers a `Suite` subclass. Results go
to `<out>/results/<suite>/<model>.json`; a result whose config hash matches is reused
(`--force` recomputes), a corrupt one is reported and recomputed.

Example:
>>> from benchmarks.harness import run_suites
>>> run_suites(["lm"], ["gpt-nano"], quick=True)
"""
import hashlib
import json
import pathlib
import sys
import time

from benchmarks.provenance import provenance
from zoo import atomic, paths
from zoo.registry import ZooError, did_you_mean, get_spec, list_models, lookup

SUITES = {}
DEFAULT_OUT = paths.REPO_ROOT / "leaderboard"


def register_suite(cls):
    SUITES[cls.name] = cls()
    return cls


def _load_suites():
    import benchmarks.suites  # noqa: F401  (each module registers itself)


class Suite:
    """Base class: subclasses set name, families, primary, higher_is_better, and run()."""

    name = ""
    families = ("gpt", "llama")
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

    tasks = None  # e.g. ("causal_lm",); None: any task of the listed families

    def applies_to(self, entry):
        return entry.family in self.families and (self.tasks is None or entry.task in self.tasks)

    def covers(self):
        covers = "families " + ", ".join(self.families)
        return covers + (" (tasks " + ", ".join(self.tasks) + ")" if self.tasks else "")

    def skip_reason(self, entry):
        return f"suite does not apply to family '{entry.family}', task '{entry.task}'; it covers {self.covers()}"

    def run(self, entry, config, seed):
        raise NotImplementedError


class ModelEntry:
    """A model to score: a registered name (trained on demand) or a local preset directory."""

    def __init__(self, ref):
        self.ref = ref
        path = pathlib.Path(ref)
        if path.is_dir():
            from zoo.hub import check_preset_dir

            check_preset_dir(path)
            self.preset = path
            self.key = "preset-" + path.resolve().name
            self.spec = None
        else:
            self.spec = get_spec(ref)
            self.key = ref
            self.preset = paths.preset_dir(ref)
        self._model = None
        self._weights_hash = None

    @property
    def task(self):
        if self.spec:
            return self.spec.task
        from zoo.hub import preset_task

        return preset_task(self.preset)

    @property
    def family(self):
        if self.spec:
            return self.spec.family
        name = json.loads((self.preset / "task.json").read_text()).get("class_name", "").lower()
        for fam in ("gpt2", "llama", "bert", "t5", "bart"):
            if fam in name:
                return {"gpt2": "gpt"}.get(fam, fam)
        return "other"

    @property
    def meta(self):
        """The preset's zoo.json (recipe, final metrics, curve), or {} for a foreign preset."""
        from zoo.preset_check import read_config

        zoo_json = self.preset / "zoo.json"
        return read_config(zoo_json, what="zoo.json") if zoo_json.is_file() else {}

    def ensure_trained(self):
        if (self.preset / "task.json").is_file():
            return
        if self.spec is None or not self.spec.default_recipe:
            raise ZooError(f"'{self.ref}' has no trained preset and no CPU recipe to train it")
        from zoo.training.trainer import train_recipe

        print(f"[harness] {self.key}: no trained preset, training recipes/{self.spec.default_recipe}.yaml",
              file=sys.stderr, flush=True)
        train_recipe(self.spec.default_recipe)

    @property
    def info(self):
        meta = self.meta
        return {
            "preset": str(self.preset),
            "family": self.family,
            "recipe_hash": meta.get("recipe_hash"),
            "training_tokens": meta.get("training_tokens"),
            "train_seconds": (meta.get("result") or {}).get("train_seconds"),
            "sequence_length": (meta.get("recipe") or {}).get("data", {}).get("sequence_length"),
            "corpus": (meta.get("recipe") or {}).get("data", {}).get("corpus"),
            "parameters": self._parameters(),
            "curve": meta.get("curve"),
        }

    def _parameters(self):
        if self.spec is not None:
            from zoo.hub import describe

            return describe(self.spec.name)["parameters"]
        return None  # a foreign preset: counted from the loaded model by the suites

    def weights_hash(self):
        """Hash of the trained preset; computed once (the weights do not change within a run,
        and every suite's cache key needs it)."""
        if self._weights_hash is None:
            h = hashlib.sha256()
            for name in ("config.json", "task.json", "model.weights.h5"):
                p = self.preset / name
                if p.is_file():
                    h.update(p.read_bytes())
            self._weights_hash = h.hexdigest()[:16]
        return self._weights_hash

    @property
    def model(self):
        if self._model is None:
            from zoo.hub import load_preset

            self._model = load_preset(self.preset)
        return self._model


def config_hash(suite, config, entry, seed):
    blob = json.dumps({"suite": suite, "config": config, "weights": entry.weights_hash(), "seed": seed},
                      sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def result_path(out, suite, key):
    return pathlib.Path(out) / "results" / suite / f"{key}.json"


def read_cached(path, want_hash):
    """The cached result if valid and current; None otherwise (corrupt files are reported)."""
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
        if not isinstance(data, dict) or "metrics" not in data:
            raise ValueError("no metrics")
    except ValueError as e:
        print(f"[harness] {path} is corrupt ({e}); recomputing it", file=sys.stderr)
        return None
    return data if data.get("config_hash") == want_hash else None


def _record_skip(path, record):
    """Leave a skip record so the leaderboard can say why a model has no row.

    It has no "metrics", so it is never taken for a cached result; it is written only
    when missing or different, so reruns do not touch the file.
    """
    try:
        if json.loads(path.read_text()) == record:
            return
    except (OSError, ValueError):
        pass
    atomic.write_json(path, record)


def default_models():
    return [s.name for s in list_models() if s.default_recipe]


def resolve_suites(names):
    _load_suites()
    if names == ["all"]:
        return list(SUITES.values())
    return [lookup(SUITES, n, "suite") for n in names]


def resolve_models(refs):
    refs = refs or default_models()
    entries = []
    for ref in refs:
        if not pathlib.Path(ref).is_dir():
            known = [s.name for s in list_models()]
            if ref not in known:
                raise ZooError(
                    f"unknown model '{ref}'.{did_you_mean(ref, known)} Known models: {', '.join(known)}; "
                    "or pass a path to a keras-hub preset directory"
                )
        entries.append(ModelEntry(ref))
    return entries


def _run_standalone(suite, out, quick, force, seed, family):
    from benchmarks.leaderboard import write_leaderboard

    config = dict(getattr(suite, "standalone_config", suite.config)(quick), family=family)
    chash = hashlib.sha256(json.dumps({"suite": suite.name, "config": config, "seed": seed},
                                      sort_keys=True).encode()).hexdigest()[:16]
    key = suite.standalone_key + (f"-{family}" if family else "")
    path = result_path(out, suite.name, key)
    if not force and read_cached(path, chash):
        print(f"[harness] {suite.name}/{key}: cached ({path})", file=sys.stderr)
        return []
    print(f"[harness] {suite.name}/{key}: running", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    metrics = suite.run_standalone(config, seed, out)
    result = {"suite": suite.name, "model": key, "metrics": metrics, "config": config, "config_hash": chash,
              "quick": quick, "model_info": {}, "standalone": True,
              "provenance": provenance(seed, wall_seconds=round(time.perf_counter() - t0, 2))}
    atomic.write_json(path, result)
    write_leaderboard(out)
    return [path]


def run_suites(suite_names, model_refs=None, quick=False, force=False, seed=0, out=None, family=None):
    """Score every model on every suite that applies; returns the list of result paths."""
    from benchmarks.leaderboard import write_leaderboard

    out = pathlib.Path(out) if out else DEFAULT_OUT
    if family is not None:
        from zoo.registry import FAMILIES

        lookup({f: f for f in FAMILIES}, family, "family")
    suites = resolve_suites(suite_names)
    entries = resolve_models(model_refs)  # validate every name before any work
    written = []
    for suite in suites:
        if suite.standalone:
            written += _run_standalone(suite, out, quick, force, seed, family)
            continue
        for entry in entries:
            path = result_path(out, suite.name, entry.key)
            if not suite.applies_to(entry):
                reason = suite.skip_reason(entry)
                print(f"[harness] {suite.name}/{entry.key}: skipped ({reason})", file=sys.stderr)
                _record_skip(path, {"suite": suite.name, "model": entry.key, "skipped": reason,
                                    "family": entry.family, "task": entry.task, "covers": suite.covers()})
                continue
            entry.ensure_trained()
            config = suite.config(quick)
            chash = config_hash(suite.name, config, entry, seed)
            if not force and read_cached(path, chash):
                print(f"[harness] {suite.name}/{entry.key}: cached ({path})", file=sys.stderr)
                continue
            print(f"[harness] {suite.name}/{entry.key}: scoring", file=sys.stderr, flush=True)
            t0 = time.perf_counter()
            metrics = suite.run(entry, config, seed)
            info = entry.info
            result = {
                "suite": suite.name,
                "model": entry.key,
                "metrics": metrics,
                "config": config,
                "config_hash": chash,
                "quick": quick,
                "model_info": info,
                "provenance": provenance(seed, wall_seconds=round(time.perf_counter() - t0, 2),
                                         weights_hash=entry.weights_hash(), recipe_hash=info.get("recipe_hash")),
            }
            atomic.write_json(path, result)
            written.append(path)
            write_leaderboard(out)
        if hasattr(suite, "run_standalone") and not model_refs:
            # A per-model suite's once-per-run part (e.g. engine vs keras-hub) runs with the
            # default model set; an explicit --models list scores just those models.
            written += _run_standalone(suite, out, quick, force, seed, family)
    write_leaderboard(out)
    return written
