"""First Folio (1623 spelling) vs modern Shakespeare: line pairs for seq2seq spelling
modernisation, and genre-labelled passages for classification. Pure Python, offline
(package ``shksprdata``).

>>> from zoo.data import folio
>>> folio.play_genre("hamlet_gut_f"), folio.play_genre("tempest_gut")
('tragedy', 'comedy')
>>> ("The faire Ophelia? Nimph, in thy Orizons",
...  "The fair Ophelia!--Nymph, in thy orisons") in folio.aligned_pairs("hamlet")
True
>>> folio_line, modern_line, play = folio.folio_pairs("validation")[0]
>>> passage, genre, play = folio.genre_passages("test", passage_lines=8)[0]

Notes on the data: shksprdata has 35 folio plays, not the Folio's 36 (Troilus and
Cressida has only a modern text; Pericles and the poems are not in the Folio).
Genres follow the Folio's own catalogue (Comedies / Histories / Tragedies; Cymbeline is
a tragedy there; Troilus, uncatalogued, is printed among the Tragedies).

Alignment: folio speaker prefixes ("  Ham. ", a few "  Botes: "), modern speaker lines
("Ham.") and bracketed modern stage directions are dropped; lines are normalised (lowercase, & -> and,
apostrophes dropped, other punctuation -> space, v->u, j->i, y->i, word-final e dropped);
difflib.SequenceMatcher(autojunk=False) aligns the two line lists; equal lines are kept and
inside replace blocks lines are paired greedily by character ratio (>= MIN_RATIO) without
crossing. Both lines of a pair must be 3..200 characters. Pairs are the original lines
(stripped), not the normalised ones.
"""
from __future__ import annotations

import difflib
import functools
import re

from zoo.data.corpora import SPLITS, CorpusError, _decode, _shakespeare_dir

GENRES = ("comedy", "history", "tragedy")
MIN_RATIO = 0.85  # below this, prose lines whose lineation differs pair up as shifted fragments
MIN_CHARS, MAX_CHARS = 3, 200

# folio file stem -> modern file stem (all 35 *_gut_f.txt in shksprdata)
FOLIO_TO_MODERN = {
    "all_is_well_that_ends_well_gut_f": "alls_well_that_ends_well_gut",
    "anthonie_and_cleopatra_gut_f": "antony_and_cleopatra_gut",
    "as_you_like_it_gut_f": "as_you_like_it_gut",
    "comedy_of_errours_gut_f": "comedy_of_errors_gut",
    "coriolanus_gut_f": "coriolanus_gut",
    "cymbeline_gut_f": "cymbeline_gut",
    "hamlet_gut_f": "hamlet_gut",
    "henry_iv_part_1_gut_f": "henry_iv_part_1_gut",
    "henry_iv_part_2_gut_f": "henry_iv_part_2_gut",
    "henry_v_gut_f": "henry_v_gut",
    "henry_vi_part_1_gut_f": "henry_vi_part_1_gut",
    "henry_vi_part_2_gut_f": "henry_vi_part_2_gut",
    "henry_vi_part_3_gut_f": "henry_vi_part_3_gut",
    "henry_viii_gut_f": "henry_viii_gut",
    "john_gut_f": "john_gut",
    "julius_caesar_gut_f": "julius_caesar_gut",
    "lear_gut_f": "lear_gut",
    "loves_labour_lost_gut_f": "loves_labours_lost_gut",
    "macbeth_gut_f": "macbeth_gut",
    "measure_for_measure_gut_f": "measure_for_measure_gut",
    "merchant_of_venice_gut_f": "merchant_of_venice_gut",
    "merry_wives_of_windsor_gut_f": "merry_wives_of_windsor_gut",
    "midsummer_nights_dreame_gut_f": "midsummer_nights_dream_gut",
    "much_ado_about_nothing_gut_f": "much_ado_about_nothing_gut",
    "othello_gut_f": "othello_gut",
    "richard_ii_gut_f": "richard_ii_gut",
    "richard_iii_gut_f": "richard_iii_gut",
    "romeo_and_juliet_gut_f": "romeo_and_juliet_gut",
    "taming_of_the_shrew_gut_f": "taming_of_the_shrew_gut",
    "tempest_gut_f": "tempest_gut",
    "timon_of_athens_gut_f": "timon_of_athens_gut",
    "titus_andronicus_gut_f": "tragedy_of_titus_andronicus_gut",
    "twelfe-night_gut_f": "twelfth_night_gut",
    "two_gentlemen_of_verona_gut_f": "two_gentlemen_of_verona_gut",
    "winters_tale_gut_f": "winters_tale_gut",
}
MODERN_TO_FOLIO = {m: f for f, m in FOLIO_TO_MODERN.items()}

# The First Folio's catalogue, by modern file stem.
_FOLIO_GENRE = {
    "comedy": ["tempest", "two_gentlemen_of_verona", "merry_wives_of_windsor", "measure_for_measure",
               "comedy_of_errors", "much_ado_about_nothing", "loves_labours_lost",
               "midsummer_nights_dream", "merchant_of_venice", "as_you_like_it",
               "taming_of_the_shrew", "alls_well_that_ends_well", "twelfth_night", "winters_tale"],
    "history": ["john", "richard_ii", "henry_iv_part_1", "henry_iv_part_2", "henry_v",
                "henry_vi_part_1", "henry_vi_part_2", "henry_vi_part_3", "richard_iii", "henry_viii"],
    "tragedy": ["troilus_and_cressida", "coriolanus", "tragedy_of_titus_andronicus", "romeo_and_juliet",
                "timon_of_athens", "julius_caesar", "macbeth", "hamlet", "lear", "othello",
                "antony_and_cleopatra", "cymbeline"],
}
GENRE_OF = {f"{p}_gut": g for g, plays in _FOLIO_GENRE.items() for p in plays}

# By folio stem, matching the "shakespeare" corpus split.
_FOLIO_HELD_OUT = {"validation": ["hamlet_gut_f", "tempest_gut_f"], "test": ["macbeth_gut_f"]}
FOLIO_SPLIT = {"train": sorted(set(FOLIO_TO_MODERN) - {p for v in _FOLIO_HELD_OUT.values() for p in v}),
               **_FOLIO_HELD_OUT}

# By modern stem, over the 35 plays with both texts; held out per genre by name (~15% each).
# (comedy 14 / history 10 / tragedy 11 -> validation 2/1/2, test 2/1/2, train 10/8/7 plays)
_GENRE_HELD_OUT = {
    "validation": ["tempest_gut", "twelfth_night_gut", "richard_ii_gut", "hamlet_gut",
                   "romeo_and_juliet_gut"],
    "test": ["as_you_like_it_gut", "much_ado_about_nothing_gut", "henry_v_gut", "macbeth_gut",
             "julius_caesar_gut"],
}
GENRE_SPLIT = {"train": sorted(set(MODERN_TO_FOLIO) - {p for v in _GENRE_HELD_OUT.values() for p in v}),
               **_GENRE_HELD_OUT}


def _modern_stem(play: str) -> str:
    """'hamlet', 'hamlet_gut', 'hamlet_gut_f', 'hamlet_gut_f.txt' -> 'hamlet_gut'."""
    name = str(play).rsplit("/", 1)[-1].removesuffix(".txt")
    if name in FOLIO_TO_MODERN:
        return FOLIO_TO_MODERN[name]
    for cand in (name, f"{name}_gut"):
        if cand in GENRE_OF:
            return cand
    known = sorted(GENRE_OF) + sorted(FOLIO_TO_MODERN)
    close = [k for k in known if name and name in k][:1] or difflib.get_close_matches(name, known, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    raise CorpusError(f"unknown First Folio play '{play}': {hint}use a *_gut or *_gut_f name "
                      "from folio.folio_plays() or folio.GENRE_OF")


def _folio_stem(play: str) -> str:
    modern = _modern_stem(play)
    if modern not in MODERN_TO_FOLIO:
        raise CorpusError(f"play '{play}' has no First Folio text in shksprdata: "
                          "use one of folio.folio_plays()")
    return MODERN_TO_FOLIO[modern]


def play_genre(play_name) -> str:
    """The genre of a play in the First Folio's catalogue.

    Args:
        play_name: a play name as 'hamlet', 'hamlet_gut', 'hamlet_gut_f' or
            'hamlet_gut_f.txt' (a leading directory is ignored).

    Returns:
        "comedy", "history" or "tragedy".
    """
    return GENRE_OF[_modern_stem(play_name)]


def folio_plays() -> list[str]:
    """The First Folio (`*_gut_f`) stems that have a modern-spelling counterpart, sorted."""
    return sorted(FOLIO_TO_MODERN)


@functools.lru_cache(maxsize=None)
def _text(stem: str) -> str:
    entry = _shakespeare_dir() / f"{stem}.txt"
    return _decode(entry.read_bytes(), str(entry))


# ---------------------------------------------------------------- alignment

_FOLIO_SPEAKER = re.compile(r"^\s+(?:[A-Z][a-z]+\s)?\S*[A-Za-z]\S*[.:]\s+(?=\S)")
_MODERN_SPEAKER = re.compile(r"^[A-Z][A-Za-z'.]*(?:\s[A-Za-z][A-Za-z'.]*){0,3}\.$")
_FOLD = str.maketrans("vjy", "uii")


def _norm(line: str) -> str:
    s = line.lower().replace("&", " and ").replace("'", "").replace("\u2019", "")
    s = re.sub(r"[^a-z0-9]+", " ", s).translate(_FOLD)
    return " ".join(re.sub(r"e\b", "", s).split())


def _folio_lines(text):
    lines = (_FOLIO_SPEAKER.sub("", raw).strip() for raw in text.split("\n"))
    return [t for t in lines if t]


def _modern_lines(text):
    out, prev = [], ""
    for raw in text.split("\n"):
        t = raw.strip()
        if t and not t.startswith("[") and not (prev == "" and _MODERN_SPEAKER.match(t)):
            out.append(t)
        prev = t
    return out


def _pair_block(fn, mn):
    """Greedy non-crossing pairing of two small blocks of normalised lines by ratio."""
    cands = []
    sm = difflib.SequenceMatcher(None, autojunk=False)
    for j, b in enumerate(mn):
        sm.set_seq2(b)
        for i, a in enumerate(fn):
            if 2 * min(len(a), len(b)) < MIN_RATIO * (len(a) + len(b)):
                continue  # ratio <= 2 * min / total
            sm.set_seq1(a)
            if sm.quick_ratio() >= MIN_RATIO:
                r = sm.ratio()
                if r >= MIN_RATIO:
                    cands.append((-r, i, j))
    chosen = []
    for _, i, j in sorted(cands):
        if all((i - i2) * (j - j2) > 0 for i2, j2 in chosen):
            chosen.append((i, j))
    return sorted(chosen)


@functools.lru_cache(maxsize=None)
def _aligned(folio_stem: str) -> tuple:
    f = _folio_lines(_text(folio_stem))
    m = _modern_lines(_text(FOLIO_TO_MODERN[folio_stem]))
    fn, mn = [_norm(x) for x in f], [_norm(x) for x in m]
    pairs = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, fn, mn, autojunk=False).get_opcodes():
        if tag == "equal":
            pairs.extend(zip(range(i1, i2), range(j1, j2)))
        elif tag == "replace":
            pairs.extend((i1 + i, j1 + j) for i, j in _pair_block(fn[i1:i2], mn[j1:j2]))
    return tuple((f[i], m[j]) for i, j in pairs
                 if MIN_CHARS <= len(f[i]) <= MAX_CHARS and MIN_CHARS <= len(m[j]) <= MAX_CHARS)


def aligned_pairs(play) -> list[tuple[str, str]]:
    """(folio_line, modern_line) pairs of one play, in play order.

    Args:
        play: a play with a First Folio text, named as for `play_genre`.
    """
    return list(_aligned(_folio_stem(play)))


def _check_split(split):
    if split not in SPLITS:
        raise CorpusError(f"unknown split '{split}' for the folio data: use one of {', '.join(SPLITS)}")


def folio_pairs(split) -> list[tuple[str, str, str]]:
    """(folio, modern, folio play stem) for every play of FOLIO_SPLIT[split].

    Args:
        split: "train", "validation" or "test".
    """
    _check_split(split)
    return [(a, b, play) for play in FOLIO_SPLIT[split] for a, b in _aligned(play)]


# ---------------------------------------------------------------- genre passages

_GENRE_WORDS = re.compile(r"trag[eoi]d|comed|histor|finis", re.IGNORECASE)


def genre_passages(split, passage_lines=8, source="modern") -> list[tuple[str, str, str]]:
    """(passage, genre, modern play stem) for every play of GENRE_SPLIT[split].

    A passage is `passage_lines` consecutive non-empty lines (trailing space stripped) of the
    modern or folio text; the title line and lines naming a genre (tragedy, comedy, history,
    finis, in any spelling) are dropped first so labels do not leak; a short tail is dropped.

    Args:
        split: "train", "validation" or "test".
        passage_lines: lines per passage (>= 1).
        source: "modern" (the `*_gut` text) or "folio" (the First Folio `*_gut_f` text).
    """
    _check_split(split)
    if source not in ("modern", "folio"):
        raise CorpusError(f"unknown passage source '{source}': use 'modern' or 'folio'")
    if int(passage_lines) < 1:
        raise CorpusError(f"passage_lines must be >= 1, got {passage_lines}")
    n = int(passage_lines)
    out = []
    for play in GENRE_SPLIT[split]:
        stem = play if source == "modern" else MODERN_TO_FOLIO[play]
        lines = [t for t in (raw.rstrip() for raw in _text(stem).split("\n")) if t.strip()][1:]
        lines = [t for t in lines if not _GENRE_WORDS.search(t)]
        genre = GENRE_OF[play]
        out.extend(("\n".join(lines[k:k + n]), genre, play) for k in range(0, len(lines) - n + 1, n))
    return out
