"""Spec-level arithmetic for fine-tuned classifiers (kept free of TensorFlow, so
`zoo list` / `zoo show` stay fast)."""


def _backbone_params(base, vocab, max_sequence_length):
    """Parameters of the base model's backbone alone (no LM / MLM head)."""
    from zoo.registry import get_family

    count = get_family(base.family).backbone_params or base.count_params  # decoders: the head is the embedding
    return count(base.config, vocab, max_sequence_length)


def classifier_params(base):
    """A `count_params` function for a classifier fine-tuned from `base`.

    Args:
        base: the base model's `zoo.registry.ModelSpec`.

    Returns:
        (config, vocab, max_sequence_length) -> (total, non-embedding) parameters: the
        base's backbone plus the Dense(num_classes) head (`config` is the classifier's,
        with hidden_dim and num_classes).
    """
    def count(config, vocab, max_sequence_length):
        total, non_embedding = _backbone_params(base, vocab, max_sequence_length)
        head = config["hidden_dim"] * config["num_classes"] + config["num_classes"]
        return total + head, non_embedding + head
    return count


def classifier_flops(base):
    """The base model's forward FLOPs per token, with the vocabulary head replaced by the
    classifier head (run once per sequence: negligible).

    Args:
        base: the base model's `zoo.registry.ModelSpec`.

    Returns:
        A `flops(spec, vocab, context)` function for the classifier's spec.
    """
    from zoo.models.common import forward_flops_per_token

    def flops(spec, vocab, context):
        c = spec.config
        _, non_embedding = _backbone_params(base, vocab, spec.max_sequence_length)
        return forward_flops_per_token(non_embedding, 0, c["hidden_dim"], c["num_layers"], context)
    return flops


def build_classifier_lazy(spec, tokenizer, sequence_length=None):
    """`zoo.models.tasks.build_classifier`, imported on first call (it imports keras-hub).

    Args:
        spec: the classifier's `zoo.registry.ModelSpec`.
        tokenizer: the tokenizer the classifier's preprocessor packs with.
        sequence_length: the preprocessor's length (None: the spec's maximum).
    """
    from zoo.models.tasks import build_classifier

    return build_classifier(spec, tokenizer, sequence_length)
