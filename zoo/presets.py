"""Write a trained model as a keras-hub preset, atomically, with zoo.json provenance.

Used by both trainers: the preset is built in `<run>/.preset-tmp`, renamed to
`<run>/preset`, and optionally copied (again via a temp dir + rename) to the model's
installed location under $ZOO_HOME/models/.

>>> from zoo.presets import write_preset
>>> write_preset(model, run_dir, {"model": "gpt-nano"}, install_to=None, extra=None)
"""
import pathlib
import shutil

import keras

from zoo import atomic


def _fresh(path):
    if path.exists():
        shutil.rmtree(path)
    return path


def write_preset(model, run_dir, info, install_to=None, extra=None):
    """Save `model` + zoo.json `info` to <run_dir>/preset; install a copy; return the final path."""
    keras.mixed_precision.set_global_policy("float32")
    run_dir = pathlib.Path(run_dir)
    final, tmp = run_dir / "preset", _fresh(run_dir / ".preset-tmp")
    model.save_to_preset(str(tmp))
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
