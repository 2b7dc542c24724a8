"""Registered BART sizes (num_layers is per stack: encoder and decoder each have that many).

bart-base keeps the published shape: 6+6 layers, d_model 768, 12 heads, d_ff 3072, 1024
positions, GELU, post-norm, tied embeddings. bart-nano is the CPU size, t5-nano's width
and depth, trained by text infilling + sentence permutation (recipes/bart-nano.yaml).

`position_init`: "random" is keras-hub's N(0, 0.02) start of the learned positions;
"sinusoidal" starts them as sinusoids (`builder.init_sinusoidal_positions`), which a
one-layer BART needed to learn to copy in the learning test's budget.
"""
from zoo.models.bart.builder import bart_flops, bart_params, build_bart
from zoo.registry import ModelSpec, register


def _bart(name, layers, heads, width, mlp, context, recipe=None, description="", dropout=0.0,
          position_init="random"):
    register(
        ModelSpec(
            name=name,
            family="bart",
            task="seq2seq_lm",
            config=dict(num_layers=layers, num_heads=heads, hidden_dim=width, intermediate_dim=mlp,
                        dropout=dropout, position_init=position_init),
            max_sequence_length=context,
            build=build_bart,
            count_params=bart_params,
            default_recipe=recipe,
            description=description,
            flops=bart_flops,
        )
    )


_bart("bart-nano", 2, 4, 128, 512, 256, "bart-nano", "CPU encoder-decoder: text infilling + sentence permutation")
_bart("bart-base", 6, 12, 768, 3072, 1024, None, "BART base shape (140M with BART's 50k vocabulary)", 0.1)
