"""Check a keras-hub preset directory file by file before anything loads it.

A broken preset (a missing or corrupt `task.json`, `config.json`, `preprocessor.json`,
`tokenizer.json` or `zoo.json`, weights that are not HDF5, missing or unreadable
tokenizer assets) raises one `ZooError` line naming the file and what is wrong, instead
of a JSON or HDF5 traceback from deep inside Keras. Nothing is written.

Example:
>>> from zoo.preset_check import check_preset_dir
>>> check_preset_dir("/tmp/no-such-preset")
Traceback (most recent call last):
...
zoo.registry.ZooError: preset directory '/tmp/no-such-preset' does not exist
"""
import json
import pathlib

from zoo.errors import ZooError

REQUIRED_FILES = ("config.json", "model.weights.h5", "task.json")
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
FIX = "re-export it with task.save_to_preset(dir) or retrain it"

# keras-hub tokenizer base class -> the asset files its load_preset_assets reads.
_TOKENIZER_ASSETS = (("BytePairTokenizer", ("vocabulary.json", "merges.txt")),
                     ("WordPieceTokenizer", ("vocabulary.txt",)),
                     ("SentencePieceTokenizer", ("vocabulary.spm",)))


def read_config(path, what="keras-hub config"):
    """A preset JSON file as a dict, or a one-line ZooError naming the file and the fault.

    Args:
        path: the JSON file.
        what: what the file should be, for the message ("keras-hub config" needs
            class_name and config; anything else just a JSON object).
    """
    path = pathlib.Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ZooError(f"'{path}' is not UTF-8 text: {FIX}") from None
    except ValueError as e:
        raise ZooError(f"'{path}' is not valid JSON ({str(e).splitlines()[0]}): {FIX}") from None
    except OSError as e:
        raise ZooError(f"'{path}' cannot be read ({e.strerror or e}): {FIX}") from None
    if not isinstance(data, dict):
        raise ZooError(f"'{path}' is JSON but not an object (a {type(data).__name__}): {FIX}")
    if what == "keras-hub config" and not {"class_name", "config"} <= set(data):
        missing = ", ".join(k for k in ("class_name", "config") if k not in data)
        raise ZooError(f"'{path}' is not a keras-hub config (no {missing}): {FIX}")
    return data


def check_weights(path):
    """Raise unless `path` is a readable HDF5 file (Keras's model.weights.h5).

    Args:
        path: the weights file.
    """
    path = pathlib.Path(path)
    size = path.stat().st_size
    if size == 0:
        raise ZooError(f"'{path}' is empty (0 bytes): {FIX}")
    with open(path, "rb") as f:
        head = f.read(len(HDF5_SIGNATURE))
    if head != HDF5_SIGNATURE:
        raise ZooError(f"'{path}' is not an HDF5 weights file (it starts with {head[:8]!r}): {FIX}")
    import h5py

    try:
        with h5py.File(path, "r") as f:
            list(f.keys())
    except (OSError, RuntimeError) as e:
        raise ZooError(f"'{path}' is a damaged HDF5 file ({str(e).splitlines()[0][:120]}): {FIX}") from None


def _tokenizer_config(preprocessor):
    config = (preprocessor or {}).get("config") or {}
    tok = config.get("tokenizer")
    return tok if isinstance(tok, dict) else None


def _asset_files(tokenizer):
    """The asset files a tokenizer config needs, from its registered class (none if unknown)."""
    import keras
    import keras_hub

    import zoo.data.tokenizers  # noqa: F401  (registers our tokenizer classes)

    cls = keras.saving.get_registered_object(tokenizer.get("registered_name") or "")
    if cls is None:
        return ()
    for base, files in _TOKENIZER_ASSETS:
        if issubclass(cls, getattr(keras_hub.tokenizers, base)):
            return files
    return ()


def check_tokenizer_assets(path, tokenizer):
    """Raise unless the tokenizer's asset files exist and are readable.

    Args:
        path: the preset directory.
        tokenizer: the tokenizer's serialized config (from preprocessor.json).
    """
    subdir = str((tokenizer.get("config") or {}).get("config_file") or "tokenizer.json").split(".")[0]
    for name in _asset_files(tokenizer):
        asset = pathlib.Path(path) / "assets" / subdir / name
        if not asset.is_file():
            raise ZooError(f"'{asset}' is missing ({tokenizer.get('class_name')} reads it): {FIX}")
        if asset.stat().st_size == 0:
            raise ZooError(f"'{asset}' is empty (0 bytes): {FIX}")
        if name.endswith(".json"):
            read_config(asset, what="vocabulary")
        elif name.endswith(".txt"):
            try:
                asset.read_bytes().decode("utf-8")
            except UnicodeDecodeError:
                raise ZooError(f"'{asset}' is not UTF-8 text: {FIX}") from None


def check_preset_dir(path):
    """Raise a one-line ZooError unless `path` is a complete, readable keras-hub preset.

    Args:
        path: the preset directory.
    """
    path = pathlib.Path(path)
    if not path.is_dir():
        raise ZooError(f"preset directory '{path}' does not exist")
    missing = [f for f in REQUIRED_FILES if not (path / f).is_file()]
    if missing:
        raise ZooError(f"'{path}' is not a complete keras-hub preset: missing {', '.join(missing)}; {FIX}")
    task = read_config(path / "task.json")
    read_config(path / "config.json")
    preprocessor = None
    if (task.get("config") or {}).get("preprocessor") is not None:
        if not (path / "preprocessor.json").is_file():
            raise ZooError(f"'{path}' is not a complete keras-hub preset: missing preprocessor.json "
                           f"(task.json has a preprocessor); {FIX}")
        preprocessor = read_config(path / "preprocessor.json")
    if (path / "tokenizer.json").is_file():
        read_config(path / "tokenizer.json")
    if (path / "zoo.json").is_file():
        read_config(path / "zoo.json", what="zoo.json")
    check_weights(path / "model.weights.h5")
    tokenizer = _tokenizer_config(preprocessor)
    if tokenizer is not None:
        check_tokenizer_assets(path, tokenizer)
