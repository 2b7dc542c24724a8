"""keras-hub task pieces the encoder and classifier families share (registered with Keras,
so presets that use them load through keras-hub's `from_preset`).

* `ZooBertMaskedLMPreprocessor`: keras-hub's BERT masked-LM preprocessor, packing
  `<cls> A <sep> [B <sep>]` with the tokenizer's own cls/sep tokens (keras-hub packs
  with start/end tokens, which for our byte tokenizer are both `<|endoftext|>`).
* `ZooTextClassifierPreprocessor`: strings -> packed ids for a classifier; `style="bert"`
  packs `<cls> text <sep>` with segment ids, `style="decoder"` packs
  `<|endoftext|> text <|endoftext|>` without them (decoders read the last real token).
* `ZooGPT2TextClassifier` / `ZooLlamaTextClassifier`: a decoder backbone with a linear
  classifier head on the hidden state of the last non-padding token (causal attention:
  the only position that has seen the whole text).
* `ZooBertMeanPoolClassifier`: a BERT backbone with a linear head on the masked mean of its
  outputs (keras-hub's `BertTextClassifier` reads the `<cls>` pooler, which pretraining
  trains only through NSP; on our byte-level CPU BERTs that route did not learn genre).

>>> from zoo.hub import build
>>> clf = build("gpt-nano-genre")
>>> clf.predict(["To be, or not to be"]).shape
(1, 3)
"""
import keras
import keras_hub
from keras import ops

from zoo.data import tokenizers as _tokenizers  # noqa: F401  (registers the tokenizers)
from zoo.data.objectives import boundary_ids

_MultiSegmentPacker = keras_hub.layers.MultiSegmentPacker


@keras.saving.register_keras_serializable(package="zoo")
class ZooBertMaskedLMPreprocessor(keras_hub.models.BertMaskedLMPreprocessor):
    """BertMaskedLMPreprocessor packing with the tokenizer's <cls>/<sep> tokens."""

    def build(self, input_shape):
        super().build(input_shape)
        cls, sep = boundary_ids(self.tokenizer)
        self.packer = _MultiSegmentPacker(
            start_value=cls, end_value=sep, pad_value=self.tokenizer.pad_token_id,
            truncate=self.truncate, sequence_length=self.sequence_length)


@keras.saving.register_keras_serializable(package="zoo")
class ZooTextClassifierPreprocessor(keras_hub.models.TextClassifierPreprocessor):
    """Strings (or pairs) -> packed classifier inputs, for BERT-style or decoder backbones."""

    def __init__(self, tokenizer, sequence_length=128, truncate="round_robin", style="bert", **kwargs):
        if style not in ("bert", "decoder"):
            raise ValueError(f"style must be 'bert' or 'decoder', got {style!r}")
        self.style = style
        super().__init__(tokenizer=tokenizer, sequence_length=sequence_length, truncate=truncate,
                         **kwargs)

    def build(self, input_shape):
        super().build(input_shape)
        tok = self.tokenizer
        start, end = boundary_ids(tok, bert=self.style == "bert")
        self.packer = _MultiSegmentPacker(start_value=start, end_value=end,
                                          pad_value=tok.pad_token_id, truncate=self.truncate,
                                          sequence_length=self.sequence_length)

    def call(self, x, y=None, sample_weight=None):
        out = super().call(x, y, sample_weight)
        if self.style == "bert":
            return out
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(out)
        x = {"token_ids": x["token_ids"], "padding_mask": x["padding_mask"]}
        return keras.utils.pack_x_y_sample_weight(x, y, sample_weight)

    def get_config(self):
        return {**super().get_config(), "style": self.style}


def _last_token(outputs, padding_mask):
    """Hidden state of the last non-padding token (a decoder backbone's [B, T, D] output)."""
    mask = ops.cast(padding_mask, "int32")
    last = ops.maximum(ops.sum(mask, axis=1) - 1, 0)
    pooled = ops.take_along_axis(outputs, ops.expand_dims(ops.expand_dims(last, -1), -1), axis=1)
    return ops.squeeze(pooled, axis=1)


def _masked_mean(outputs, padding_mask):
    """Mean of a BERT backbone's `sequence_output` over the non-padding tokens."""
    hidden = outputs["sequence_output"]
    mask = ops.expand_dims(ops.cast(padding_mask, hidden.dtype), -1)
    return ops.sum(hidden * mask, axis=1) / ops.maximum(ops.sum(mask, axis=1), 1.0)


def _init_pooled_classifier(task, backbone, num_classes, preprocessor, activation, dropout, pool,
                            **kwargs):
    """Build `task` as backbone -> pool(outputs, padding_mask) -> dropout -> Dense(num_classes),
    with keras-hub's classifier layer names and config attributes (what both our classifier
    tasks share; they differ only in `pool`)."""
    # === Layers ===
    task.backbone = backbone
    task.preprocessor = preprocessor
    task.output_dropout = keras.layers.Dropout(dropout, dtype=backbone.dtype_policy,
                                               name="classifier_dropout")
    task.output_dense = keras.layers.Dense(num_classes, activation=activation,
                                           kernel_initializer=keras.initializers.TruncatedNormal(stddev=0.02),
                                           dtype=backbone.dtype_policy, name="logits")
    # === Functional Model ===
    inputs = backbone.input
    pooled = pool(backbone(inputs), inputs["padding_mask"])
    outputs = task.output_dense(task.output_dropout(pooled))
    keras_hub.models.TextClassifier.__init__(task, inputs=inputs, outputs=outputs, **kwargs)
    # === Config ===
    task.num_classes = num_classes
    task.activation = keras.activations.get(activation)
    task.dropout = dropout


class _DecoderTextClassifier(keras_hub.models.TextClassifier):
    """Decoder backbone + dropout + Dense(num_classes) on the last non-padding token."""

    def __init__(self, backbone, num_classes, preprocessor=None, activation=None, dropout=0.0,
                 **kwargs):
        _init_pooled_classifier(self, backbone, num_classes, preprocessor, activation, dropout,
                                _last_token, **kwargs)

    def get_config(self):
        config = super().get_config()
        config.update({"num_classes": self.num_classes,
                       "activation": keras.activations.serialize(self.activation),
                       "dropout": self.dropout})
        return config


@keras.saving.register_keras_serializable(package="zoo")
class ZooGPT2TextClassifier(_DecoderTextClassifier):
    backbone_cls = keras_hub.models.GPT2Backbone
    preprocessor_cls = ZooTextClassifierPreprocessor


@keras.saving.register_keras_serializable(package="zoo")
class ZooLlamaTextClassifier(_DecoderTextClassifier):
    backbone_cls = keras_hub.models.LlamaBackbone
    preprocessor_cls = ZooTextClassifierPreprocessor


@keras.saving.register_keras_serializable(package="zoo")
class ZooBertMeanPoolClassifier(keras_hub.models.BertTextClassifier):
    """BertBackbone + masked mean of `sequence_output` + dropout + Dense(num_classes).

    A subclass of keras-hub's `BertTextClassifier` (same config, same layer names, another
    pooling) so that `TextClassifier.from_preset` loads it from `task.json` whichever of the
    two keras-hub's class lookup finds first (it scans a set, so the order varies by process).

    Args:
        backbone: a `keras_hub.models.BertBackbone`.
        num_classes: number of labels.
        preprocessor: a text classifier preprocessor packing `<cls> text <sep>` with
            segment ids (`ZooTextClassifierPreprocessor(style="bert")`).
        activation: activation of the logits layer (None: logits).
        dropout: dropout on the pooled vector.

    >>> from zoo.hub import build
    >>> build("bert-nano-genre").predict(["To be, or not to be"], verbose=0).shape
    (1, 3)
    """

    backbone_cls = keras_hub.models.BertBackbone
    preprocessor_cls = ZooTextClassifierPreprocessor

    def __init__(self, backbone, num_classes, preprocessor=None, activation=None, dropout=0.1,
                 **kwargs):
        # BertTextClassifier.__init__ builds the <cls> graph: skip it, build this one
        # (BertTextClassifier.get_config serialises the same num_classes/activation/dropout).
        _init_pooled_classifier(self, backbone, num_classes, preprocessor, activation, dropout,
                                _masked_mean, **kwargs)


# The classifier task of each family a `<base>-genre` model can be built on.
CLASSIFIERS = {"bert": ZooBertMeanPoolClassifier, "gpt": ZooGPT2TextClassifier, "llama": ZooLlamaTextClassifier}


def build_classifier(spec, tokenizer, sequence_length=None):
    """A fine-tunable classifier for a `text_classifier` spec (config has `num_classes`)."""
    from zoo.registry import get_spec

    base = get_spec(spec.base)
    backbone = base.build(base, tokenizer, sequence_length).backbone
    n = spec.config["num_classes"]
    length = sequence_length or spec.max_sequence_length
    task = CLASSIFIERS[base.family]
    style = "bert" if task is ZooBertMeanPoolClassifier else "decoder"
    pre = ZooTextClassifierPreprocessor(tokenizer=tokenizer, sequence_length=length, style=style)
    return task(backbone=backbone, num_classes=n, preprocessor=pre,
                dropout=spec.config.get("classifier_dropout", 0.1))
