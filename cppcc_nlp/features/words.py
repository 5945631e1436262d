"""Word uni- and bigrams of ``Segmenter.tokens``, TF-IDF weighted: the fitter, the engine part and its stored data."""

from __future__ import annotations

import threading
from itertools import chain, compress, repeat
from operator import not_
from typing import TYPE_CHECKING, Sequence

import numpy as np

from ..segment import Segmenter
from .csr import CsrRows
from .lookup import Lookup
from .weights import TermColumns, TfidfWeights, check_strings, fit_vocabulary

if TYPE_CHECKING:
    from scipy import sparse

_RAW_CACHE_SIZE = 200_000  # raw tokens remembered per word part (cleared when full)
_HAS_SPACE = -2


def word_ngrams(tokens: list[str], max_n: int) -> list[str]:
    """The tokens, then (for ``max_n`` 2) each two neighbours joined by a space: scikit-learn's word n-grams."""
    if max_n < 2:
        return tokens
    return tokens + [" ".join(tokens[i : i + 2]) for i in range(len(tokens) - 1)]


class WordNgrams(TermColumns):
    """Word uni- and bigrams of ``Segmenter.tokens``, counted from token ranks, weighted as TF-IDF."""

    kind = "word_ngrams"

    def __init__(self, terms: list[str], max_n: int, segmenter: Segmenter, weights: TfidfWeights) -> None:
        self.terms = list(terms)
        self.max_n = int(max_n)
        self.segmenter = segmenter
        self.weights = weights
        self._build_tables()

    @classmethod
    def fit_transform(cls, texts: Sequence[str], segmenter: Segmenter, min_df: int, max_n: int = 2
                      ) -> tuple["WordNgrams", sparse.csr_matrix]:
        """The part learnt from ``texts`` (what ``TfidfVectorizer(tokenizer=segmenter)`` learns) and their features.

        Each text is cut once: the tokens give the vocabulary, then the part counts them, each
        row's entries stored in the terms' first-seen order (see ``fit_vocabulary``).
        """
        token_lists = [segmenter.tokens(text) for text in texts]
        terms, idf, order = fit_vocabulary((word_ngrams(tokens, max_n) for tokens in token_lists), min_df)
        part = cls(terms, max_n, segmenter, TfidfWeights(len(terms), idf, True, "l2"))
        return part, part.count_tokens(token_lists, order).tocsr()

    def to_data(self) -> tuple[dict, dict[str, np.ndarray]]:
        """``(json_able, arrays)`` for ``from_data`` (the segmenter is stored with the model, once)."""
        weights_meta, arrays = self.weights.to_data()
        return {"kind": self.kind, "terms": self.terms, "max_n": self.max_n, **weights_meta}, arrays

    @classmethod
    def from_data(cls, meta: dict, arrays: dict[str, np.ndarray], segmenter: Segmenter | None) -> "WordNgrams":
        """The part ``to_data`` described, cutting words with ``segmenter``."""
        if segmenter is None:
            raise ValueError("a word n-gram part needs a segmenter")
        return cls(meta["terms"], meta["max_n"], segmenter, TfidfWeights.from_data(meta, arrays))

    @staticmethod
    def check_data(meta: dict, number: int) -> None:
        """ValueError when stored part ``number`` does not describe word n-grams the part computes."""
        terms = meta.get("terms")
        check_strings(terms, number)
        TfidfWeights.check_data(meta, len(terms), number)
        grams = [1, meta.get("max_n", 1)]
        if not (type(grams[1]) is int and 1 <= grams[1] <= 2):
            raise ValueError(f"feature part {number}: n-gram lengths {grams!r} are not ones the engine computes")

    def _build_tables(self) -> None:
        self.vocabulary = dict(zip(self.terms, range(len(self.terms))))  # term -> feature index (``count_tokens``)
        spaced = list(map(str.__contains__, self.terms, repeat(" ")))  # a bigram term, or a unigram holding a space?
        unigrams = list(compress(self.terms, map(not_, spaced)))
        self.rank = dict(zip(unigrams, range(len(unigrams))))  # unigram term -> its rank
        self.unigram_ids = np.flatnonzero(np.logical_not(spaced))  # rank -> feature index
        bigram_ids = list(compress(range(len(self.terms)), spaced))
        halves = [term.partition(" ") for term in compress(self.terms, spaced)]
        first = np.fromiter(map(self.rank.get, [h[0] for h in halves], repeat(-1)), dtype=np.int64, count=len(halves))
        second = np.fromiter(map(self.rank.get, [h[2] for h in halves], repeat(-1)), dtype=np.int64, count=len(halves))
        exact = (first >= 0) & (second >= 0)  # (a second half holding a space is no unigram: it has no rank)
        # every bigram term is a pair of unigram terms: counted from ranks
        self.exact = bool(exact.all())
        self.n_bigrams = int(np.count_nonzero(exact))
        # rank pair -> bigram feature index
        self.bigram = Lookup(first[exact] * len(self.rank) + second[exact], np.asarray(bigram_ids, dtype=np.int64)[exact],
                             len(self.rank) ** 2, np.int32 if len(self.terms) < 2**31 else np.int64)
        self._local = threading.local()  # each thread's _TokenCache

    def __getstate__(self) -> dict:
        return {"terms": self.terms, "max_n": self.max_n, "segmenter": self.segmenter, "weights": self.weights}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._build_tables()

    def __call__(self, texts: list[str]) -> sparse.csr_matrix:
        return self.rows(texts).tocsr()

    def rows(self, texts: list[str]) -> CsrRows:
        """The features of ``texts`` as CSR arrays (what calling the part gives, without scipy)."""
        if not self.exact:
            return self._count_slowly(texts)
        try:
            ranks, lengths = self._ranks(texts)
        except _Unsupported:
            return self._count_slowly(texts)
        rows_of = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
        known = ranks >= 0
        rows = [rows_of[known]]
        cols = [self.unigram_ids[ranks[known]]]
        if self.max_n >= 2 and len(ranks) > 1 and self.n_bigrams:
            ends = np.repeat(np.cumsum(lengths), lengths)
            first = np.arange(len(ranks) - 1)
            first = first[(first + 2 <= ends[:-1]) & known[:-1] & known[1:]]
            found = self.bigram(ranks[first] * len(self.rank) + ranks[first + 1])
            hit = found >= 0
            rows.append(rows_of[first[hit]])
            cols.append(found[hit])
        return self.weights(np.concatenate(rows), np.concatenate(cols), len(texts))

    def _count_slowly(self, texts: list[str]) -> CsrRows:
        """One n-gram at a time, as scikit-learn's CountVectorizer does (tokens holding a space)."""
        return self.count_tokens([self.segmenter.tokens(text) for text in texts])

    def count_tokens(self, token_lists: list[list[str]], order: np.ndarray | None = None) -> CsrRows:
        """The features of texts already cut into ``Segmenter.tokens``, one n-gram at a time (``order``: see
        ``count_matrix``)."""
        rows, cols = [], []
        for row, tokens in enumerate(token_lists):
            for gram in word_ngrams(tokens, self.max_n):
                index = self.vocabulary.get(gram)
                if index is not None:
                    rows.append(row)
                    cols.append(index)
        return self.weights(np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64), len(token_lists), order)

    def _ranks(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Unigram ranks (-1: not in the vocabulary) of ``Segmenter.tokens`` of each text, and their counts.

        The texts are cut as one, joined by line breaks: jieba never joins a
        line break to another token, nor a word across one, so the tokens are
        those of each text with a "\\n" token between two texts (checked by
        counting them; texts holding a line break are cut one by one). Each
        distinct raw token gets an id once; what ``Segmenter.keep`` keeps of
        it is stored as a run in ``kept_flat``; expanding ids to runs is then
        array arithmetic.
        """
        cache = self._cache()
        if len(cache.raw_ids) > _RAW_CACHE_SIZE:
            cache = self._cache(reset=True)
        cut = self.segmenter.raw_cut
        joined = "\n".join(texts)
        row_of = None
        if joined.count("\n") == len(texts) - 1 and "\r" not in joined:
            tokens = cut(joined)
            # a new raw token gets its id in raw_ids.__missing__, its kept ranks in cache.new_kept
            ids = np.fromiter(map(cache.raw_ids.__getitem__, tokens), dtype=np.int64, count=len(tokens))
            is_break = ids == cache.raw_ids["\n"]
            if np.count_nonzero(is_break) == len(texts) - 1:
                row_of = np.cumsum(is_break)  # a break keeps no token: which row it counts in does not matter
        if row_of is None:
            token_lists = [cut(text) for text in texts]
            raw_counts = np.fromiter(map(len, token_lists), dtype=np.int64, count=len(token_lists))
            ids = np.fromiter(map(cache.raw_ids.__getitem__, chain.from_iterable(token_lists)), dtype=np.int64,
                              count=int(raw_counts.sum()))
            row_of = np.repeat(np.arange(len(texts)), raw_counts)
        if cache.new_kept:
            cache.store_new()
        lens = cache.kept_len[ids]
        offsets = np.arange(int(lens.sum()), dtype=np.int64) - np.repeat(np.cumsum(lens) - lens, lens)
        ranks = cache.kept_flat[np.repeat(cache.kept_start[ids], lens) + offsets]
        if (ranks == _HAS_SPACE).any():
            raise _Unsupported("a token holds a space")
        lengths = np.bincount(row_of, weights=lens, minlength=len(texts))
        return ranks, lengths.astype(np.int64)

    def _cache(self, reset: bool = False) -> "_TokenCache":
        """This thread's token cache: each thread has its own, so the part itself is never written by a call."""
        cache = getattr(self._local, "cache", None)
        if cache is None or reset:
            cache = self._local.cache = _TokenCache(self.rank, self.segmenter)
        return cache


class _TokenCache:
    """Raw token -> id, and per id the unigram ranks of what ``Segmenter.keep`` keeps of it, as flat arrays."""

    def __init__(self, rank: dict[str, int], segmenter: Segmenter) -> None:
        self.rank, self.segmenter = rank, segmenter
        self.new_kept: list[list[int]] = []  # kept ranks of the raw tokens met since the last store_new
        self.raw_ids = _RawIds(self._new_id)
        self.kept_len = self.kept_start = self.kept_flat = np.zeros(0, dtype=np.int64)

    def _new_id(self, raw: str) -> int:
        # a token with a space is not in the unigram table but could spell a bigram term
        self.new_kept.append([_HAS_SPACE if " " in part else self.rank.get(part, -1) for part in self.segmenter.keep(raw)])
        return len(self.kept_len) + len(self.new_kept) - 1

    def store_new(self) -> None:
        """Append the kept ranks of the new raw tokens to the arrays that ``WordNgrams._ranks`` indexes."""
        lengths = np.fromiter(map(len, self.new_kept), dtype=np.int64, count=len(self.new_kept))
        starts = len(self.kept_flat) + np.cumsum(lengths) - lengths
        flat = np.fromiter(chain.from_iterable(self.new_kept), dtype=np.int64, count=int(lengths.sum()))
        self.kept_len = np.concatenate([self.kept_len, lengths])
        self.kept_start = np.concatenate([self.kept_start, starts])
        self.kept_flat = np.concatenate([self.kept_flat, flat])
        self.new_kept = []


class _RawIds(dict):
    """Raw token -> its id; a token not seen yet gets one from ``new_id`` on first lookup."""

    def __init__(self, new_id) -> None:
        super().__init__()
        self.new_id = new_id

    def __missing__(self, raw: str) -> int:
        raw_id = self[raw] = self.new_id(raw)
        return raw_id


class _Unsupported(Exception):
    """Input that the rank arithmetic cannot count exactly; the part counts it one n-gram at a time."""
