"""Build a BART model from a spec: keras-hub `BartBackbone` + `BartSeq2SeqLM` with zoo's
byte tokenizer and keras-hub's own BART packing (encoder `<s> text </s>`, decoder
`</s> <s> text </s>`; for the byte tokenizer `<s>` and `</s>` are both `<|endoftext|>`),
so keras-hub's `generate` runs the trained preset as it is.

Post-norm encoder and decoder layers (GELU MLP, biases everywhere), learned positions per
stack, one token embedding shared by both stacks and tied to the LM head: the published
BART layout (Lewis et al., 2019).

>>> from zoo.models.bart.builder import build_bart
>>> from zoo.registry import get_spec
>>> from zoo.data.tokenizers import ZooByteTokenizer
>>> s2s = build_bart(get_spec("bart-nano"), ZooByteTokenizer())     # a keras_hub BartSeq2SeqLM
"""


def build_bart(spec, tokenizer, sequence_length=None):
    """A freshly initialised BartSeq2SeqLM of a spec.

    Args:
        spec: a registered BART spec.
        tokenizer: the tokenizer its preprocessor packs with (start, end and pad ids).
        sequence_length: encoder and decoder length of the preprocessor (default the spec's
            maximum).

    Returns:
        A keras_hub.models.BartSeq2SeqLM with its preprocessor attached.
    """
    import keras_hub

    c = spec.config
    backbone = keras_hub.models.BartBackbone(
        vocabulary_size=tokenizer.vocabulary_size(),
        num_layers=c["num_layers"],
        num_heads=c["num_heads"],
        hidden_dim=c["hidden_dim"],
        intermediate_dim=c["intermediate_dim"],
        dropout=c.get("dropout", 0.0),
        max_sequence_length=spec.max_sequence_length,
        name=f"{spec.name}_backbone".replace("-", "_"),
    )
    if c.get("position_init") == "sinusoidal":
        init_sinusoidal_positions(backbone)
    length = sequence_length or spec.max_sequence_length
    pre = keras_hub.models.BartSeq2SeqLMPreprocessor(tokenizer=tokenizer, encoder_sequence_length=length,
                                                      decoder_sequence_length=length)
    return keras_hub.models.BartSeq2SeqLM(backbone=backbone, preprocessor=pre)


def sinusoid_table(length, dim, scale):
    """[length, dim] sinusoids (sin on even, cos on odd dimensions), times `scale`.

    Args:
        length: positions.
        dim: width.
        scale: amplitude.
    """
    import numpy as np

    pos = np.arange(length)[:, None]
    freq = 1.0 / 10000 ** (np.arange(0, dim, 2) / dim)
    table = np.zeros((length, dim), np.float32)
    table[:, 0::2] = np.sin(pos * freq)
    table[:, 1::2] = np.cos(pos * freq)
    return scale * table


def init_sinusoidal_positions(backbone):
    """Start both stacks' learned position embeddings from sinusoids (still trained), at the
    token embeddings' scale: a structured position signal that cross-attention can align
    from the first step, where N(0, 0.02) noise must first be learned into one.

    Args:
        backbone: a keras_hub BartBackbone.
    """
    tokens = backbone.token_embedding.embeddings
    scale = float(tokens.numpy().std()) * 2 ** 0.5  # per-dimension RMS of the sinusoids = the tokens' std
    for layer in (backbone.encoder_position_embedding, backbone.decoder_position_embedding):
        table = layer.position_embeddings
        table.assign(sinusoid_table(*table.shape, scale))


def _bart_counts(config):
    """(encoder, decoder) non-embedding parameters."""
    d, f, n = config["hidden_dim"], config["intermediate_dim"], config["num_layers"]
    attention = 4 * (d * d + d)
    ffn = (d * f + f) + (f * d + d)
    encoder = n * (attention + ffn + 2 * 2 * d) + 2 * d          # layers + embedding norm
    decoder = n * (2 * attention + ffn + 3 * 2 * d) + 2 * d      # self + cross attention
    return encoder, decoder


def bart_params(config, vocab, max_sequence_length):
    """(total, non-embedding) parameters of a BartBackbone (the LM head is the tied token
    embedding; each stack has its own learned positions).

    Args:
        config: the spec's config.
        vocab: the vocabulary size.
        max_sequence_length: positions per stack.
    """
    encoder, decoder = _bart_counts(config)
    non_embedding = encoder + decoder
    embeddings = vocab * config["hidden_dim"] + 2 * max_sequence_length * config["hidden_dim"]
    return non_embedding + embeddings, non_embedding


def bart_flops(spec, vocab, context):
    """Forward FLOPs per (input token, target token) pair, inputs and targets `context` long:
    2·N_encoder + 2·N_decoder (weight matmuls) + 2·layers·context·width for each of encoder
    self-, decoder self- and cross-attention + 2·width·vocab for the LM head.

    Args:
        spec: a BART spec.
        vocab: the vocabulary size.
        context: input (and target) length.
    """
    c = spec.config
    encoder, decoder = _bart_counts(c)
    return 2 * (encoder + decoder) + 3 * 2 * c["num_layers"] * context * c["hidden_dim"] + 2 * c["hidden_dim"] * vocab
