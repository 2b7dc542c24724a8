"""Registered Llama-style sizes: RoPE, RMSNorm, SwiGLU and grouped-query attention."""
from zoo.models.ladder_shapes import LADDER_CONTEXT, LADDER_SHAPES, ladder_name
from zoo.models.llama.builder import build_llama, llama_params
from zoo.registry import ModelSpec, register


def _llama(name, layers, q_heads, kv_heads, width, mlp, context, recipe=None, description="", default_suites=None):
    register(
        ModelSpec(
            name=name,
            family="llama",
            task="causal_lm",
            config=dict(num_layers=layers, num_query_heads=q_heads,
                        num_key_value_heads=kv_heads, hidden_dim=width,
                        intermediate_dim=mlp, dropout=0.0),
            max_sequence_length=context,
            build=build_llama,
            count_params=llama_params,
            default_recipe=recipe,
            description=description,
            default_suites=default_suites,
        )
    )


_llama("llama-nano", 4, 4, 2, 128, 352, 128, "llama-nano", "CPU size, GQA 4:2")
# llama-nano's architecture trained six times longer (12,000 steps, about 7 minutes at two threads):
# the decoder the lm suite sets beside the byte n-gram, outside the main job's budget.
_llama("llama-nano-long", 4, 4, 2, 128, 352, 128, "llama-nano-long", "llama-nano trained 6x longer; lm suite only",
       default_suites=("lm",))
_llama("llama-micro", 4, 8, 4, 256, 704, 256, "llama-micro", "CPU size, GQA 8:4")
_llama("llama-small", 12, 12, 4, 768, 2048, 1024, None, "Llama-style at GPT-2 small width, GQA 12:4")
# The scaling ladder's rungs (zoo.scaling.ladder trains them): half as many key/value heads.
for _i, (_layers, _width, _heads) in enumerate(LADDER_SHAPES, start=1):
    _llama(ladder_name("llama", _i), _layers, _heads, max(1, _heads // 2), _width, int(8 * _width / 3) // 8 * 8,
           LADDER_CONTEXT, None, "scaling-ladder rung")
