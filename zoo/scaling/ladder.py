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

from zoo.models.gpt.builder import build_gpt, gpt_params
from zoo.models.llama.builder import build_llama, llama_params
from zoo.registry import ModelSpec, register

# (layers, width, heads): head width 16..32, depth grows slowly, as in Kaplan's ladders.
# Llama non-embedding parameters: 3.0k, 6.0k, 12.8k, 21.7k, 32.5k, 50.9k, 74k, 134k,
# 208k, 296k, 714k, 1.6M, 4.3M (consecutive rungs 1.4-2.4x apart).
SIZES = [(1, 16, 1), (2, 16, 1), (2, 24, 2), (2, 32, 2), (3, 32, 2), (2, 48, 2), (3, 48, 3), (3, 64, 4),
         (3, 80, 4), (3, 96, 3), (4, 128, 4), (4, 192, 6), (6, 256, 8)]
# {budget C in FLOPs: rung numbers (1-based into SIZES)}. Chosen by measurement (pilot at
# C = 3e11, this machine: 6.0k / 12.8k / 21.7k parameters scored 2.721 / 2.627 / 2.635 bits per
# byte, so N_opt(3e11) ≈ 15k, ~200 training bytes per parameter), assuming N_opt ∝ C^0.5 to
# centre each profile: 0.3x-4x around its expected optimum. The top budget is the largest at
# which the smallest size below the optimum still sees every training byte at most once
# (6 · 12.8k · 5.2M bytes ≈ 4e11 with 8.85M training bytes). Tiny models are step-bound
# (~10 ms a step whatever their size), so the design costs ~34k steps, most of them in each
# profile's smallest run.
QUICK_DESIGN = {1e11: (1, 2, 3, 4, 5), 2e11: (2, 3, 4, 5, 6), 4e11: (3, 4, 5, 6, 7)}
# The full design adds two budgets, still without repeating a training byte (6 · 21.7k · 6.2M
# and 6 · 32.5k · 8.2M bytes); about twice the quick design's steps.
FULL_DESIGN = {**QUICK_DESIGN, 8e11: (4, 5, 6, 7, 8), 1.6e12: (5, 6, 7, 8, 9)}
BATCH, CONTEXT = 8, 128
CORPUS = ["shakespeare", "kjv"]


class Run(NamedTuple):
    """One ladder run: rung name, nominal budget C (FLOPs) and its training tokens D."""
    model: str
    budget: float
    tokens: int


def _register():
    for i, (layers, width, heads) in enumerate(SIZES, start=1):
        register(ModelSpec(
            name=f"gpt-ladder-{i}", family="gpt", task="causal_lm",
            config=dict(num_layers=layers, num_heads=heads, hidden_dim=width, intermediate_dim=4 * width,
                        dropout=0.0),
            max_sequence_length=CONTEXT, build=build_gpt, count_params=gpt_params,
            description="scaling-ladder rung"))
        kv = max(1, heads // 2)
        register(ModelSpec(
            name=f"llama-ladder-{i}", family="llama", task="causal_lm",
            config=dict(num_layers=layers, num_query_heads=heads, num_key_value_heads=kv, hidden_dim=width,
                        intermediate_dim=int(8 * width / 3) // 8 * 8, dropout=0.0),
            max_sequence_length=CONTEXT, build=build_llama, count_params=llama_params,
            description="scaling-ladder rung"))


_register()


def non_embedding_params(model):
    """N of a rung: non-embedding parameters (byte vocabulary 256 + specials = 288)."""
    from zoo.registry import get_spec

    spec = get_spec(model)
    return spec.count_params(spec.config, 288, spec.max_sequence_length)[1]


def tokens_for(model, budget):
    """D = C / (6 N), rounded to whole steps of BATCH x CONTEXT tokens (at least 10 steps)."""
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
            model = f"{family}-ladder-{i}"
            runs.append(Run(model, float(budget), tokens_for(model, budget)))
    return runs


def ladder_recipe(model, tokens, seed=0):
    """The same rules for every rung: lr shrinks as 1/sqrt(width), 5% warmup, cosine to 10%
    of the peak at the run's own last step."""
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
