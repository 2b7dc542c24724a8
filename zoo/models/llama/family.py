"""The Llama family's record: what zoo asks of it outside this folder.

>>> from zoo.registry import get_family
>>> get_family("llama").decode_adapter().__name__
'LlamaDecodeAdapter'
"""
from zoo.registry import Family, register_family


def _classifier():
    from zoo.models.llama.classifier import ZooLlamaTextClassifier

    return ZooLlamaTextClassifier


def _decode_adapter():
    from zoo.models.llama.decode import LlamaDecodeAdapter

    return LlamaDecodeAdapter


FAMILY = register_family(Family(name="llama", class_name_parts=("Llama",), classifier=_classifier,
                                decode_adapter=_decode_adapter, keras_modules=("zoo.models.llama.classifier",)))
