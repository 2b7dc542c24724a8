"""The BART family's record: what zoo asks of it outside this folder. It packs its
sequence-to-sequence batches as keras-hub's BART does and decodes through keras-hub's own
`generate` (`seq2seq.py`); it has no classifier.

>>> from zoo.registry import get_family
>>> get_family("bart").class_name_parts
('Bart',)
"""
from zoo.registry import Family, register_family


def _packing():
    from zoo.models.bart.seq2seq import pack

    return pack


def _generator():
    from zoo.models.bart.seq2seq import BartGenerator

    return BartGenerator


FAMILY = register_family(Family(name="bart", class_name_parts=("Bart",), seq2seq_packing=_packing,
                                seq2seq_generator=_generator))
