"""Model families: one folder each (gpt/, llama/, bert/, t5/), sizes registered by name.

Importing a family's `sizes` module registers its sizes in zoo.registry; importing the
rest of a family (its builder, its decode adapter) registers nothing, so the registry's
order does not depend on what was imported first. The sizes load on the first lookup
(`zoo.registry.get_spec` / `list_models`), not on `import zoo`, since building them
imports keras-hub.

Example:
>>> from zoo.registry import get_spec
>>> get_spec("gpt-nano").family                # the first lookup imports the families
'gpt'
"""
from zoo.registry import add_loader

_FINETUNED: list = []  # fine-tuned names register once, after the families they build on


def load_families():
    """Register every family's sizes, in this order, then the fine-tuned models."""
    from zoo.models.bert import sizes as bert_sizes  # noqa: F401
    from zoo.models.gpt import sizes as gpt_sizes  # noqa: F401
    from zoo.models.llama import sizes as llama_sizes  # noqa: F401
    from zoo.models.t5 import sizes as t5_sizes  # noqa: F401
    from zoo.models import finetuned

    if not _FINETUNED:
        _FINETUNED.append(True)
        finetuned.register_all()


add_loader(load_families)
