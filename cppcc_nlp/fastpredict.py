"""Vectorised prediction for a fitted ThemeClassifier, equal to ``model.predict_proba``.

scikit-learn's ``TfidfVectorizer.transform`` counts n-grams one Python dict
lookup at a time; at archive scale that, not segmentation, is the cost. Here the
character n-grams of a whole batch are counted with numpy (code points packed
into 64-bit keys, looked up with ``searchsorted``) and word n-grams from token
ids, giving the same count matrix; the TF-IDF weighting, normalisation and the
linear model are then the same operations in the same order, so the
probabilities are bit-for-bit those of ``model.predict_proba``.

Any part of the feature union that this module does not recognise (another
analyzer, stop words, a custom transformer) is computed by the part's own
``transform``, so every fitted ThemeClassifier is supported.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from itertools import chain
from typing import Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize
from sklearn.utils.validation import check_is_fitted

from .model import CueWordFeatures, ThemeClassifier, _probabilities
from .segment import _ASCII_JOINER, _WORD, Segmenter

_WHITE_SPACES = re.compile(r"\s\s+")  # as in scikit-learn's character analyzer
_BITS = 21  # every code point fits in 21 bits, so three fit in one uint64
_RAW_CACHE_SIZE = 200_000  # raw tokens remembered per word part (cleared when full)
_HAS_SPACE = -2


class FastPredictor:
    """``predict_proba`` of a fitted ThemeClassifier over many texts, vectorised.

    Build it once per process and reuse it: building compiles the vocabularies
    into sorted key arrays.
    """

    def __init__(self, model: ThemeClassifier) -> None:
        check_is_fitted(model, "model_")
        self.model = model
        self.parts = [_compile_part(part) for _, part in model.vectorizer_.transformer_list]

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """The model's feature matrix for ``texts`` (equal to ``model.vectorizer_.transform``)."""
        texts = list(texts)
        blocks = [part(texts) for part in self.parts]
        return sparse.hstack(blocks).tocsr()

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Per-theme probabilities, columns in ``model.classes_`` order."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, len(self.model.classes_)))
        return _probabilities(self.model.model_, self.transform(texts))


def _compile_part(part):
    """A function texts -> sparse block for one transformer of the feature union."""
    if type(part) is CueWordFeatures and all(cue and "\x00" not in cue for cue in part.cues_):
        return _CueWords(part)
    if isinstance(part, TfidfVectorizer) and _plain_tfidf(part):
        if part.analyzer == "char" and part.ngram_range[0] >= 1 and part.ngram_range[1] <= 3 and _few_chars(part):
            return _CharNgrams(part)
        if (
            part.analyzer == "word"
            and part.tokenizer is not None
            and part.stop_words is None
            and part.ngram_range in ((1, 1), (1, 2))
        ):
            words = _WordNgrams(part)
            if words.supported:
                return words
    return part.transform


def _few_chars(part: TfidfVectorizer) -> bool:
    """Whether the dense table of character pairs stays small (at most 4M cells)."""
    return len({ch for term in part.vocabulary_ for ch in term}) <= 2048


def _plain_tfidf(part: TfidfVectorizer) -> bool:
    return (
        part.input == "content"
        and not part.lowercase
        and part.strip_accents is None
        and (part.analyzer == "char" and part.preprocessor is None or part.analyzer == "word")
        and not part.binary
        and np.dtype(part.dtype) == np.float64
        and part.norm in ("l2", "l1", None)
    )


def _tfidf(part: TfidfVectorizer, rows: np.ndarray, cols: np.ndarray, n_texts: int) -> sparse.csr_matrix:
    """Counts of (row, col) pairs -> the vectorizer's TF-IDF block, as its transform computes it."""
    n_features = len(part.vocabulary_)
    ones = np.ones(len(rows), dtype=np.float64)
    counts = sparse.csr_matrix((ones, (rows, cols)), shape=(n_texts, n_features))
    counts.sum_duplicates()  # also sorts the indices of each row, as CountVectorizer does
    if part.sublinear_tf:
        np.log(counts.data, counts.data)
        counts.data += 1.0
    if part.use_idf:
        counts.data *= part.idf_[counts.indices]
    if part.norm is not None:
        counts = normalize(counts, norm=part.norm, copy=False)
    return counts


class _CharNgrams:
    """Character n-grams (analyzer="char", n from 1 to 3) counted with numpy.

    Every character of the vocabulary gets a rank r < R; an n-gram is the number
    r0*R**(n-1) + ... + r(n-1), looked up in a dense table for n <= 2 and by
    binary search among the vocabulary's trigrams (only where the first two
    characters form a trigram prefix) for n = 3.
    """

    def __init__(self, part: TfidfVectorizer) -> None:
        self.part = part
        self.min_n, self.max_n = part.ngram_range
        chars = sorted({ch for term in part.vocabulary_ for ch in term})
        size = len(chars)
        self.size = size
        self.max_code = max((ord(ch) for ch in chars), default=0)
        self.rank = np.full(self.max_code + 1, -1, dtype=np.int64)
        for r, ch in enumerate(chars):
            self.rank[ord(ch)] = r
        self.unigram = np.full(size, -1, dtype=np.int64)
        self.bigram = np.full(size * size, -1, dtype=np.int64)
        self.prefix = np.zeros(size * size, dtype=bool)
        trigrams = []
        for term, index in part.vocabulary_.items():
            ranks = [int(self.rank[ord(ch)]) for ch in term]
            if len(term) == 1:
                self.unigram[ranks[0]] = index
            elif len(term) == 2:
                self.bigram[ranks[0] * size + ranks[1]] = index
            elif len(term) == 3:
                self.prefix[ranks[0] * size + ranks[1]] = True
                trigrams.append(((ranks[0] * size + ranks[1]) * size + ranks[2], index))
        trigrams.sort()
        self.trigram_keys = np.array([key for key, _ in trigrams], dtype=np.int64)
        self.trigram_ids = np.array([index for _, index in trigrams], dtype=np.int64)

    def __call__(self, texts: list[str]) -> sparse.csr_matrix:
        texts = [_WHITE_SPACES.sub(" ", t) if _WHITE_SPACES.search(t) else t for t in texts]
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        codes = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
        ranks = self.rank[np.minimum(codes, self.max_code)]
        ranks[codes > self.max_code] = -1
        rows_of = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
        ends = np.repeat(np.cumsum(lengths), lengths)
        positions = np.arange(len(codes), dtype=np.int64)
        known = ranks >= 0
        all_rows, all_cols = [], []

        def add(start: np.ndarray, ids: np.ndarray) -> None:
            hit = ids >= 0
            all_rows.append(rows_of[start[hit]])
            all_cols.append(ids[hit])

        if self.min_n <= 1 <= self.max_n:
            start = positions[known]
            add(start, self.unigram[ranks[start]])
        if self.min_n <= 2 <= self.max_n or self.max_n >= 3:
            pair = (positions + 2 <= ends) & known
            pair[:-1] &= known[1:]
            start = positions[pair]
            pair_key = ranks[start] * self.size + ranks[start + 1]
            if self.min_n <= 2 <= self.max_n:
                add(start, self.bigram[pair_key])
            if self.max_n >= 3 and len(self.trigram_keys):
                triple = self.prefix[pair_key] & (start + 3 <= ends[start])
                start, pair_key = start[triple], pair_key[triple]
                third = ranks[start + 2]
                start, key = start[third >= 0], pair_key[third >= 0] * self.size + third[third >= 0]
                where = np.minimum(np.searchsorted(self.trigram_keys, key), len(self.trigram_keys) - 1)
                ids = np.where(self.trigram_keys[where] == key, self.trigram_ids[where], -1)
                add(start, ids)
        return _tfidf(self.part, np.concatenate(all_rows), np.concatenate(all_cols), len(texts))


class _WordNgrams:
    """Word uni- and bigrams from the vectorizer's tokenizer, counted from token ids."""

    def __init__(self, part: TfidfVectorizer) -> None:
        self.part = part
        self.tokenize = part.tokenizer
        self.preprocess = part.preprocessor or _identity
        self._reset_cache()
        self.unigrams = {term: index for term, index in part.vocabulary_.items() if " " not in term}
        n_unigrams = len(self.unigrams)
        # bigram key = (position of first word in the unigram table) * n + position of second
        self.word_rank = {term: rank for rank, term in enumerate(self.unigrams)}
        self.unigram_ids = np.array(list(self.unigrams.values()), dtype=np.int64)
        keys, ids = [], []
        self.supported = True
        for term, index in part.vocabulary_.items():
            if " " not in term:
                continue
            first, _, second = term.partition(" ")
            if part.ngram_range[1] < 2 or first not in self.word_rank or second not in self.word_rank:
                self.supported = False  # a term this scheme cannot represent: use the part's transform
                return
            keys.append(self.word_rank[first] * n_unigrams + self.word_rank[second])
            ids.append(index)
        self.n_unigrams = n_unigrams
        order = np.argsort(np.array(keys, dtype=np.uint64), kind="stable")
        self.keys = np.array(keys, dtype=np.uint64)[order]
        self.ids = np.array(ids, dtype=np.int64)[order]

    def __call__(self, texts: list[str]) -> sparse.csr_matrix:
        if isinstance(self.tokenize, Segmenter):
            ranks, lengths = self._segmenter_ranks(texts)
        else:
            ranks, lengths = self._tokenizer_ranks(texts)
        if ranks is None:
            return self.part.transform(texts)  # a token with a space could spell a bigram term
        rows_of = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
        known = ranks >= 0
        rows = [rows_of[known]]
        cols = [self.unigram_ids[ranks[known]]]
        if self.part.ngram_range[1] >= 2 and len(ranks) > 1:
            ends = np.repeat(np.cumsum(lengths), lengths)
            first = np.arange(len(ranks) - 1)
            pair = (first + 2 <= ends[:-1]) & known[:-1] & known[1:]
            first = first[pair]
            key = ranks[first].astype(np.uint64) * np.uint64(self.n_unigrams) + ranks[first + 1].astype(np.uint64)
            bigram_rows, bigram_cols = _lookup(self.keys, self.ids, key, rows_of[first])
            rows.append(bigram_rows)
            cols.append(bigram_cols)
        return _tfidf(self.part, np.concatenate(rows), np.concatenate(cols), len(texts))


    def _tokenizer_ranks(self, texts: list[str]):
        token_lists = [self.tokenize(self.preprocess(text)) for text in texts]
        flat = [token for tokens in token_lists for token in tokens]
        get = self.word_rank.get
        ranks = np.fromiter((get(token, -1) for token in flat), dtype=np.int64, count=len(flat))
        if any(" " in flat[i] for i in np.flatnonzero(ranks < 0)):
            return None, None
        return ranks, np.fromiter(map(len, token_lists), dtype=np.int64, count=len(token_lists))

    def _segmenter_ranks(self, texts: list[str]):
        """Ranks of ``Segmenter.tokens`` for each text, through a cache of the tokenizer's raw tokens.

        Each distinct raw token gets an id once; what ``Segmenter.tokens`` keeps of
        it (nothing for punctuation and stop-words, usually one word, several for
        joined ASCII) is stored as a run in ``kept_flat``; expanding ids to runs is
        then array arithmetic.
        """
        segmenter = self.tokenize
        if len(self.raw_ids) > _RAW_CACHE_SIZE:
            self._reset_cache()
        cut = segmenter.tokenizer.cut
        preprocess = self.preprocess
        token_lists = list(map(cut, map(preprocess, texts)))
        ids = list(map(self.raw_ids.get, chain.from_iterable(token_lists)))
        if None in ids:
            flat = list(chain.from_iterable(token_lists))
            for i, raw_id in enumerate(ids):
                if raw_id is None:
                    ids[i] = self._add_raw(segmenter, flat[i])
            self.kept_len = np.array(self._kept_len, dtype=np.int64)
            self.kept_start = np.array(self._kept_start, dtype=np.int64)
            self.kept_flat = np.array(self._kept_flat, dtype=np.int64)
        ids = np.array(ids, dtype=np.int64)
        lens = self.kept_len[ids]
        total = int(lens.sum())
        offsets = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(lens) - lens, lens)
        ranks = self.kept_flat[np.repeat(self.kept_start[ids], lens) + offsets]
        if (ranks == _HAS_SPACE).any():
            return None, None
        raw_counts = np.fromiter(map(len, token_lists), dtype=np.int64, count=len(token_lists))
        text_of_raw = np.repeat(np.arange(len(texts)), raw_counts)
        lengths = np.bincount(text_of_raw, weights=lens, minlength=len(texts)).astype(np.int64)
        return ranks, lengths

    def _reset_cache(self) -> None:
        self.raw_ids: dict[str, int] = {}
        self._kept_len: list[int] = []
        self._kept_start: list[int] = []
        self._kept_flat: list[int] = []
        self.kept_len = self.kept_start = self.kept_flat = np.zeros(0, dtype=np.int64)

    def _add_raw(self, segmenter: Segmenter, raw: str) -> int:
        raw_id = self.raw_ids.get(raw)
        if raw_id is None:
            kept = self._raw_ranks(segmenter, raw)
            raw_id = self.raw_ids[raw] = len(self._kept_len)
            self._kept_len.append(len(kept))
            self._kept_start.append(len(self._kept_flat))
            self._kept_flat.extend(kept)
        return raw_id

    def _raw_ranks(self, segmenter: Segmenter, raw: str) -> tuple[int, ...]:
        """What ``Segmenter.tokens`` keeps of one raw token, as unigram ranks (-1: not in the vocabulary)."""
        if len(raw) > 1 and raw.isascii() and _ASCII_JOINER.search(raw):
            parts = [part for part in _ASCII_JOINER.split(raw) if part]
        else:
            parts = [raw]
        stop = segmenter.stopwords
        kept = [part for part in parts if part not in stop and _WORD.search(part) and not part.isspace()]
        return tuple(
            _HAS_SPACE if " " in part and part not in self.word_rank else self.word_rank.get(part, -1) for part in kept
        )


class _CueWords:
    """``CueWordFeatures``: which cue words each text contains, by ``str.find`` over the whole batch."""

    def __init__(self, part: CueWordFeatures) -> None:
        self.cues = list(part.cues_)
        self.weight = float(part.weight)

    def __call__(self, texts: list[str]) -> sparse.csr_matrix:
        joined = "\x00".join(texts)  # no cue holds NUL, so no match crosses two texts
        starts = [0]
        for text in texts[:-1]:
            starts.append(starts[-1] + len(text) + 1)
        rows, cols = [], []
        for j, cue in enumerate(self.cues):
            at = joined.find(cue)
            while at >= 0:
                row = bisect_right(starts, at) - 1
                rows.append(row)
                cols.append(j)
                if row + 1 >= len(starts):
                    break
                at = joined.find(cue, starts[row + 1])
        order = np.lexsort((cols, rows))
        rows = np.array(rows, dtype=np.int64)[order]
        cols = np.array(cols, dtype=np.int64)[order]
        data = np.full(len(rows), self.weight)
        return sparse.csr_matrix((data, (rows, cols)), shape=(len(texts), len(self.cues)))


def _identity(text: str) -> str:
    return text


def _pack(term: str) -> int:
    key = 0
    for ch in term:
        key = (key << _BITS) | ord(ch)
    return key


def _lookup(keys: np.ndarray, ids: np.ndarray, query: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rows, feature ids) of the queries found in the sorted ``keys``."""
    if len(keys) == 0 or len(query) == 0:
        return rows[:0], ids[:0]
    where = np.searchsorted(keys, query)
    np.minimum(where, len(keys) - 1, out=where)
    hit = keys[where] == query
    return rows[hit], ids[where[hit]]
