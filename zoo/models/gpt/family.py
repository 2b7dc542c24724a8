"""The GPT family's record: what zoo asks of it outside this folder.

>>> from zoo.registry import get_family
>>> get_family("gpt").decode_adapter().__name__
'GPT2DecodeAdapter'
"""
from zoo.registry import Family, register_family


def _classifier():
    from zoo.models.gpt.classifier import ZooGPT2TextClassifier

    return ZooGPT2TextClassifier


def _decode_adapter():
    from zoo.models.gpt.decode import GPT2DecodeAdapter

    return GPT2DecodeAdapter


FAMILY = register_family(Family(name="gpt", class_name_parts=("GPT2",), classifier=_classifier,
                                decode_adapter=_decode_adapter, keras_modules=("zoo.models.gpt.classifier",)))
