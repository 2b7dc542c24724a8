"""zoo's gpt-nano recipe against a PyTorch peer (nanoGPT's baby GPT), trained in one run on one
machine and scored on the same validation windows.

* zoo: `train_recipe("gpt-nano")` into a temporary run directory (the user's preset is not
  touched); its training-loop seconds come from the trainer (`train_seconds`, evaluation
  excluded).
* PyTorch: `benchmarks.peers.baby_gpt_torch` in a fresh process (so neither framework's
  thread pools sit in the other's process), on the same byte token stream; its training-loop
  seconds are timed there the same way.
* zoo again, at the peer's time: the same recipe with fewer steps (its schedule follows them),
  as many as fit into `EQUAL_TIME_SHARE` of the peer's seconds at the first run's steady pace
  after paying its fixed seconds (compilation) once (`steady_pace`), so "ahead at equal wall
  time" is measured, not extrapolated from a curve cut mid-schedule. A cut run that still
  took longer than the peer is cut again (`reaimed_steps`): aimed along the line through the
  two runs' measured (steps, seconds) when its slope is a plausible step time, else in
  proportion to the shorter run's own pace; up to `EQUAL_TIME_TRIES` runs in all, every try kept.
* All are scored on the same non-overlapping 64-token windows of the Shakespeare validation
  split (`zoo.data.pipeline.eval_windows`; 64 is the peer's context), in bits per byte:
  summed NLL / ln 2 / the bytes those windows cover.

When torch is not installed the comparison returns {"skipped": reason} (one line, no error).

>>> from benchmarks.peers.compare import torch_missing
>>> torch_missing() in (None, "torch is not installed: pip install -e '.[peers]' (PyTorch CPU) to run the PyTorch peer")
True
"""
import importlib.util
import json
import pathlib
import subprocess
import sys
import tempfile

import numpy as np

from zoo.metrics import LN2

# The equal-time run aims a little under the peer's seconds: step times vary by a few per cent
# between runs, and the claim is "in no more time".
EQUAL_TIME_SHARE = 0.95
# A short run pays costs a long run spreads thin (the sequence warm-up's second compilation):
# the first aim has landed at 1.04-1.05x the peer's time, so a run over it is re-aimed.
EQUAL_TIME_TRIES = 3


def torch_missing():
    """None when torch can be imported, else the line saying how to install it."""
    if importlib.util.find_spec("torch") is None:
        return "torch is not installed: pip install -e '.[peers]' (PyTorch CPU) to run the PyTorch peer"
    return None


def torch_version():
    """torch's installed version, or None (read from its metadata, without importing it)."""
    from importlib import metadata

    try:
        return metadata.version("torch")
    except metadata.PackageNotFoundError:
        return None


def steady_pace(records):
    """(fixed seconds, seconds per step) of a training run, from its metrics.jsonl records.

    The pace is that between the first and the last timed record (both after compilation);
    the fixed part is what the first timed record took beyond that pace (compilation,
    warm-up), which a shorter run pays in full.

    Args:
        records: the run's metrics.jsonl records (dicts); the timed ones have "step" and
            "elapsed" (training seconds so far, evaluation excluded).

    Returns:
        (fixed, per_step), or None with fewer than two timed records.

    >>> steady_pace([{"step": 100, "elapsed": 10.0}, {"step": 200, "elapsed": 15.0}, {"step": 200, "val_bpb": 2.0}])
    (5.0, 0.05)
    """
    timed = [r for r in records if "elapsed" in r and "step" in r]
    if len(timed) < 2 or timed[-1]["step"] <= timed[0]["step"]:
        return None
    first, last = timed[0], timed[-1]
    per_step = (last["elapsed"] - first["elapsed"]) / (last["step"] - first["step"])
    return max(0.0, first["elapsed"] - first["step"] * per_step), per_step


def equal_time_steps(steps, seconds, peer_seconds, share=EQUAL_TIME_SHARE, pace=None):
    """The steps of a run that took `seconds` for `steps` that fit into `share` of `peer_seconds`
    (at least 1, at most `steps`: a recipe already faster than the peer is not lengthened).

    Args:
        steps: the steps of the measured run.
        seconds: its training seconds.
        peer_seconds: the peer's training seconds.
        share: the share of the peer's time to aim at.
        pace: (fixed seconds, seconds per step) from `steady_pace`; with it the aim pays the
            fixed part once and the steps at the steady pace (a shorter run pays compilation
            in full, so the mean step time of the long run undershoots it).

    >>> equal_time_steps(2000, 120.0, 66.0)
    1045
    >>> equal_time_steps(2000, 120.0, 66.0, pace=(10.0, 0.055))
    958
    """
    if pace is not None:
        fixed, per_step = pace
        n = int((share * peer_seconds - fixed) / per_step)
    else:
        n = int(steps * share * peer_seconds / seconds)
    return max(1, min(steps, n))


def pace_through(a, b):
    """(fixed seconds, seconds per step) of the line through two measured runs, or None when
    the longer run was not the slower (no usable slope).

    Args:
        a: (steps, seconds) of one run.
        b: (steps, seconds) of another run with other steps.

    >>> pace_through((2000, 100.0), (1000, 60.0))
    (20.0, 0.04)
    """
    (s1, t1), (s2, t2) = sorted([a, b])
    if s2 == s1 or t2 <= t1:
        return None
    per_step = (t2 - t1) / (s2 - s1)
    return t1 - s1 * per_step, per_step


def reaimed_steps(a, b, peer_seconds, share=EQUAL_TIME_SHARE):
    """The steps to try after a cut `b` that went over the peer's time, fewer than the shorter
    run's steps and at least 1.

    Aimed along the line through both measured runs (`pace_through`) when its slope is a
    plausible step time: at least half the shorter run's mean seconds per step. Otherwise (the
    cut was no faster than the longer run, or only by noise, which would aim anywhere from one
    step fewer to one step in all) the shorter run is cut in proportion to its own pace.

    Args:
        a: (steps, seconds) of one measured run.
        b: (steps, seconds) of the run that was over the peer's time.
        peer_seconds: the peer's training seconds.
        share: the share of the peer's time to aim at.

    >>> reaimed_steps((2000, 100.0), (1400, 72.0), 70.0)
    1282
    >>> reaimed_steps((2000, 65.0), (1853, 65.2), 64.0)  # no slope: in proportion
    1727
    """
    shorter = min(a, b)
    pace = pace_through(a, b)
    if pace is not None and pace[1] < 0.5 * shorter[1] / shorter[0]:
        pace = None  # no plausible slope
    return max(1, min(shorter[0] - 1, equal_time_steps(*shorter, peer_seconds, share, pace=pace)))


def compare_with_pytorch(recipe="gpt-nano", context=64, steps=2000, batch_size=12, max_windows=None,
                         threads=None, seed=0, equal_time=True):
    """Train zoo's `recipe` and the PyTorch baby GPT back to back; score both on the same windows.

    Args:
        recipe: zoo's recipe (a causal LM with a byte tokenizer).
        context: the peer's context and the scoring windows' length.
        steps: the peer's steps (nanoGPT's baby configuration: 2000).
        batch_size: the peer's batch (12).
        max_windows: score this many windows spread over the validation split (None: all).
        threads: the peer's torch threads (None: torch's default, the machine's cores).
        seed: the peer's seed.
        equal_time: also train the recipe cut to the peer's training time (see the module doc).

    Returns:
        {"zoo": {...}, "torch": {...}, "bpb_margin" (peer minus zoo, bits per byte),
        "time_ratio" (zoo training seconds / peer's), and with `equal_time` "zoo_equal_time"
        ({...} as "zoo", plus "steps") and "equal_time_bpb_margin"} or {"skipped": reason}.
    """
    missing = torch_missing()
    if missing:
        print(f"[peers] skipped: {missing}", file=sys.stderr)
        return {"skipped": missing}
    from benchmarks.harness import training_token_counts
    from zoo.data import pipeline
    from zoo.evaluation import causal_nll
    from zoo.hub import load_preset
    from zoo.preset_check import read_config
    from zoo.training.metrics_log import read_metrics
    from zoo.training.run import train_recipe

    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        result = train_recipe(recipe, out=tmp / "run", quiet=True)
        model = load_preset(result["preset"])
        tok = model.preprocessor.tokenizer
        train_ids = pipeline.token_stream("shakespeare", "train", tok)
        val_ids = pipeline.token_stream("shakespeare", "validation", tok)
        bytes_per_token = pipeline.split_bytes("shakespeare", "validation") / (len(val_ids) - 1)
        x, y, w = pipeline.eval_windows(np.asarray(val_ids), context, max_windows)

        def zoo_side(result, model):
            nats, tokens = causal_nll(model, val_ids, context, max_windows=max_windows)
            return {"train_seconds": result["train_seconds"], "val_bpb_own_context": result.get("val_bpb"),
                    "bpb": nats / LN2 / (tokens * bytes_per_token), "params": int(model.count_params()),
                    "tokens_seen": training_token_counts(read_config(pathlib.Path(result["preset"]) / "zoo.json",
                                                                     what="zoo.json"))[0],
                    "steps": int(result["step"]), "recipe": recipe}

        zoo = zoo_side(result, model)
        data = tmp / "data.npz"
        np.savez(data, train_ids=np.asarray(train_ids), eval_x=x, eval_y=y, eval_w=w,
                 vocab=int(tok.vocabulary_size()))
        out = tmp / "peer.json"
        kwargs = {"data": str(data), "steps": steps, "batch_size": batch_size, "context": context, "seed": seed,
                  "threads": threads}
        subprocess.run([sys.executable, "-m", "benchmarks.peers.baby_gpt_torch", "--json", str(out), "--kwargs",
                        json.dumps(kwargs)], check=True, cwd=str(pathlib.Path(__file__).resolve().parents[2]))
        peer = json.loads(out.read_text())
        torch_side = dict(peer, bpb=peer["eval_nats"] / LN2 / (peer["eval_tokens"] * bytes_per_token))
        report = {"zoo": zoo, "torch": torch_side, "windows": int(len(x)), "context": context,
                  "bpb_margin": torch_side["bpb"] - zoo["bpb"],
                  "time_ratio": zoo["train_seconds"] / torch_side["train_seconds"]}
        if equal_time:
            peer_seconds = torch_side["train_seconds"]
            pace = steady_pace(read_metrics(tmp / "run"))
            cut = equal_time_steps(zoo["steps"], zoo["train_seconds"], peer_seconds, pace=pace)
            tries, last = [], (zoo["steps"], zoo["train_seconds"])
            while True:
                short = train_recipe(recipe, overrides=[f"train.steps={cut}"], out=tmp / f"run-cut-{cut}",
                                     quiet=True)
                eq = zoo_side(short, load_preset(short["preset"]))
                tries.append({"steps": eq["steps"], "train_seconds": eq["train_seconds"], "bpb": eq["bpb"]})
                if eq["train_seconds"] <= peer_seconds or len(tries) >= EQUAL_TIME_TRIES or cut == 1:
                    break
                cut, last = reaimed_steps(last, (eq["steps"], eq["train_seconds"]), peer_seconds), \
                    (eq["steps"], eq["train_seconds"])
            report.update(zoo_equal_time=eq, equal_time_bpb_margin=torch_side["bpb"] - eq["bpb"],
                          equal_time_ratio=eq["train_seconds"] / peer_seconds, equal_time_tries=tries)
    return report
