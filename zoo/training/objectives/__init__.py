"""Training objectives, one file each, run by the one trainer (`zoo.training.trainer`).

    clm              causal LM on packed token windows          (gpt-*, llama-*)
    mlm_nsp          masked LM + next-sentence prediction       (bert-*)
    span_corruption  T5 span corruption                         (t5-*)
    denoising        BART text infilling + sentence permutation (bart-*)
    classification   a classifier head, fine-tuned              (*-genre)
    seq2seq          teacher-forced encoder-decoder fine-tuning (t5-nano-folio)

Example:
>>> from zoo.training.objectives import OBJECTIVES
>>> sorted(OBJECTIVES)
['classification', 'clm', 'denoising', 'mlm_nsp', 'seq2seq', 'span_corruption']
"""
from zoo.training.objectives.classify import Classification
from zoo.training.objectives.clm import CausalLM
from zoo.training.objectives.denoise import Denoising
from zoo.training.objectives.mlm_nsp import MlmNsp
from zoo.training.objectives.seq2seq import Seq2Seq
from zoo.training.objectives.span import SpanCorruption

OBJECTIVES = {o.name: o for o in (CausalLM, MlmNsp, SpanCorruption, Denoising, Classification, Seq2Seq)}


def make_objective(recipe, spec, tokenizer):
    """The objective of a resolved recipe (`data.objective`).

    Args:
        recipe: the resolved recipe.
        spec: the model's registry spec.
        tokenizer: the run's tokenizer.

    Returns:
        An `Objective`; call its `build()` inside the strategy scope.
    """
    return OBJECTIVES[recipe["data"]["objective"]](recipe, spec, tokenizer)
