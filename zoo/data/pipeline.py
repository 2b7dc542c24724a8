"""Causal-LM data with tf.data: packed fixed-length windows, a pure function of (seed, step).

The corpus split is tokenised once into one id stream (documents separated by the
end-of-text token) and cut into windows of `sequence_length + 1` tokens. Epoch `e`
visits every window once, in the order `index_shuffle(i, seed=(seed, e))` with a window
offset drawn from (seed, e), so the batch at step `s` depends only on (seed, s): a run
resumed at step `s` sees exactly the batches the uninterrupted run would have.

Example:
>>> from zoo.data.pipeline import token_stream, train_dataset
>>> from zoo.data.tokenizers import ZooByteTokenizer
>>> ids = token_stream("shakespeare", "validation", ZooByteTokenizer())
>>> ds = train_dataset(ids, sequence_length=64, batch_size=8, seed=0, start_step=0, steps=10)
>>> x, y = next(iter(ds))
"""
import numpy as np
import tensorflow as tf

from zoo.data import corpora


def encode_documents(docs, tokenizer):
    """Token ids for documents, each followed by the end-of-text token.

    The byte tokenizer reads each document's UTF-8 bytes directly; other tokenizers
    tokenize it line by line and join the lines with the separator token (the end token
    if there is none), since subword tokenizers drop newlines.

    Args:
        docs: `zoo.data.corpora.Document`s (anything with a `text` attribute).
        tokenizer: a keras-hub tokenizer with an end token.

    Returns:
        One int32 numpy array of all the documents' ids.
    """
    end = tokenizer.end_token_id
    pieces = []
    for doc in docs:
        if type(tokenizer).__name__ == "ZooByteTokenizer":
            ids = np.frombuffer(doc.text.encode("utf-8"), dtype=np.uint8).astype(np.int32)
        else:
            lines = doc.text.split("\n")
            ragged = tokenizer.tokenize(tf.constant(lines))
            ids = _join_lines(ragged, tokenizer)
        pieces.append(ids)
        pieces.append(np.array([end], dtype=np.int32))
    return np.concatenate(pieces) if pieces else np.zeros([0], np.int32)


def _join_lines(ragged, tokenizer):
    # Subword tokenizers drop newlines; keep line structure with the separator token.
    sep = tokenizer.sep_token_id if tokenizer.sep_token_id is not None else tokenizer.end_token_id
    rows = ragged.to_list() if hasattr(ragged, "to_list") else ragged
    rows = [np.asarray(r, np.int32) for r in rows]
    out = []
    for r in rows:
        out.append(r)
        out.append(np.array([sep], np.int32))
    return np.concatenate(out)


_STREAMS = {}


def token_stream(corpus, split, tokenizer):
    """The whole split as one int32 id array (cached in-process).

    Args:
        corpus: a corpus for `zoo.data.corpora.load_split` (a registered name, a file, a
            directory, a glob, or a list of those).
        split: "train", "validation" or "test".
        tokenizer: the keras-hub tokenizer (see `encode_documents`).
    """
    key = (str(corpus), split, type(tokenizer).__name__, tokenizer.vocabulary_size())
    if key not in _STREAMS:
        docs = corpora.load_split(corpus, split)
        _STREAMS[key] = encode_documents(docs, tokenizer)
    return _STREAMS[key]


def split_bytes(corpus, split):
    """UTF-8 bytes of a split's text: the denominator of bits per byte.

    Args:
        corpus: a corpus for `zoo.data.corpora.load_split`.
        split: "train", "validation" or "test".

    Returns:
        The total UTF-8 byte length of the split's documents (an int).
    """
    return sum(len(d.text.encode("utf-8")) for d in corpora.load_split(corpus, split))


def num_windows(num_tokens, sequence_length):
    """Training windows per epoch in a stream of `num_tokens` tokens (see `train_dataset`).

    One window fewer than fit, so that each epoch's random offset (< sequence_length)
    keeps every window of `sequence_length + 1` tokens inside the stream.

    Args:
        num_tokens: length of the token stream.
        sequence_length: tokens per input window (the window holds one more, the target).

    Returns:
        The number of windows (< 1 when the stream is too short for one).
    """
    return (num_tokens - 1) // sequence_length - 1


def train_dataset(ids, sequence_length, batch_size, seed, start_step, steps, per_replica_batch=None,
                  num_pipelines=1, pipeline_id=0, short_length=None, short_steps=0):
    """Batches (x, y) of shape [batch_size, sequence_length] for steps start_step..steps-1.

    Sequence-length warm-up: with `short_length`, the batches of the first `short_steps`
    steps are the same windows cut into `sequence_length / short_length` pieces each,
    [batch_size * sequence_length / short_length, short_length]: the same tokens and targets
    in every step, seen with a shorter context (a piece's first token loses the tokens before
    it). Whether a step is short depends on its number only, so a resumed run gets the same batches.

    Under a tf.distribute strategy, pass the per-replica batch and this input pipeline's
    id: the global sample order is unchanged and cut into per-replica batches (consumed
    by replicas in order), so any number of replicas sees exactly the global batches of
    a single-device run.

    Args:
        ids: the training token stream (1-D int array, see `token_stream`).
        sequence_length: tokens per example (each window holds one more for the targets).
        batch_size: the global batch size.
        seed: the data seed; with the step, it alone fixes each batch.
        start_step: the first step to produce (resuming: the restored step).
        steps: the step to stop before (the run's total steps).
        per_replica_batch: batch size of each yielded batch under a distribution
            strategy (None: `batch_size`).
        num_pipelines: number of input pipelines (workers) the batches are sharded over.
        pipeline_id: this pipeline's index, in [0, num_pipelines).
        short_length: the warm-up window length (a divisor of `sequence_length`; None: no warm-up).
        short_steps: the steps (from step 0) whose windows are cut to `short_length`.

    Returns:
        A prefetched `tf.data.Dataset` of (x, y) int32 batches, y being x shifted by one token.
    """
    if short_length and sequence_length % short_length:
        raise ValueError(f"short_length {short_length} does not divide sequence_length {sequence_length}")
    n = num_windows(len(ids), sequence_length)
    if n < 1:
        raise ValueError(
            f"the training split has {len(ids)} tokens, too few for one window of "
            f"{sequence_length + 1}: lower data.sequence_length or add text"
        )
    stream = tf.constant(ids, dtype=tf.int32)
    T = sequence_length

    def window(sample):
        epoch = sample // n
        i = sample % n
        key = tf.stack([tf.cast(seed, tf.int64), epoch])
        j = tf.random.experimental.index_shuffle(i, key, n - 1)
        shift = tf.random.stateless_uniform([], seed=key, maxval=T, dtype=tf.int64)
        start = shift + j * T
        w = stream[start: start + T + 1]
        return w[:-1], w[1:]

    ds = tf.data.Dataset.range(start_step * batch_size, steps * batch_size)
    ds = ds.map(window, num_parallel_calls=2, deterministic=True)
    ds = ds.batch(per_replica_batch or batch_size, drop_remainder=True)
    if short_length and short_steps > start_step:
        # cut before sharding: the batches are still in global order here
        first = (short_steps - start_step) * (batch_size // (per_replica_batch or batch_size))

        def cut(x, y):
            return tf.reshape(x, [-1, short_length]), tf.reshape(y, [-1, short_length])

        ds = ds.take(first).map(cut).concatenate(ds.skip(first))
    if num_pipelines > 1:
        ds = ds.shard(num_pipelines, pipeline_id)
    return without_autotune(ds.prefetch(2))


def without_autotune(ds):
    """`ds` with tf.data's autotuning off: a training loop's input, whose batches are cheap.

    With autotuning on, a training run's input did not end when its last batch was taken: with
    two runs side by side (`zoo.training.side_by_side`, one thread each, AMD EPYC), 6-9 of the 15
    CPU recipes in each of three full trainings waited 8-58 s between their last step and their
    final checkpoint, 173-283 s per training in all. Two runs of 600 and 300 steps waited 11 s and
    5 s in the loop's last `next`, both released at the same moment (as by a timer, not by their
    own work); without autotuning neither waited, at the same loop seconds. The batches are a
    window slice or a numpy batch per step: fixed parallelism and a 2-batch prefetch keep the
    step fed.

    Args:
        ds: a `tf.data.Dataset`.

    >>> import tensorflow as tf
    >>> without_autotune(tf.data.Dataset.range(3)).options().autotune.enabled
    False
    """
    options = tf.data.Options()
    options.autotune.enabled = False
    return ds.with_options(options)


def window_starts(num_tokens, sequence_length, max_windows=None):
    """Start offsets of the evaluation windows of a stream of `num_tokens` tokens.

    Every non-overlapping window; or, with `max_windows` below their number, that many
    of them evenly spaced from the first to the last, so a quick evaluation samples every
    document of the split (Hamlet and The Tempest), never a prefix of the first.

    Args:
        num_tokens: length of the token stream.
        sequence_length: tokens predicted per window.
        max_windows: at most this many windows (None: all).
    """
    T = sequence_length
    n = -(-(num_tokens - 1) // T)
    starts = np.arange(n) * T
    if max_windows and max_windows < n:
        starts = starts[np.unique(np.linspace(0, n - 1, max_windows).round().astype(int))]
    return starts


def eval_windows(ids, sequence_length, max_windows=None):
    """Non-overlapping windows covering the split (or `max_windows` of them spread evenly
    over it, see window_starts), as (x, y, weight) numpy arrays.

    The tail that does not fill a window is padded with weight 0, so every token of the
    split (but the first) is predicted exactly once in a full pass.

    Args:
        ids: the token stream (1-D int array).
        sequence_length: tokens predicted per window.
        max_windows: at most this many windows (None: all).

    Returns:
        (x, y, weight): int32 inputs and targets and float32 weights (1 for a real
        token, 0 for padding), each [num_windows, sequence_length].
    """
    T = sequence_length
    starts = window_starts(len(ids), T, max_windows)
    n = len(starts)
    x = np.zeros([n, T], np.int32)
    y = np.zeros([n, T], np.int32)
    w = np.zeros([n, T], np.float32)
    for k, start in enumerate(starts):
        chunk = ids[start: start + T + 1]
        m = len(chunk) - 1
        x[k, :m], y[k, :m], w[k, :m] = chunk[:-1], chunk[1:], 1.0
    return x, y, w
