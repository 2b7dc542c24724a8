"""Pieces shared by the decoder families: the task wrapper and FLOP arithmetic."""


def forward_flops_per_token(non_embedding_params, vocab, width, layers, context):
    """Kaplan et al. (2020) forward cost per token, plus the LM-head matmul.

    2·N (matmuls of the non-embedding weights) + 2·layers·context·width (attention
    scores and weighted sum) + 2·width·vocab (the output projection). Training costs
    about 3× this (forward + backward).
    """
    return 2 * non_embedding_params + 2 * layers * context * width + 2 * width * vocab


def causal_lm(task_cls, preprocessor_cls, backbone, tokenizer, sequence_length):
    """Wrap a backbone as a keras-hub CausalLM with our tokenizer attached."""
    preprocessor = preprocessor_cls(tokenizer=tokenizer, sequence_length=sequence_length)
    return task_cls(backbone=backbone, preprocessor=preprocessor)
