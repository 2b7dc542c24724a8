"""zoo.data.folio: folio<->modern mapping, aligned line pairs, genres and their splits."""
import pytest

from zoo.data import folio
from zoo.data.corpora import SPLITS, CorpusError, _shakespeare_dir


def _stems(suffix):
    return {e.name[:-4] for e in _shakespeare_dir().iterdir() if e.name.endswith(suffix + ".txt")}


def test_mapping_covers_every_folio_file():
    folio_files, modern_files = _stems("_gut_f"), _stems("_gut")
    assert len(folio_files) == 35  # the Folio has 36 plays; shksprdata lacks Troilus' folio text
    assert set(folio.folio_plays()) == folio_files == set(folio.FOLIO_TO_MODERN)
    assert set(folio.FOLIO_TO_MODERN.values()) <= modern_files
    assert len(set(folio.FOLIO_TO_MODERN.values())) == 35
    assert folio.FOLIO_TO_MODERN["anthonie_and_cleopatra_gut_f"] == "antony_and_cleopatra_gut"
    assert folio.FOLIO_TO_MODERN["twelfe-night_gut_f"] == "twelfth_night_gut"


def test_genres():
    assert len(folio.GENRE_OF) == 36 and set(folio.GENRE_OF.values()) == set(folio.GENRES)
    known = {"hamlet_gut": "tragedy", "tempest_gut_f": "comedy", "henry_v": "history",
             "cymbeline_gut_f": "tragedy", "twelfe-night_gut_f": "comedy",
             "troilus_and_cressida_gut": "tragedy", "winters_tale_gut.txt": "comedy",
             "henry_viii_gut": "history", "anthonie_and_cleopatra_gut_f": "tragedy"}
    assert {p: folio.play_genre(p) for p in known} == known
    for bad in ("sonnets_gut", "pericles_gut", "hamlett"):
        with pytest.raises(CorpusError):
            folio.play_genre(bad)
    with pytest.raises(CorpusError, match="did you mean 'hamlet_gut'"):
        folio.play_genre("hamlett")


def test_hamlet_pairs():
    pairs = folio.aligned_pairs("hamlet")
    assert ("The faire Ophelia? Nimph, in thy Orizons", "The fair Ophelia!--Nymph, in thy orisons") in pairs
    assert len(pairs) > 2500  # 2,962 at MIN_RATIO 0.85
    assert all(3 <= len(a) <= 200 and 3 <= len(b) <= 200 for a, b in pairs)
    assert folio.aligned_pairs("hamlet_gut_f") == pairs == folio.aligned_pairs("hamlet_gut")
    with pytest.raises(CorpusError, match="no First Folio text"):
        folio.aligned_pairs("troilus_and_cressida_gut")


def test_alignment_is_deterministic():
    first = folio.aligned_pairs("macbeth")
    folio._aligned.cache_clear()
    assert folio.aligned_pairs("macbeth") == first and len(first) > 1500


def test_folio_split():
    assert folio.FOLIO_SPLIT["validation"] == ["hamlet_gut_f", "tempest_gut_f"]
    assert folio.FOLIO_SPLIT["test"] == ["macbeth_gut_f"]
    allp = [p for s in SPLITS for p in folio.FOLIO_SPLIT[s]]
    assert sorted(allp) == folio.folio_plays() and len(allp) == len(set(allp))
    test = folio.folio_pairs("test")
    assert {p for _, _, p in test} == {"macbeth_gut_f"} and len(test) > 1500
    with pytest.raises(CorpusError, match="unknown split"):
        folio.folio_pairs("dev")


def test_genre_split():
    allp = [p for s in SPLITS for p in folio.GENRE_SPLIT[s]]
    assert len(allp) == len(set(allp)) == 35
    assert set(allp) == set(folio.MODERN_TO_FOLIO)
    for s in SPLITS:
        assert {folio.GENRE_OF[p] for p in folio.GENRE_SPLIT[s]} == set(folio.GENRES)


@pytest.mark.parametrize("source", ["modern", "folio"])
def test_genre_passages(source):
    passages = folio.genre_passages("test", passage_lines=8, source=source)
    assert {p for _, _, p in passages} == set(folio.GENRE_SPLIT["test"])
    assert {g for _, g, _ in passages} == set(folio.GENRES)
    for text, genre, play in passages:
        assert len(text.split("\n")) == 8 and all(line.strip() for line in text.split("\n"))
        assert folio.GENRE_OF[play] == genre
        assert "traged" not in text.lower() and "comed" not in text.lower()
    assert len(folio.genre_passages("test", passage_lines=4, source=source)) >= 2 * len(passages)
    with pytest.raises(CorpusError):
        folio.genre_passages("test", source="quarto")
