"""The scaling ladder: small decoders of growing size trained at several token budgets.

Every run uses the same data (Shakespeare, byte tokenizer), context, batch and schedule
rules; only the size and the budget change. Runs are ordinary recipes (dicts) trained
by the zoo trainer and cached under $ZOO_HOME/runs/scaling/.

Quick ladder (`--quick`): 5 sizes (≈25k → 1.8M non-embedding parameters, 72×) × 3
budgets (400k, 800k, 1.6M tokens) = 15 runs. Full ladder: 6 sizes (to 4.7M, 192×) × 5
budgets (to 6.4M tokens) = 30 runs. Below 400k tokens (~400 steps of 8 × 128) the rungs
are still leaving the unigram plateau and their order by size is noise (measured: Llama
rungs 1/3/5 at 200k tokens 3.71/3.87/3.53 bits per byte; at 600k 3.10/3.00/2.91).

Example:
>>> from zoo.scaling.ladder import ladder, ladder_recipe
>>> [m for m, _ in ladder("gpt", quick=True)][:2]
['gpt-ladder-1', 'gpt-ladder-2']
"""
import math

from zoo.models.gpt.builder import build_gpt, gpt_params
from zoo.models.llama.builder import build_llama, llama_params
from zoo.registry import ModelSpec, register

# (layers, width, heads): width/heads = 16..32, depth grows slowly, as in Kaplan's ladders.
SIZES = [(2, 32, 2), (2, 64, 2), (3, 96, 3), (4, 128, 4), (4, 192, 6), (6, 256, 8)]
QUICK_BUDGETS = [400_000, 800_000, 1_600_000]
FULL_BUDGETS = [400_000, 800_000, 1_600_000, 3_200_000, 6_400_000]
BATCH, CONTEXT = 8, 128


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


def ladder(family, quick):
    """[(model name, token budget)] for the ladder."""
    sizes = SIZES[:5] if quick else SIZES
    budgets = QUICK_BUDGETS if quick else FULL_BUDGETS
    return [(f"{family}-ladder-{i}", b) for i in range(1, len(sizes) + 1) for b in budgets]


def ladder_recipe(model, tokens, seed=0):
    """The same rules for every rung: lr shrinks as 1/sqrt(width), 5% warmup, cosine to 10%."""
    from zoo.registry import get_spec

    width = get_spec(model).config["hidden_dim"]
    steps = max(10, math.ceil(tokens / (BATCH * CONTEXT)))
    return {
        "model": model,
        "data": {"corpus": "shakespeare", "tokenizer": "byte", "sequence_length": CONTEXT},
        "train": {"batch_size": BATCH, "steps": steps, "learning_rate": round(2e-3 * math.sqrt(128 / width), 6),
                  "warmup_steps": max(1, steps // 20), "min_lr_ratio": 0.1, "seed": seed,
                  "jit_compile": True, "log_every": max(1, steps // 10), "eval_every": 10 * steps,
                  "checkpoint_every": 10 * steps},
    }
