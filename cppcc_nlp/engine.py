"""A fitted ThemeClassifier compiled to arrays: the same probabilities, faster, without scikit-learn.

scikit-learn's ``TfidfVectorizer.transform`` counts n-grams one Python dict
lookup at a time; at archive scale that, not segmentation, is the cost.
``compile_model`` turns the fitted vocabularies, IDF weights and linear models
into arrays; ``CompiledModel.predict_proba`` then counts the character n-grams of
a whole batch with numpy (every character of the vocabulary gets a rank, an
n-gram is a number looked up in a table) and the word n-grams from token ids,
and applies the TF-IDF weighting, normalisation and linear models as the same
floating-point operations in the same order, so the probabilities are
bit-for-bit those of ``model.predict_proba`` (the tests check it).

A compiled model holds only numpy arrays, dicts and a ``Segmenter`` (plain
data), so a worker process that unpickles it imports numpy and scipy.sparse but
not scikit-learn. A part of the model that this module does not know (another
analyzer, stop words, a custom transformer, a classifier without ``coef_``) is
kept as the scikit-learn object and called as is.
"""

from __future__ import annotations

import re
import sys
from itertools import chain
from typing import TYPE_CHECKING, Sequence

import numpy as np
from scipy import sparse

from .segment import _ASCII_JOINER, _WORD, Segmenter

if TYPE_CHECKING:
    from .model import ThemeClassifier

_WHITE_SPACES = re.compile(r"\s\s+")  # as in scikit-learn's character analyzer
_RAW_CACHE_SIZE = 200_000  # raw tokens remembered per word part (cleared when full)
_HAS_SPACE = -2
_MAX_CHAR_RANKS = 2048  # the dense table of character pairs has at most this squared cells
_MAX_TRIGRAM_CELLS = 8_000_000  # cells of the dense trigram table at most; binary search beyond


class CompiledModel:
    """Probabilities of a fitted ThemeClassifier from arrays; build it with ``compile_model``.

    ``predict_proba`` is not thread-safe (the word part caches tokens); use one
    per thread or a lock.
    """

    def __init__(self, themes, thresholds, parts, coef, intercept, link, fallback=None) -> None:
        self.themes = tuple(themes)
        self.thresholds = np.asarray(thresholds, dtype=float)
        self.parts = parts
        self.coef = coef  # (n_features, n_themes), C order
        self.intercept = intercept  # (n_themes,)
        self.link = link  # "expit" (logistic regression) or "sigmoid" (1 / (1 + exp(-d)), as model.py for SVMs)
        self.fallback = fallback  # the ThemeClassifier itself, when its classifier cannot be compiled

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """The model's feature matrix for ``texts``."""
        texts = list(texts)
        return sparse.hstack([part(texts) for part in self.parts]).tocsr()

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Per-theme probabilities, shape ``(len(texts), len(themes))``."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, len(self.themes)))
        if self.fallback is not None:
            return self.fallback.predict_proba(texts)
        scores = self.transform(texts) @ self.coef
        scores += self.intercept
        if self.link == "expit":
            from scipy.special import expit

            return expit(scores, out=scores)
        return 1.0 / (1.0 + np.exp(-scores))


def compile_model(model: "ThemeClassifier") -> CompiledModel:
    """Compile a fitted ThemeClassifier (needs scikit-learn here, not to predict)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC
    from sklearn.utils.validation import check_is_fitted

    from .model import CueWordFeatures

    check_is_fitted(model, "model_")
    themes = [str(c) for c in model.classes_]
    parts = []
    for _, part in model.vectorizer_.transformer_list:
        compiled = None
        if type(part) is CueWordFeatures and all(cue and "\x00" not in cue for cue in part.cues_):
            compiled = _CueWords(list(part.cues_), float(part.weight))
        elif isinstance(part, TfidfVectorizer) and _plain_tfidf(part):
            compiled = _compile_tfidf(part)
        parts.append(compiled if compiled is not None else _Sklearn(part))
    estimators = model.model_.estimators_
    kinds = {type(e) for e in estimators}
    if kinds == {LogisticRegression} and all(e.coef_.shape[0] == 1 for e in estimators):
        link = "expit"
    elif kinds == {LinearSVC} and all(e.coef_.shape[0] == 1 for e in estimators):
        link = "sigmoid"
    else:  # naive Bayes, or a theme absent from training (constant predictor)
        return CompiledModel(themes, model.thresholds_, parts, None, None, None, fallback=model)
    coef = np.ascontiguousarray(np.vstack([e.coef_.ravel() for e in estimators]).T, dtype=np.float64)
    intercept = np.array([float(np.ravel(e.intercept_)[0]) for e in estimators])
    return CompiledModel(themes, model.thresholds_, parts, coef, intercept, link)


def _plain_tfidf(part) -> bool:
    return (
        part.input == "content"
        and not part.lowercase
        and part.strip_accents is None
        and not part.binary
        and np.dtype(part.dtype) == np.float64
        and part.norm in ("l2", "l1", None)
    )


def _compile_tfidf(part):
    weights = _Weights(len(part.vocabulary_), part.idf_ if part.use_idf else None, part.sublinear_tf, part.norm)
    if (
        part.analyzer == "char"
        and part.preprocessor is None
        and 1 <= part.ngram_range[0] <= part.ngram_range[1] <= 3
        and len({ch for term in part.vocabulary_ for ch in term}) <= _MAX_CHAR_RANKS
        and not any("\x00" in term for term in part.vocabulary_)
    ):
        return _CharNgrams(part.vocabulary_, part.ngram_range, weights)
    if (
        part.analyzer == "word"
        and isinstance(part.tokenizer, Segmenter)
        and part.stop_words is None
        and part.ngram_range in ((1, 1), (1, 2))
        and (part.preprocessor is None or getattr(part.preprocessor, "__name__", "") == "_no_preprocessing")
    ):
        return _WordNgrams.build(part.vocabulary_, part.ngram_range[1], part.tokenizer, weights)
    return None


class _Weights:
    """TF-IDF weighting of a count matrix, as ``TfidfTransformer.transform`` computes it."""

    def __init__(self, n_features: int, idf: np.ndarray | None, sublinear: bool, norm: str | None) -> None:
        self.n_features = n_features
        self.idf = None if idf is None else np.asarray(idf, dtype=np.float64)
        self.sublinear = sublinear
        self.norm = norm

    def __call__(self, rows: np.ndarray, cols: np.ndarray, n_texts: int) -> sparse.csr_matrix:
        X = _counts(rows, cols, n_texts, self.n_features)
        if self.sublinear:
            np.log(X.data, X.data)
            X.data += 1.0
        if self.idf is not None:
            X.data *= self.idf[X.indices]
        if self.norm is not None:
            # row sums in storage order (csr matvec), as scikit-learn's inplace row normalisation
            values = X.data * X.data if self.norm == "l2" else np.abs(X.data)
            totals = sparse.csr_matrix((values, X.indices, X.indptr), shape=X.shape) @ np.ones(X.shape[1])
            if self.norm == "l2":
                totals = np.sqrt(totals)
            totals[totals == 0.0] = 1.0  # empty rows stay as they are
            X.data /= np.repeat(totals, np.diff(X.indptr))
        return X


def _counts(rows: np.ndarray, cols: np.ndarray, n_rows: int, n_cols: int, value: float | None = None) -> sparse.csr_matrix:
    """The count matrix of (row, col) pairs: what ``csr_matrix((ones, (rows, cols))).sum_duplicates()`` gives.

    One sort of ``row * n_cols + col`` puts each row's columns in order and
    duplicates side by side; counting runs is then array arithmetic. With
    ``value``, every pair present holds ``value`` instead of its count.
    """
    key_type = np.int32 if n_rows * n_cols < 2**31 else np.int64  # a smaller key sorts faster
    keys = rows.astype(key_type, copy=False) * key_type(n_cols)
    keys += cols.astype(key_type, copy=False)
    keys.sort()
    if len(keys):
        first = np.empty(len(keys), dtype=bool)
        first[0] = True
        np.not_equal(keys[1:], keys[:-1], out=first[1:])
        starts = np.flatnonzero(first)
        keys = keys[starts]
        counts = np.diff(starts, append=len(first)).astype(np.float64)
        if value is not None:
            counts[:] = value
    else:
        counts = np.zeros(0, dtype=np.float64)
    row_of = keys // n_cols
    index_dtype = np.int32 if max(len(keys), n_cols, n_rows) < 2**31 - 1 else np.int64  # as scipy chooses
    indptr = np.zeros(n_rows + 1, dtype=index_dtype)
    np.cumsum(np.bincount(row_of, minlength=n_rows), out=indptr[1:])
    X = sparse.csr_matrix((counts, (keys - row_of * n_cols).astype(index_dtype), indptr), shape=(n_rows, n_cols))
    X.has_sorted_indices = True
    return X


class _CharNgrams:
    """Character 1- to 3-grams counted with numpy.

    Every character of the vocabulary gets a rank r < R (-1 for any other
    character, in a table over all of Unicode). The texts of a batch are joined
    with NUL, which is never in the vocabulary (else the part is not compiled),
    so no n-gram counted crosses two texts. A bigram is the cell r0*R + r1 of a
    dense table; a trigram is looked up, only where its first two characters
    start a trigram of the vocabulary, in a dense table of (prefix, third rank)
    or, when that table would be too large, by binary search.
    """

    def __init__(self, vocabulary: dict[str, int], ngram_range: tuple[int, int], weights: _Weights) -> None:
        self.vocabulary = dict(vocabulary)
        self.min_n, self.max_n = ngram_range
        self.weights = weights
        self._build_tables()

    def __getstate__(self) -> dict:  # the tables are rebuilt on unpickling: a smaller pickle
        return {"vocabulary": self.vocabulary, "min_n": self.min_n, "max_n": self.max_n, "weights": self.weights}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._build_tables()

    def _build_tables(self) -> None:
        vocabulary = self.vocabulary
        chars = sorted({ch for term in vocabulary for ch in term})
        size = self.size = len(chars)
        self.rank = np.full(sys.maxunicode + 1, -1, dtype=np.int16)
        for r, ch in enumerate(chars):
            self.rank[ord(ch)] = r
        # feature indices in the smallest type that holds them: smaller tables stay in the CPU cache
        index_type = np.int16 if len(vocabulary) < 2**15 else np.int32
        self.unigram = np.full(size, -1, dtype=index_type)
        self.bigram = np.full(size * size, -1, dtype=index_type)
        trigrams = []
        for term, index in vocabulary.items():
            ranks = [int(self.rank[ord(ch)]) for ch in term]
            if len(term) == 1:
                self.unigram[ranks[0]] = index
            elif len(term) == 2:
                self.bigram[ranks[0] * size + ranks[1]] = index
            elif len(term) == 3:
                trigrams.append((ranks[0] * size + ranks[1], ranks[2], index))
        pairs = sorted({pair for pair, _, _ in trigrams})
        prefix_type = np.int16 if len(pairs) < 2**15 else np.int32
        self.prefix = np.full(size * size, -1, dtype=prefix_type)  # pair cell -> its number among trigram prefixes
        self.prefix[pairs] = np.arange(len(pairs), dtype=prefix_type)
        if len(pairs) * size <= _MAX_TRIGRAM_CELLS:
            self.trigram = np.full(len(pairs) * size, -1, dtype=index_type)
            for pair, third, index in trigrams:
                self.trigram[int(self.prefix[pair]) * size + third] = index
            self.trigram_keys = self.trigram_ids = None
        else:
            self.trigram = None
            keys = sorted((int(self.prefix[pair]) * size + third, index) for pair, third, index in trigrams)
            self.trigram_keys = np.array([key for key, _ in keys], dtype=np.int64)
            self.trigram_ids = np.array([index for _, index in keys], dtype=index_type)

    def __call__(self, texts: list[str]) -> sparse.csr_matrix:
        joined = "\x00".join(texts) + "\x00"
        if _WHITE_SPACES.search(joined):  # no run of white space crosses the NULs
            texts = [_WHITE_SPACES.sub(" ", t) for t in texts]
            joined = "\x00".join(texts) + "\x00"
        ranks = self.rank[np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)].astype(np.int32)
        lengths = np.fromiter(map(len, texts), dtype=np.int32, count=len(texts)) + 1
        row_of = np.repeat(np.arange(len(texts), dtype=np.int32), lengths)
        all_rows, all_cols = [], []

        def add(start: np.ndarray, ids: np.ndarray) -> None:
            hit = ids >= 0
            all_rows.append(row_of[start[hit]])
            all_cols.append(ids[hit])

        known = np.flatnonzero(ranks >= 0)
        if self.min_n == 1:
            add(known, self.unigram[ranks[known]])
        if self.max_n >= 2:
            start = known[:-1][np.diff(known) == 1]  # both characters known; the last character is the NUL
            pair = ranks[start] * self.size + ranks[start + 1]
            if self.min_n <= 2:
                add(start, self.bigram[pair])
            if self.max_n >= 3:
                prefix = self.prefix[pair]
                third = ranks[start + 2]  # in range: the joined text ends with a NUL, never the second character
                found = (prefix >= 0) & (third >= 0)
                key_type = np.int32 if self.trigram is not None else np.int64  # int32 holds the dense table's cells
                start, key = start[found], prefix[found].astype(key_type) * self.size + third[found]
                if self.trigram is not None:
                    add(start, self.trigram[key])
                elif len(self.trigram_keys):
                    where = np.minimum(np.searchsorted(self.trigram_keys, key), len(self.trigram_keys) - 1)
                    add(start, np.where(self.trigram_keys[where] == key, self.trigram_ids[where], -1))
        if not all_rows:
            return self.weights(np.zeros(0, np.int64), np.zeros(0, np.int64), len(texts))
        return self.weights(np.concatenate(all_rows), np.concatenate(all_cols), len(texts))


class _WordNgrams:
    """Word uni- and bigrams of ``Segmenter.tokens``, counted from token ranks."""

    @classmethod
    def build(cls, vocabulary: dict[str, int], max_n: int, segmenter: Segmenter, weights: _Weights):
        unigrams = {term: index for term, index in vocabulary.items() if " " not in term}
        rank = {term: r for r, term in enumerate(unigrams)}
        keys = []
        for term, index in vocabulary.items():
            if " " in term:
                first, _, second = term.partition(" ")
                if max_n < 2 or first not in rank or second not in rank:
                    return None  # a term this scheme cannot represent: use the vectorizer itself
                keys.append((rank[first] * len(rank) + rank[second], index))
        keys.sort()
        ids = np.array(list(unigrams.values()), dtype=np.int64)
        return cls(dict(vocabulary), segmenter, rank, ids, keys, max_n, weights)

    def __init__(self, vocabulary, segmenter, rank, unigram_ids, keys, max_n, weights) -> None:
        self.vocabulary = vocabulary
        self.segmenter = segmenter
        self.rank = rank  # unigram term -> its rank
        self.unigram_ids = unigram_ids  # rank -> feature index
        self.keys = np.array([key for key, _ in keys], dtype=np.int64)  # rank pair -> ...
        self.ids = np.array([index for _, index in keys], dtype=np.int64)  # ... bigram feature index
        self.max_n = max_n
        self.weights = weights
        self._reset_cache()

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        for name in ("raw_ids", "new_kept", "kept_len", "kept_start", "kept_flat"):
            state.pop(name)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._reset_cache()

    def __call__(self, texts: list[str]) -> sparse.csr_matrix:
        try:
            ranks, lengths = self._ranks(texts)
        except _Unsupported:
            return self._count_slowly(texts)
        rows_of = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
        known = ranks >= 0
        rows = [rows_of[known]]
        cols = [self.unigram_ids[ranks[known]]]
        if self.max_n >= 2 and len(ranks) > 1 and len(self.keys):
            ends = np.repeat(np.cumsum(lengths), lengths)
            first = np.arange(len(ranks) - 1)
            first = first[(first + 2 <= ends[:-1]) & known[:-1] & known[1:]]
            key = ranks[first] * len(self.rank) + ranks[first + 1]
            where = np.minimum(np.searchsorted(self.keys, key), len(self.keys) - 1)
            hit = self.keys[where] == key
            rows.append(rows_of[first[hit]])
            cols.append(self.ids[where[hit]])
        return self.weights(np.concatenate(rows), np.concatenate(cols), len(texts))

    def _count_slowly(self, texts: list[str]) -> sparse.csr_matrix:
        """One n-gram at a time, as scikit-learn's CountVectorizer does."""
        rows, cols = [], []
        for row, text in enumerate(texts):
            tokens = self.segmenter.tokens(text)
            grams = tokens + [" ".join(tokens[i : i + 2]) for i in range(len(tokens) - 1)] if self.max_n >= 2 else tokens
            for gram in grams:
                index = self.vocabulary.get(gram)
                if index is not None:
                    rows.append(row)
                    cols.append(index)
        return self.weights(np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64), len(texts))

    def _ranks(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Unigram ranks (-1: not in the vocabulary) of ``Segmenter.tokens`` of each text, and their counts.

        The texts are cut as one, joined by line breaks: jieba never joins a
        line break to another token, nor a word across one, so the tokens are
        those of each text with a "\\n" token between two texts (checked by
        counting them; texts holding a line break are cut one by one). Each
        distinct raw token gets an id once; what ``Segmenter.tokens`` keeps of
        it (nothing for punctuation, white space and stop-words, usually the
        token, several parts for joined ASCII) is stored as a run in
        ``kept_flat``; expanding ids to runs is then array arithmetic.
        """
        if len(self.raw_ids) > _RAW_CACHE_SIZE:
            self._reset_cache()
        cut = self._cut
        joined = "\n".join(texts)
        row_of = None
        if joined.count("\n") == len(texts) - 1 and "\r" not in joined:
            tokens = cut(joined)
            # a new raw token gets its id in raw_ids.__missing__, its kept ranks in self.new_kept
            ids = np.fromiter(map(self.raw_ids.__getitem__, tokens), dtype=np.int64, count=len(tokens))
            is_break = ids == self.raw_ids["\n"]
            if np.count_nonzero(is_break) == len(texts) - 1:
                row_of = np.cumsum(is_break)  # a break keeps no token: which row it counts in does not matter
        if row_of is None:
            token_lists = [cut(text) for text in texts]
            raw_counts = np.fromiter(map(len, token_lists), dtype=np.int64, count=len(token_lists))
            ids = np.fromiter(map(self.raw_ids.__getitem__, chain.from_iterable(token_lists)), dtype=np.int64,
                              count=int(raw_counts.sum()))
            row_of = np.repeat(np.arange(len(texts)), raw_counts)
        if self.new_kept:
            self._store_new()
        lens = self.kept_len[ids]
        offsets = np.arange(int(lens.sum()), dtype=np.int64) - np.repeat(np.cumsum(lens) - lens, lens)
        ranks = self.kept_flat[np.repeat(self.kept_start[ids], lens) + offsets]
        if (ranks == _HAS_SPACE).any():
            raise _Unsupported("a token holds a space")
        lengths = np.bincount(row_of, weights=lens, minlength=len(texts))
        return ranks, lengths.astype(np.int64)

    @property
    def _cut(self):
        """The tokenizer's cut returning a list (jieba's ``cut`` is a generator, rjieba's a list)."""
        tokenizer = self.segmenter.tokenizer
        return getattr(tokenizer, "lcut", tokenizer.cut)

    def _reset_cache(self) -> None:
        self.new_kept: list[list[int]] = []  # kept ranks of the raw tokens met since the last _store_new
        self.raw_ids = _RawIds(self._new_id)
        self.kept_len = self.kept_start = self.kept_flat = np.zeros(0, dtype=np.int64)

    def _new_id(self, raw: str) -> int:
        self.new_kept.append(self._kept_ranks(raw))
        return len(self.kept_len) + len(self.new_kept) - 1

    def _store_new(self) -> None:
        """Append the kept ranks of the new raw tokens to the arrays that ``_ranks`` indexes."""
        lengths = np.fromiter(map(len, self.new_kept), dtype=np.int64, count=len(self.new_kept))
        starts = len(self.kept_flat) + np.cumsum(lengths) - lengths
        flat = np.fromiter(chain.from_iterable(self.new_kept), dtype=np.int64, count=int(lengths.sum()))
        self.kept_len = np.concatenate([self.kept_len, lengths])
        self.kept_start = np.concatenate([self.kept_start, starts])
        self.kept_flat = np.concatenate([self.kept_flat, flat])
        self.new_kept = []

    def _kept_ranks(self, raw: str) -> list[int]:
        """``Segmenter.cut`` and ``Segmenter.tokens`` applied to one raw token, as ranks."""
        if len(raw) > 1 and raw.isascii() and _ASCII_JOINER.search(raw):
            parts = [part for part in _ASCII_JOINER.split(raw) if part]
        else:
            parts = [raw]
        stop = self.segmenter.stopwords
        kept = [part for part in parts if part not in stop and _WORD.search(part) and not part.isspace()]
        # a token with a space is not in the unigram table but could spell a bigram term
        return [_HAS_SPACE if " " in part else self.rank.get(part, -1) for part in kept]


class _RawIds(dict):
    """Raw token -> its id; a token not seen yet gets one from ``new_id`` on first lookup."""

    def __init__(self, new_id) -> None:
        super().__init__()
        self.new_id = new_id

    def __missing__(self, raw: str) -> int:
        raw_id = self[raw] = self.new_id(raw)
        return raw_id


class _Unsupported(Exception):
    """Input that the compiled part cannot count exactly; the caller falls back."""


class _CueWords:
    """``CueWordFeatures``: which cue words each text contains, found in one scan of the whole batch.

    At each position of the joined texts, a lookahead regex finds the longest
    cue starting there (alternatives longest first; the leading character class
    lets the regex engine skip positions fast); every shorter cue starting there
    is a prefix of that one, so the cues found at a position are the longest
    one's prefixes that are cues. Texts are joined with NUL, which no cue holds,
    so no match crosses two texts.
    """

    def __init__(self, cues: list[str], weight: float) -> None:
        self.cues = cues
        self.weight = weight
        self._build()

    def __getstate__(self) -> dict:
        return {"cues": self.cues, "weight": self.weight}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._build()

    def _build(self) -> None:
        cues = self.cues
        longest_first = sorted(cues, key=len, reverse=True)
        first_chars = "".join(sorted({cue[0] for cue in cues}))
        alternatives = "|".join(map(re.escape, longest_first))
        self._pattern = re.compile(f"(?=[{re.escape(first_chars)}])(?=({alternatives}))") if cues else None
        prefixes = [[j for j, other in enumerate(cues) if cue.startswith(other)] for cue in cues]
        self._found = {cue: i for i, cue in enumerate(cues)}  # the cue matched -> its index
        self._prefix_len = np.array([len(p) for p in prefixes], dtype=np.int64)
        self._prefix_start = np.cumsum(self._prefix_len) - self._prefix_len
        self._prefix_flat = np.array([j for p in prefixes for j in p], dtype=np.int64)

    def __call__(self, texts: list[str]) -> sparse.csr_matrix:
        n_cues = len(self.cues)
        if self._pattern is None or not texts:
            return _counts(np.zeros(0, np.int64), np.zeros(0, np.int64), len(texts), n_cues, self.weight)
        joined = "\x00".join(texts)
        matches = self._pattern.finditer(joined)
        found = self._found
        hits = [(m.start(), found[m.group(1)]) for m in matches]
        if not hits:
            return _counts(np.zeros(0, np.int64), np.zeros(0, np.int64), len(texts), n_cues, self.weight)
        at, cue = np.array(hits, dtype=np.int64).T
        sizes = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)) + 1  # with the NUL after each
        starts = np.cumsum(sizes) - sizes
        rows = np.searchsorted(starts, at, side="right") - 1
        lens = self._prefix_len[cue]
        offsets = np.arange(int(lens.sum()), dtype=np.int64) - np.repeat(np.cumsum(lens) - lens, lens)
        cols = self._prefix_flat[np.repeat(self._prefix_start[cue], lens) + offsets]
        return _counts(np.repeat(rows, lens), cols, len(texts), n_cues, self.weight)


class _Sklearn:
    """A part kept as its scikit-learn transformer."""

    def __init__(self, transformer) -> None:
        self.transformer = transformer

    def __call__(self, texts: list[str]):
        return self.transformer.transform(texts)


__all__ = ["CompiledModel", "compile_model"]
