"""Pieces shared by the decoder families: the task wrapper and FLOP arithmetic."""


def forward_flops_per_token(non_embedding_params, vocab, width, layers, context):
    """Kaplan et al. (2020) forward cost per token, plus the LM-head matmul.

    2·N (matmuls of the non-embedding weights) + 2·layers·context·width (attention
    scores and weighted sum) + 2·width·vocab (the output projection). Training costs
    about 3× this (forward + backward).

    Args:
        non_embedding_params: parameters of the model, embeddings excluded.
        vocab: vocabulary size.
        width: hidden (model) dimension.
        layers: number of transformer layers.
        context: sequence length the attention cost is counted at.

    Returns:
        Forward FLOPs per token (an int when the arguments are ints).
    """
    return 2 * non_embedding_params + 2 * layers * context * width + 2 * width * vocab


def causal_lm(task_cls, preprocessor_cls, backbone, tokenizer, sequence_length):
    """Wrap a backbone as a keras-hub CausalLM with our tokenizer attached.

    Args:
        task_cls: the keras-hub CausalLM class (e.g. `keras_hub.models.GPT2CausalLM`).
        preprocessor_cls: its preprocessor class (e.g. `GPT2CausalLMPreprocessor`).
        backbone: the built backbone.
        tokenizer: the tokenizer the preprocessor uses.
        sequence_length: the preprocessor's packed sequence length.

    Returns:
        The `task_cls` model.
    """
    preprocessor = preprocessor_cls(tokenizer=tokenizer, sequence_length=sequence_length)
    return task_cls(backbone=backbone, preprocessor=preprocessor)
