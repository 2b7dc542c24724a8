"""Registered T5 sizes (num_layers is per stack: encoder and decoder each have that many).

t5-small keeps the published T5 v1.0 shape: 6+6 layers, d_model 512, 8 heads of 64,
d_ff 2048, ReLU (not gated), tied embeddings, relative attention (32 buckets), 512 input
positions, relative attention only (exactly keras-hub's T5). The CPU sizes (nano, micro) use the
same layout, smaller, plus sinusoidal absolute positions, without which they could not learn to
copy (measured: zoo/models/t5/backbone.py).
"""
from zoo.models.t5.builder import build_t5, t5_flops, t5_params
from zoo.registry import ModelSpec, register


def _t5(name, layers, heads, width, mlp, context, recipe=None, description="", dropout=0.0,
        position_embedding="sinusoidal"):
    register(
        ModelSpec(
            name=name,
            family="t5",
            task="seq2seq_lm",
            config=dict(num_layers=layers, num_heads=heads, hidden_dim=width, intermediate_dim=mlp,
                        key_value_dim=width // heads, activation="relu", use_gated_activation=False,
                        tie_embedding_weights=True, dropout=dropout,
                        position_embedding=position_embedding),
            max_sequence_length=context,
            build=build_t5,
            count_params=t5_params,
            default_recipe=recipe,
            description=description,
            flops=t5_flops,
        )
    )


_t5("t5-nano", 2, 4, 128, 512, 128, "t5-nano", "CPU default encoder-decoder: span corruption in ~3 minutes")
_t5("t5-micro", 4, 4, 256, 1024, 256, "t5-micro", "CPU size encoder-decoder, ~7M params")
_t5("t5-small", 6, 8, 512, 2048, 512, None, "T5 v1.0 small shape (60M with T5's 32k vocabulary)", 0.1,
    position_embedding="relative")
