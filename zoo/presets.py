"""Write a trained model as a keras-hub preset, atomically, with zoo.json provenance.

Used by the trainer: the preset is built in `<run>/.preset-tmp`, renamed to
`<run>/preset`, and optionally copied (again via a temp dir + rename) to the model's
installed location under $ZOO_HOME/models/.

Presets are portable (`save_preset`): the byte tokenizer is saved as keras-hub's own
OPTTokenizer with the same ids (see zoo.data.tokenizers), so a GPT, Llama or T5 preset
loads with plain keras-hub in a process that never imports zoo. A class only zoo has
(the BERT masked-LM preprocessor, the classifier preprocessor and decoder classifiers)
keeps its registered name; its class_name says to `import zoo` first, which is the name
Keras prints when it cannot find the class.

>>> from zoo.presets import write_preset
>>> write_preset(model, run_dir, {"model": "gpt-nano"}, install_to=None, extra=None)
"""
import json
import pathlib
import shutil

import keras

from zoo import atomic

CONFIG_FILES = ("task.json", "preprocessor.json", "tokenizer.json")
ZOO_CLASS_HINT = " (a zoo class: `import zoo` before loading this preset)"


def _fresh(path):
    if path.exists():
        shutil.rmtree(path)
    return path


def _map_dicts(obj, rewrite):
    """A copy of a serialized config with `rewrite(d)` applied to every dict, innermost first.

    Args:
        obj: a JSON-like config (dicts, lists, scalars).
        rewrite: dict -> dict, given a dict whose children are already rewritten.
    """
    if isinstance(obj, list):
        return [_map_dicts(v, rewrite) for v in obj]
    if not isinstance(obj, dict):
        return obj
    return rewrite({k: _map_dicts(v, rewrite) for k, v in obj.items()})


def _hint_class(out):
    name = out.get("class_name")
    if str(out.get("registered_name") or "").startswith("zoo>") and name and ZOO_CLASS_HINT not in name:
        out["class_name"] = name + ZOO_CLASS_HINT
    return out


def _float32_policy(out):
    config = out.get("config")
    if out.get("class_name") == "DTypePolicy" and isinstance(config, dict) \
            and str(config.get("name", "")).startswith("mixed_"):
        out["config"] = dict(config, name="float32")
    return out


def _hint_zoo_classes(obj):
    """A copy of a serialized config whose zoo-registered classes name `import zoo` in class_name."""
    return _map_dicts(obj, _hint_class)


def _float32_policies(obj):
    """`obj` (a saved config) with every mixed-precision dtype policy written as float32.

    A mixed policy keeps float32 variables, so the saved weights are float32 already; but
    keras-hub's loader cannot read a saved "mixed_bfloat16" policy (it asks whether the name
    is a float dtype and Keras raises), so a preset trained in mixed precision would not load.
    Loading applies the caller's own policy, as for any float32 preset.
    """
    return _map_dicts(obj, _float32_policy)


def make_portable(preset_dir):
    """Rewrite a saved preset's configs: portable byte tokenizer (+ its assets), zoo classes
    hinted, mixed-precision policies saved as float32.

    Args:
        preset_dir: a directory written by keras-hub's save_to_preset (not yet in place).
    """
    from zoo.data.tokenizers import portable_byte_tokenizer, to_portable

    preset_dir = pathlib.Path(preset_dir)
    portable = False
    for name in ("config.json", *CONFIG_FILES):  # config.json: the backbone's, policies only
        path = preset_dir / name
        if not path.is_file():
            continue
        before = json.loads(path.read_text(encoding="utf-8"))
        if name == "config.json":
            after = _float32_policies(before)
        else:
            after = _hint_zoo_classes(_float32_policies(to_portable(before)))
            portable = portable or after != _hint_zoo_classes(_float32_policies(before))
        if after != before:
            atomic.write_text(path, json.dumps(after, indent=4))
    if portable:
        assets = preset_dir / "assets" / "tokenizer"
        assets.mkdir(parents=True, exist_ok=True)
        portable_byte_tokenizer().save_assets(str(assets))


def save_preset(model, preset_dir):
    """keras-hub's save_to_preset, made portable (see the module docstring).

    Args:
        model: a keras-hub task.
        preset_dir: the directory to write (write to a temp directory, then rename).
    """
    model.save_to_preset(str(preset_dir))
    make_portable(preset_dir)


def write_preset(model, run_dir, info, install_to=None, extra=None):
    """Save `model` + zoo.json `info` to <run_dir>/preset; install a copy; return the final path.

    Sets Keras's global dtype policy to float32 first.

    Args:
        model: the trained keras-hub task.
        run_dir: the run directory; the preset goes to `<run_dir>/preset`, replacing any.
        info: the JSON-serialisable provenance dict written as the preset's zoo.json.
        install_to: also copy the preset to this directory, replacing it (None: no copy).
        extra: a callable given the preset's temp directory, to add files before it is
            moved into place (e.g. BERT's NSP head); None: nothing extra.

    Returns:
        `install_to` as a `pathlib.Path` when given, else `<run_dir>/preset`.
    """
    keras.mixed_precision.set_global_policy("float32")
    run_dir = pathlib.Path(run_dir)
    final, tmp = run_dir / "preset", _fresh(run_dir / ".preset-tmp")
    save_preset(model, tmp)
    if extra:
        extra(tmp)
    atomic.write_json(tmp / "zoo.json", info)
    atomic.replace_dir(tmp, final)
    if not install_to:
        return final
    target = pathlib.Path(install_to)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = _fresh(target.parent / f".{target.name}-tmp")
    shutil.copytree(final, staging)
    atomic.replace_dir(staging, target)
    return target
