"""The T5 family's record: what zoo asks of it outside this folder. It has no classifier;
its batches are packed by `packing.py` and its decoding runs on zoo's compiled
`zoo.generation.seq2seq.Seq2SeqEngine` (not the decoder-only engine).

>>> from zoo.registry import get_family
>>> get_family("t5").class_name_parts
('T5',)
"""
from zoo.registry import Family, register_family

def _packing():
    from zoo.models.t5.packing import pack

    return pack


# seq2seq_generator None: zoo's compiled Seq2SeqEngine (zoo.generation.seq2seq) runs T5.
FAMILY = register_family(Family(name="t5", class_name_parts=("T5",), keras_modules=("zoo.models.t5.backbone",),
                                seq2seq_packing=_packing))
