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
        """Overrides `ByteTokenizer.vocabulary_size`: 256 bytes + special and sentinel tokens."""
        return BYTE_VOCAB + len(self._specials)

    def get_vocabulary(self):
        """Overrides `ByteTokenizer.get_vocabulary`: one character per byte, then the special tokens."""
        return [chr(i) for i in range(BYTE_VOCAB)] + list(self._specials)

    def id_to_token(self, id):
        """Overrides `ByteTokenizer.id_to_token`, special and sentinel ids included.

        Args:
            id: a token id in [0, vocabulary_size()).

        Returns:
            The byte as a one-character string (`chr(id)`) or the special token's string.
        """
        if 0 <= id < BYTE_VOCAB:
            return chr(id)
        if BYTE_VOCAB <= id < self.vocabulary_size():
            return self._specials[id - BYTE_VOCAB]
        raise ValueError(f"token id {id} is outside [0, {self.vocabulary_size()})")

    def token_to_id(self, token):
        """Overrides `ByteTokenizer.token_to_id`, special and sentinel tokens included.

        Args:
            token: a one-character string with code point < 256, or a special token
                such as "<pad>" or "<extra_id_0>".

        Returns:
            The token's id.
        """
        if token in self._special_index:
            return self._special_index[token]
        if len(token) == 1 and ord(token) < BYTE_VOCAB:
            return ord(token)
        raise ValueError(f"token {token!r} is not a byte or a special token")

    # The byte vocabulary is fixed: there are no assets to save or load.
    def save_assets(self, dir_path):
        """Overrides `Tokenizer.save_assets`: nothing to save.

        Args:
            dir_path: the preset's assets directory (unused).
        """
        pass

    def load_preset_assets(self, preset):
        """Overrides `Tokenizer.load_preset_assets`: nothing to load.

        Args:
            preset: the preset being loaded (unused).
        """
        pass

    def sentinel_id(self, i):
        """The id of the T5 span-corruption sentinel `<extra_id_{i}>`.

        Args:
            i: the sentinel's index, in [0, NUM_SENTINELS).
        """
        return self._special_index[f"<extra_id_{i}>"]

    def detokenize(self, inputs):
        """Overrides `ByteTokenizer.detokenize`: special and sentinel ids are dropped.

        Args:
            inputs: token ids, a 1-D tensor / list or a batch (dense or ragged).

        Returns:
            A string tensor: a scalar for 1-D input, one string per row for a batch.
        """
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
    """Train a WordPiece vocabulary with keras-hub's trainer (tf-text under the hood).

    Args:
        text_lines: the training text, an iterable of strings.
        vocabulary_size: the vocabulary's size, reserved tokens included.
        lowercase: lowercase the text before splitting.

    Returns:
        A `ZooWordPieceTokenizer` with the trained vocabulary.
    """
    ds = tf.data.Dataset.from_tensor_slices(list(text_lines))
    vocab = keras_hub.tokenizers.compute_word_piece_vocabulary(
        ds,
        vocabulary_size=vocabulary_size,
        lowercase=lowercase,
        reserved_tokens=WORDPIECE_RESERVED,
    )
    return ZooWordPieceTokenizer(vocabulary=vocab, lowercase=lowercase)


def train_sentencepiece(text_lines, vocabulary_size, model_type="unigram"):
    """Train a SentencePiece model with keras-hub's trainer (the `sentencepiece` package).

    Args:
        text_lines: the training text, an iterable of strings.
        vocabulary_size: the vocabulary's size.
        model_type: the SentencePiece model type ("unigram", "bpe", "char" or "word").

    Returns:
        A `ZooSentencePieceTokenizer` with the trained model proto.
    """
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

    Args:
        kind: "byte", "wordpiece" or "sentencepiece".
        corpus_lines: the training text lines; required to train (ignored for "byte").
        vocabulary_size: the trained vocabulary's size; required to train (ignored for "byte").

    >>> build_tokenizer("byte").vocabulary_size()
    288
    """
    from zoo.errors import lookup

    factory = lookup(TOKENIZERS, kind, "tokenizer")
    if kind != "byte" and not (corpus_lines and vocabulary_size):
        raise ValueError(
            f"the {kind} tokenizer is trained on the corpus: set data.vocabulary_size"
        )
    return factory(corpus_lines, vocabulary_size)


def _numpy(x):
    return x.numpy() if hasattr(x, "numpy") else np.asarray(x)


def encode(tokenizer, text):
    """Token ids of one string as a Python list (whichever workflow keras-hub picks).

    Args:
        tokenizer: a keras-hub tokenizer.
        text: the string to tokenize.

    Returns:
        A list of int token ids (no start or end token added).
    """
    return [int(t) for t in _numpy(tokenizer.tokenize(text)).tolist()]


def decode(tokenizer, ids):
    """Text of a list of token ids (special tokens dropped by our tokenizers).

    Args:
        tokenizer: a keras-hub tokenizer.
        ids: a sequence of token ids.

    Returns:
        The decoded string ("" for no ids; invalid UTF-8 becomes U+FFFD).
    """
    if not len(ids):
        return ""
    out = _numpy(tokenizer.detokenize(tf.constant([int(i) for i in ids], tf.int32)))
    out = out.item() if hasattr(out, "item") else out
    return out.decode("utf-8", "replace") if isinstance(out, bytes) else str(out)


# ------------------------------------------------------------------ portable presets
#
# A preset that names ZooByteTokenizer loads only where zoo is imported. keras-hub's own
# byte-level BPE tokenizers give the same ids when the vocabulary maps each byte (in
# GPT-2's byte-to-unicode alphabet) to its value and there are no merges: BPE then
# leaves every byte a token of its own. OPTTokenizer has our special-token layout
# (start = end = id 256, a separate pad = id 257), so presets save the byte tokenizer
# as an OPTTokenizer and `keras_hub.models.CausalLM.from_preset(dir)` (or Seq2SeqLM) loads
# them without zoo; zoo swaps its own tokenizer back in when it loads one (hub.load_preset).
# What a plain keras-hub user sees differently: id 256 is spelled "</s>", and a text that
# literally contains "</s>" or "<pad>" maps them to those single ids (zoo: to their bytes).

PORTABLE_NAME = "zoo_byte_tokenizer"  # the marker zoo looks for when it loads a preset
PORTABLE_REGISTERED_NAME = "keras_hub>OPTTokenizer"
BYTE_TOKENIZER_REGISTERED_NAME = "zoo>ZooByteTokenizer"
_PORTABLE_SPELLING = {"<|endoftext|>": "</s>"}
# keras-hub's BPE tables cannot be empty; a merges file's version header is not a rule.
NO_MERGES = ["#version: 0.2"]


def byte_to_unicode():
    """GPT-2's printable alphabet for bytes: {byte value: one character}."""
    printable = (list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
                 + list(range(ord("®"), ord("ÿ") + 1)))
    table, extra = {}, 0
    for b in range(BYTE_VOCAB):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(BYTE_VOCAB + extra)
            extra += 1
    return table


def portable_vocabulary():
    """ZooByteTokenizer's ids as a byte-level BPE vocabulary {token: id}."""
    vocab = {char: b for b, char in byte_to_unicode().items()}
    specials = ZooByteTokenizer().get_vocabulary()[BYTE_VOCAB:]
    for i, token in enumerate(specials):
        vocab[_PORTABLE_SPELLING.get(token, token)] = BYTE_VOCAB + i
    return vocab


def portable_byte_tokenizer():
    """keras-hub's OPTTokenizer with ZooByteTokenizer's ids (see the note above).

    >>> tok = portable_byte_tokenizer()
    >>> tok.tokenize("To be").tolist(), tok.start_token_id, tok.pad_token_id
    ([84, 111, 32, 98, 101], 256, 257)
    """
    return keras_hub.models.OPTTokenizer(vocabulary=portable_vocabulary(), merges=list(NO_MERGES),
                                         name=PORTABLE_NAME)


def is_portable_byte_tokenizer(config):
    """True for the serialized portable form of the byte tokenizer.

    Args:
        config: a serialized Keras object (dict) from a preset's JSON.
    """
    return (isinstance(config, dict) and config.get("registered_name") == PORTABLE_REGISTERED_NAME
            and (config.get("config") or {}).get("name") == PORTABLE_NAME)


def _replace_tokenizers(obj, want, make):
    """A copy of a serialized config with every tokenizer dict `want(d)` replaced by make(d)."""
    if isinstance(obj, dict):
        if want(obj):
            return make(obj)
        return {k: _replace_tokenizers(v, want, make) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_replace_tokenizers(v, want, make) for v in obj]
    return obj


def _with_config_file(serialized, original):
    config_file = (original.get("config") or {}).get("config_file")
    if config_file:
        serialized = dict(serialized, config=dict(serialized["config"], config_file=config_file))
    return serialized


def to_portable(config):
    """A serialized config with ZooByteTokenizer replaced by its portable (keras-hub) form.

    Args:
        config: a serialized Keras object (task.json, preprocessor.json or tokenizer.json).
    """
    portable = keras.saving.serialize_keras_object(portable_byte_tokenizer())
    # keras-hub lists a tokenizer's special tokens from a set, in an order that changes from
    # process to process; sorted, a preset's files come out byte for byte the same (the
    # benchmark harness keys its cached results on them).
    tokens = portable["config"].get("unsplittable_tokens")
    if tokens:
        portable = dict(portable, config=dict(portable["config"], unsplittable_tokens=sorted(tokens)))
    return _replace_tokenizers(config, lambda d: d.get("registered_name") == BYTE_TOKENIZER_REGISTERED_NAME,
                               lambda d: _with_config_file(portable, d))


def from_portable(config):
    """A serialized config with the portable byte tokenizer replaced by ZooByteTokenizer.

    Args:
        config: a serialized Keras object from a preset written by zoo.
    """
    ours = keras.saving.serialize_keras_object(ZooByteTokenizer())
    return _replace_tokenizers(config, is_portable_byte_tokenizer, lambda d: _with_config_file(ours, d))
