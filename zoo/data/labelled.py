"""Labelled data for fine-tuning, by `data.task` name: built-in Shakespeare tasks or your
own tab-separated files.

* ``genre`` (classification): (passage, comedy|history|tragedy) from
  `zoo.data.folio.genre_passages` (plays split whole; `data.passage_lines` lines each).
* ``folio`` (seq2seq): (First Folio line, modern line) from `zoo.data.folio.folio_pairs`.
* a ``.tsv`` file or a directory with ``train.tsv``, ``validation.tsv``, ``test.tsv``: one
  ``input<TAB>target`` per line (target = the label for classification). A single file is
  split by line: sha256(line) -> u < 0.90 train, < 0.95 validation, else test.

>>> from zoo.data.labelled import load_examples
>>> examples, labels = load_examples("genre", "validation", "classification")
>>> labels
['comedy', 'history', 'tragedy']
"""
from __future__ import annotations

import hashlib
import os

from zoo.errors import ZooError

BUILTIN = {"genre": "classification", "folio": "seq2seq"}


def _tsv_rows(path, objective):
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip():
                continue
            if "\t" not in line:
                what = "labels" if objective == "classification" else "targets"
                raise ZooError(f"{path}:{n}: no tab-separated target: a {objective} recipe needs "
                               f"{what}; write each example as input<TAB>target")
            text, target = line.split("\t", 1)
            rows.append((text, target.strip() if objective == "classification" else target))
    return rows


def _user_split(task, split, objective):
    if os.path.isdir(task):
        path = os.path.join(task, f"{split}.tsv")
        if not os.path.isfile(path):
            raise ZooError(f"data.task directory '{task}' has no {split}.tsv: add train.tsv, "
                           "validation.tsv and test.tsv")
        return _tsv_rows(path, objective)
    rows = _tsv_rows(task, objective)
    out = []
    for row in rows:
        u = int(hashlib.sha256("\t".join(row).encode()).hexdigest()[:16], 16) / 2**64
        s = "train" if u < 0.9 else "validation" if u < 0.95 else "test"
        if s == split:
            out.append(row)
    return out


def task_objective(task):
    """The objective a data.task fits, or None for user files (either).

    Args:
        task: a data.task value: a built-in task name ("genre", "folio") or a path.

    Returns:
        "classification", "seq2seq", or None when `task` is not a built-in task.
    """
    return BUILTIN.get(task)


def check_task(task, objective, source="<recipe>"):
    """Raise a ZooError unless `task` is a built-in task of `objective` or an existing path.

    Args:
        task: the recipe's data.task (None: not set, an error).
        objective: "classification" or "seq2seq".
        source: where the setting came from, to start error messages with (e.g. the
            recipe's path).
    """
    if task is None:
        if objective == "seq2seq":
            raise ZooError(f"{source}: a seq2seq recipe needs targets: set data.task to 'folio' or "
                           "a .tsv of input<TAB>target lines")
        raise ZooError(f"{source}: a classification recipe needs labels: set data.task to 'genre' or "
                       "a .tsv of text<TAB>label lines")
    if task in BUILTIN:
        if BUILTIN[task] != objective:
            raise ZooError(f"{source}: data.task '{task}' is a {BUILTIN[task]} task, not {objective}: "
                           f"set data.objective: {BUILTIN[task]}")
        return
    if not (os.path.isfile(task) or os.path.isdir(task)):
        from zoo.errors import did_you_mean

        raise ZooError(f"{source}: unknown data.task '{task}'.{did_you_mean(task, BUILTIN)} Use one of "
                       f"{', '.join(BUILTIN)} or a path to a .tsv file or directory")


def load_examples(task, split, objective, passage_lines=8):
    """(examples, labels): examples are (input, target) pairs; for classification the
    target is a class index and `labels` the sorted class names (None for seq2seq).

    Args:
        task: "genre", "folio", a `.tsv` file, or a directory of train/validation/test `.tsv`
            files (checked with `check_task`).
        split: "train", "validation" or "test".
        objective: "classification" or "seq2seq".
        passage_lines: lines per passage of the built-in "genre" task.

    Returns:
        (examples, labels). For user classification files the labels are the sorted
        labels seen in train; a label of `split` not seen there raises a ZooError.
    """
    check_task(task, objective)
    if task == "genre":
        from zoo.data.folio import GENRES, genre_passages

        rows = [(p, g) for p, g, _ in genre_passages(split, passage_lines=passage_lines)]
        labels = list(GENRES)
    elif task == "folio":
        from zoo.data.folio import folio_pairs

        rows = [(a, b) for a, b, _ in folio_pairs(split)]
        labels = None
    else:
        rows = _user_split(task, split, objective)
        labels = None
        if objective == "classification":
            labels = sorted({t for _, t in _user_split(task, "train", objective)})
    if objective == "classification":
        index = {lab: i for i, lab in enumerate(labels)}
        unknown = sorted({t for _, t in rows if t not in index})
        if unknown:
            raise ZooError(f"data.task '{task}' split '{split}' has label '{unknown[0]}' not seen in "
                           "train: every label needs training examples")
        rows = [(x, index[t]) for x, t in rows]
    return rows, labels
