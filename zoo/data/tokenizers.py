"""Tokenizers: byte-level by default; WordPiece and SentencePiece trained on a corpus.

The byte tokenizer maps UTF-8 bytes to ids 0..255 and appends special tokens, so one
token is one byte and bits per byte is simply the loss in bits. It subclasses
keras-hub's `ByteTokenizer`, so keras-hub preprocessors, `generate` and presets use it
like any of their own tokenizers.

Example:
>>> from zoo.data.tokenizers import ZooByteTokenizer
>>> tok = ZooByteTokenizer()
>>> tok.detokenize(tok.tokenize("To be")).numpy().decode()
'To be'
"""
import keras
import keras_hub
import numpy as np
import tensorflow as tf

from zoo.data.byte_vocab import BYTE_VOCAB, NUM_SENTINELS, SPECIAL_TOKENS


@keras.saving.register_keras_serializable(package="zoo")
class ZooByteTokenizer(keras_hub.tokenizers.ByteTokenizer):
    """UTF-8 bytes (ids 0..255) followed by special and sentinel tokens.

    Ids: 256 `<|endoftext|>` (start and end of text), 257 `<pad>`, 258 `<mask>`,
    259 `<cls>`, 260 `<sep>`, 261 `<unk>`, 262.. `<extra_id_N>` sentinels.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("lowercase", False)
        kwargs.setdefault("errors", "replace")
        self._specials = list(SPECIAL_TOKENS) + [
            f"<extra_id_{i}>" for i in range(NUM_SENTINELS)
        ]
        self._special_index = {t: BYTE_VOCAB + i for i, t in enumerate(self._specials)}
        self._add_special_token("<|endoftext|>", "start_token")
        self._add_special_token("<|endoftext|>", "end_token")
        self._add_special_token("<pad>", "pad_token")
        self._add_special_token("<mask>", "mask_token")
        self._add_special_token("<cls>", "cls_token")
        self._add_special_token("<sep>", "sep_token")
        super().__init__(**kwargs)

    def vocabulary_size(self):
        return BYTE_VOCAB + len(self._specials)

    def get_vocabulary(self):
        return [chr(i) for i in range(BYTE_VOCAB)] + list(self._specials)

    def id_to_token(self, id):
        if 0 <= id < BYTE_VOCAB:
            return chr(id)
        if BYTE_VOCAB <= id < self.vocabulary_size():
            return self._specials[id - BYTE_VOCAB]
        raise ValueError(f"token id {id} is outside [0, {self.vocabulary_size()})")

    def token_to_id(self, token):
        if token in self._special_index:
            return self._special_index[token]
        if len(token) == 1 and ord(token) < BYTE_VOCAB:
            return ord(token)
        raise ValueError(f"token {token!r} is not a byte or a special token")

    # The byte vocabulary is fixed: there are no assets to save or load.
    def save_assets(self, dir_path):
        pass

    def load_preset_assets(self, preset):
        pass

    def sentinel_id(self, i):
        return self._special_index[f"<extra_id_{i}>"]

    def detokenize(self, inputs):
        # Special ids are not bytes: drop them (keras-hub's version would reject
        # them in Python and wrap them modulo 256 in TF).
        ragged = isinstance(inputs, tf.RaggedTensor)
        inputs = tf.convert_to_tensor(inputs) if not ragged else inputs
        keep = tf.less(inputs, BYTE_VOCAB)
        if inputs.shape.rank == 1:
            inputs = tf.boolean_mask(inputs, keep)
        else:
            inputs = tf.ragged.boolean_mask(inputs, keep)
        return self._detokenize_tf(inputs)


@keras.saving.register_keras_serializable(package="zoo")
class ZooWordPieceTokenizer(keras_hub.tokenizers.WordPieceTokenizer):
    """WordPiece with the special tokens keras-hub's LM preprocessors expect."""

    def __init__(self, vocabulary=None, **kwargs):
        self._add_special_token("[CLS]", "start_token")
        self._add_special_token("[SEP]", "end_token")
        self._add_special_token("[PAD]", "pad_token")
        self._add_special_token("[MASK]", "mask_token")
        self._add_special_token("[CLS]", "cls_token")
        self._add_special_token("[SEP]", "sep_token")
        kwargs.setdefault("oov_token", "[UNK]")
        super().__init__(vocabulary=vocabulary, **kwargs)


@keras.saving.register_keras_serializable(package="zoo")
class ZooSentencePieceTokenizer(keras_hub.tokenizers.SentencePieceTokenizer):
    """SentencePiece with <s>/</s>/<pad> (ids 2/3/0 from keras-hub's trainer) as the LM
    preprocessors expect."""

    def __init__(self, proto=None, **kwargs):
        self._add_special_token("<s>", "start_token")
        self._add_special_token("</s>", "end_token")
        self._add_special_token("<pad>", "pad_token")
        self._add_special_token("<s>", "cls_token")
        self._add_special_token("</s>", "sep_token")
        super().__init__(proto=proto, **kwargs)


WORDPIECE_RESERVED = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def train_wordpiece(text_lines, vocabulary_size, lowercase=False):
    """Train a WordPiece vocabulary with keras-hub's trainer (tf-text under the hood)."""
    ds = tf.data.Dataset.from_tensor_slices(list(text_lines))
    vocab = keras_hub.tokenizers.compute_word_piece_vocabulary(
        ds,
        vocabulary_size=vocabulary_size,
        lowercase=lowercase,
        reserved_tokens=WORDPIECE_RESERVED,
    )
    return ZooWordPieceTokenizer(vocabulary=vocab, lowercase=lowercase)


def train_sentencepiece(text_lines, vocabulary_size, model_type="unigram"):
    """Train a SentencePiece model with keras-hub's trainer (the `sentencepiece` package)."""
    ds = tf.data.Dataset.from_tensor_slices(list(text_lines))
    proto = keras_hub.tokenizers.compute_sentence_piece_proto(
        ds,
        vocabulary_size=vocabulary_size,
        model_type=model_type,
    )
    return ZooSentencePieceTokenizer(proto=proto)


TOKENIZERS = {
    "byte": lambda lines, size: ZooByteTokenizer(),
    "wordpiece": train_wordpiece,
    "sentencepiece": train_sentencepiece,
}


def build_tokenizer(kind="byte", corpus_lines=None, vocabulary_size=None):
    """Build a tokenizer by name: 'byte' (default), or train 'wordpiece' / 'sentencepiece'.

    >>> build_tokenizer("byte").vocabulary_size()
    288
    """
    from zoo.registry import lookup

    factory = lookup(TOKENIZERS, kind, "tokenizer")
    if kind != "byte" and not (corpus_lines and vocabulary_size):
        raise ValueError(
            f"the {kind} tokenizer is trained on the corpus: set data.vocabulary_size"
        )
    return factory(corpus_lines, vocabulary_size)


def _numpy(x):
    return x.numpy() if hasattr(x, "numpy") else np.asarray(x)


def encode(tokenizer, text):
    """Token ids of one string as a Python list (whichever workflow keras-hub picks)."""
    return [int(t) for t in _numpy(tokenizer.tokenize(text)).tolist()]


def decode(tokenizer, ids):
    """Text of a list of token ids (special tokens dropped by our tokenizers)."""
    if not len(ids):
        return ""
    out = _numpy(tokenizer.detokenize(tf.constant([int(i) for i in ids], tf.int32)))
    out = out.item() if hasattr(out, "item") else out
    return out.decode("utf-8", "replace") if isinstance(out, bytes) else str(out)
