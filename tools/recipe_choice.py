"""Choose a recipe's settings on the validation split, over several seeds, and keep the record.

A recipe choice made from one training run is a coin toss when the validation split is five
plays: the genre classifiers' whole-split validation accuracy moved by up to 0.12 between two
seeds of one recipe. This script trains a recipe under each candidate override set at each
seed (`zoo train RECIPE --set ...`, one process per run, the base presets read from --home),
reads the final whole-split scores each run writes to the last line of its `metrics.jsonl`,
and names the candidate with the best mean *validation* score: the highest accuracy for a
classification recipe, the lowest bits per byte for a causal-LM (clm) recipe. Test scores
(classification) are recorded beside, never used to choose.

Runs are independent, so --workers 2 runs two at a time: the accuracies do not depend on it
(training is deterministic), the recorded seconds do (two runs share two cores), so they are
labelled as such. It is a measuring script kept outside `zoo/` and `benchmarks/`, so running
or changing it never touches the leaderboard's results.

    python tools/recipe_choice.py gpt-nano-genre --candidate lr5e-4:train.learning_rate=5e-4 \\
        --candidate lr1e-3:train.learning_rate=1e-3 --seeds 0 1 --home $ZOO_HOME \\
        --out leaderboard/probes/recipe-choice-gpt-nano-genre.json --workers 2
"""
import concurrent.futures
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

from out_path import checked_out
from tool_args import OneLineParser

REPO = pathlib.Path(__file__).resolve().parents[1]
# per objective: the scores a run's final line holds, the one that chooses, and whether higher is better
METRICS = {
    "classification": (("val_acc", "val_macro_f1", "test_acc", "test_macro_f1"), "val_acc", True),
    "clm": (("val_bpb", "val_loss"), "val_bpb", False),
}
SCORES = METRICS["classification"][0]


def parse_candidate(text):
    """'label:key=value,key=value' -> (label, ["key=value", ...]); 'label:' is the recipe as written.

    Args:
        text: a --candidate argument.

    >>> parse_candidate("lr1e-3:train.learning_rate=1e-3,train.steps=800")
    ('lr1e-3', ['train.learning_rate=1e-3', 'train.steps=800'])
    """
    label, sep, sets = text.partition(":")
    if not sep or not label:
        raise ValueError(f"--candidate '{text}' is not LABEL:KEY=VALUE[,KEY=VALUE...] "
                         "(e.g. lr1e-3:train.learning_rate=1e-3, or 'recipe:' for the recipe as written)")
    overrides = [s for s in sets.split(",") if s]
    bad = [s for s in overrides if "=" not in s]
    if bad:
        raise ValueError(f"--candidate '{text}': '{bad[0]}' is not KEY=VALUE")
    return label, overrides


def recipe_problem(recipe, candidates):
    """Why the candidates cannot be compared (unknown recipe, bad override, repeated label, an
    objective that writes no whole-split score), or None. Resolves each candidate's recipe
    as `zoo train` will, so a mistake shows before any training.

    Args:
        recipe: a recipe name.
        candidates: [(label, overrides)].
    """
    from zoo.errors import ZooError
    from zoo.training.recipe import load_recipe

    labels = [label for label, _ in candidates]
    repeated = sorted({label for label in labels if labels.count(label) > 1})
    if repeated:
        return f"--candidate label '{repeated[0]}' is given twice: give each candidate its own label"
    for label, overrides in candidates:
        try:
            resolved = load_recipe(recipe, overrides)
        except ZooError as e:
            return f"candidate '{label}': {e}"
        if resolved["data"]["objective"] not in METRICS:
            return (f"recipe '{recipe}' trains data.objective '{resolved['data']['objective']}', which writes no "
                    "whole-split score this script reads: use a classification or clm recipe (e.g. gpt-nano-genre, "
                    "gpt-nano)")
    return None


def objective_of(recipe):
    """(data.objective, init_from) of a recipe as written."""
    from zoo.training.recipe import load_recipe

    resolved = load_recipe(recipe)
    return resolved["data"]["objective"], resolved.get("init_from")


def train_once(recipe, overrides, seed, home, workdir, scores=SCORES):
    """Train one run in its own process; its final whole-split scores and last training log line.

    Args:
        recipe: a recipe name (e.g. gpt-nano-genre).
        overrides: recipe leaves to set ("key=value").
        seed: the run's train.seed.
        home: ZOO_HOME holding the base preset the recipe starts from.
        workdir: an empty directory for the run.
        scores: the keys of the run's final metrics line to keep.
    """
    sets = [*overrides, f"train.seed={seed}"]
    cmd = [sys.executable, "-m", "zoo.cli", "train", recipe, "--out", str(workdir / "run")]
    for s in sets:
        cmd += ["--set", s]
    env = {**os.environ, "ZOO_HOME": str(home), "PYTHONPATH": str(REPO)}
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=str(REPO), capture_output=True, text=True)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["(no output)"]
        raise RuntimeError(f"zoo train {recipe} {' '.join(sets)} failed: {tail[0]}")
    from zoo.training.metrics_log import read_metrics

    rows = read_metrics(workdir / "run")
    final = rows[-1]
    logged = [r for r in rows if "acc" in r and "step" in r]
    return {"overrides": sets, "seed": seed, **{k: final[k] for k in scores},
            "train_acc_last_log": logged[-1]["acc"] if logged else None, "steps": final.get("step"),
            "train_seconds_shared_cpu": final.get("train_seconds"),
            "wall_seconds_shared_cpu": round(time.perf_counter() - started, 1)}


def choose(recipe, candidates, seeds, home, workers=1, objective="classification"):
    """Every candidate at every seed; the candidate with the best mean validation score.

    Args:
        recipe: a recipe name.
        candidates: [(label, overrides)].
        seeds: train.seed values.
        home: ZOO_HOME with the base presets.
        workers: runs at a time.
        objective: the recipe's data.objective, a key of METRICS (what is read and how it chooses).
    """
    scores, key, higher = METRICS[objective]
    jobs = [(label, overrides, seed) for label, overrides in candidates for seed in seeds]
    with tempfile.TemporaryDirectory(prefix="recipe-choice-") as tmp, \
            concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(train_once, recipe, overrides, seed, home, pathlib.Path(tmp) / f"{label}-{seed}",
                               scores): label
                   for label, overrides, seed in jobs}
        runs = {}
        for future in concurrent.futures.as_completed(futures):
            runs.setdefault(futures[future], []).append(future.result())
    summary = {}
    for label, _ in candidates:
        rs = sorted(runs[label], key=lambda r: r["seed"])
        summary[label] = {"runs": rs, **{f"mean_{k}": round(statistics.mean(r[k] for r in rs), 4) for k in scores}}
    pick = max if higher else min
    chosen = pick(summary, key=lambda label: summary[label][f"mean_{key}"])
    return {"recipe": recipe, "seeds": list(seeds),
            "chosen_on": f"mean whole-split {key} ({'highest' if higher else 'lowest'})",
            "chosen": chosen, "candidates": summary}


def main(argv=None):
    ap = OneLineParser(prog="tools/recipe_choice.py", description=__doc__.split("\n")[0])
    ap.add_argument("recipe", help="a classification or clm recipe name (e.g. gpt-nano-genre, gpt-nano)")
    ap.add_argument("--candidate", action="append", required=True,
                    help="LABEL:KEY=VALUE[,KEY=VALUE...] (repeat; 'LABEL:' = the recipe as written)")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--home", required=True, help="ZOO_HOME holding the base preset (models/<base>) of a recipe "
                    "with init_from; the runs themselves write to temporary directories")
    ap.add_argument("--workers", type=int, default=1, help="runs at a time (scores do not depend on it)")
    ap.add_argument("--out", help="write the JSON record here (atomically: zoo.atomic)")
    args = ap.parse_args(argv)
    try:
        candidates = [parse_candidate(c) for c in args.candidate]
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    out, refused = checked_out(args.out)  # before minutes of measuring, creating nothing
    if refused:
        return refused
    sys.path.insert(0, str(REPO))
    from benchmarks.provenance import cpu_info, git_state

    reason = recipe_problem(args.recipe, candidates)  # before minutes of training
    if reason:
        print(f"error: {reason}", file=sys.stderr)
        return 2
    objective, base = objective_of(args.recipe)
    if base and not pathlib.Path(args.home, "models").is_dir():
        print(f"error: --home {args.home} has no models/ directory: point it at a ZOO_HOME with the base "
              f"preset the recipe starts from ({base})", file=sys.stderr)
        return 2
    try:
        record = choose(args.recipe, candidates, args.seeds, pathlib.Path(args.home).resolve(), args.workers,
                        objective)
    except RuntimeError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    record.update(cpu=cpu_info(), git=git_state(), workers=args.workers)
    if out:
        from zoo import atomic

        atomic.write_json(out, record)
        print(f"wrote {out}")
    for label, s in record["candidates"].items():
        shown = (f"mean validation acc {s['mean_val_acc']:.3f}, mean test acc {s['mean_test_acc']:.3f}"
                 if objective == "classification" else f"mean validation bits per byte {s['mean_val_bpb']:.4f}")
        print(f"{label}: {shown} ({len(s['runs'])} seeds)" + ("  <- chosen" if label == record["chosen"] else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
