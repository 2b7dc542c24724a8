"""Train several models' default recipes at once: one one-thread process per usable core.

The CPU recipes' models are small, and a small model's step uses a second core poorly: two
one-thread processes side by side each run slower than one process with both cores, but less than
twice as slow, so together they finish more steps, and one run's start-up, compilation and
evaluation overlap the other's training. `tools/side_by_side_probe.py` times the main job's five
decoders both ways on the machine at hand (records, with each run's loop seconds both ways:
leaderboard/probes/side-by-side-*.json). A model whose `init_from` base is also to be trained
starts after its base is done; runs start in order of their critical path (a run's cost plus the
costliest chain of runs waiting on it), so a base starts early. `ZOO_TRAIN_WORKERS` sets the
number of processes (1: one after another in this process, with every core).

Each preset is trained in its own fresh process with one thread, so it is the same preset (bit
for bit) on every run of the same code on the same machine type, whatever ran beside it.

Example:
>>> from zoo.training.side_by_side import train_side_by_side
>>> seconds = train_side_by_side(["gpt-nano", "llama-nano"])   # trains missing presets
"""
import pathlib
import sys
import time
from concurrent.futures import FIRST_COMPLETED, wait

from zoo import paths
from zoo.registry import get_spec
from zoo.training.init_from import is_trained_preset
from zoo.training.recipe import load_recipe
from zoo.training.workers import default_workers, recipe_cost, worker_pool, worker_threads


def _train_one(name):
    """In a worker: train recipes/<name>.yaml into its model's trained preset; its loop seconds
    (of every run that trained it, an interrupted one it resumed included) and the step it
    started from."""
    from zoo.training.run import train_recipe

    result = train_recipe(name, quiet=True)
    return result["train_seconds"], result["start_step"]


def _missing_base(recipe):
    """The recipe name of the registered `init_from` base of `recipe` if it has no trained preset."""
    init = recipe.get("init_from")
    if not init or pathlib.Path(init).is_dir() or is_trained_preset(paths.preset_dir(init)):
        return None
    return get_spec(init).default_recipe


def _critical_path(recipes, base):
    """{name: its recipe cost plus the costliest chain of recipes waiting on it}: starting the
    largest first puts a base that others wait for ahead of runs as long as itself with nothing
    after them, so its dependents do not train alone at the end.

    Args:
        recipes: {name: resolved recipe}.
        base: {name: the name of its missing init_from base, or None}.
    """
    after = {name: [n for n, b in base.items() if b == name] for name in recipes}

    def path(name):
        return recipe_cost(recipes[name]) + max((path(n) for n in after[name]), default=0)

    return {name: path(name) for name in recipes}


def _log(message):
    print(f"[train] {message}", file=sys.stderr, flush=True)


def train_side_by_side(names, workers=None):
    """Train the recipes `names` (recipes/<name>.yaml) side by side into their models' presets.

    Args:
        names: recipe names; each trains its model's trained preset ($ZOO_HOME/models/...).
        workers: processes side by side (default: `ZOO_TRAIN_WORKERS`, else the usable cores
            within memory); 1 trains them one after another here, with every core.

    Returns:
        {name: wall seconds from its start to its preset}, and "all": the wall seconds of the
        whole call.
    """
    from zoo.training.run import train_recipe

    start = time.time()
    recipes = {}
    todo = list(names)
    while todo:  # a missing init_from base is trained here too, before the models that start from it
        name = todo.pop(0)
        if name not in recipes:
            recipes[name] = load_recipe(name)  # a bad recipe fails before any training
            base = _missing_base(recipes[name])
            if base:
                todo.append(base)
    names = list(recipes)
    workers = min(workers or default_workers("ZOO_TRAIN_WORKERS"), len(names))
    seconds = {}
    if workers <= 1:
        for name in names:
            if is_trained_preset(paths.preset_dir(recipes[name]["model"])):
                continue  # a base trained first by a model that starts from it
            t0 = time.time()
            train_recipe(name)
            seconds[name] = round(time.time() - t0, 1)
        seconds["all"] = round(time.time() - start, 1)
        return seconds
    base = {name: _missing_base(recipe) for name, recipe in recipes.items()}
    path = _critical_path(recipes, base)
    pending = sorted(names, key=lambda n: -path[n])  # longest chain first: the last to end are short
    _log(f"training {len(names)} presets side by side ({workers} processes, {worker_threads(workers)} "
         f"thread(s) each; ZOO_TRAIN_WORKERS=1 trains one after another): {', '.join(pending)}")
    died = ("a training process died (out of memory or killed); rerun the same command: finished presets "
            "are kept and interrupted runs resume")
    running, started = {}, {}
    with worker_pool(workers, died) as pool:
        while pending or running:
            for name in list(pending):
                if len(running) >= workers:
                    break
                if base[name] in pending or base[name] in running.values():
                    continue  # its init_from base is not trained yet
                pending.remove(name)
                started[name] = time.time()
                running[pool.submit(_train_one, name)] = name
                _log(f"{name}: training")
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                name = running.pop(future)
                loop, start_step = future.result()
                seconds[name] = round(time.time() - started[name], 1)
                if start_step:
                    _log(f"{name}: trained ({seconds[name]:.0f} s, resumed from step {start_step:,}; "
                         f"its training loop {loop:.0f} s in all)")
                else:
                    _log(f"{name}: trained ({seconds[name]:.0f} s, of which the training loop {loop:.0f} s)")
    seconds["all"] = round(time.time() - start, 1)
    return seconds
