"""Tokenizers: byte round trips and specials; WordPiece/SentencePiece trained and saved."""
import numpy as np
import pytest

from zoo.data.tokenizers import ZooByteTokenizer, build_tokenizer, decode, encode
from zoo.registry import ZooError

TEXTS = ["To be, or not to be: that is the question.", "Ophelia — nymph, in thy orisons", "é ü 漢字", ""]


@pytest.mark.parametrize("text", TEXTS)
def test_byte_round_trip(text):
    tok = ZooByteTokenizer()
    ids = encode(tok, text)
    assert len(ids) == len(text.encode("utf-8"))
    assert decode(tok, ids) == text


def test_byte_specials_are_dropped_and_distinct():
    tok = ZooByteTokenizer()
    assert tok.vocabulary_size() == 288
    assert tok.start_token_id == tok.end_token_id == 256
    assert tok.pad_token_id == 257 and tok.mask_token_id == 258
    assert tok.sentinel_id(0) == 262
    assert decode(tok, [256, 72, 105, 257, 258]) == "Hi"


def test_wordpiece_trained_round_trip():
    lines = ["to be or not to be that is the question"] * 20 + ["whether tis nobler in the mind"] * 20
    tok = build_tokenizer("wordpiece", lines, 60)
    ids = np.asarray(tok.tokenize("to be or not")).tolist()
    assert tok.detokenize(ids) in ("to be or not", b"to be or not")
    assert tok.end_token_id is not None and tok.pad_token_id is not None


def test_sentencepiece_trained_round_trip():
    lines = ["to be or not to be that is the question", "whether tis nobler in the mind to suffer"] * 30
    tok = build_tokenizer("sentencepiece", lines, 30)
    ids = tok.tokenize("to be or not")
    out = tok.detokenize(ids)
    assert (out.decode() if isinstance(out, bytes) else str(out.numpy().decode() if hasattr(out, "numpy") else out)) == "to be or not"


def test_unknown_tokenizer():
    with pytest.raises(ZooError, match="Did you mean 'wordpiece'"):
        build_tokenizer("wordpeice", ["a"], 10)
