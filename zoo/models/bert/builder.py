"""Build a BERT model from a spec: keras-hub BertBackbone + BertMaskedLM (MLM head tied to
the token embedding), and the NSP head used in pretraining.

>>> from zoo.models.bert.builder import build_bert
>>> from zoo.registry import get_spec
>>> from zoo.data.tokenizers import ZooByteTokenizer
>>> mlm = build_bert(get_spec("bert-nano"), ZooByteTokenizer())   # a keras_hub BertMaskedLM
"""
from zoo.models.common import forward_flops_per_token

NSP_WEIGHTS = "nsp_head.weights.npz"  # saved beside a pretrained preset's files


def build_bert_backbone(spec, tokenizer):
    """A freshly initialised BertBackbone of a spec (2 segments).

    Args:
        spec: the model's `zoo.registry.ModelSpec` (config: num_layers, num_heads,
            hidden_dim, intermediate_dim, optional dropout; max_sequence_length sizes the
            position table).
        tokenizer: the tokenizer; its vocabulary size sizes the embedding.

    Returns:
        A `keras_hub.models.BertBackbone`.
    """
    import keras_hub

    c = spec.config
    return keras_hub.models.BertBackbone(
        vocabulary_size=tokenizer.vocabulary_size(),
        num_layers=c["num_layers"],
        num_heads=c["num_heads"],
        hidden_dim=c["hidden_dim"],
        intermediate_dim=c["intermediate_dim"],
        dropout=c.get("dropout", 0.0),
        max_sequence_length=spec.max_sequence_length,
        num_segments=2,
        name=f"{spec.name}_backbone".replace("-", "_"),
    )


def build_bert(spec, tokenizer, sequence_length=None):
    """A freshly initialised BertMaskedLM of a spec, with zoo's MLM preprocessor.

    Args:
        spec: the model's `zoo.registry.ModelSpec`.
        tokenizer: the tokenizer; its vocabulary size sizes the embedding.
        sequence_length: the preprocessor's sequence length (None: the spec's max_sequence_length).

    Returns:
        A `keras_hub.models.BertMaskedLM`.
    """
    import keras_hub

    from zoo.models.bert.preprocessor import ZooBertMaskedLMPreprocessor

    backbone = build_bert_backbone(spec, tokenizer)
    pre = ZooBertMaskedLMPreprocessor(tokenizer=tokenizer,
                                      sequence_length=sequence_length or spec.max_sequence_length)
    return keras_hub.models.BertMaskedLM(backbone=backbone, preprocessor=pre)


def build_nsp_head(hidden_dim):
    """Next-sentence prediction: Dense(2) on the backbone's pooled (<cls>) output.
    Class 1 = segment B follows segment A in the same work, 0 = B is a random line.

    Args:
        hidden_dim: width of the pooled output it reads.

    Returns:
        A built `keras.layers.Dense` named "nsp_head".
    """
    import keras

    head = keras.layers.Dense(2, kernel_initializer=keras.initializers.TruncatedNormal(stddev=0.02),
                              name="nsp_head")
    head.build((None, hidden_dim))
    return head


def save_nsp_head(head, preset_dir):
    """Save the NSP head's kernel and bias beside a preset's files (`NSP_WEIGHTS`, .npz).

    Args:
        head: the NSP Dense layer (see `build_nsp_head`).
        preset_dir: the preset directory (must exist).
    """
    import numpy as np

    kernel, bias = (w.numpy() for w in (head.kernel, head.bias))
    with open(f"{preset_dir}/{NSP_WEIGHTS}", "wb") as f:
        np.savez(f, kernel=kernel, bias=bias)


def load_nsp_head(preset_dir, hidden_dim):
    """The NSP head saved with a pretrained preset, or None when the preset has none.

    Args:
        preset_dir: the preset directory.
        hidden_dim: width of the pooled output (the saved kernel's input size).
    """
    import os

    import numpy as np

    path = os.path.join(str(preset_dir), NSP_WEIGHTS)
    if not os.path.isfile(path):
        return None
    head = build_nsp_head(hidden_dim)
    with np.load(path) as w:
        head.kernel.assign(w["kernel"])
        head.bias.assign(w["bias"])
    return head


def bert_backbone_params(config, vocab, max_sequence_length):
    """(total, non-embedding) parameters of a BertBackbone (2 segments, pooled dense).

    Args:
        config: the spec's architecture config (hidden_dim, intermediate_dim, num_layers).
        vocab: vocabulary size.
        max_sequence_length: rows of the learned position table.
    """
    d, f, n = config["hidden_dim"], config["intermediate_dim"], config["num_layers"]
    per_layer = 4 * (d * d + d) + 2 * d + (d * f + f) + (f * d + d) + 2 * d
    non_embedding = n * per_layer + 2 * d + (d * d + d)   # layers, embedding norm, pooled dense
    return non_embedding + vocab * d + max_sequence_length * d + 2 * d, non_embedding


def bert_params(config, vocab, max_sequence_length):
    """(total, non-embedding) parameters of a BertMaskedLM: backbone + MLM head (dense, norm,
    output bias; the output projection is the tied token embedding).

    Args:
        config: the spec's architecture config (hidden_dim, intermediate_dim, num_layers).
        vocab: vocabulary size.
        max_sequence_length: rows of the learned position table.
    """
    d = config["hidden_dim"]
    total, non_embedding = bert_backbone_params(config, vocab, max_sequence_length)
    head = d * d + d + 2 * d
    return total + head + vocab, non_embedding + head


def bert_flops(spec, vocab, context):
    """Forward FLOPs per token: Kaplan's 2·N + 2·layers·context·width (attention over the full,
    bidirectional context) + 2·width·vocab for the MLM head as if it scored every position
    (in MLM training it scores only the ~15% selected ones).

    Args:
        spec: the model's `zoo.registry.ModelSpec`.
        vocab: vocabulary size.
        context: sequence length the attention cost is counted at.
    """
    c = spec.config
    _, non_embedding = spec.count_params(c, vocab, spec.max_sequence_length)
    return forward_flops_per_token(non_embedding, vocab, c["hidden_dim"], c["num_layers"], context)
