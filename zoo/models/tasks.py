"""The classifier pieces the families share (registered with Keras, so presets that use them
load through keras-hub's `from_preset`); each family's own classifier class lives in its
folder (`zoo/models/<family>/classifier.py`) and its record names it.

* `ZooTextClassifierPreprocessor`: strings -> packed ids for a classifier; `style="bert"`
  packs `<cls> text <sep>` with segment ids, `style="decoder"` packs
  `<|endoftext|> text <|endoftext|>` without them.
* `DecoderTextClassifier`: a decoder backbone with a linear classifier head on a pooled hidden
  state, chosen per model (`POOLINGS`): the last non-padding token (under causal attention the
  only position that has read the whole text) or the masked mean over tokens; GPT-2 and Llama
  subclass it.
* `init_pooled_classifier`: backbone -> pool -> dropout -> Dense, with keras-hub's layer names.
* `build_classifier`: the `<base>-genre` classifier of a spec, the class from its family's record.

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



@keras.saving.register_keras_serializable(package="zoo")
class ZooTextClassifierPreprocessor(keras_hub.models.TextClassifierPreprocessor):
    """Strings (or pairs) -> packed classifier inputs, for BERT-style or decoder backbones.

    Args:
        tokenizer: the keras-hub tokenizer.
        sequence_length: length of the packed sequences.
        truncate: how segments are cut to fit, as keras-hub's `MultiSegmentPacker`
            ("round_robin" or "waterfall").
        style: "bert" (`<cls> text <sep>`, with segment ids) or "decoder"
            (`<|endoftext|> text <|endoftext|>`, token_ids and padding_mask only).
        **kwargs: passed to `keras_hub.models.TextClassifierPreprocessor`.
    """

    def __init__(self, tokenizer, sequence_length=128, truncate="round_robin", style="bert", **kwargs):
        if style not in ("bert", "decoder"):
            raise ValueError(f"style must be 'bert' or 'decoder', got {style!r}")
        self.style = style
        super().__init__(tokenizer=tokenizer, sequence_length=sequence_length, truncate=truncate,
                         **kwargs)

    def build(self, input_shape):
        """Overrides `TextClassifierPreprocessor.build`: the packer frames with `style`'s boundary ids.

        Args:
            input_shape: the input shape Keras passes to `build` (forwarded to the parent).
        """
        super().build(input_shape)
        tok = self.tokenizer
        start, end = boundary_ids(tok, bert=self.style == "bert")
        self.packer = keras_hub.layers.MultiSegmentPacker(start_value=start, end_value=end,
                                          pad_value=tok.pad_token_id, truncate=self.truncate,
                                          sequence_length=self.sequence_length)

    def call(self, x, y=None, sample_weight=None):
        """Overrides `TextClassifierPreprocessor.call`; the decoder style drops `segment_ids`.

        Args:
            x: strings, or a tuple of string tensors for segment pairs.
            y: labels (optional), passed through.
            sample_weight: sample weights (optional), passed through.

        Returns:
            `x` packed as a dict (token_ids, padding_mask and, for style "bert",
            segment_ids), with `y` and `sample_weight` as `keras.utils.pack_x_y_sample_weight`.
        """
        out = super().call(x, y, sample_weight)
        if self.style == "bert":
            return out
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(out)
        x = {"token_ids": x["token_ids"], "padding_mask": x["padding_mask"]}
        return keras.utils.pack_x_y_sample_weight(x, y, sample_weight)

    def get_config(self):
        """Overrides `TextClassifierPreprocessor.get_config`, adding `style`."""
        return {**super().get_config(), "style": self.style}


def last_token(outputs, padding_mask):
    """Hidden state of the last non-padding token (a decoder backbone's [B, T, D] output).

    Args:
        outputs: the backbone's [B, T, D] output.
        padding_mask: [B, T], 1 for real tokens.
    """
    mask = ops.cast(padding_mask, "int32")
    last = ops.maximum(ops.sum(mask, axis=1) - 1, 0)
    pooled = ops.take_along_axis(outputs, ops.expand_dims(ops.expand_dims(last, -1), -1), axis=1)
    return ops.squeeze(pooled, axis=1)


def masked_mean(outputs, padding_mask):
    """Mean of the hidden states over the non-padding tokens.

    Args:
        outputs: a backbone's [B, T, D] output, or a dict with `sequence_output` (BERT's).
        padding_mask: [B, T], 1 for real tokens.
    """
    hidden = outputs["sequence_output"] if isinstance(outputs, dict) else outputs
    mask = ops.expand_dims(ops.cast(padding_mask, hidden.dtype), -1)
    return ops.sum(hidden * mask, axis=1) / ops.maximum(ops.sum(mask, axis=1), 1.0)


# A decoder classifier's pooling, by name (chosen per model on the validation plays: see
# zoo.models.finetuned).
POOLINGS = {"last": last_token, "mean": masked_mean}


def init_pooled_classifier(task, backbone, num_classes, preprocessor, activation, dropout, pool,
                            **kwargs):
    """Build `task` as backbone -> pool(outputs, padding_mask) -> dropout -> Dense(num_classes),
    with keras-hub's classifier layer names and config attributes (what every family's
    classifier shares; they differ only in `pool`).

    Args:
        task: the TextClassifier being initialised (its `__init__` calls this).
        backbone: the keras-hub backbone.
        num_classes: number of labels.
        preprocessor: the classifier's preprocessor (or None).
        activation: activation of the logits layer (None: logits).
        dropout: dropout on the pooled vector.
        pool: (backbone outputs, padding_mask) -> [B, D].
        **kwargs: passed to `keras_hub.models.TextClassifier.__init__`.
    """
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


class DecoderTextClassifier(keras_hub.models.TextClassifier):
    """Decoder backbone + pooling + dropout + Dense(num_classes).

    Args:
        backbone: a keras-hub decoder backbone ([B, T, D] output).
        num_classes: number of labels.
        preprocessor: the classifier's preprocessor (or None).
        activation: activation of the logits layer (None: logits).
        dropout: dropout on the pooled vector.
        pooling: "last" (the last non-padding token: the only one that has read the whole
            text) or "mean" (the mean over the non-padding tokens), a key of `POOLINGS`.
    """

    packing = "decoder"  # ZooTextClassifierPreprocessor style: <|endoftext|> text <|endoftext|>

    def __init__(self, backbone, num_classes, preprocessor=None, activation=None, dropout=0.0,
                 pooling="last", **kwargs):
        if pooling not in POOLINGS:
            raise ValueError(f"unknown pooling '{pooling}': use one of {', '.join(POOLINGS)}")
        init_pooled_classifier(self, backbone, num_classes, preprocessor, activation, dropout,
                                POOLINGS[pooling], **kwargs)
        self.pooling = pooling

    def logits_and_sequence(self, inputs, training=False):
        """The class logits and the backbone's [B, T, D] output, from one forward pass (what a
        loss on both needs, e.g. an auxiliary language-modelling loss while fine-tuning).

        Args:
            inputs: dict with token_ids and padding_mask, as the classifier takes.
            training: run in training mode (dropout).

        Example:
        >>> from zoo.hub import build
        >>> clf = build("gpt-nano-genre")
        >>> x = clf.preprocessor(["To be, or not to be"])
        >>> logits, hidden = clf.logits_and_sequence(x)
        >>> clf.lm_logits(hidden).shape[-1] == clf.backbone.vocabulary_size
        True
        """
        hidden = self.backbone(inputs, training=training)
        pooled = POOLINGS[self.pooling](hidden, inputs["padding_mask"])
        return self.output_dense(self.output_dropout(pooled, training=training)), hidden

    def lm_logits(self, hidden):
        """Next-token logits of the backbone's output through its (reversible) token embedding,
        as the base model's CausalLM computes them.

        Args:
            hidden: the backbone's [B, T, D] output.
        """
        return self.backbone.token_embedding(hidden, reverse=True)

    def get_config(self):
        """Overrides `TextClassifier.get_config`, adding num_classes, activation, dropout, pooling."""
        config = super().get_config()
        config.update({"num_classes": self.num_classes,
                       "activation": keras.activations.serialize(self.activation),
                       "dropout": self.dropout, "pooling": self.pooling})
        return config


def build_classifier(spec, tokenizer, sequence_length=None):
    """A fine-tunable classifier for a `text_classifier` spec (config has `num_classes`).

    Args:
        spec: a registered `<base>-genre`-style spec (`base` names the pretrained model).
        tokenizer: the tokenizer the classifier's preprocessor packs with.
        sequence_length: the preprocessor's length (default the spec's maximum).

    Returns:
        The family's classifier task (e.g. `ZooGPT2TextClassifier`) over a freshly built
        backbone of the base model, with a `ZooTextClassifierPreprocessor`.
    """
    from zoo.registry import get_spec

    base = get_spec(spec.base)
    backbone = base.build(base, tokenizer, sequence_length).backbone
    n = spec.config["num_classes"]
    length = sequence_length or spec.max_sequence_length
    from zoo.registry import get_family

    task = get_family(base.family).classifier()  # the family's record names its classifier
    pre = ZooTextClassifierPreprocessor(tokenizer=tokenizer, sequence_length=length, style=task.packing)
    pooling = spec.config.get("classifier_pooling")  # decoders only; BERT's class pools by mean
    return task(backbone=backbone, num_classes=n, preprocessor=pre,
                dropout=spec.config.get("classifier_dropout", 0.1), **({"pooling": pooling} if pooling else {}))
