"""Recipes: YAML training configurations, validated against one schema.

A recipe has four sections: `model` (a registered name), `data`, `train`, `runtime`.
Every leaf has a default here; a recipe file states what differs, from these defaults or,
with `extends: <recipe>`, from another recipe (a name in recipes/ or a path relative to the
file). Unknown keys, wrong types and impossible values raise a one-line `ZooError` naming
the file and the key.

Example:
>>> from zoo.training.recipe import load_recipe
>>> r = load_recipe("gpt-nano", overrides=["train.steps=200"])
>>> r["train"]["steps"]
200
"""
import copy
import difflib
import hashlib
import json
import pathlib

import yaml

from zoo.paths import RECIPES_DIR
from zoo.errors import ZooError, did_you_mean

# The schema: every valid key with its default. `None` means "optional"; the type of
# an optional value is given in TYPES.
SCHEMA = {
    "model": None,
    "init_from": None,
    "data": {
        "corpus": "shakespeare",
        "tokenizer": "byte",
        "vocabulary_size": None,
        "sequence_length": 128,
        "objective": "clm",
        # Encoder / encoder-decoder objectives and fine-tuning (zoo/training/objective_checks.py).
        "task": None,
        "num_classes": None,
        "passage_lines": 8,
        "target_length": None,
        "mask_rate": 0.15,
        "noise_density": 0.15,
        "mean_span_length": 3.0,
        # classification with a decoder: weight of a causal-LM loss on the same windows, added to
        # the classifier's (GPT-1's auxiliary objective, lambda); 0 = classification loss only
        "aux_lm_weight": 0.0,
        # classification: train on a window at a random start in its passage each time one is
        # drawn (random crops), not the same fixed windows every epoch
        "random_windows": False,
        # clm sequence-length warm-up: the first warmup_sequence_fraction of the steps read each
        # window cut into warmup_sequence_divisor pieces (same tokens per step); divisor 1 = off
        "warmup_sequence_divisor": 1,
        "warmup_sequence_fraction": 0.0,
    },
    "train": {
        "batch_size": 32,
        "steps": None,
        "tokens": None,
        "optimizer": "adamw",
        "learning_rate": 1e-3,
        "warmup_steps": 100,
        "min_lr_ratio": 0.1,
        "weight_decay": 0.1,
        "beta_1": 0.9,
        "beta_2": 0.99,
        "clipnorm": 1.0,
        # exponential moving average of the weights (Keras' optimizer use_ema): the preset and
        # the final evaluation take the average; 0 = off, the last weights
        "ema_momentum": 0.0,
        "grad_accum_steps": 1,
        "precision": "float32",
        "jit_compile": True,
        "fused_loss": False,  # chunked LM head + loss (zoo.training.losses.chunked_lm_loss)
        "seed": 0,
        "log_every": 50,
        "eval_every": 500,
        "eval_batches": 16,
        "final_eval_examples": None,  # objectives other than clm: None = their full final evaluation
        "checkpoint_every": 500,
        "keep_checkpoints": 3,
    },
    "runtime": {
        "strategy": "default",
        "devices": None,
        "logical_cpus": None,
        "deterministic": True,
    },
}
TYPES = {
    "model": str,
    "init_from": str,
    "data.corpus": (str, list),  # a list joins corpora split by split (zoo.data.corpora)
    "data.vocabulary_size": int,
    "data.task": str,
    "data.num_classes": int,
    "data.target_length": int,
    "train.final_eval_examples": int,
    "train.steps": int,
    "train.tokens": int,
    "runtime.devices": (int, list),
    "runtime.logical_cpus": int,
    "train.jit_compile": (bool, str),  # True, False or "auto" (CHOICES)
}
CHOICES = {
    "data.tokenizer": ("byte", "wordpiece", "sentencepiece"),
    "data.objective": ("clm", "mlm_nsp", "span_corruption", "denoising", "classification", "seq2seq"),
    "train.optimizer": ("adamw",),
    "train.precision": ("float32", "mixed_bfloat16", "auto"),
    "train.jit_compile": (True, False, "auto"),
    "runtime.strategy": ("default", "one_device", "mirrored", "multi_worker", "tpu"),
}
POSITIVE = ("data.sequence_length", "data.vocabulary_size", "data.warmup_sequence_divisor", "data.passage_lines", "data.target_length", "train.final_eval_examples",
            "train.batch_size", "train.steps",
            "train.tokens", "train.learning_rate", "train.grad_accum_steps", "train.log_every",
            "train.eval_every", "train.eval_batches", "train.checkpoint_every",
            "train.keep_checkpoints", "runtime.logical_cpus")
UNIT_INTERVAL = ("train.ema_momentum",)
NON_NEGATIVE = ("data.aux_lm_weight", "data.warmup_sequence_fraction", "train.warmup_steps", "train.weight_decay", "train.clipnorm", "train.min_lr_ratio")


def _leaves(tree, prefix=""):
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from _leaves(value, path + ".")
        else:
            yield path, value


LEAF_PATHS = [p for p, _ in _leaves(SCHEMA)]


def _type_of(path):
    if path in TYPES:
        return TYPES[path]
    default = dict(_leaves(SCHEMA))[path]
    if isinstance(default, bool):
        return bool
    if isinstance(default, float):
        return (int, float)
    return type(default)


def resolve_recipe_path(recipe):
    """The YAML file of a recipe argument.

    Args:
        recipe: a YAML path or the name of a recipe in recipes/.

    Returns:
        A pathlib.Path; a missing file or unknown name raises a one-line ZooError.
    """
    path = pathlib.Path(recipe)
    if path.suffix in (".yaml", ".yml") or path.exists():
        if not path.is_file():
            raise ZooError(f"recipe file '{recipe}' does not exist")
        return path
    known = sorted(p.stem for p in RECIPES_DIR.glob("*.yaml"))
    if recipe in known:
        return RECIPES_DIR / f"{recipe}.yaml"
    raise ZooError(
        f"unknown recipe '{recipe}'.{did_you_mean(recipe, known)} "
        f"Known recipes: {', '.join(known)}; or pass a path to a .yaml file."
    )


def _read_yaml(path):
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise ZooError(f"{path}: not a UTF-8 text file (byte {e.start} is 0x{e.object[e.start]:02x}); "
                       "a recipe is YAML text, e.g. recipes/gpt-nano.yaml") from None
    except OSError as e:
        raise ZooError(f"{path}: cannot read the recipe ({e.strerror})") from None
    if "\t" in text:
        line = text[: text.index("\t")].count("\n") + 1
        raise ZooError(f"{path}:{line}: YAML does not allow tabs; indent with spaces")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        raise ZooError(f"{path}{where}: not valid YAML ({getattr(e, 'problem', e)})") from None
    if not isinstance(data, dict):
        raise ZooError(f"{path}: a recipe must be a mapping with keys model, data, train, runtime")
    return data


def _merged(given, source, folder, chain):
    """`given` over the recipe it extends (itself over the schema's defaults), unvalidated.

    Args:
        given: one recipe file's mapping (its `extends` key is taken out here).
        source: its name in error messages.
        folder: where a relative `extends` path starts.
        chain: the resolved files read so far (a recipe that extends itself is refused).
    """
    given = dict(given)
    base = given.pop("extends", None)
    if base is None:
        return _merge(SCHEMA, given, source)
    if not isinstance(base, str):
        raise ZooError(f"{source}: 'extends' must name a recipe, e.g. extends: gpt-nano, got {base!r}")
    relative = folder / base
    path = relative if base.endswith((".yaml", ".yml")) and relative.is_file() else resolve_recipe_path(base)
    if path.resolve() in chain:
        raise ZooError(f"{source}: 'extends: {base}' loops back to a recipe already read "
                       f"({' -> '.join(p.name for p in chain)}); remove one of the extends")
    defaults = _merged(_read_yaml(path), str(path), path.parent, chain + (path.resolve(),))
    return _merge(defaults, given, source)


def _merge(defaults, given, source, prefix=""):
    merged = copy.deepcopy(defaults)
    for key, value in given.items():
        path = f"{prefix}{key}"
        if key not in defaults:
            names = [k for k in defaults]
            close = difflib.get_close_matches(str(key), names, n=1, cutoff=0.5)
            hint = f" did you mean '{prefix}{close[0]}'?" if close else ""
            raise ZooError(
                f"{source}: unknown key '{path}';{hint} valid keys here: {', '.join(names)}"
            )
        if isinstance(defaults[key], dict):
            if not isinstance(value, dict):
                raise ZooError(f"{source}: '{path}' must be a mapping, got {value!r}")
            merged[key] = _merge(defaults[key], value, source, path + ".")
        else:
            merged[key] = value
    return merged


def parse_override(text):
    """'train.steps=10' -> ('train.steps', 10); the value is parsed as YAML.

    Args:
        text: one `--set` argument, key.sub=value.
    """
    if "=" not in text:
        raise ZooError(f"--set '{text}' must look like key.sub=value, e.g. train.steps=100")
    key, raw = text.split("=", 1)
    key = key.strip()
    if key not in LEAF_PATHS:
        raise ZooError(
            f"--set '{text}': unknown key '{key}'.{did_you_mean(key, LEAF_PATHS)} "
            f"Valid keys: {', '.join(LEAF_PATHS)}"
        )
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError:
        raise ZooError(f"--set '{text}': cannot parse the value '{raw}' (use YAML: 10, 3e-4, true, name)") from None
    return key, value


def _set(tree, path, value):
    node = tree
    *parents, leaf = path.split(".")
    for p in parents:
        node = node[p]
    node[leaf] = value


def _as_yaml(choice):
    """A choice as a recipe spells it (true / false for booleans)."""
    return str(choice).lower() if isinstance(choice, bool) else choice


def _check_values(recipe, source):
    leaves = dict(_leaves(recipe))
    for path in LEAF_PATHS:
        value = leaves[path]
        if value is None:
            continue
        want = _type_of(path)
        if want is not type(None):
            wants_bool = want is bool or (isinstance(want, tuple) and bool in want)
            ok = isinstance(value, want) and not (isinstance(value, bool) and not wants_bool)
            if want in ((int, float),) and isinstance(value, str):
                try:  # YAML reads 3e-4 as a string; accept it as a float
                    value = float(value)
                    _set(recipe, path, value)
                    ok = True
                except ValueError:
                    ok = False
            if not ok:
                tname = want.__name__ if isinstance(want, type) else "/".join(t.__name__ for t in want)
                raise ZooError(f"{source}: '{path}' must be {tname}, got {value!r}")
        if path in CHOICES and value not in CHOICES[path]:
            choices = [_as_yaml(c) for c in CHOICES[path]]
            raise ZooError(
                f"{source}: unknown {path.split('.')[-1]} '{value}' for '{path}'."
                f"{did_you_mean(value, choices)} Choose one of: {', '.join(choices)}"
            )
        if path in POSITIVE and value <= 0:
            raise ZooError(f"{source}: '{path}' must be > 0, got {value}")
        if path in NON_NEGATIVE and value < 0:
            raise ZooError(f"{source}: '{path}' must be >= 0, got {value}")
        if path in UNIT_INTERVAL and not 0 <= value < 1:
            raise ZooError(f"{source}: '{path}' must be in [0, 1), got {value} (0 = off; e.g. 0.995)")


def recipe_tokens(recipe):
    """Training tokens a resolved recipe reads: steps x batch_size x sequence_length (positions
    of the input windows; a sequence-length warm-up cuts windows, it does not drop tokens).

    Args:
        recipe: a resolved recipe (`load_recipe`).

    >>> recipe_tokens(load_recipe("gpt-nano"))
    2048000
    """
    train = recipe["train"]
    return train["steps"] * train["batch_size"] * recipe["data"]["sequence_length"]


def _finish(recipe, source):
    from zoo.registry import get_spec

    if not recipe.get("model"):
        raise ZooError(f"{source}: 'model' is missing; name a registered model, e.g. model: gpt-nano")
    spec = get_spec(recipe["model"])
    train, data = recipe["train"], recipe["data"]
    tokens_per_step = train["batch_size"] * data["sequence_length"]
    if train["steps"] is None and train["tokens"] is None:
        raise ZooError(f"{source}: give train.steps or train.tokens (a token budget)")
    if train["steps"] is None:
        train["steps"] = max(1, -(-train["tokens"] // tokens_per_step))
    if train["warmup_steps"] >= train["steps"]:
        raise ZooError(
            f"{source}: train.warmup_steps ({train['warmup_steps']}) must be shorter than the "
            f"run (train.steps = {train['steps']})"
        )
    if data["sequence_length"] > spec.max_sequence_length:
        raise ZooError(
            f"{source}: data.sequence_length {data['sequence_length']} is over {spec.name}'s "
            f"maximum of {spec.max_sequence_length}"
        )
    from zoo.training.objective_checks import check_objective

    check_objective(recipe, spec, source)
    return recipe


def load_recipe(recipe, overrides=()):
    """Load, merge with defaults, apply `--set` overrides and validate a recipe.

    Args:
        recipe: a recipe name, a YAML path, or a dict.
        overrides: "key.sub=value" strings or (key, value) pairs.

    Returns:
        The resolved recipe dict (train.steps filled in from a token budget).
    """
    if isinstance(recipe, dict):
        merged, source = _merged(dict(recipe), "<recipe>", pathlib.Path.cwd(), ()), "<recipe>"
    else:
        path = resolve_recipe_path(recipe)
        merged, source = _merged(_read_yaml(path), str(path), path.parent, (path.resolve(),)), str(path)
    for item in overrides:
        key, value = parse_override(item) if isinstance(item, str) else item
        _set(merged, key, value)
    _check_values(merged, source)
    return _finish(merged, source)


def recipe_hash(recipe):
    """A stable hash of a resolved recipe (everything that changes the trained model).

    Args:
        recipe: a resolved recipe dict.
    """
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:16]


# Keys that change when and how a run reports, not the weights it reaches: a checkpoint
# written under other values of these is still on the same run.
BOOKKEEPING = ("train.log_every", "train.eval_every", "train.eval_batches", "train.final_eval_examples",
               "train.checkpoint_every", "train.keep_checkpoints")
# How a step is executed, not what it computes: another strategy, XLA or a fused loss changes
# the order of float sums, not the algorithm, so a run may continue under another one. A key
# ending in "." stands for its whole section.
EXECUTION = ("train.jit_compile", "train.fused_loss", "runtime.")


def _trains_alike(key):
    return any(key == k or (k.endswith(".") and key.startswith(k)) for k in BOOKKEEPING + EXECUTION)


def training_differences(old, new):
    """The keys on which two resolved recipes would train different weights.

    Bookkeeping keys (BOOKKEEPING) and execution keys (EXECUTION, with the `runtime` section) are
    ignored; a key that one recipe lacks (a default added to the schema since the other was
    written) compares as that default, so resolve both with `load_recipe` first.

    Args:
        old: a resolved recipe, e.g. the one a run directory's checkpoints were written under.
        new: a resolved recipe.

    Returns:
        [(key, old value, new value)], in schema order; empty when they train alike.

    >>> a = load_recipe("gpt-nano")
    >>> training_differences(a, load_recipe("gpt-nano", ["train.steps=200", "train.log_every=5",
    ...                                                   "runtime.strategy=mirrored", "train.jit_compile=false"]))
    [('train.steps', 2000, 200)]
    """
    old_leaves, new_leaves = dict(_leaves(old)), dict(_leaves(new))
    keys = list(new_leaves) + [k for k in old_leaves if k not in new_leaves]
    return [(k, old_leaves.get(k), new_leaves.get(k)) for k in keys
            if not _trains_alike(k) and old_leaves.get(k) != new_leaves.get(k)]


def dump_recipe(recipe):
    """The recipe as YAML, keys in their schema order.

    Args:
        recipe: a resolved recipe dict.
    """
    return yaml.safe_dump(recipe, sort_keys=False)
