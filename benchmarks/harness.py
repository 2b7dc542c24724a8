"""The benchmark harness: runs suites, resolves models (trains if missing), caches results.

A suite is one file in benchmarks/suites/ that registers a `Suite` subclass
(benchmarks.suite). Results go
to `<out>/results/<suite>/<model>.json`. The cache key has two parts: the inputs (suite,
config, weights hash, seed, CPU: `inputs_hash`) and the code that makes the result
(`provenance.code_fingerprint`). A result with the same inputs and code is reused
(`--force` recomputes); one made by other code is stale and recomputed, or kept and
shown as stale with `--keep-stale`; a corrupt one is reported and recomputed.

Example:
>>> from benchmarks.harness import run_suites
>>> run_suites(["lm"], ["gpt-nano"], quick=True)
"""
import hashlib
import json
import pathlib
import sys
import time

from benchmarks.leaderboard import write_leaderboard
from benchmarks.provenance import cpu_info, provenance
from benchmarks.results import DEFAULT_OUT
from benchmarks.suite import SUITES, suite_code
from benchmarks.suites import load_suites
from zoo import atomic, paths
from zoo.errors import ZooError, did_you_mean, lookup
from zoo.registry import get_spec, list_models


def training_token_counts(meta):
    """(training tokens without padding, with padding) from a preset's zoo.json.

    zoo.json's `training_tokens` counts real tokens, with `training_tokens_padded` beside
    it where batches are padded. A batch-objective preset that has only
    `training_tokens` counted batch x sequence length x steps, padding included: its
    unpadded count is unknown (None). Causal-LM windows are packed: no padding.

    Args:
        meta: the preset's zoo.json ({} for a foreign preset).
    """
    tokens = meta.get("training_tokens")
    if "training_tokens_padded" in meta:
        return tokens, meta["training_tokens_padded"]
    if meta.get("objective") not in (None, "clm"):
        return None, tokens
    return tokens, tokens


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
        from zoo.registry import family_of_class

        name = json.loads((self.preset / "task.json").read_text()).get("class_name", "")
        return family_of_class(name) or "other"

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
        from zoo.training.run import train_recipe

        print(f"[harness] {self.key}: no trained preset, training recipes/{self.spec.default_recipe}.yaml",
              file=sys.stderr, flush=True)
        train_recipe(self.spec.default_recipe)

    @property
    def info(self):
        meta = self.meta
        tokens, padded = training_token_counts(meta)
        return {
            "preset": str(self.preset),
            "family": self.family,
            "task": self.task,
            "recipe_hash": meta.get("recipe_hash"),
            "training_tokens": tokens,
            "training_tokens_padded": padded,
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


def _hash(obj):
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()[:16]


def inputs_hash(suite, config, entry, seed):
    """What a per-model result scores: suite, config, weights, seed and the CPU (the code is apart).

    The CPU is an input because speed figures (and, in the last digits, some scores) depend on
    it: a clone on another machine type measures its own instead of keeping ours. Results made
    before code fingerprints stored this as their config_hash.
    """
    return _hash({"suite": suite, "config": config, "weights": entry.weights_hash(), "seed": seed,
                  "cpu": cpu_info()})


def config_hash(inputs, code):
    """The cache key: the inputs hash and the fingerprint of the code that makes the result.

    Args:
        inputs: inputs_hash(...) (or a standalone suite's own inputs hash).
        code: code_fingerprint(...) of the suite.
    """
    return _hash({"inputs": inputs, "code": code})


def result_path(out, suite, key):
    return pathlib.Path(out) / "results" / suite / f"{key}.json"


def read_cached(path):
    """A results file's content if it is a result; None otherwise (corrupt files are reported)."""
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
        if not isinstance(data, dict) or "metrics" not in data:
            raise ValueError("no metrics")
    except ValueError as e:
        print(f"[harness] {path} is corrupt ({e}); recomputing it", file=sys.stderr)
        return None
    return data


def cache_state(data, inputs, code):
    """'current' (same inputs, same code), 'stale' (same inputs, other or unknown code) or
    None (no result, or one of other inputs).

    Args:
        data: a result (read_cached) or None.
        inputs: the inputs hash wanted now.
        code: the code fingerprint now.
    """
    if data is None or data.get("inputs_hash", data.get("config_hash")) != inputs:
        return None
    return "current" if (data.get("provenance") or {}).get("code_fingerprint") == code else "stale"


def reuse_cached(path, inputs, code, force=False, keep_stale=False, label=""):
    """True if the result at `path` is to be kept (and says so on stderr); False: compute it.

    Args:
        path: the results file.
        inputs, code: the inputs hash and code fingerprint wanted now.
        force: recompute whatever is cached.
        keep_stale: keep a result of the same inputs made by other code (shown as stale).
        label: "<suite>/<model>" for the messages.
    """
    if force:
        return False
    data = read_cached(path)
    state = cache_state(data, inputs, code)
    if state == "current":
        print(f"[harness] {label}: cached ({path})", file=sys.stderr)
        return True
    if state == "stale":
        made_by = (data.get("provenance") or {}).get("code_fingerprint") or "unknown code"
        if keep_stale:
            print(f"[harness] {label}: kept a stale result made by {made_by} (code now {code}; --keep-stale)",
                  file=sys.stderr)
            return True
        print(f"[harness] {label}: cached result was made by {made_by}, code now {code}: recomputing",
              file=sys.stderr)
    return False


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


def scores(suite, entry, named=False):
    """Whether a run scores `entry` on `suite` (when the suite applies to it): a model the run
    names (--models) on every suite; otherwise on every suite unless its spec names its
    `default_suites` (a long-trained model is for the lm suite only).

    Args:
        suite: a registered suite.
        entry: a resolved model entry.
        named: the run named its models.
    """
    if named:
        return True
    default_suites = entry.spec.default_suites if entry.spec is not None else None
    return default_suites is None or suite.name in default_suites


def resolve_suites(names):
    load_suites()
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


def _run_standalone(suite, out, quick, force, seed, family, keep_stale=False):

    written = []
    for part, (make_config, run) in suite.standalone_parts().items():
        config = dict(make_config(quick), family=family)
        inputs = _hash({"suite": suite.name, "config": config, "seed": seed, "cpu": cpu_info()})
        code = suite_code(suite)
        key = part + (f"-{family}" if family else "")
        path = result_path(out, suite.name, key)
        if reuse_cached(path, inputs, code, force, keep_stale, f"{suite.name}/{key}"):
            continue
        print(f"[harness] {suite.name}/{key}: running", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        metrics = run(config, seed, out)
        result = {"suite": suite.name, "model": key, "metrics": metrics, "config": config,
                  "config_hash": config_hash(inputs, code), "inputs_hash": inputs,
                  "quick": quick, "model_info": {}, "standalone": True,
                  "provenance": provenance(seed, wall_seconds=round(time.perf_counter() - t0, 2),
                                           code_fingerprint=code)}
        atomic.write_json(path, result)
        write_leaderboard(out)
        written.append(path)
    return written


def _train_missing(suites, entries, named):
    """Train the missing presets that the per-model suites will score, side by side when there
    are several (zoo.training.side_by_side); one is trained in this process when scored.
    `named`: the models were named (--models), so every suite that applies scores them."""
    missing = [e for e in entries
               if e.spec is not None and e.spec.default_recipe and not (e.preset / "task.json").is_file()
               and any(not s.standalone and s.applies_to(e) and scores(s, e, named)
                       for s in suites)]
    if len(missing) > 1:
        from zoo.training.side_by_side import train_side_by_side

        train_side_by_side([e.spec.default_recipe for e in missing])


def run_suites(suite_names, model_refs=None, quick=False, force=False, seed=0, out=None, family=None,
               keep_stale=False):
    """Score every model on every suite that applies; returns the list of result paths.

    Args:
        suite_names: suite names, or ["all"].
        model_refs: registered names or preset directories (default: the CPU-recipe models).
        quick: the suites' smaller evaluation sets.
        force: recompute cached results.
        seed: the evaluation seed.
        out: the leaderboard directory (default leaderboard/).
        family: the model family for suites that build their own models (scaling).
        keep_stale: keep cached results made by other code (the leaderboard marks them stale).
    """

    if out:
        atomic.check_writable_dir(out, "--out")
    out = pathlib.Path(out) if out else DEFAULT_OUT
    if family is not None:
        from zoo.registry import get_family

        get_family(family)
    suites = resolve_suites(suite_names)
    entries = resolve_models(model_refs)  # validate every name before any work
    _train_missing(suites, entries, named=bool(model_refs))
    written = []
    for suite in suites:
        if suite.standalone:
            written += _run_standalone(suite, out, quick, force, seed, family, keep_stale)
            continue
        code = suite_code(suite)
        for entry in entries:
            if not scores(suite, entry, named=bool(model_refs)):
                continue
            path = result_path(out, suite.name, entry.key)
            if not suite.applies_to(entry):
                reason = suite.skip_reason(entry)
                print(f"[harness] {suite.name}/{entry.key}: skipped ({reason})", file=sys.stderr)
                _record_skip(path, {"suite": suite.name, "model": entry.key, "skipped": reason,
                                    "family": entry.family, "task": entry.task, "covers": suite.covers()})
                continue
            entry.ensure_trained()
            config = suite.config(quick)
            inputs = inputs_hash(suite.name, config, entry, seed)
            if reuse_cached(path, inputs, code, force, keep_stale, f"{suite.name}/{entry.key}"):
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
                "config_hash": config_hash(inputs, code),
                "inputs_hash": inputs,
                "quick": quick,
                "model_info": info,
                "provenance": provenance(seed, wall_seconds=round(time.perf_counter() - t0, 2),
                                         weights_hash=entry.weights_hash(), recipe_hash=info.get("recipe_hash"),
                                         code_fingerprint=code),
            }
            atomic.write_json(path, result)
            written.append(path)
            write_leaderboard(out)
        if hasattr(suite, "run_standalone") and not model_refs:
            # A per-model suite's once-per-run part (e.g. engine vs keras-hub) runs with the
            # default model set; an explicit --models list scores just those models.
            written += _run_standalone(suite, out, quick, force, seed, family, keep_stale)
    write_leaderboard(out)
    return written
