"""T5's packing of sequence-to-sequence batches: encoder `x </s>`, decoder input `<pad> y`,
labels `y </s>` (keras-hub's T5 preprocessor; `<pad>` is T5's decoder start token).

>>> from zoo.data.tokenizers import ZooByteTokenizer
>>> pack(ZooByteTokenizer(), [[72, 105]], [[104, 105]], 8, 8)["decoder_token_ids"][0].tolist()[:3]
[257, 104, 105]
"""
from zoo.data import objectives as O


def pack(tokenizer, inputs, targets, encoder_length, target_length):
    """Model inputs and labels for token-id rows, packed as keras-hub packs T5.

    Args:
        tokenizer: the tokenizer (end and pad ids).
        inputs: encoder token-id rows (without special tokens), cut to fit.
        targets: target token-id rows (without special tokens), cut to fit.
        encoder_length: encoder tokens per row.
        target_length: decoder tokens per row.

    Returns:
        The arrays of `zoo.data.objectives.seq2seq_arrays`.
    """
    end, pad = tokenizer.end_token_id, tokenizer.pad_token_id
    enc = O.pack_targets(inputs, encoder_length, end, pad)
    tgt = O.pack_targets(targets, target_length, end, pad)
    return O.seq2seq_arrays(enc, tgt, pad)
