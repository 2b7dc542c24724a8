"""The model registry: every model is a named `ModelSpec`, every family a `Family` record.

Families register their record in `zoo/models/<family>/family.py` and their sizes in
`zoo/models/<family>/sizes.py`; adding a size is one entry there, adding a family one
folder.

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
    # The suites that score it when no models are named (None: every suite that applies).
    # A long-trained model names only the suites it is for, so that the main job (the
    # generation suite) never waits for its training.
    default_suites: Optional[tuple] = None


@dataclasses.dataclass(frozen=True)
class Family:
    """What the rest of zoo asks of a model family; each family's folder registers one.

    The callables import their family's code on first use, so `zoo list` stays free of
    TensorFlow.

    Args:
        name: the family's name, as in `ModelSpec.family`.
        class_name_parts: parts of keras-hub / zoo class names (backbones and tasks) that
            mark a preset as this family's, e.g. ("GPT2",) for GPT2Backbone, GPT2CausalLM
            and ZooGPT2TextClassifier.
        backbone_params: (config, vocab, max_sequence_length) -> (total, non-embedding)
            parameters of the backbone alone (no LM head); None: the spec's own count
            (decoders: the head is the tied or own embedding).
        classifier: () -> the keras-hub TextClassifier class a `<base>-genre` model of this
            family builds; None: the family has no classifier.
        decode_adapter: () -> the `zoo.generation.engine` adapter class of this family's
            backbone; None: the compiled decode engine does not run it.
        keras_modules: the modules whose import registers the family's own Keras classes
            (backbones, tasks, preprocessors), so its presets load (`zoo.hub.load_preset`).
        seq2seq_packing: encoder-decoder families: () -> pack(tokenizer, inputs, targets,
            encoder_length, target_length) -> model inputs and labels, as the family's
            keras-hub preprocessor packs them.
        seq2seq_generator: () -> a class built as (model, max_encoder_length) with
            `generate_ids(ids, max_new_tokens, ...)`; None: zoo's compiled Seq2SeqEngine.

    Example:
    >>> from zoo.registry import get_family
    >>> get_family("gpt").class_name_parts
    ('GPT2',)
    """

    name: str
    class_name_parts: tuple
    backbone_params: Optional[Callable] = None
    classifier: Optional[Callable] = None
    decode_adapter: Optional[Callable] = None
    keras_modules: tuple = ()
    seq2seq_packing: Optional[Callable] = None
    seq2seq_generator: Optional[Callable] = None


MODELS: dict = {}
FAMILIES: dict = {}
# Functions that register specs the first time a spec is asked for. The registry never
# imports the families (they import it, to register): zoo.models adds the function that
# imports them, and `import zoo` imports zoo.models, so it is in place before any lookup.
_LOADERS: list = []


def register(spec):
    """Add a `ModelSpec` under its name (each family's `sizes.py` calls this).

    Args:
        spec: the `ModelSpec`; its name must not be registered yet.

    Returns:
        The spec.
    """
    if spec.name in MODELS:
        raise ValueError(f"model '{spec.name}' is registered twice")
    MODELS[spec.name] = spec
    return spec


def register_family(family):
    """Add a `Family` record (each family's `family.py` calls this; again is a no-op).

    Args:
        family: the `Family` record.

    Returns:
        The record registered under its name.
    """
    FAMILIES.setdefault(family.name, family)
    return family


def get_family(name):
    """The `Family` record of a family name.

    Args:
        name: a family name, e.g. "gpt".

    Returns:
        The `Family`; an unknown name raises a one-line ZooError with a did-you-mean.
    """
    _load()
    return lookup(FAMILIES, name, "family")


def family_of_class(class_name):
    """The family a keras-hub backbone or task class belongs to.

    Args:
        class_name: a class name, e.g. "GPT2CausalLM" or "ZooBertMeanPoolClassifier".

    Returns:
        The name of the family whose `class_name_parts` it contains, or None.
    """
    _load()
    for family in FAMILIES.values():
        if any(part in class_name for part in family.class_name_parts):
            return family.name
    return None


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
    """The `ModelSpec` registered under `name`.

    Args:
        name: a registered model name, e.g. "gpt-nano".

    Returns:
        The spec; an unknown name raises a one-line ZooError with a did-you-mean.
    """
    _load()
    return lookup(MODELS, name, "model")


def list_models(family=None):
    """Every registered spec, in registration order.

    Args:
        family: only this family's specs (an unknown family raises a did-you-mean).

    Returns:
        A list of `ModelSpec`.
    """
    _load()
    if family is not None:
        lookup(FAMILIES, family, "family")
    return [s for s in MODELS.values() if family is None or s.family == family]
