"""Objectives on fixed seeds: BERT masking, NSP pairs, T5 span corruption (pure numpy)."""
import re

import numpy as np
import pytest

from zoo.data import objectives as O
from zoo.data.tokenizers import ZooByteTokenizer

TOK = ZooByteTokenizer()
MASK, CLS, SEP, PAD = TOK.mask_token_id, TOK.cls_token_id, TOK.sep_token_id, TOK.pad_token_id


def _text_batch(B=256, T=128, seed=0):
    rng = np.random.default_rng(seed)
    ids = rng.integers(32, 127, (B, T)).astype(np.int32)
    lengths = rng.integers(T // 2, T + 1, B)
    selectable = np.arange(T)[None, :] < lengths[:, None]
    selectable[:, 0] = False                     # a <cls> position
    ids[:, 0] = CLS
    ids[~(np.arange(T)[None, :] < lengths[:, None])] = PAD
    return ids, selectable


def test_mlm_mask_statistics():
    ids, selectable = _text_batch()
    out = O.mlm_mask(ids, selectable, np.random.default_rng(1), MASK)
    pos, w = out["mask_positions"], out["mask_weights"] > 0
    B, T = ids.shape
    # ~15% of the selectable tokens of every row are selected (exactly round(0.15 n)).
    n_sel = selectable.sum(1)
    np.testing.assert_array_equal(w.sum(1), np.maximum(1, np.round(0.15 * n_sel)))
    assert abs(w.sum() / n_sel.sum() - 0.15) < 0.005
    # Only selectable positions, each at most once, labels = the original tokens.
    rows = np.repeat(np.arange(B), pos.shape[1]).reshape(pos.shape)
    assert selectable[rows[w], pos[w]].all()
    for b in range(B):
        assert len(set(pos[b][w[b]].tolist())) == w[b].sum()
    np.testing.assert_array_equal(out["mask_ids"][w], ids[rows[w], pos[w]])
    # 80 / 10 / 10: mask token, random byte, unchanged.
    new = out["token_ids"][rows[w], pos[w]]
    orig = ids[rows[w], pos[w]]
    masked = (new == MASK).mean()
    changed = ((new != MASK) & (new != orig)).mean()   # a random byte (rarely the same one)
    kept = (new == orig).mean()
    assert abs(masked - 0.8) < 0.02 and abs(changed - 0.1) < 0.02 and abs(kept - 0.1) < 0.02, \
        (masked, changed, kept)
    assert (new[(new != MASK)] < 256).all()          # random replacements are bytes
    # Nothing outside the selected positions changed; specials and padding never selected.
    untouched = np.ones_like(ids, bool)
    untouched[rows[w], pos[w]] = False
    np.testing.assert_array_equal(out["token_ids"][untouched], ids[untouched])
    assert not np.isin(out["mask_ids"][w], [CLS, SEP, PAD]).any()


def test_mlm_mask_is_seeded():
    ids, selectable = _text_batch(B=8)
    a = O.mlm_mask(ids, selectable, np.random.default_rng(5), MASK)
    b = O.mlm_mask(ids, selectable, np.random.default_rng(5), MASK)
    c = O.mlm_mask(ids, selectable, np.random.default_rng(6), MASK)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    assert not np.array_equal(a["mask_positions"], c["mask_positions"])


def _works():
    """Three small 'works' whose lines say where they come from."""
    class Lines(O.LineCorpus):
        def __init__(self):
            self.works = [[O.encode_text(TOK, f"w{w} line {i:03d}\n") for i in range(60)] for w in range(3)]
            self.p = np.full(3, 1 / 3)
    return Lines()


def _segments(row, seg):
    ids = row[row != PAD]
    assert ids[0] == CLS and ids[-1] == SEP
    sep = np.where(ids == SEP)[0]
    assert len(sep) == 2
    a, b = ids[1:sep[0]], ids[sep[0] + 1:-1]
    assert (seg[:sep[0] + 1] == 0).all() and (seg[sep[0] + 1:len(ids)] == 1).all()
    return bytes(a.tolist()).decode(), bytes(b.tolist()).decode()


def test_nsp_pairs_half_next_and_labels_correct():
    lines = _works()
    out = O.nsp_batch(lines, 400, 48, np.random.default_rng(0), CLS, SEP, PAD)
    labels = out["nsp_labels"]
    assert abs(labels.mean() - 0.5) < 0.07
    for row, seg, label, sel in zip(out["token_ids"], out["segment_ids"], labels, out["selectable"]):
        a, b = _segments(row, seg)
        # A is cut from its front, B from its back, so A ends and B starts with whole lines.
        wa, ia = re.search(r"(\d) line (\d{3})\n$", a).groups()
        wb, ib = re.match(r"w(\d) line (\d{3})\n", b).groups()
        if label == 1:
            assert wb == wa and int(ib) == int(ia) + 1, (a, b)
        else:
            assert wb != wa, (a, b)
        # Only text is selectable for MLM: never <cls>, <sep> or padding.
        assert not np.isin(row[sel], [CLS, SEP, PAD]).any()


def test_mlm_nsp_batch_shapes_and_specials():
    lines = _works()
    b = O.mlm_nsp_batch(lines, 16, 40, np.random.default_rng(3), TOK)
    assert b["token_ids"].shape == (16, 40) and b["mask_positions"].shape == (16, 6)
    w = b["mask_weights"] > 0
    assert not np.isin(b["mask_ids"][w], list(O.special_ids(TOK))).any()
    assert set(np.unique(b["nsp_labels"])) <= {0, 1}


def test_span_corruption_statistics_and_reconstruction():
    sentinels = O.sentinel_ids(TOK)
    assert sentinels[:2] == [TOK.sentinel_id(0), TOK.sentinel_id(1)] and len(sentinels) == 26
    end = TOK.end_token_id
    rng = np.random.default_rng(0)
    raw, target_len = O.span_lengths(128)
    noise_total, spans_total, span_lengths = 0, 0, []
    for _ in range(200):
        tokens = rng.integers(0, 256, raw).astype(np.int32)
        mask = O.noise_mask(raw, np.random.default_rng(rng.integers(1 << 30)))
        x, y = O.span_corrupt(tokens, rng, sentinels, end)
        assert len(x) <= 128 and len(y) == target_len and x[-1] == end and y[-1] == end
        # Sentinels appear in order, in inputs and targets alike.
        xs = [t for t in x if t in sentinels]
        ys = [t for t in y if t in sentinels]
        assert xs == ys == sentinels[:len(xs)]
        assert y[0] == sentinels[0]
        assert O.uncorrupt(x, y, sentinels, end) == tokens.tolist()
        noise_total += mask.sum()
        starts = np.flatnonzero(mask & ~np.concatenate([[False], mask[:-1]]))
        ends = np.flatnonzero(mask & ~np.concatenate([mask[1:], [False]]))
        span_lengths.extend((ends - starts + 1).tolist())
        spans_total += len(starts)
    assert abs(noise_total / (200 * raw) - 0.15) < 0.01
    assert abs(np.mean(span_lengths) - 3.0) < 0.35
    assert not O.noise_mask(raw, np.random.default_rng(1))[0]  # non-noise first, as in T5


def test_span_batch_is_seeded_and_shaped():
    stream = np.random.default_rng(0).integers(0, 256, 5000).astype(np.int32)
    s = O.sentinel_ids(TOK)
    a = O.span_batch(stream, 4, 32, np.random.default_rng(9), s, TOK.end_token_id, PAD)
    b = O.span_batch(stream, 4, 32, np.random.default_rng(9), s, TOK.end_token_id, PAD)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    assert a["encoder_token_ids"].shape == (4, 32)
    # decoder input = <pad> then the targets shifted right
    np.testing.assert_array_equal(a["decoder_token_ids"][:, 1:], a["labels"][:, :-1])
    assert (a["decoder_token_ids"][:, 0] == PAD).all()


def test_span_lengths_too_short():
    from zoo.registry import ZooError

    with pytest.raises(ZooError, match="too short"):
        O.span_lengths(2)


def test_epoch_indices_cover_each_epoch_once():
    idx = np.concatenate([O.epoch_indices(10, 0, s, 5) for s in range(4)])
    assert sorted(idx[:10].tolist()) == list(range(10)) and sorted(idx[10:].tolist()) == list(range(10))
    np.testing.assert_array_equal(O.epoch_indices(10, 0, 3, 5), idx[15:])


def test_nsp_pair_texts_are_the_pretraining_pairs():
    """The NSP baseline reads the same pairs, unmasked, that mlm_nsp_batch draws from one rng."""
    lines = _works()
    texts, labels = O.nsp_pair_texts(TOK, lines, 32, 48, np.random.default_rng(9))
    b = O.mlm_nsp_batch(lines, 32, 48, np.random.default_rng(9), TOK)
    assert labels == b["nsp_labels"].tolist()
    for (a, bb), label in zip(texts, labels):
        wa, ia = re.search(r"(\d) line (\d{3})\n$", a).groups()
        wb, ib = re.match(r"w(\d) line (\d{3})\n", bb).groups()
        assert (wb == wa and int(ib) == int(ia) + 1) == bool(label), (a, bb)


def test_pair_feature_nsp_finds_a_seam_signal():
    """The surface baseline learns a planted cue (A ends a clause exactly when B follows)."""
    from zoo.baselines import PairFeatureNsp

    rng = np.random.default_rng(0)
    words = ["sea", "king", "love", "night", "sword", "crown"]
    pairs, labels = [], []
    for _ in range(400):
        y = int(rng.random() < 0.5)
        a = " ".join(rng.choice(words, 4)) + ("," if y else ".")
        pairs.append((a, " ".join(rng.choice(words, 4))))
        labels.append(y)
    clf = PairFeatureNsp().fit(pairs[:300], labels[:300])
    assert np.mean(np.array(clf.predict(pairs[300:])) == labels[300:]) > 0.95
