"""Pretraining and fine-tuning objectives as seeded numpy batch builders.

Every batch is a pure function of (data, seed, step): `np.random.default_rng([seed, step])`
drives it, so a resumed run sees exactly the batches of an uninterrupted one, and the
statistics below can be tested on a fixed seed.

* **MLM** (`mlm_mask`, BERT): per sequence, exactly `max(1, round(rate · n))` of the n
  selectable tokens (real text: never <cls>/<sep>/<pad> or any special id) are selected,
  uniformly without replacement; of those, 80% become <mask>, 10% a random ordinary token
  (a byte 0..255 for the byte tokenizer) and 10% stay unchanged. Labels (the original ids)
  exist only at the selected positions: `mask_positions` [B, K] (K = round(rate · T),
  padded with weight 0), `mask_ids`, `mask_weights`.
* **NSP** (`nsp_batch`): segment A = consecutive lines of a work starting at a random
  line; with probability 1/2 segment B is the lines that follow A (label 1, "is next"),
  else lines starting at a random line of another work (label 0; a corpus with one work
  takes a line at least 8 lines away from A's end). Packed `<cls> A <sep> B <sep>`, A
  cut from its front and B from its back so that they meet at the seam. Segment ids: 0
  for `<cls> A <sep>`, 1 for `B <sep>`.
* **Span corruption** (`span_corrupt`, T5): as `random_spans_noise_mask` of the T5
  paper's code: `num_noise = round(density · n)` (at least 1), `num_spans =
  round(num_noise / mean_span)` (at least 1, at most the tokenizer's sentinels), noise and
  non-noise lengths drawn as random partitions, alternating non-noise first. Inputs keep
  the non-noise tokens and put sentinel i where noise span i was; targets are
  `<extra_id_0> span0 <extra_id_1> span1 ...`, then the end token.
* **Classification / seq2seq** batches: labelled examples, shuffled per epoch by seed.

>>> import numpy as np
>>> from zoo.data.objectives import mlm_mask
>>> ids = np.arange(100, dtype=np.int32)[None] % 256
>>> out = mlm_mask(ids, np.ones_like(ids, bool), np.random.default_rng(0), mask_id=258)
>>> int(out["mask_weights"].sum())
15
"""
from __future__ import annotations

import functools

import numpy as np

from zoo.errors import ZooError

# ----------------------------------------------------------------------------- token sets


def special_ids(tokenizer):
    """Ids that are never text: the tokenizer's specials and (byte tokenizer) every id >= 256.

    Args:
        tokenizer: a keras-hub tokenizer.

    Returns:
        A set of int ids.
    """
    ids = set(int(i) for i in getattr(tokenizer, "special_token_ids", []) or [])
    if type(tokenizer).__name__ == "ZooByteTokenizer":
        ids.update(range(256, tokenizer.vocabulary_size()))
    return ids


def ordinary_ids(tokenizer):
    """Ids a random replacement may take: bytes for the byte tokenizer, else non-special ids.

    Args:
        tokenizer: a keras-hub tokenizer.

    Returns:
        An int32 numpy array of ids.
    """
    if type(tokenizer).__name__ == "ZooByteTokenizer":
        return np.arange(256, dtype=np.int32)
    special = special_ids(tokenizer)
    return np.array([i for i in range(tokenizer.vocabulary_size()) if i not in special], np.int32)


def sentinel_ids(tokenizer):
    """The ids of the tokenizer's span-corruption sentinels `<extra_id_0>`, `<extra_id_1>`, ...

    Args:
        tokenizer: a tokenizer with a `sentinel_id(i)` method (`ZooByteTokenizer`); any
            other raises a ZooError.

    Returns:
        A list of int ids, in sentinel order.
    """
    if hasattr(tokenizer, "sentinel_id"):
        ids, i = [], 0
        while True:
            try:
                ids.append(int(tokenizer.sentinel_id(i)))
            except (KeyError, ValueError):
                return ids
            i += 1
    raise ZooError(f"span corruption needs <extra_id_N> sentinel tokens; {type(tokenizer).__name__} "
                   "has none: use data.tokenizer: byte")


def encode_text(tokenizer, text):
    """Token ids of one string (the byte tokenizer in numpy, without a TensorFlow call).

    Args:
        tokenizer: a keras-hub tokenizer.
        text: the string to tokenize.

    Returns:
        An int32 numpy array of ids (no start or end token added).
    """
    if type(tokenizer).__name__ == "ZooByteTokenizer":
        return np.frombuffer(text.encode("utf-8"), dtype=np.uint8).astype(np.int32)
    from zoo.data.tokenizers import encode

    return np.asarray(encode(tokenizer, text), np.int32)


def decode_many(tokenizer, rows):
    """Texts of many id lists; the byte tokenizer is decoded in Python (no TF call per row),
    to the same text as its detokenize (which, as keras-hub's ByteTokenizer, drops id 0).

    Args:
        tokenizer: a keras-hub tokenizer.
        rows: an iterable of token-id sequences.

    Returns:
        A list of strings, one per row (invalid UTF-8 becomes U+FFFD).
    """
    if type(tokenizer).__name__ == "ZooByteTokenizer":
        return [bytes(int(t) for t in r if 0 < int(t) < 256).decode("utf-8", "replace") for r in rows]
    from zoo.data.tokenizers import decode

    return [decode(tokenizer, r) for r in rows]


def encode_many(tokenizer, texts):
    """Token ids of many strings (other tokenizers than bytes: 4096 strings per TF call).

    Args:
        tokenizer: a keras-hub tokenizer.
        texts: a sequence of strings.

    Returns:
        A list of int32 numpy arrays, one per text.
    """
    if type(tokenizer).__name__ == "ZooByteTokenizer":
        return [encode_text(tokenizer, t) for t in texts]
    import tensorflow as tf

    out = []
    for i in range(0, len(texts), 4096):
        rows = tokenizer.tokenize(tf.constant(list(texts[i:i + 4096]))).to_list()
        out.extend(np.asarray(r, np.int32) for r in rows)
    return out


# ----------------------------------------------------------------------------- MLM


def mlm_mask(token_ids, selectable, rng, mask_id, rate=0.15, mask_token_rate=0.8,
             random_token_rate=0.1, random_ids=None, max_predictions=None):
    """BERT masking of a batch (see the module doc). Returns a dict of numpy arrays:
    token_ids (corrupted copy), mask_positions, mask_ids, mask_weights ([B, K]).

    Args:
        token_ids: int [B, T] token ids.
        selectable: bool [B, T]: the positions that may be selected (real text).
        rng: a `numpy.random.Generator` drawing the selection and replacements.
        mask_id: the `<mask>` token id.
        rate: share of each row's selectable tokens to select (at least 1 per row).
        mask_token_rate: share of the selected tokens replaced by `mask_id`.
        random_token_rate: share of the selected tokens replaced by a random id from
            `random_ids` (the rest stay unchanged).
        random_ids: the ids a random replacement may take (None: the bytes 0..255).
        max_predictions: K, the selected positions per row (None: round(rate · T), at least 1);
            rows select at most K tokens.
    """
    token_ids = np.asarray(token_ids, np.int32)
    selectable = np.asarray(selectable, bool)
    B, T = token_ids.shape
    K = max_predictions or max(1, int(round(rate * T)))
    n_sel = selectable.sum(1)
    k_row = np.where(n_sel > 0, np.maximum(1, np.round(rate * n_sel).astype(int)), 0)
    k_row = np.minimum(k_row, K)
    scores = rng.random((B, T))
    scores[~selectable] = 2.0
    order = np.argsort(scores, axis=1, kind="stable")[:, :K]
    valid = np.arange(K)[None, :] < k_row[:, None]
    positions = np.where(valid, order, T)                 # invalid ones sort last
    positions = np.sort(positions, axis=1)
    valid = positions < T
    positions = np.where(valid, positions, 0).astype(np.int32)
    labels = np.take_along_axis(token_ids, positions, axis=1)
    u = rng.random((B, K))
    if random_ids is None:
        random_ids = np.arange(256, dtype=np.int32)
    random_tok = np.asarray(random_ids, np.int32)[rng.integers(0, len(random_ids), (B, K))]
    new = np.where(u < mask_token_rate, mask_id,
                   np.where(u < mask_token_rate + random_token_rate, random_tok, labels))
    corrupted = token_ids.copy()
    rows = np.repeat(np.arange(B), K).reshape(B, K)
    corrupted[rows[valid], positions[valid]] = new[valid]
    return {"token_ids": corrupted, "mask_positions": positions,
            "mask_ids": np.where(valid, labels, 0).astype(np.int32),
            "mask_weights": valid.astype(np.float32)}


# ----------------------------------------------------------------------------- NSP


class LineCorpus:
    """A corpus split as works of encoded lines (non-empty lines, each ending in a newline).

    Documents with fewer than 2 such lines are left out; `works` is a list (one per
    document) of lists of int32 id arrays, `p` each work's share of all lines (the chance
    a pair is drawn from it).

    Args:
        corpus: a corpus for `zoo.data.corpora.load_split`.
        split: "train", "validation" or "test".
        tokenizer: the keras-hub tokenizer that encodes the lines.
    """

    def __init__(self, corpus, split, tokenizer):
        from zoo.data import corpora

        docs = corpora.load_split(corpus, split)
        self.works = []
        for d in docs:
            lines = [t.rstrip() + "\n" for t in d.text.split("\n") if t.strip()]
            if len(lines) >= 2:
                self.works.append(encode_many(tokenizer, lines))
        if not self.works:
            raise ZooError(f"corpus '{corpus}' split '{split}' has no work with 2 or more lines of "
                           "text: NSP needs consecutive lines; add text")
        sizes = np.array([len(w) for w in self.works], float)
        self.p = sizes / sizes.sum()


@functools.lru_cache(maxsize=8)
def line_corpus(corpus, split, tokenizer_key, tokenizer):
    """A cached `LineCorpus` (the 8 most recently used are kept).

    Args:
        corpus: a corpus for `zoo.data.corpora.load_split`, hashable (e.g. its name as a str).
        split: "train", "validation" or "test".
        tokenizer_key: a hashable key naming the tokenizer, part of the cache key (callers
            pass (class name, vocabulary size)).
        tokenizer: the keras-hub tokenizer that encodes the lines.

    Returns:
        The split's `LineCorpus`.
    """
    return LineCorpus(corpus, split, tokenizer)


def _take_lines(work, start, budget):
    out, i = [], start
    n = 0
    while i < len(work) and n < budget:
        out.append(work[i])
        n += len(work[i])
        i += 1
    return (np.concatenate(out) if out else np.zeros([0], np.int32)), i


def nsp_batch(lines, batch_size, sequence_length, rng, cls_id, sep_id, pad_id):
    """A batch of packed sentence pairs: token_ids, segment_ids, padding_mask, nsp_labels,
    and `selectable` (the text positions MLM may pick).

    Args:
        lines: the `LineCorpus` to draw pairs from.
        batch_size: pairs per batch.
        sequence_length: tokens per packed row (>= 5: `<cls> A <sep> B <sep>`).
        rng: a `numpy.random.Generator` drawing the pairs and labels.
        cls_id: id of the token that starts a row.
        sep_id: id of the token after each segment.
        pad_id: id of the padding.

    Returns:
        A dict of numpy arrays: token_ids, segment_ids [B, T] int32, padding_mask,
        selectable [B, T] bool and nsp_labels [B] int32 (1: B follows A).
    """
    T = sequence_length
    budget = T - 3
    if budget < 2:
        raise ZooError(f"data.sequence_length {T} is too short for <cls> A <sep> B <sep>: use >= 5")
    ids = np.full((batch_size, T), pad_id, np.int32)
    seg = np.zeros((batch_size, T), np.int32)
    text = np.zeros((batch_size, T), bool)
    labels = (rng.random(batch_size) < 0.5).astype(np.int32)
    n_works = len(lines.works)
    for b in range(batch_size):
        w = int(rng.choice(n_works, p=lines.p))
        work = lines.works[w]
        i = int(rng.integers(0, len(work) - 1))
        a_cap = int(rng.integers(max(1, budget // 4), budget // 2 + 1))
        # A: lines from i, stopping before the work's last line so a next line exists.
        a, j = _take_lines(work[:len(work) - 1], i, a_cap)
        a = a[-a_cap:]                      # cut from the front: A's end meets B's start
        if labels[b]:
            bseg, _ = _take_lines(work, j, budget - len(a))
        else:
            if n_works > 1:
                w2 = int(rng.choice(n_works - 1))
                w2 += w2 >= w
                other = lines.works[w2]
                k = int(rng.integers(0, len(other)))
            else:  # one work: a line well away from A's end
                other = work
                far = [k for k in range(len(work)) if abs(k - j) >= 8]
                k = int(far[rng.integers(0, len(far))]) if far else int(rng.integers(0, len(work)))
            bseg, _ = _take_lines(other, k, budget - len(a))
        bseg = bseg[: budget - len(a)]
        row = np.concatenate([[cls_id], a, [sep_id], bseg, [sep_id]]).astype(np.int32)
        ids[b, :len(row)] = row
        seg[b, len(a) + 2:len(row)] = 1
        text[b, 1:1 + len(a)] = True
        text[b, len(a) + 2:len(a) + 2 + len(bseg)] = True
    return {"token_ids": ids, "segment_ids": seg, "padding_mask": (ids != pad_id) | (np.arange(T) == 0),
            "nsp_labels": labels, "selectable": text}


def nsp_pair_texts(tokenizer, lines, batch_size, sequence_length, rng):
    """The (A, B) texts and labels of the pairs `mlm_nsp_batch` builds from the same rng
    state (it draws the pairs first, then the masks): what a non-neural NSP baseline reads.

    Args:
        tokenizer: the keras-hub tokenizer (its cls / sep / pad ids frame the pairs, see
            `boundary_ids`).
        lines: the `LineCorpus` to draw pairs from.
        batch_size: pairs to draw.
        sequence_length: tokens per packed row, as `nsp_batch`.
        rng: a `numpy.random.Generator`, advanced as `nsp_batch` advances it.

    Returns:
        (pairs, labels): a list of (A text, B text) and a list of int labels (1: B follows A).
    """
    cls_id, sep_id = boundary_ids(tokenizer)
    b = nsp_batch(lines, batch_size, sequence_length, rng, cls_id, sep_id, tokenizer.pad_token_id)
    seg, text = b["segment_ids"], b["selectable"]
    a = decode_many(tokenizer, [ids[t & (s == 0)] for ids, s, t in zip(b["token_ids"], seg, text)])
    bb = decode_many(tokenizer, [ids[t & (s == 1)] for ids, s, t in zip(b["token_ids"], seg, text)])
    return list(zip(a, bb)), b["nsp_labels"].tolist()


def boundary_ids(tokenizer, bert=True):
    """(start, end) ids that frame a packed sequence: `<cls>`/`<sep>` for BERT-style inputs
    (the tokenizer's start/end tokens when it has none), start/end for a decoder's.

    Args:
        tokenizer: a keras-hub tokenizer.
        bert: BERT-style framing (else a decoder's).

    >>> from zoo.data.tokenizers import ZooByteTokenizer
    >>> tok = ZooByteTokenizer()
    >>> boundary_ids(tok) == (tok.cls_token_id, tok.sep_token_id)
    True
    """
    cls_id = getattr(tokenizer, "cls_token_id", None) if bert else None
    sep_id = getattr(tokenizer, "sep_token_id", None) if bert else None
    return (tokenizer.start_token_id if cls_id is None else cls_id,
            tokenizer.end_token_id if sep_id is None else sep_id)


def mlm_nsp_batch(lines, batch_size, sequence_length, rng, tokenizer, rate=0.15):
    """NSP pairs with BERT masking applied: the model inputs plus mlm and nsp labels.

    Args:
        lines: the `LineCorpus` to draw pairs from.
        batch_size: pairs per batch.
        sequence_length: tokens per packed row (>= 5).
        rng: a `numpy.random.Generator`: the pairs are drawn first, then the masks.
        tokenizer: the keras-hub tokenizer (framing, pad, mask and special ids).
        rate: MLM selection rate (see `mlm_mask`).

    Returns:
        A dict of numpy arrays: token_ids, segment_ids, padding_mask (the model inputs),
        mask_positions, mask_ids, mask_weights (MLM labels) and nsp_labels.
    """
    cls_id, sep_id = boundary_ids(tokenizer)
    pairs = nsp_batch(lines, batch_size, sequence_length, rng, cls_id, sep_id, tokenizer.pad_token_id)
    special = special_ids(tokenizer)
    selectable = pairs["selectable"] & ~np.isin(pairs["token_ids"], list(special))
    m = mlm_mask(pairs["token_ids"], selectable, rng, tokenizer.mask_token_id, rate=rate,
                 random_ids=ordinary_ids(tokenizer))
    return {"token_ids": m["token_ids"], "segment_ids": pairs["segment_ids"],
            "padding_mask": pairs["padding_mask"], "mask_positions": m["mask_positions"],
            "mask_ids": m["mask_ids"], "mask_weights": m["mask_weights"],
            "nsp_labels": pairs["nsp_labels"]}


# ----------------------------------------------------------------------------- span corruption


def _random_segmentation(num_items, num_segments, rng):
    """Lengths of a uniformly random partition of num_items into num_segments non-empty parts."""
    cuts = np.sort(rng.choice(num_items - 1, num_segments - 1, replace=False)) + 1
    return np.diff(np.concatenate([[0], cuts, [num_items]])).astype(int)


def span_counts(length, noise_density=0.15, mean_span_length=3.0, max_spans=None):
    """Noise tokens and noise spans of one span-corrupted sequence of `length` raw tokens.

    Args:
        length: raw tokens in the sequence (>= 2).
        noise_density: share of the tokens to corrupt (rounded; at least 1, at most length - 1).
        mean_span_length: mean length of a noise span.
        max_spans: at most this many spans (the sentinels available; None or 0: no limit).

    Returns:
        (num_noise, num_spans), with 1 <= num_spans <= min(num_noise, length - num_noise).
    """
    num_noise = int(round(length * noise_density))
    num_noise = min(max(num_noise, 1), length - 1)
    num_spans = max(1, int(round(num_noise / mean_span_length)))
    if max_spans:
        num_spans = min(num_spans, max_spans)
    num_spans = min(num_spans, num_noise, length - num_noise)
    return num_noise, num_spans


def span_lengths(sequence_length, noise_density=0.15, mean_span_length=3.0, max_spans=None):
    """(raw tokens, target tokens) for an encoder input of `sequence_length` tokens: the
    longest raw length whose corrupted input (kept tokens + one sentinel per span + end)
    fits, and the matching target length (sentinels + noise + end).

    Args:
        sequence_length: tokens of the encoder input, the end token included.
        noise_density: as `span_counts`.
        mean_span_length: as `span_counts`.
        max_spans: as `span_counts`.
    """
    best = None
    for n in range(2, 4 * sequence_length):
        noise, spans = span_counts(n, noise_density, mean_span_length, max_spans)
        if n - noise + spans + 1 > sequence_length:
            break
        best = (n, noise + spans + 1)
    if best is None:
        raise ZooError(f"data.sequence_length {sequence_length} is too short for span corruption: use >= 4")
    return best


def noise_mask(length, rng, noise_density=0.15, mean_span_length=3.0, max_spans=None):
    """Boolean [length] noise mask: alternating non-noise / noise spans, non-noise first.

    Args:
        length: raw tokens in the sequence.
        rng: a `numpy.random.Generator` drawing the span lengths.
        noise_density: as `span_counts`.
        mean_span_length: as `span_counts`.
        max_spans: as `span_counts`.
    """
    num_noise, num_spans = span_counts(length, noise_density, mean_span_length, max_spans)
    noise = _random_segmentation(num_noise, num_spans, rng)
    keep = _random_segmentation(length - num_noise, num_spans, rng)
    mask = np.zeros(length, bool)
    pos = 0
    for k, n in zip(keep, noise):
        pos += k
        mask[pos:pos + n] = True
        pos += n
    return mask


def span_corrupt(tokens, rng, sentinels, end_id, noise_density=0.15, mean_span_length=3.0):
    """(inputs, targets) for one raw token sequence, both ending with `end_id`.

    Args:
        tokens: the raw token ids (1-D).
        rng: a `numpy.random.Generator` drawing the noise mask.
        sentinels: the sentinel ids (see `sentinel_ids`); their number caps the spans.
        end_id: the end token id.
        noise_density: as `span_counts`.
        mean_span_length: as `span_counts`.

    Returns:
        Two int32 numpy arrays: the inputs (kept tokens, a sentinel per span) and the
        targets (each sentinel followed by its span).
    """
    tokens = np.asarray(tokens, np.int32)
    mask = noise_mask(len(tokens), rng, noise_density, mean_span_length, len(sentinels))
    starts = mask & ~np.concatenate([[False], mask[:-1]])
    span_index = np.cumsum(starts) - 1
    inputs, targets = [], []
    for t, m, s, i in zip(tokens, mask, starts, span_index):
        if m:
            if s:
                inputs.append(sentinels[i])
                targets.append(sentinels[i])
            targets.append(t)
        else:
            inputs.append(t)
    return (np.array(inputs + [end_id], np.int32), np.array(targets + [end_id], np.int32))


def uncorrupt(inputs, targets, sentinels, end_id):
    """Invert span_corrupt: the original tokens from inputs and targets.

    Args:
        inputs: the corrupted input ids (read up to the first `end_id`).
        targets: the target ids (read up to the first `end_id`).
        sentinels: the sentinel ids used by `span_corrupt`.
        end_id: the end token id.

    Returns:
        The original token ids, a list of ints.
    """
    pos = {int(s): i for i, s in enumerate(sentinels)}
    spans, current = {}, None
    for t in list(targets):
        t = int(t)
        if t == end_id:
            break
        if t in pos:
            current = pos[t]
            spans[current] = []
        elif current is not None:
            spans[current].append(t)
    out = []
    for t in list(inputs):
        t = int(t)
        if t == end_id:
            break
        out.extend(spans.get(pos[t], []) if t in pos else [t])
    return out


def span_batch(stream, batch_size, sequence_length, rng, sentinels, end_id, pad_id,
               noise_density=0.15, mean_span_length=3.0):
    """A span-corruption batch from random windows of a token stream. Every example has
    the same lengths (fixed raw length), so there is no padding.

    Args:
        stream: the token stream (1-D int array) windows are drawn from.
        batch_size: examples per batch.
        sequence_length: encoder input tokens per example, the end token included.
        rng: a `numpy.random.Generator` drawing the windows and noise masks.
        sentinels: the sentinel ids (see `sentinel_ids`).
        end_id: the end token id.
        pad_id: the pad token id (also T5's decoder start token).
        noise_density: as `span_counts`.
        mean_span_length: as `span_counts`.

    Returns:
        The model inputs and labels of `seq2seq_arrays`.
    """
    raw, target_len = span_lengths(sequence_length, noise_density, mean_span_length, len(sentinels))
    if len(stream) < raw + 1:
        raise ZooError(f"the split has {len(stream)} tokens, too few for one span-corruption window "
                       f"of {raw}: lower data.sequence_length or add text")
    starts = rng.integers(0, len(stream) - raw, batch_size)
    enc = np.full((batch_size, sequence_length), pad_id, np.int32)
    tgt = np.full((batch_size, target_len), pad_id, np.int32)
    for b, s in enumerate(starts):
        x, y = span_corrupt(stream[s:s + raw], rng, sentinels, end_id, noise_density, mean_span_length)
        enc[b, :len(x)] = x
        tgt[b, :len(y)] = y
    return seq2seq_arrays(enc, tgt, pad_id)


def seq2seq_arrays(enc, tgt, pad_id):
    """Model inputs for padded encoder ids and target ids (T5: the decoder starts with <pad>).

    Args:
        enc: int32 [B, S] encoder ids, padded with `pad_id`.
        tgt: int32 [B, L] target ids, padded with `pad_id`.
        pad_id: the pad token id (also the decoder start token).

    Returns:
        A dict of numpy arrays: encoder_token_ids, encoder_padding_mask, decoder_token_ids
        (the targets shifted right behind `pad_id`), decoder_padding_mask, labels (the
        targets) and label_weights (1.0 where the target is not padding).
    """
    dec = np.concatenate([np.full((len(tgt), 1), pad_id, np.int32), tgt[:, :-1]], axis=1)
    weights = (tgt != pad_id).astype(np.float32)
    dec_mask = np.concatenate([np.ones((len(tgt), 1), bool), tgt[:, :-1] != pad_id], axis=1)
    return {"encoder_token_ids": enc, "encoder_padding_mask": enc != pad_id,
            "decoder_token_ids": dec, "decoder_padding_mask": dec_mask,
            "labels": tgt, "label_weights": weights}


# ----------------------------------------------------------------------------- labelled data


def epoch_indices(n, seed, step, batch_size):
    """Example indices of one step: epochs are seeded permutations, batches consecutive.

    Args:
        n: number of examples.
        seed: the data seed.
        step: the training step (batch number from 0).
        batch_size: examples per batch (a batch may run over into the next epoch).

    Returns:
        A numpy array of `batch_size` indices in [0, n).
    """
    first = step * batch_size
    out = []
    while len(out) < batch_size:
        epoch, offset = divmod(first + len(out), n)
        perm = np.random.default_rng([seed, epoch, 7]).permutation(n)
        out.extend(perm[offset: offset + batch_size - len(out)].tolist())
    return np.array(out)


def sample_indices(n, limit, seed):
    """Sorted indices of a fixed seeded sample of `limit` of n examples (all of them when
    limit is None or >= n). Evaluation splits are ordered by play, so a prefix would be one
    or two plays; a seeded sample spans them all and is the same on every run.

    Args:
        n: number of examples.
        limit: sample size (None: all).
        seed: seed of the sample.
    """
    if limit is None or limit >= n:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).permutation(n)[:limit])


def pack_rows(rows, sequence_length, start_id, end_id, pad_id):
    """[start] row [end] padded to sequence_length (rows cut to fit).

    Args:
        rows: token-id sequences (without start and end tokens).
        sequence_length: tokens per packed row.
        start_id: id put before each row.
        end_id: id put after each (cut) row.
        pad_id: id of the padding.

    Returns:
        An int32 numpy array [len(rows), sequence_length].
    """
    out = np.full((len(rows), sequence_length), pad_id, np.int32)
    for b, r in enumerate(rows):
        r = r[: sequence_length - 2]
        out[b, :len(r) + 2] = np.concatenate([[start_id], r, [end_id]])
    return out


def pack_targets(rows, length, end_id, pad_id, start_id=None):
    """Rows (optionally after start_id) ending in end_id, padded/cut to `length`.

    Args:
        rows: token-id sequences (without end tokens).
        length: tokens per packed row (the end token always fits).
        end_id: id put after each (cut) row.
        pad_id: id of the padding.
        start_id: id put before each row (None: none).

    Returns:
        An int32 numpy array [len(rows), length].
    """
    out = np.full((len(rows), length), pad_id, np.int32)
    for b, r in enumerate(rows):
        head = [start_id] if start_id is not None else []
        r = np.concatenate([head, r[: length - 1 - len(head)], [end_id]]).astype(np.int32)
        out[b, :len(r)] = r
    return out


def text_windows(text, width):
    """Cut a text into consecutive windows of at most `width` characters covering all of it:
    non-overlapping, except that the last window is the text's final `width` characters (so
    no window is a short scrap). A classifier reads a passage longer than its context as the
    average of its windows.

    Args:
        text: the passage.
        width: characters per window (the model's sequence length less its special tokens).
    Returns:
        list of strings (one window for a text of at most `width` characters).

    >>> text_windows("abcdefgh", 3)
    ['abc', 'def', 'fgh']
    """
    if len(text) <= width:
        return [text]
    starts = list(range(0, len(text) - width, width)) + [len(text) - width]
    return [text[s: s + width] for s in starts]
