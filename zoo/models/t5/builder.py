"""Build a T5 model from a spec: `ZooT5Backbone` + `ZooT5Seq2SeqLM` (keras-hub's T5 with
T5's N(0, 1) embedding init and, for the CPU sizes, sinusoidal positions: backbone.py).

Token ids follow keras-hub's T5 packing: the encoder input is `text <|endoftext|>`, the
decoder input starts with `<pad>` (T5's decoder start token) and targets end with
`<|endoftext|>`. Span-corruption sentinels are the tokenizer's `<extra_id_N>` tokens.

>>> from zoo.models.t5.builder import build_t5
>>> from zoo.registry import get_spec
>>> from zoo.data.tokenizers import ZooByteTokenizer
>>> s2s = build_t5(get_spec("t5-nano"), ZooByteTokenizer())     # a keras_hub T5Seq2SeqLM subclass
"""
RELATIVE_BUCKETS = 32  # keras-hub's T5MultiHeadAttention: 32 buckets, max distance 128


def build_t5(spec, tokenizer, sequence_length=None):
    """A freshly initialised ZooT5Seq2SeqLM of a spec, with keras-hub's T5 preprocessor.

    Args:
        spec: the model's `zoo.registry.ModelSpec` (config: num_layers, num_heads,
            hidden_dim, intermediate_dim, optional key_value_dim, dropout, activation,
            use_gated_activation, tie_embedding_weights, position_embedding).
        tokenizer: the tokenizer; its vocabulary size sizes the embedding.
        sequence_length: the preprocessor's encoder and decoder sequence length (None: the
            spec's max_sequence_length).

    Returns:
        A `zoo.models.t5.backbone.ZooT5Seq2SeqLM`.
    """
    import keras_hub

    from zoo.models.t5.backbone import ZooT5Backbone, ZooT5Seq2SeqLM

    c = spec.config
    backbone = ZooT5Backbone(
        vocabulary_size=tokenizer.vocabulary_size(),
        num_layers=c["num_layers"],
        num_heads=c["num_heads"],
        hidden_dim=c["hidden_dim"],
        intermediate_dim=c["intermediate_dim"],
        key_value_dim=c.get("key_value_dim"),
        dropout=c.get("dropout", 0.0),
        activation=c.get("activation", "relu"),
        use_gated_activation=c.get("use_gated_activation", False),
        layer_norm_epsilon=1e-6,
        tie_embedding_weights=c.get("tie_embedding_weights", True),
        position_embedding=c.get("position_embedding", "relative"),
        name=f"{spec.name}_backbone".replace("-", "_"),
    )
    length = sequence_length or spec.max_sequence_length
    pre = keras_hub.models.T5Seq2SeqLMPreprocessor(tokenizer=tokenizer, encoder_sequence_length=length,
                                                    decoder_sequence_length=length)
    return ZooT5Seq2SeqLM(backbone=backbone, preprocessor=pre)


def _t5_counts(config):
    d, f, n, h = config["hidden_dim"], config["intermediate_dim"], config["num_layers"], config["num_heads"]
    inner = h * (config.get("key_value_dim") or d // h)
    ffn = (3 if config.get("use_gated_activation", False) else 2) * d * f
    encoder = n * (4 * d * inner + 2 * d + ffn) + RELATIVE_BUCKETS * h + d
    decoder = n * (8 * d * inner + 3 * d + ffn) + RELATIVE_BUCKETS * h + d
    return encoder, decoder


def t5_params(config, vocab, max_sequence_length):
    """(total, non-embedding) parameters of a T5Backbone (no biases, scale-only norms,
    relative-position buckets in the first layer of each stack, shared token embedding,
    tied output projection unless tie_embedding_weights=False).

    Args:
        config: the spec's architecture config (hidden_dim, intermediate_dim, num_layers,
            num_heads, optional key_value_dim, use_gated_activation, tie_embedding_weights).
        vocab: vocabulary size.
        max_sequence_length: unused (no learned position table is counted); part of the
            `count_params` signature.
    """
    encoder, decoder = _t5_counts(config)
    non_embedding = encoder + decoder
    embeddings = vocab * config["hidden_dim"] * (1 if config.get("tie_embedding_weights", True) else 2)
    return non_embedding + embeddings, non_embedding


def t5_flops(spec, vocab, context):
    """Forward FLOPs per (input token, target token) pair, inputs and targets `context` long:
    2·N_encoder + 2·N_decoder (weight matmuls; every token passes one stack each) +
    2·layers·context·inner for each of encoder self-, decoder self- and cross-attention
    (inner = num_heads · key_value_dim, the width by default) + 2·width·vocab for the LM
    head on the target token.

    Args:
        spec: the model's `zoo.registry.ModelSpec`.
        vocab: vocabulary size.
        context: input and target length the attention cost is counted at.
    """
    c = spec.config
    encoder, decoder = _t5_counts(c)
    inner = c["num_heads"] * (c.get("key_value_dim") or c["hidden_dim"] // c["num_heads"])
    return (2 * (encoder + decoder) + 3 * 2 * c["num_layers"] * context * inner
            + 2 * c["hidden_dim"] * vocab)


def _quiet_t5_mask_warnings():
    # keras-hub's T5 layers receive inputs carrying a Keras mask they do not use (padding
    # is passed explicitly); Keras warns on every trace. The warning is noise here.
    import warnings

    warnings.filterwarnings("ignore", message=r"Layer '(self|cross)_attention' \(of type T5MultiHeadAttention\)")


_quiet_t5_mask_warnings()
