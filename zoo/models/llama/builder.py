"""Build a Llama-style model from a spec: keras-hub LlamaBackbone + LlamaCausalLM.

>>> from zoo.models.llama.builder import build_llama
>>> from zoo.registry import get_spec
>>> from zoo.data.tokenizers import ZooByteTokenizer
>>> model = build_llama(get_spec("llama-nano"), ZooByteTokenizer())
"""
from zoo.models.common import causal_lm


def build_llama(spec, tokenizer, sequence_length=None):
    """A freshly initialised LlamaCausalLM of a spec, with its preprocessor.

    Args:
        spec: the model's `zoo.registry.ModelSpec` (config: num_layers, num_query_heads,
            num_key_value_heads, hidden_dim, intermediate_dim, optional rope_max_wavelength,
            dropout, tie_word_embeddings).
        tokenizer: the tokenizer; its vocabulary size sizes the embedding.
        sequence_length: the preprocessor's sequence length (None: the spec's max_sequence_length).

    Returns:
        A `keras_hub.models.LlamaCausalLM`.
    """
    import keras_hub  # imported here so `zoo list` does not pay for TensorFlow

    c = spec.config
    backbone = keras_hub.models.LlamaBackbone(
        vocabulary_size=tokenizer.vocabulary_size(),
        num_layers=c["num_layers"],
        num_query_heads=c["num_query_heads"],
        num_key_value_heads=c["num_key_value_heads"],
        hidden_dim=c["hidden_dim"],
        intermediate_dim=c["intermediate_dim"],
        rope_max_wavelength=c.get("rope_max_wavelength", 10000),
        layer_norm_epsilon=1e-5,
        dropout=c.get("dropout", 0.0),
        tie_word_embeddings=c.get("tie_word_embeddings", False),
        name=f"{spec.name}_backbone".replace("-", "_"),
    )
    return causal_lm(
        keras_hub.models.LlamaCausalLM,
        keras_hub.models.LlamaCausalLMPreprocessor,
        backbone,
        tokenizer,
        sequence_length or spec.max_sequence_length,
    )


def llama_params(config, vocab, max_sequence_length):
    """(total, non-embedding) parameter counts of a LlamaBackbone (no biases).

    Args:
        config: the spec's architecture config (hidden_dim, intermediate_dim, num_layers,
            num_query_heads, num_key_value_heads, optional tie_word_embeddings).
        vocab: vocabulary size.
        max_sequence_length: unused (rotary positions have no table); part of the
            `count_params` signature.
    """
    d, f, n = config["hidden_dim"], config["intermediate_dim"], config["num_layers"]
    head_dim = d // config["num_query_heads"]
    kv = config["num_key_value_heads"] * head_dim
    per_layer = 2 * d + 2 * d * d + 2 * d * kv + 3 * d * f
    non_embedding = n * per_layer + d
    embeddings = vocab * d * (1 if config.get("tie_word_embeddings", False) else 2)
    return non_embedding + embeddings, non_embedding
