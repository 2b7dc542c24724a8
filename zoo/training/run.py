"""Train a recipe: the one place that decides the run directory and resume.

`train_recipe` resolves the recipe, picks the run directory ($ZOO_HOME/runs/<name>, or
--out; a multi-worker run's non-chief workers write under .workers/) and whether the
preset is installed as the model's trained preset (not with --out), checks --resume and
data.corpus before any write, and trains the `init_from` base model first when it has no
trained preset. Every objective then runs on `zoo.training.trainer.Trainer`, which never
imports this module, so training a base model for `init_from` recurses only here.

Example:
>>> from zoo.training.run import train_recipe
>>> result = train_recipe("gpt-nano", overrides=["train.steps=20", "train.warmup_steps=2"],
...                       out="/tmp/zoo-run")
"""
import pathlib
import sys

from zoo import paths
from zoo.errors import ZooError
from zoo.registry import get_spec
from zoo.training.init_from import init_preset_dir, is_trained_preset
from zoo.training.recipe import load_recipe
from zoo.training.trainer import Trainer


def run_name(recipe_arg, recipe):
    """The run's name: the recipe's name, a YAML file's stem, or (for a dict) the model's name.

    Args:
        recipe_arg: what the user passed: a recipe name, a YAML path or a dict.
        recipe: the resolved recipe.

    >>> run_name("recipes/gpt-nano.yaml", {"model": "gpt-nano"})
    'gpt-nano'
    """
    if isinstance(recipe_arg, str) and not recipe_arg.endswith((".yaml", ".yml")):
        return recipe_arg
    return pathlib.Path(str(recipe_arg)).stem if isinstance(recipe_arg, str) else recipe["model"]


def ensure_init_preset(init, quiet=False):
    """The preset directory `init_from` points to; a registered name without a trained
    preset is trained first with its default recipe.

    Args:
        init: a preset directory or a registered model name.
        quiet: train the base model without progress lines.
    """
    preset = init_preset_dir(init)
    if not is_trained_preset(preset):
        spec = get_spec(init)
        if not spec.default_recipe:
            raise ZooError(f"init_from '{init}' has no trained preset in {preset.parent} and no recipe "
                           f"to train it: train it first (zoo train RECIPE) or point init_from at a preset")
        print(f"zoo: init_from {init}: no trained preset, training recipes/{spec.default_recipe}.yaml first",
              file=sys.stderr, flush=True)
        train_recipe(spec.default_recipe, quiet=quiet)
    return preset


def _check_resume(run_dir, resume):
    if resume and not (run_dir / "checkpoints" / "checkpoint").exists():
        raise ZooError(f"--resume: no checkpoint in {run_dir / 'checkpoints'}; start without --resume")


def train_recipe(recipe, overrides=(), out=None, resume=None, quiet=False):
    """Train from a recipe name/path/dict; returns final metrics and where the preset is.

    Args:
        recipe: a recipe name (recipes/<name>.yaml), a YAML path, or a dict.
        overrides: "key.sub=value" strings, as `zoo train --set`.
        out: the run directory; None: $ZOO_HOME/runs/<name>, and the preset is installed
            as the model's trained preset.
        resume: continue from the run directory's last checkpoint.
        quiet: no progress lines.
    """
    resolved = load_recipe(recipe, overrides)
    name = run_name(recipe, resolved)
    run_dir = pathlib.Path(out) if out else paths.runs_dir() / name
    install = None if out else paths.preset_dir(resolved["model"])
    multi_worker = resolved["runtime"]["strategy"] == "multi_worker"
    if multi_worker:
        from zoo.training.launch import worker_role

        is_chief, index = worker_role()
        if not is_chief:  # every worker checkpoints (collectively); only the chief keeps it
            run_dir, install = run_dir / ".workers" / f"worker-{index}", None
            quiet = True
    _check_resume(run_dir, resume)
    from zoo.training.objectives import OBJECTIVES

    if OBJECTIVES[resolved["data"]["objective"]].reads_corpus:
        from zoo.data import corpora

        corpora.load_split(resolved["data"]["corpus"], "train")  # bad corpora fail before any write
    init = resolved.get("init_from")
    if init and multi_worker and not is_trained_preset(init_preset_dir(init)):
        # Every worker would train the base model at once, into the same directory.
        raise ZooError(f"init_from '{init}' has no trained preset: train it first (zoo train RECIPE), "
                       "then start the multi-worker run")
    if init:
        ensure_init_preset(init, quiet)
    # $ZOO_HOME/runs/<name> is zoo's own: after a recipe change it is trained afresh there; an
    # --out directory is the user's: a mismatch there is refused, the directory left as it is.
    return Trainer(resolved, run_dir, install_preset=install, quiet=quiet,
                   restart_changed_recipe=out is None).run(resume=resume)
