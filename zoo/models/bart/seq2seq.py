"""BART's side of encoder-decoder training and decoding: keras-hub's BART packing of
token ids, and greedy decoding through keras-hub's own (XLA-compiled) `generate`.

Packing (keras-hub `BartSeq2SeqLMPreprocessor`): encoder `<s> x </s>`, decoder input
`</s> <s> y`, labels `<s> y </s>`; padded with `<pad>`.

>>> from zoo.data.tokenizers import ZooByteTokenizer
>>> b = pack(ZooByteTokenizer(), [[72, 105]], [[104, 105]], 8, 8)
>>> b["decoder_token_ids"][0].tolist()[:4], b["labels"][0].tolist()[:4]
([256, 256, 104, 105], [256, 104, 105, 256])
"""
import numpy as np


def pack(tokenizer, inputs, targets, encoder_length, target_length):
    """Model inputs and labels for token-id rows, packed as keras-hub packs BART.

    Args:
        tokenizer: the tokenizer (start, end and pad ids).
        inputs: encoder token-id rows (without special tokens), cut to fit.
        targets: target token-id rows (without special tokens), cut to fit.
        encoder_length: encoder tokens per row.
        target_length: decoder tokens per row.

    Returns:
        A dict of numpy arrays: encoder_token_ids, encoder_padding_mask, decoder_token_ids,
        decoder_padding_mask, labels, label_weights.
    """
    start, end, pad = tokenizer.start_token_id, tokenizer.end_token_id, tokenizer.pad_token_id
    enc = np.full((len(inputs), encoder_length), pad, np.int32)
    full = np.full((len(targets), target_length + 1), pad, np.int32)
    for b, (x, y) in enumerate(zip(inputs, targets)):
        x = [start, *x[: encoder_length - 2], end]
        y = [end, start, *y[: target_length - 2], end]
        enc[b, :len(x)] = x
        full[b, :len(y)] = y
    dec, labels = full[:, :-1], full[:, 1:]
    lengths = np.array([min(len(y), target_length - 2) + 3 for y in targets])  # real tokens of `full`
    real = np.arange(target_length + 1)[None, :] < lengths[:, None]
    return {"encoder_token_ids": enc, "encoder_padding_mask": enc != pad,
            "decoder_token_ids": dec, "decoder_padding_mask": real[:, :-1],
            "labels": labels, "label_weights": real[:, 1:].astype(np.float32)}


class BartGenerator:
    """Greedy decoding of a keras-hub BartSeq2SeqLM on token ids, through keras-hub's own
    compiled `generate` (its KV cache, XLA where Keras allows it).

    Args:
        model: a keras_hub BartSeq2SeqLM (its preprocessor's tokenizer gives the ids).
        max_encoder_length: encoder tokens per row (inputs are cut to fit); default the
            model's maximum.
        batch_size: rows per compiled call (the last call is padded to it).
    """

    def __init__(self, model, max_encoder_length=None, batch_size=64):
        self.model = model
        tok = model.preprocessor.tokenizer
        self.start_id, self.end_id, self.pad_id = tok.start_token_id, tok.end_token_id, tok.pad_token_id
        limit = int(model.backbone.max_sequence_length)
        self.max_encoder_length = min(max_encoder_length or limit, limit)
        self.batch_size = batch_size
        model.compile(sampler="greedy")
        self._generate = model.make_generate_function()

    def generate_ids(self, ids, max_new_tokens=64, sampler="greedy", stop_ids=None, stream=False, num_beams=1,
                     **sampling):
        """New token ids per input row, up to (not including) the end token.

        Args:
            ids: encoder token-id rows (without special tokens).
            max_new_tokens: at most this many new tokens per row (cut to the model's positions).
            sampler: only "greedy".
            stop_ids: extra ids that end a row (the end token always does).
            stream: not supported.
            num_beams: only 1.
            **sampling: temperature, top_k, ... of `zoo.generate`: greedy decoding ignores them.
        """
        from zoo.errors import ZooError

        if sampler != "greedy" or stream or (num_beams or 1) != 1:
            raise ZooError("BART decodes greedily, without streaming or beams (keras-hub's generate): "
                           "use sampler='greedy' and stream=False")
        stops = [self.end_id, *(stop_ids or ())]
        length = min(max_new_tokens, int(self.model.backbone.max_sequence_length) - 2) + 2
        out = []
        for lo in range(0, len(ids), self.batch_size):
            rows = [list(r) for r in ids[lo: lo + self.batch_size]]
            rows += [[]] * (self.batch_size - len(rows))
            enc = np.full((self.batch_size, self.max_encoder_length), self.pad_id, np.int32)
            for b, r in enumerate(rows):
                r = [self.start_id, *r[: self.max_encoder_length - 2], self.end_id]
                enc[b, :len(r)] = r
            dec = np.full((self.batch_size, length), self.pad_id, np.int32)
            dec[:, :2] = [self.end_id, self.start_id]
            res = self._generate({"encoder_token_ids": enc, "encoder_padding_mask": enc != self.pad_id,
                                  "decoder_token_ids": dec, "decoder_padding_mask": np.arange(length)[None] < 2},
                                 stop_token_ids=stops)
            new = np.asarray(res["decoder_token_ids"])[:, 2:]
            for row in new[: min(self.batch_size, len(ids) - lo)].tolist():
                cut = next((i for i, t in enumerate(row) if t in stops), len(row))
                out.append(row[:cut])
        return out
