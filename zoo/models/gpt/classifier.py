"""GPT-2's text classifier: the decoder classifier of `zoo.models.tasks` on a GPT2Backbone.

>>> from zoo.hub import build
>>> build("gpt-nano-genre").predict(["To be, or not to be"], verbose=0).shape
(1, 3)
"""
import keras
import keras_hub

from zoo.models.tasks import DecoderTextClassifier, ZooTextClassifierPreprocessor


@keras.saving.register_keras_serializable(package="zoo")
class ZooGPT2TextClassifier(DecoderTextClassifier):
    """GPT2Backbone + pooling (last token or mean) + dropout + Dense(num_classes)."""

    backbone_cls = keras_hub.models.GPT2Backbone
    preprocessor_cls = ZooTextClassifierPreprocessor
