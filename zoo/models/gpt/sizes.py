"""Registered GPT sizes. gpt-small/medium keep GPT-2's published shapes.

The CPU sizes (nano, micro, mini) train to a useful loss in minutes on 2 cores.
"""
from zoo.models.gpt.builder import build_gpt, gpt_params
from zoo.models.ladder_shapes import LADDER_CONTEXT, LADDER_SHAPES, ladder_name
from zoo.registry import ModelSpec, register


def _gpt(name, layers, heads, width, mlp, context, recipe=None, description="", default_suites=None):
    register(
        ModelSpec(
            name=name,
            family="gpt",
            task="causal_lm",
            config=dict(num_layers=layers, num_heads=heads, hidden_dim=width,
                        intermediate_dim=mlp, dropout=0.0),
            max_sequence_length=context,
            build=build_gpt,
            count_params=gpt_params,
            default_recipe=recipe,
            description=description,
            default_suites=default_suites,
        )
    )


_gpt("gpt-nano", 4, 4, 128, 512, 128, "gpt-nano", "CPU default: trains in ~2 minutes")
# gpt-nano's architecture trained six times longer (12,000 steps, about 6 minutes at two threads):
# beside llama-nano-long in the lm suite, outside the main job's budget.
_gpt("gpt-nano-long", 4, 4, 128, 512, 128, "gpt-nano-long", "gpt-nano trained 6x longer; lm suite only",
     default_suites=("lm",))
_gpt("gpt-micro", 4, 4, 256, 1024, 256, "gpt-micro", "CPU size, ~3M params")
_gpt("gpt-mini", 6, 6, 384, 1536, 256, "gpt-mini", "CPU size, ~11M params")
_gpt("gpt-small", 12, 12, 768, 3072, 1024, None, "GPT-2 small shape (124M with GPT-2's vocabulary)")
_gpt("gpt-medium", 24, 16, 1024, 4096, 1024, None, "GPT-2 medium shape (355M with GPT-2's vocabulary)")
# The scaling ladder's rungs (zoo.scaling.ladder trains them).
for _i, (_layers, _width, _heads) in enumerate(LADDER_SHAPES, start=1):
    _gpt(ladder_name("gpt", _i), _layers, _heads, _width, 4 * _width, LADDER_CONTEXT, None, "scaling-ladder rung")
