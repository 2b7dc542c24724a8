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
* `NgramLM`: an interpolated n-gram language model over token ids, counted on the training
  stream and scored on the same windows as the causal LMs (bits per byte beside theirs).

>>> table = SubstitutionTable.fit([("The faire Ophelia", "The fair Ophelia")])
>>> table.translate("faire Lady")
'fair Lady'
"""
import collections
import difflib
import re

import numpy as np

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


class NgramLM:
    """Interpolated n-gram language model over token ids, for the causal-LM leaderboard.

    P(y | h) is built up from the uniform distribution over the vocabulary through each
    context length k = 0 .. order - 1: p_k = lam * count(h_k, y) / count(h_k) + (1 - lam) *
    p_(k-1), with lam = count(h_k) / (count(h_k) + kappa) (a context seen rarely trusts its
    counts little), and p_k = p_(k-1) when h_k was never seen. Counts are exact (no
    pruning), so memory grows with the distinct n-grams of the training stream.

    Written here rather than taken from a library: NLTK's n-gram models count and score in
    pure Python, one call per token and again for every cell of the leaderboard's order x
    kappa grid, and KenLM needs a compiled module and its `lmplz`
    binary, outside the pinned set; numpy counting here takes seconds, one pass of counts
    serves every kappa, and each prediction sees exactly the context a neural model's window
    gives it (never the bytes before the window's first token).

    Args:
        order: the n of the n-gram (contexts of up to order - 1 tokens).
        vocabulary_size: the number of token ids (the uniform floor is 1 / vocabulary_size).
        kappa: the interpolation constant (larger trusts longer contexts less).

    >>> lm = NgramLM(order=2, vocabulary_size=4).fit([0, 1, 0, 1, 0, 1, 0])
    >>> nll = lm.window_nll([[0, 1]], [[1, 0]])  # P(1 | 0) and P(0 | 1), no context across windows
    >>> bool(nll[0, 0] < np.log(4))
    True
    """

    def __init__(self, order=5, vocabulary_size=256, kappa=10.0):
        if order < 1:
            raise ValueError(f"NgramLM order must be at least 1, got {order}")
        self.order, self.vocabulary_size, self.kappa = order, int(vocabulary_size), float(kappa)

    def fit(self, ids):
        """Count every n-gram of `ids` (one stream: each token but the first is a target).

        Args:
            ids: the training token stream (1-D ints below vocabulary_size).
        Returns:
            self.
        """
        ids = np.asarray(ids, np.int64)
        self._tables = []  # per context length k: context counts, (context, target) counts, context codes
        self._counts(ids[None, :-1], ids[None, 1:], fit=True)
        return self

    def window_nll(self, x, y):
        """Per-token negative log-likelihood (nats) of targets `y` given inputs `x`, window by window.

        Args:
            x: [windows, T] input ids; the prediction at t sees x[:, :t + 1] of its own window only.
            y: [windows, T] target ids (y[:, t] follows x[:, t]).
        Returns:
            a float64 [windows, T] array.
        """
        return self.grid_nll(x, y, [self.order], [self.kappa])[self.order, self.kappa]

    def grid_nll(self, x, y, orders, kappas):
        """`window_nll` for every (order, kappa) pair from one pass of counting.

        Args:
            x: [windows, T] input ids (as in `window_nll`).
            y: [windows, T] target ids.
            orders: orders up to the fitted one.
            kappas: interpolation constants.
        Returns:
            dict (order, kappa) -> float64 [windows, T] NLL array.
        """
        if max(orders) > self.order:
            raise ValueError(f"order {max(orders)} is above the fitted order {self.order}")
        counts = self._counts(np.asarray(x, np.int64), np.asarray(y, np.int64), fit=False, order=max(orders))
        out = {}
        for kappa in kappas:
            p = np.full(np.shape(x), 1.0 / self.vocabulary_size)
            for k, (c, n) in enumerate(counts):
                lam = c / (c + kappa)
                p = np.where(c > 0, lam * n / np.maximum(c, 1) + (1 - lam) * p, p)
                if k + 1 in orders:
                    out[k + 1, kappa] = -np.log(p)
        return out

    def _counts(self, x, y, fit, order=None):
        """Per context length k: (count of the context, count of context then target) at every position."""
        V, counts = self.vocabulary_size, []
        code = np.zeros(x.shape, np.int64)  # code of the context of length k ending at x[:, t] (-1: none)
        for k in range(order or self.order):
            if k == 1:
                code = x.copy()
            elif k > 1:  # extend the context of length k - 1 ending one position earlier by x[:, t]
                prev = np.full(x.shape, -1, np.int64)
                prev[:, 1:] = code[:, :-1]
                joined = np.where(prev >= 0, prev * V + x, -1)
                if fit:
                    keys, dense = np.unique(joined[joined >= 0], return_inverse=True)
                    self._tables[k - 1]["extend"] = keys
                    code = np.full(x.shape, -1, np.int64)
                    code[joined >= 0] = dense
                else:
                    code = _lookup(self._tables[k - 1]["extend"], joined)
            pair = np.where(code >= 0, code * V + y, -1)
            if fit:
                self._tables.append({"contexts": np.unique(code[code >= 0], return_counts=True),
                                     "pairs": np.unique(pair[pair >= 0], return_counts=True)})
            else:
                table = self._tables[k]
                counts.append((_count(table["contexts"], code), _count(table["pairs"], pair)))
        return counts


def _lookup(keys, query):
    """The index of each query in the sorted array `keys`, or -1 where it is absent (or negative)."""
    if not len(keys):
        return np.full(query.shape, -1, np.int64)
    idx = np.minimum(np.searchsorted(keys, query), len(keys) - 1)
    return np.where((query >= 0) & (keys[idx] == query), idx, -1)


def _count(table, query):
    keys, counts = table
    idx = _lookup(keys, query)
    return np.where(idx >= 0, counts[np.maximum(idx, 0)], 0)
