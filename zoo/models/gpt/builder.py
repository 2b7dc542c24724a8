"""Build a GPT model from a spec: keras-hub GPT2Backbone + GPT2CausalLM.

>>> from zoo.models.gpt.builder import build_gpt
>>> from zoo.registry import get_spec
>>> from zoo.data.tokenizers import ZooByteTokenizer
>>> model = build_gpt(get_spec("gpt-nano"), ZooByteTokenizer())
"""
from zoo.models.common import causal_lm


def build_gpt(spec, tokenizer, sequence_length=None):
    """A freshly initialised GPT2CausalLM of a spec, with its preprocessor.

    Args:
        spec: the model's `zoo.registry.ModelSpec` (config: num_layers, num_heads,
            hidden_dim, intermediate_dim, optional dropout).
        tokenizer: the tokenizer; its vocabulary size sizes the embedding.
        sequence_length: the preprocessor's sequence length (None: the spec's
            max_sequence_length, which also sizes the position table).

    Returns:
        A `keras_hub.models.GPT2CausalLM`.
    """
    import keras_hub  # imported here so `zoo list` does not pay for TensorFlow

    c = spec.config
    backbone = keras_hub.models.GPT2Backbone(
        vocabulary_size=tokenizer.vocabulary_size(),
        num_layers=c["num_layers"],
        num_heads=c["num_heads"],
        hidden_dim=c["hidden_dim"],
        intermediate_dim=c["intermediate_dim"],
        dropout=c.get("dropout", 0.0),
        max_sequence_length=spec.max_sequence_length,
        name=f"{spec.name}_backbone".replace("-", "_"),
    )
    return causal_lm(
        keras_hub.models.GPT2CausalLM,
        keras_hub.models.GPT2CausalLMPreprocessor,
        backbone,
        tokenizer,
        sequence_length or spec.max_sequence_length,
    )


def gpt_params(config, vocab, max_sequence_length):
    """(total, non-embedding) parameter counts of a GPT2Backbone with tied embeddings.

    Args:
        config: the spec's architecture config (hidden_dim, intermediate_dim, num_layers).
        vocab: vocabulary size.
        max_sequence_length: rows of the learned position table.
    """
    d, f, n = config["hidden_dim"], config["intermediate_dim"], config["num_layers"]
    per_layer = 4 * d + 4 * (d * d + d) + (d * f + f) + (f * d + d)
    non_embedding = n * per_layer + 2 * d
    return non_embedding + vocab * d + max_sequence_length * d, non_embedding
