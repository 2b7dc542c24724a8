"""Spec-level arithmetic for fine-tuned classifiers (kept free of TensorFlow, so
`zoo list` / `zoo show` stay fast)."""


def _backbone_params(base, vocab, max_sequence_length):
    """Parameters of the base model's backbone alone (no LM / MLM head)."""
    total, non_embedding = base.count_params(base.config, vocab, max_sequence_length)
    if base.family == "bert":
        from zoo.models.bert.builder import bert_backbone_params

        return bert_backbone_params(base.config, vocab, max_sequence_length)
    return total, non_embedding  # GPT-2 / Llama: the head is the (tied or own) embedding


def classifier_params(base):
    def count(config, vocab, max_sequence_length):
        total, non_embedding = _backbone_params(base, vocab, max_sequence_length)
        head = config["hidden_dim"] * config["num_classes"] + config["num_classes"]
        return total + head, non_embedding + head
    return count


def classifier_flops(base):
    """The base model's forward FLOPs per token, with the vocabulary head replaced by the
    classifier head (run once per sequence: negligible)."""
    from zoo.models.common import forward_flops_per_token

    def flops(spec, vocab, context):
        c = spec.config
        _, non_embedding = _backbone_params(base, vocab, spec.max_sequence_length)
        return forward_flops_per_token(non_embedding, 0, c["hidden_dim"], c["num_layers"], context)
    return flops


def build_classifier_lazy(spec, tokenizer, sequence_length=None):
    from zoo.models.tasks import build_classifier

    return build_classifier(spec, tokenizer, sequence_length)
