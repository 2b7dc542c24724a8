"""Model families: one folder each (gpt/, llama/, bert/, t5/, bart/): a `family.py` record of
what the rest of zoo asks of the family (zoo.registry.Family), sizes registered by name.

Importing a family's `family` and `sizes` modules registers its record and its sizes in
zoo.registry; importing the rest of a family (its builder, its decode adapter) registers
nothing, so the registry's order does not depend on what was imported first. The sizes load
on the first lookup (`zoo.registry.get_spec` / `list_models`), not on `import zoo`, since
building them imports keras-hub.

Example:
>>> from zoo.registry import get_spec
>>> get_spec("gpt-nano").family                # the first lookup imports the families
'gpt'
"""
from zoo.registry import add_loader

_FINETUNED: list = []  # fine-tuned names register once, after the families they build on


def load_families():
    """Register every family's record and sizes, in this order, then the fine-tuned models."""
    from zoo.models.bert import family as bert_family  # noqa: F401
    from zoo.models.gpt import family as gpt_family  # noqa: F401
    from zoo.models.llama import family as llama_family  # noqa: F401
    from zoo.models.t5 import family as t5_family  # noqa: F401
    from zoo.models.bart import family as bart_family  # noqa: F401
    from zoo.models.bert import sizes as bert_sizes  # noqa: F401
    from zoo.models.gpt import sizes as gpt_sizes  # noqa: F401
    from zoo.models.llama import sizes as llama_sizes  # noqa: F401
    from zoo.models.t5 import sizes as t5_sizes  # noqa: F401
    from zoo.models.bart import sizes as bart_sizes  # noqa: F401
    from zoo.models import finetuned

    if not _FINETUNED:
        _FINETUNED.append(True)
        finetuned.register_all()


def load_keras_classes():
    """Import every family's `keras_modules`, registering its Keras classes with Keras (a
    preset of a zoo class loads only once its class is registered)."""
    import importlib

    from zoo.registry import FAMILIES, list_models

    list_models()  # registers the families
    for family in FAMILIES.values():
        for module in family.keras_modules:
            importlib.import_module(module)


add_loader(load_families)
