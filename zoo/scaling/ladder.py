"""The scaling ladder: an IsoFLOP design (Chinchilla's approach 2) of small decoders.

At each compute budget C the ladder trains several model sizes N, each for its own
D = C / (6 N) tokens (rounded to whole steps), so each budget traces one IsoFLOP profile
whose minimum is the compute-optimal size at that budget. Every run uses the same data
(Shakespeare + the King James Bible, byte tokenizer, validation = Hamlet, The Tempest,
Ruth and Mark), context, batch and schedule rules, and its cosine schedule ends at its
own budget. Runs are ordinary recipes (dicts) trained by the zoo trainer and cached under
$ZOO_HOME/runs/scaling/. N counts non-embedding parameters.

The sizes per budget are chosen by measurement (see QUICK_DESIGN) so the loss minimum
lies inside each profile: tiny byte-level models trained for a few thousand steps are
still optimisation-limited, so the optimum sits at many more tokens per parameter than
Chinchilla's ~20 and the profiles start well below 10k parameters.

Example:
>>> from zoo.scaling.ladder import QUICK_DESIGN, ladder, ladder_recipe
>>> runs = ladder("llama", quick=True)
>>> sorted({r.budget for r in runs}) == sorted(QUICK_DESIGN)
True
>>> ladder_recipe(runs[0].model, runs[0].tokens)["data"]["corpus"]
['shakespeare', 'kjv']
"""
import math
from typing import NamedTuple

from zoo.models.ladder_shapes import LADDER_CONTEXT, ladder_name

# The rungs' shapes live with the models (zoo/models/ladder_shapes.py; each decoder family
# registers its `<family>-ladder-<i>` in its own sizes.py); the design below picks rungs by number.
# {budget C in FLOPs: rung numbers (1-based into LADDER_SHAPES)}. Chosen by measurement (pilot at
# C = 3e11, this machine: 6.0k / 12.8k / 21.7k parameters scored 2.721 / 2.627 / 2.635 bits per
# byte, so N_opt(3e11) ≈ 15k, ~200 training bytes per parameter), assuming N_opt ∝ C^0.5 to
# centre each profile: 0.3x-4x around its expected optimum. The top budget is the largest at
# which the smallest size below the optimum still sees every training byte at most once
# (6 · 12.8k · 5.2M bytes ≈ 4e11 with 8.85M training bytes). A tiny model's step costs far
# more than its FLOPs (7 ms for rung 1, 16 ms for rung 3, 29 ms for rung 7 on a 2-core AMD
# EPYC family 23), so the design's ~34k steps cost most in each profile's smallest runs.
QUICK_DESIGN = {1e11: (1, 2, 3, 4, 5), 2e11: (2, 3, 4, 5, 6), 4e11: (3, 4, 5, 6, 7)}
# The full design adds two budgets, still without repeating a training byte (6 · 21.7k · 6.2M
# and 6 · 32.5k · 8.2M bytes); about twice the quick design's steps.
FULL_DESIGN = {**QUICK_DESIGN, 8e11: (4, 5, 6, 7, 8), 1.6e12: (5, 6, 7, 8, 9)}
BATCH, CONTEXT = 8, LADDER_CONTEXT
CORPUS = ["shakespeare", "kjv"]


class Run(NamedTuple):
    """One ladder run: rung name, nominal budget C (FLOPs) and its training tokens D."""
    model: str
    budget: float
    tokens: int


def non_embedding_params(model):
    """N of a rung: non-embedding parameters (byte vocabulary 256 + specials = 288).

    Args:
        model: a registered model name (a ladder rung).
    """
    from zoo.registry import get_spec

    spec = get_spec(model)
    return spec.count_params(spec.config, 288, spec.max_sequence_length)[1]


def tokens_for(model, budget):
    """D = C / (6 N), rounded to whole steps of BATCH x CONTEXT tokens (at least 10 steps).

    Args:
        model: a registered model name (a ladder rung).
        budget: the compute budget C in FLOPs.
    """
    step = BATCH * CONTEXT
    return max(10, round(budget / (6.0 * non_embedding_params(model) * step))) * step


def ladder(family, quick, design=None):
    """[Run] of the IsoFLOP design, budget by budget, smallest model first.

    Args:
        family: "gpt" or "llama".
        quick: the quick design (QUICK_DESIGN) or the full one (FULL_DESIGN).
        design: optional {budget: rung numbers} replacing either (used by tests).
    """
    design = design or (QUICK_DESIGN if quick else FULL_DESIGN)
    runs = []
    for budget in sorted(design):
        for i in design[budget]:
            model = ladder_name(family, i)
            runs.append(Run(model, float(budget), tokens_for(model, budget)))
    return runs


def ladder_recipe(model, tokens, seed=0):
    """The same rules for every rung: lr shrinks as 1/sqrt(width), 5% warmup, cosine to 10%
    of the peak at the run's own last step.

    Args:
        model: a registered model name (a ladder rung).
        tokens: training tokens D (rounded up to whole steps, at least 10 steps).
        seed: the run's training seed.

    Returns:
        The recipe dict (model, data, train sections).
    """
    from zoo.registry import get_spec

    width = get_spec(model).config["hidden_dim"]
    steps = max(10, math.ceil(tokens / (BATCH * CONTEXT)))
    return {
        "model": model,
        "data": {"corpus": list(CORPUS), "tokenizer": "byte", "sequence_length": CONTEXT},
        "train": {"batch_size": BATCH, "steps": steps, "learning_rate": round(2e-3 * math.sqrt(128 / width), 6),
                  "warmup_steps": max(1, steps // 20), "min_lr_ratio": 0.1, "seed": seed,
                  "jit_compile": True, "log_every": max(1, steps // 10), "eval_every": 10 * steps,
                  "checkpoint_every": 10 * steps},
    }
