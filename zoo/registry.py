"""The model registry: every model is a named `ModelSpec`, filled by small entries.

Families register their sizes in `zoo/models/<family>/sizes.py`; adding a size is one
entry there.

Example:
>>> import zoo
>>> [s.name for s in zoo.list_models("llama")]
['llama-nano', 'llama-micro', 'llama-small', 'llama-nano-genre']
"""
import dataclasses
import difflib
from typing import Callable, Optional


class ZooError(ValueError):
    """A user mistake: the message is one line saying what was wrong and how to fix it."""


def did_you_mean(name, choices):
    close = difflib.get_close_matches(str(name), list(choices), n=1, cutoff=0.5)
    return f" Did you mean '{close[0]}'?" if close else ""


def lookup(table, name, kind):
    """Return `table[name]`, or raise a ZooError with a did-you-mean and the valid names."""
    if name in table:
        return table[name]
    raise ZooError(
        f"unknown {kind} '{name}'.{did_you_mean(name, table)} "
        f"Known {kind}s: {', '.join(sorted(table))}."
    )


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """A named model configuration.

    `config` holds the backbone's architecture arguments (the vocabulary size comes
    from the tokenizer). `build(spec, tokenizer)` returns the keras-hub task model.
    `non_embedding_params(spec)` and `forward_flops_per_token(spec, context)` come from
    the family and are tested against `count_params()` of built models.
    """

    name: str
    family: str
    task: str
    config: dict
    max_sequence_length: int
    build: Callable
    count_params: Callable
    default_recipe: Optional[str] = None
    description: str = ""
    # Forward FLOPs per token, (spec, vocab, context) -> int; None: the decoder formula
    # of zoo.models.common. Encoder / encoder-decoder families give their own.
    flops: Optional[Callable] = None
    # Fine-tuned models: the registered model whose trained backbone they start from.
    base: Optional[str] = None


MODELS: dict = {}
_FINETUNED: list = []  # fine-tuned names register once, after the families they build on
FAMILIES = ("gpt", "llama", "bert", "t5")


def register(spec):
    if spec.name in MODELS:
        raise ValueError(f"model '{spec.name}' is registered twice")
    MODELS[spec.name] = spec
    return spec


def _load_families():
    # Importing a family module registers its sizes.
    from zoo.models import bert, gpt, llama, t5  # noqa: F401
    from zoo.scaling import ladder  # noqa: F401  (the scaling-ladder rungs)
    from zoo.models import finetuned

    if not _FINETUNED:
        _FINETUNED.append(True)
        finetuned.register_all()


def get_spec(name):
    _load_families()
    return lookup(MODELS, name, "model")


def list_models(family=None):
    _load_families()
    if family is not None:
        lookup({f: f for f in FAMILIES}, family, "family")
    return [s for s in MODELS.values() if family is None or s.family == family]
