"""BART's denoising corruption (Lewis et al., 2019, sec. 2.2): **sentence permutation** (the
sentences of a window shuffled) then **text infilling** (spans with Poisson(λ = 3) lengths
replaced by one `<mask>` each, until ~30% of the tokens are masked; a length-0 span inserts a
`<mask>`). The model reconstructs the original window, so, unlike span corruption, every
target also teaches copying.

Batches are seeded numpy functions (an `rng` per (seed, step)), as the other objectives'.

>>> import numpy as np
>>> x = infill(np.arange(10), np.random.default_rng(0), mask_id=-1, noise_density=0.3)
>>> (x == -1).any() and len(x) < 10
True
"""
import numpy as np

from zoo.errors import ZooError


def permute_sentences(ids, rng, ends):
    """The window's sentences in a random order (a sentence ends after a token of `ends`;
    the text before the first end and after the last is a sentence too).

    Args:
        ids: 1-D token ids.
        rng: a numpy Generator.
        ends: ids that end a sentence (e.g. the bytes of ".", "!", "?").

    Returns:
        A 1-D int32 array of the same tokens.
    """
    ids = np.asarray(ids, np.int32)
    cuts = [i + 1 for i, t in enumerate(ids.tolist()) if t in ends and i + 1 < len(ids)]
    parts = np.split(ids, cuts)
    order = rng.permutation(len(parts))
    return np.concatenate([parts[i] for i in order]).astype(np.int32)


def infill(ids, rng, mask_id, noise_density=0.3, mean_span_length=3.0):
    """Text infilling: spans with Poisson(mean_span_length) lengths, at uniform starts, are
    masked until `noise_density` of the tokens are; each masked run becomes one `mask_id`,
    and a length-0 span inserts one.

    Args:
        ids: 1-D token ids.
        rng: a numpy Generator.
        mask_id: the `<mask>` token id.
        noise_density: share of the tokens to mask.
        mean_span_length: λ of the Poisson span lengths.

    Returns:
        A 1-D int32 array (shorter than `ids` whenever a span was masked).
    """
    ids = np.asarray(ids, np.int32)
    n = len(ids)
    budget = int(round(noise_density * n))
    masked, inserts = np.zeros(n, bool), np.zeros(n, bool)
    while masked.sum() < budget:
        length, start = int(rng.poisson(mean_span_length)), int(rng.integers(0, n))
        if length == 0:
            inserts[start] = True
        masked[start: start + length] = True
    out = []
    for i in range(n):
        if inserts[i] and not masked[i]:
            out.append(mask_id)
        if not masked[i]:
            out.append(int(ids[i]))
        elif i == 0 or not masked[i - 1]:
            out.append(mask_id)
    return np.asarray(out, np.int32)


def denoising_batch(stream, batch_size, sequence_length, rng, tokenizer, pack, noise_density=0.3,
                    mean_span_length=3.0):
    """A denoising batch from random windows of a token stream: the encoder reads the
    permuted and infilled window, the decoder writes the original one.

    Args:
        stream: the token stream (1-D int array) windows are drawn from.
        batch_size: examples per batch.
        sequence_length: encoder and decoder tokens per example (special tokens included).
        rng: a numpy Generator drawing windows, orders and spans.
        tokenizer: the byte tokenizer (`<mask>`, start, end and pad ids).
        pack: the family's packing, (tokenizer, inputs, targets, encoder_length,
            target_length) -> model inputs and labels (`zoo.registry.Family.seq2seq_packing`).
        noise_density: share of each window's tokens masked.
        mean_span_length: λ of the Poisson span lengths.

    Returns:
        The model inputs and labels `pack` returns.
    """
    raw = sequence_length - 2  # room for the start and end tokens
    if len(stream) < raw + 1:
        raise ZooError(f"the split has {len(stream)} tokens, too few for one denoising window of {raw}: "
                       "lower data.sequence_length or add text")
    ends = {ord(c) for c in ".!?"}
    starts = rng.integers(0, len(stream) - raw, batch_size)
    targets = [np.asarray(stream[s: s + raw], np.int32) for s in starts]
    inputs = [infill(permute_sentences(t, rng, ends), rng, tokenizer.mask_token_id, noise_density,
                     mean_span_length) for t in targets]
    return pack(tokenizer, inputs, targets, sequence_length, sequence_length)
