"""Non-neural baselines that every task on the leaderboard is shown beside.

* `majority_label`: the most common label of the *training* examples (what a model that
  learned nothing but the prior would answer).
* `NgramClassifier`: logistic regression on TF-IDF byte n-gram counts (scikit-learn),
  trained on the same passages as the neural classifiers.
* `PairFeatureNsp`: next-sentence prediction from surface features of the pair (word and
  character-trigram overlap, shared capitalised names, punctuation at the seam, lengths)
  by logistic regression: how much of NSP a model could get without reading for sense.
* `SubstitutionTable`: word-level First Folio -> modern spelling, learned from aligned
  training lines: each Folio word is replaced by the modern word it was most often aligned
  with (kept when keeping it was as common); unseen words are copied.

>>> table = SubstitutionTable.fit([("The faire Ophelia", "The fair Ophelia")])
>>> table.translate("faire Lady")
'fair Lady'
"""
import collections
import difflib
import re

WORD = re.compile(r"[A-Za-z']+")


def majority_label(labels):
    """The most common label (ties: the smallest), e.g. of the training examples.

    Args:
        labels: a list of hashable labels.
    Returns:
        the label.
    >>> majority_label([2, 0, 2, 1])
    2
    """
    counts = collections.Counter(labels)
    return min(counts, key=lambda y: (-counts[y], y))


class NgramClassifier:
    """Logistic regression on TF-IDF byte n-grams (characters 1-3 within word boundaries).

    Args:
        ngram_range: character n-gram lengths.
        C: inverse regularisation strength of the logistic regression.

    >>> clf = NgramClassifier().fit(["a cat", "a dog", "the cat", "the dog"], [0, 1, 0, 1])
    >>> clf.predict(["my cat"])
    [0]
    """

    def __init__(self, ngram_range=(1, 3), C=1.0):
        self.ngram_range, self.C = ngram_range, C

    def fit(self, texts, labels):
        """Fit the TF-IDF vectoriser and the logistic regression.

        Args:
            texts: the training passages (strings).
            labels: their class labels, one per text.

        Returns:
            self, fitted.
        """
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        self.pipeline = make_pipeline(
            TfidfVectorizer(analyzer="char_wb", ngram_range=self.ngram_range, sublinear_tf=True, min_df=2),
            LogisticRegression(C=self.C, max_iter=2000))
        self.pipeline.fit(list(texts), list(labels))
        return self

    def predict(self, texts):
        """Predict the class of each text (call `fit` first).

        Args:
            texts: passages (strings).

        Returns:
            A list of predicted labels, of the training labels' Python type (int or str).
        """
        # numpy scalars back to Python values: ints stay ints, string labels stay strings
        return [y.item() if hasattr(y, "item") else y for y in self.pipeline.predict(list(texts))]


class PairFeatureNsp:
    """Next-sentence prediction by logistic regression on surface features of (A, B).

    Features: word-set Jaccard overlap, character-trigram cosine, capitalised names shared,
    A ending a sentence (. ! ?) or a clause (, ; :), B starting upper-case, both lengths.

    >>> pairs = [("He said,", "and then he left."), ("He said,", "THE SEA.")] * 20
    >>> PairFeatureNsp().fit(pairs, [1, 0] * 20).predict([("She said,", "and so it went.")])
    [1]
    """

    @staticmethod
    def features(a, b):
        """The surface features of one (A, B) pair.

        Args:
            a: the first text (segment A).
            b: the candidate next text (segment B).

        Returns:
            A list of 8 numbers: word-set Jaccard overlap, character-trigram cosine, number
            of shared capitalised words, A ends a sentence, A ends a clause, B starts
            upper-case, len(a), len(b) (in characters).
        """
        wa, wb = set(a.lower().split()), set(b.lower().split())
        ga, gb = _trigrams(a), _trigrams(b)
        dot = sum(n * gb[g] for g, n in ga.items())
        norm = (sum(n * n for n in ga.values()) * sum(n * n for n in gb.values())) ** 0.5
        names_a = {w for w in WORD.findall(a) if w[:1].isupper()}
        names_b = {w for w in WORD.findall(b) if w[:1].isupper()}
        end = a.rstrip()[-1:]
        return [len(wa & wb) / max(1, len(wa | wb)), dot / norm if norm else 0.0, len(names_a & names_b),
                float(end in ".!?"), float(end in ",;:"), float(b.lstrip()[:1].isupper()), len(a), len(b)]

    def fit(self, pairs, labels):
        """Fit the scaler and the logistic regression on the pairs' features.

        Args:
            pairs: (A, B) text pairs.
            labels: one per pair: 1 = B follows A, 0 = it does not.

        Returns:
            self, fitted.
        """
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        self.model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
        self.model.fit([self.features(a, b) for a, b in pairs], list(labels))
        return self

    def predict(self, pairs):
        """Predict, per pair, whether B follows A (call `fit` first).

        Args:
            pairs: (A, B) text pairs.

        Returns:
            A list of ints: 1 = B follows A, 0 = it does not.
        """
        return [int(y) for y in self.model.predict([self.features(a, b) for a, b in pairs])]


def _trigrams(text):
    text = text.lower()
    return collections.Counter(text[i:i + 3] for i in range(len(text) - 2))


def aligned_words(source, target):
    """Pairs (source word, target word) of two lines' words aligned one to one by difflib
    (equal runs, and replaced runs of the same length); other words have no partner.

    Args:
        source: a line of text (e.g. First Folio spelling).
        target: the line it is aligned to (e.g. modern spelling).
    Returns:
        dict source word index -> target word (the words as written).
    >>> aligned_words("The faire Ophelia", "The fair Ophelia")
    {0: 'The', 1: 'fair', 2: 'Ophelia'}
    """
    a, b = WORD.findall(source), WORD.findall(target)
    out = {}
    matcher = difflib.SequenceMatcher(None, [w.lower() for w in a], [w.lower() for w in b], autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal" or (op == "replace" and i2 - i1 == j2 - j1):
            out.update({i1 + k: b[j1 + k] for k in range(i2 - i1)})
    return out


def _cased_like(word, model):
    if model.isupper() and len(model) > 1:
        return word.upper()
    if model[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


class SubstitutionTable:
    """Word-level spelling modernisation learned from aligned (Folio, modern) lines.

    Args:
        table: dict lower-case Folio word -> lower-case modern word.
    """

    def __init__(self, table):
        self.table = table

    @classmethod
    def fit(cls, pairs):
        """Learn the table from (source line, target line) pairs.

        Args:
            pairs: iterable of (Folio line, modern line).
        Returns:
            a SubstitutionTable.
        """
        counts = collections.defaultdict(collections.Counter)
        for source, target in pairs:
            words = WORD.findall(source)
            for i, t in aligned_words(source, target).items():
                counts[words[i].lower()][t.lower()] += 1
        table = {}
        for w, c in counts.items():
            best, n = c.most_common(1)[0]
            if best != w and n > c[w]:
                table[w] = best
        return cls(table)

    def translate(self, line):
        """The line with every known Folio word replaced (capitalisation kept).

        Args:
            line: a line of text; words not in the table are left as written.

        Returns:
            The translated line.
        """
        return WORD.sub(lambda m: _cased_like(self.table.get(m.group().lower(), m.group().lower()), m.group())
                        if m.group().lower() in self.table else m.group(), line)
