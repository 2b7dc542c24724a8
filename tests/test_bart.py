"""BART: the denoising corruption, keras-hub's BART packing, and greedy decoding through
keras-hub's `generate` (the same tokens as teacher forcing)."""
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.data.denoising import denoising_batch, infill, permute_sentences
from zoo.data.tokenizers import ZooByteTokenizer
from zoo.errors import ZooError
from zoo.hub import build
from zoo.models.bart.seq2seq import BartGenerator, pack


def test_infill_masks_spans_with_one_mask_each():
    rng = np.random.default_rng(0)
    ids = np.arange(100, 200)
    lost = []
    for _ in range(50):
        x = infill(ids, rng, mask_id=-1, noise_density=0.3)
        kept = x[x != -1]
        assert np.all(np.diff(kept) > 0)                      # the rest stays in order
        lost.append(1 - len(kept) / len(ids))
        assert (x == -1).sum() < len(ids) - len(kept)        # a span of several tokens -> one mask
    assert 0.28 <= np.mean(lost) <= 0.4                      # ~30% of the tokens (spans overshoot a little)


def test_permute_sentences_keeps_the_tokens_and_the_sentences():
    text = b"To be. Or not? That is it! And so"
    ids = np.frombuffer(text, np.uint8).astype(np.int32)
    orders = set()
    for s in range(20):
        out = permute_sentences(ids, np.random.default_rng(s), {ord(c) for c in ".!?"})
        assert sorted(out.tolist()) == sorted(ids.tolist())
        out_text = bytes(out.tolist()).decode()
        assert all(part in out_text for part in ("To be.", " Or not?", " That is it!", " And so"))
        orders.add(out_text)
    assert len(orders) > 5


def test_denoising_batch_reconstructs_the_original_window():
    tok = ZooByteTokenizer()
    stream = np.frombuffer(b"Now is the winter of our discontent. Made glorious summer! " * 20, np.uint8)
    b = denoising_batch(stream.astype(np.int32), 4, 32, np.random.default_rng(1), tok, pack)
    for row in range(4):
        w = b["label_weights"][row].astype(bool)
        target = b["labels"][row][w].tolist()
        assert target[0] == tok.start_token_id and target[-1] == tok.end_token_id and len(target) == 32
        original = bytes(target[1:-1]).decode()
        assert original in stream.tobytes().decode()
        enc = b["encoder_token_ids"][row][b["encoder_padding_mask"][row]].tolist()
        assert tok.mask_token_id in enc and len(enc) < 32


@pytest.fixture(scope="module")
def bart():
    """A bart-nano with spread-out random weights, so greedy outputs vary from step to step."""
    model = build("bart-nano", sequence_length=32)
    rng = np.random.default_rng(0)
    for w in model.weights:
        if "layer_norm" not in w.path and "embeddings_layer_norm" not in w.path:
            w.assign(rng.normal(0, 0.2, w.shape).astype(np.float32))
    return model


def test_greedy_generation_matches_teacher_forcing(bart):
    tok = bart.preprocessor.tokenizer
    rows = [[84, 111, 32, 98, 101], [72, 97, 109, 108, 101, 116, 33]]
    gen = BartGenerator(bart, max_encoder_length=16, batch_size=4)
    out = gen.generate_ids(rows, max_new_tokens=8, stop_ids=())
    assert any(len(o) > 0 for o in out)
    for r, o in zip(rows, out):
        # Feeding the generated tokens back, each is the arg-max of the step before it.
        b = pack(tok, [r], [o], 16, len(o) + 3)
        x = {k: tf.constant(b[k]) for k in ("encoder_token_ids", "encoder_padding_mask", "decoder_token_ids",
                                             "decoder_padding_mask")}
        pred = np.argmax(bart(x).numpy()[0], -1)
        assert pred[1: len(o) + 1].tolist() == o


def test_zoo_generate_runs_bart_and_refuses_sampling_in_one_line(bart):
    assert isinstance(zoo.generate(bart, ["To be"], max_new_tokens=4)[0], str)
    with pytest.raises(ZooError, match="BART decodes greedily") as e:
        zoo.generate(bart, ["To be"], max_new_tokens=4, sampler="top_k", top_k=5)
    assert "\n" not in str(e.value)
