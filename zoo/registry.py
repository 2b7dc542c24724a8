"""The model registry: every model is a named `ModelSpec`, filled by small entries.

Families register their sizes in `zoo/models/<family>/sizes.py`; adding a size is one
entry there.

Example:
>>> import zoo
>>> [s.name for s in zoo.list_models("llama")]
['llama-nano', 'llama-micro', 'llama-small', 'llama-nano-genre']
"""
import dataclasses
from typing import Callable, Optional

# Re-exported for callers that took them from here before zoo.errors existed.
from zoo.errors import ZooError, did_you_mean, lookup  # noqa: F401


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
FAMILIES = ("gpt", "llama", "bert", "t5")
# Functions that register specs the first time a spec is asked for. The registry never
# imports the families (they import it, to register): zoo.models adds the function that
# imports them, and `import zoo` imports zoo.models, so it is in place before any lookup.
_LOADERS: list = []


def register(spec):
    if spec.name in MODELS:
        raise ValueError(f"model '{spec.name}' is registered twice")
    MODELS[spec.name] = spec
    return spec


def add_loader(load):
    """Call `load()` before every lookup, so that it can register specs on first use.

    Args:
        load: a function of no arguments that registers specs; it runs before each
            `get_spec` / `list_models`, so it must be cheap once it has run.

    Example:
    >>> from zoo.registry import MODELS, add_loader
    >>> add_loader(lambda: None)          # zoo.models adds its load_families this way
    """
    _LOADERS.append(load)


def _load():
    for load in _LOADERS:
        load()


def get_spec(name):
    _load()
    return lookup(MODELS, name, "model")


def list_models(family=None):
    _load()
    if family is not None:
        lookup({f: f for f in FAMILIES}, family, "family")
    return [s for s in MODELS.values() if family is None or s.family == family]
