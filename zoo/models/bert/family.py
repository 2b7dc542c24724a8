"""The BERT family's record: what zoo asks of it outside this folder. Its classifier
reads the masked mean of the backbone's outputs (`classifier.ZooBertMeanPoolClassifier`);
its backbone alone has no MLM head, so it counts its own parameters.

>>> from zoo.registry import get_family
>>> get_family("bert").classifier().__name__
'ZooBertMeanPoolClassifier'
"""
from zoo.registry import Family, register_family


def _backbone_params(config, vocab, max_sequence_length):
    from zoo.models.bert.builder import bert_backbone_params

    return bert_backbone_params(config, vocab, max_sequence_length)


def _classifier():
    from zoo.models.bert.classifier import ZooBertMeanPoolClassifier

    return ZooBertMeanPoolClassifier


FAMILY = register_family(Family(name="bert", class_name_parts=("Bert",), backbone_params=_backbone_params,
                                classifier=_classifier,
                                keras_modules=("zoo.models.bert.classifier", "zoo.models.bert.preprocessor")))
