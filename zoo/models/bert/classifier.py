"""BERT's text classifier: a linear head on the masked mean of the backbone's outputs.

keras-hub's `BertTextClassifier` reads the `<cls>` pooler, which pretraining trains only
through NSP; on our byte-level CPU BERTs that route did not learn genre.

>>> from zoo.hub import build
>>> build("bert-nano-genre").predict(["To be, or not to be"], verbose=0).shape
(1, 3)
"""
import keras
import keras_hub

from zoo.models.tasks import ZooTextClassifierPreprocessor, init_pooled_classifier, masked_mean


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
    packing = "bert"  # ZooTextClassifierPreprocessor style: <cls> text <sep>, segment ids

    def __init__(self, backbone, num_classes, preprocessor=None, activation=None, dropout=0.1,
                 **kwargs):
        # BertTextClassifier.__init__ builds the <cls> graph: skip it, build this one
        # (BertTextClassifier.get_config serialises the same num_classes/activation/dropout).
        init_pooled_classifier(self, backbone, num_classes, preprocessor, activation, dropout,
                                masked_mean, **kwargs)
