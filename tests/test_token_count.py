"""Training tokens without padding: the real positions of each batch's padding masks."""
import numpy as np
import pytest

from zoo.training.token_count import batch_token_counts, training_token_counts


def test_one_sequence_batch_counts_its_padding_mask():
    ids = np.array([[5, 6, 7, 0], [5, 0, 0, 0]])
    assert batch_token_counts({"token_ids": ids, "padding_mask": ids != 0, "labels": [1, 2]}) == (4, 8)


def test_encoder_decoder_batch_counts_both_sides():
    enc = np.array([[1, 1, 1, 0]])
    dec = np.array([[1, 1, 0, 0, 0, 0]])
    batch = {"encoder_token_ids": enc, "encoder_padding_mask": enc, "decoder_token_ids": dec,
             "decoder_padding_mask": dec, "labels": dec}
    assert batch_token_counts(batch) == (5, 10)


def test_a_batch_whose_padding_is_unknown_is_refused():
    with pytest.raises(ValueError, match="'encoder_padding_mask'"):
        batch_token_counts({"encoder_token_ids": np.ones([1, 4]), "decoder_token_ids": np.ones([1, 4]),
                            "decoder_padding_mask": np.ones([1, 4])})
    with pytest.raises(ValueError, match="nothing to count"):
        batch_token_counts({"labels": np.ones([2])})


def test_replayed_counts_of_seeded_batches_and_a_resumed_run():
    def train_batch(step, batch_size, seed):
        rng = np.random.default_rng([seed, step])
        lengths = rng.integers(1, 9, batch_size)
        mask = np.arange(8)[None, :] < lengths[:, None]
        return {"token_ids": np.where(mask, 7, 0), "padding_mask": mask}

    whole = training_token_counts(train_batch, steps=10, batch_size=4, seed=3)
    assert whole["training_tokens_padded"] == 10 * 4 * 8
    assert 10 * 4 <= whole["training_tokens"] < whole["training_tokens_padded"]
    first = training_token_counts(train_batch, steps=4, batch_size=4, seed=3)
    rest = training_token_counts(train_batch, steps=10, batch_size=4, seed=3, start=4)
    assert first["training_tokens"] + rest["training_tokens"] == whole["training_tokens"]


def test_span_corruption_batches_are_counted():
    from zoo.data import objectives as O
    from zoo.data.tokenizers import ZooByteTokenizer

    tok = ZooByteTokenizer()
    ids = np.frombuffer(b"To be, or not to be, that is the question. " * 40, np.uint8).astype(np.int32)
    b = O.span_batch(ids, 4, 32, np.random.default_rng(0), O.sentinel_ids(tok), tok.end_token_id,
                     tok.pad_token_id, 0.15, 3.0)
    real, slots = batch_token_counts(b)
    assert real == int(np.count_nonzero(b["encoder_padding_mask"])) + int(np.count_nonzero(b["decoder_padding_mask"]))
    assert 0 < real <= slots
