"""Fine-tuned models, registered under their own names so they have their own trained
presets (`$ZOO_HOME/models/<name>`) and default recipes. Each names its `base` model; its
recipe has `init_from: <base>`, and training it first trains the base preset if missing.

* `<base>-genre`: classify a Shakespeare passage as comedy / history / tragedy (the First
  Folio's catalogue; plays split whole, see `zoo.data.folio.genre_passages`). BERT reads
  the mean over tokens; the decoders the last token (gpt-nano) or the mean (llama-nano), each
  chosen on the validation plays (`zoo.models.tasks`).
* `t5-nano-folio`, `bart-nano-folio`: First Folio spelling -> modern spelling, line by line
  (`zoo.data.folio.folio_pairs`).
"""
from zoo.models.tasks_spec import classifier_params, classifier_flops
from zoo.registry import ModelSpec, get_spec, register

GENRE_CLASSES = 3


def _classifier(base_name, suffix="genre", num_classes=GENRE_CLASSES, description="", pooling=None):
    from zoo.models.tasks_spec import build_classifier_lazy

    base = get_spec(base_name)
    register(ModelSpec(
        name=f"{base_name}-{suffix}", family=base.family, task="text_classifier",
        config={**base.config, "num_classes": num_classes, "classifier_dropout": 0.1,
                **({"classifier_pooling": pooling} if pooling else {})},
        max_sequence_length=base.max_sequence_length, build=build_classifier_lazy,
        count_params=classifier_params(base), default_recipe=f"{base_name}-{suffix}",
        description=description, flops=classifier_flops(base), base=base_name))


def _seq2seq(base_name, suffix, description=""):
    base = get_spec(base_name)
    register(ModelSpec(
        name=f"{base_name}-{suffix}", family=base.family, task="seq2seq_lm", config=dict(base.config),
        max_sequence_length=base.max_sequence_length, build=base.build, count_params=base.count_params,
        default_recipe=f"{base_name}-{suffix}", description=description, flops=base.flops,
        base=base_name))


def register_all():
    _classifier("bert-nano", description="bert-nano fine-tuned: play genre of a passage")
    # Decoder pooling chosen on the validation plays (accuracy, last token vs mean, same recipe):
    # gpt-nano 0.637 vs 0.567, llama-nano 0.577 vs 0.637.
    _classifier("gpt-nano", description="gpt-nano fine-tuned: play genre (last-token head)", pooling="last")
    _classifier("llama-nano", description="llama-nano fine-tuned: play genre (mean-pooled head)", pooling="mean")
    _seq2seq("t5-nano", "folio", "t5-nano fine-tuned: First Folio -> modern spelling")
    _seq2seq("bart-nano", "folio", "bart-nano fine-tuned: First Folio -> modern spelling")
