"""Character n-grams (1 to 3) of the text, TF-IDF weighted: the fitter, the engine part and its stored data."""

from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING, Sequence

import numpy as np

from .csr import CsrRows
from .lookup import Lookup
from .weights import TermColumns, TfidfWeights, check_strings, fit_vocabulary

if TYPE_CHECKING:
    from scipy import sparse

_WHITE_SPACES = re.compile(r"\s\s+")  # as in scikit-learn's character analyzer
_LAST_SPACE = 0x3000  # the last code point that is white space (\s, str.isspace), U+3000 IDEOGRAPHIC SPACE
_MAX_TRIGRAM_CELLS = 4_000_000  # cells of the dense trigram table at most; a hash table beyond
_SPACE = re.compile(r"\s")  # str.isspace, character by character
_UP_TO_LAST_SPACE = "".join(map(chr, range(_LAST_SPACE + 1)))


def char_ngrams(text: str, ngram_range: tuple[int, int]) -> list[str]:
    """The character n-grams of ``text`` after white-space runs become one space (scikit-learn's char analyzer)."""
    text = _WHITE_SPACES.sub(" ", text)
    min_n, max_n = ngram_range
    return [text[i : i + n] for n in range(min_n, max_n + 1) for i in range(len(text) - n + 1)]


def _distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values, sorted (``np.unique``'s result)."""
    ordered = np.sort(values)
    if not len(ordered):
        return ordered
    first = np.empty(len(ordered), dtype=bool)
    first[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    return ordered[first]


class CharNgrams(TermColumns):
    """Character n-grams (1 to 3) counted with numpy, weighted as TF-IDF.

    Every character of the vocabulary gets a rank r < R (-1 for any other
    character, in a table over all of Unicode). The texts of a batch are joined
    with NUL, which is never in the vocabulary, so no n-gram counted crosses
    two texts. Two characters, the cell r0*R + r1 of a dense table (or, when
    R*R is too large, a hash table), get the id of their pair if it is a
    bigram of the vocabulary or starts a trigram of it (every such pair is
    usually a bigram too: one table, not two); the pair's id gives its bigram
    and its prefix id, where a trigram is looked up in a dense table of
    (prefix, third rank) or a hash table.
    """

    kind = "char_ngrams"

    def __init__(self, terms: list[str], ngram_range: tuple[int, int], weights: TfidfWeights) -> None:
        self.terms = list(terms)
        self.min_n, self.max_n = (int(n) for n in ngram_range)
        self.weights = weights
        self._build_tables()

    @classmethod
    def fit_transform(cls, texts: Sequence[str], min_df: int, ngram_range: tuple[int, int] = (1, 3)
                      ) -> tuple["CharNgrams", sparse.csr_matrix]:
        """The part learnt from ``texts`` (what ``TfidfVectorizer(analyzer="char")`` learns) and their features.

        The matrix is the part's own, each row's entries stored in the terms' first-seen
        order (see ``fit_vocabulary``). A term holding NUL is a ValueError: the part joins
        texts with NUL.
        """
        texts = list(texts)
        terms, idf, order = fit_vocabulary((char_ngrams(text, ngram_range) for text in texts), min_df)
        if any("\x00" in term for term in terms):
            raise ValueError("a character n-gram holds NUL")
        part = cls(terms, ngram_range, TfidfWeights(len(terms), idf, True, "l2"))
        return part, part.weights(*part._pairs(texts), len(texts), order=order).tocsr()

    def to_data(self) -> tuple[dict, dict[str, np.ndarray]]:
        """``(json_able, arrays)`` for ``from_data``."""
        weights_meta, arrays = self.weights.to_data()
        return {"kind": self.kind, "terms": self.terms, "ngram_range": [self.min_n, self.max_n], **weights_meta}, arrays

    @classmethod
    def from_data(cls, meta: dict, arrays: dict[str, np.ndarray], segmenter=None) -> "CharNgrams":
        """The part ``to_data`` described."""
        return cls(meta["terms"], tuple(meta["ngram_range"]), TfidfWeights.from_data(meta, arrays))

    @staticmethod
    def check_data(meta: dict, number: int) -> None:
        """ValueError when stored part ``number`` does not describe character n-grams the part computes."""
        terms = meta.get("terms")
        check_strings(terms, number)
        TfidfWeights.check_data(meta, len(terms), number)
        grams = meta.get("ngram_range", [1, 3])
        if not (isinstance(grams, list) and len(grams) == 2 and all(type(n) is int for n in grams)
                and 1 <= grams[0] <= grams[1] <= 3):
            raise ValueError(f"feature part {number}: n-gram lengths {grams!r} are not ones the engine computes")

    def __getstate__(self) -> dict:  # the tables are rebuilt on unpickling: a smaller pickle
        return {"terms": self.terms, "min_n": self.min_n, "max_n": self.max_n, "weights": self.weights}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._build_tables()

    def _build_tables(self) -> None:
        lengths = np.fromiter(map(len, self.terms), dtype=np.int64, count=len(self.terms))
        codes = np.frombuffer("".join(self.terms).encode("utf-32-le"), dtype=np.uint32)
        present = np.zeros(sys.maxunicode + 1, dtype=bool)
        present[codes] = True
        chars = np.flatnonzero(present)  # in code point order
        size = self.size = len(chars)
        rank_type = np.int16 if size < 2**15 - 1 else np.int32
        # code point -> its rank + 1 (0: none): zeros, so the pages of code points never used are never written
        self.rank = np.zeros(sys.maxunicode + 1, dtype=rank_type)
        self.rank[chars] = np.arange(1, size + 1)
        ranks = self.rank[codes].astype(np.int64) - 1
        starts = np.cumsum(lengths) - lengths  # of each term in ``codes``
        # feature indices in the smallest type that holds them: smaller tables stay in the CPU cache
        index_type = np.int16 if len(self.terms) < 2**15 else np.int32
        self.unigram = np.full(size, -1, dtype=index_type)
        one = np.flatnonzero(lengths == 1)
        self.unigram[ranks[starts[one]]] = one
        two = np.flatnonzero(lengths == 2)
        bigram_of = ranks[starts[two]] * size + ranks[starts[two] + 1]
        three = np.flatnonzero(lengths == 3)
        first = starts[three]
        prefix_of = ranks[first] * size + ranks[first + 1]
        prefixes = _distinct(prefix_of)  # a trigram's prefix id: the rank of its first two characters' pair among these
        pairs = _distinct(np.concatenate([bigram_of, prefixes]))
        self.pair = Lookup(pairs, np.arange(len(pairs)), size * size, np.int16 if len(pairs) < 2**15 else np.int32)
        # pair id -> its bigram's feature index, its prefix id; the last cell (pair id -1: no such pair) holds -1
        self.bigram_of_pair = np.full(len(pairs) + 1, -1, dtype=index_type)
        self.bigram_of_pair[np.searchsorted(pairs, bigram_of)] = two
        self.prefix_of_pair = np.full(len(pairs) + 1, -1, dtype=np.int16 if len(prefixes) < 2**15 else np.int32)
        self.prefix_of_pair[np.searchsorted(pairs, prefixes)] = np.arange(len(prefixes))
        self.trigram = Lookup(np.searchsorted(prefixes, prefix_of) * size + ranks[first + 2], three,
                              len(prefixes) * size, index_type, max_cells=_MAX_TRIGRAM_CELLS)
        self.space = np.zeros(_LAST_SPACE + 2, dtype=bool)  # code point (the last cell: any above) -> white space?
        self.space[[match.start() for match in _SPACE.finditer(_UP_TO_LAST_SPACE)]] = True

    def __call__(self, texts: list[str]) -> sparse.csr_matrix:
        return self.rows(texts).tocsr()

    def rows(self, texts: list[str]) -> CsrRows:
        """The features of ``texts`` as CSR arrays (what calling the part gives, without scipy)."""
        return self.weights(*self._pairs(texts), len(texts))

    def _pairs(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(row, column) of every n-gram of the vocabulary found in ``texts``."""
        joined = "\x00".join(texts) + "\x00"
        codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
        space = self.space[np.minimum(codes, len(self.space) - 1)]
        if (space[:-1] & space[1:]).any():  # a run of white space (none crosses the NULs): one space, as scikit-learn
            texts = [_WHITE_SPACES.sub(" ", t) for t in texts]
            joined = "\x00".join(texts) + "\x00"
            codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
        ranks = self.rank[codes].astype(np.int64)
        ranks -= 1  # -1: a character of no term
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)) + 1
        row_of = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
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
            pair = self.pair(ranks[start] * self.size + ranks[start + 1])
            if self.min_n <= 2:
                add(start, self.bigram_of_pair[pair])
            if self.max_n >= 3:
                prefix = self.prefix_of_pair[pair]
                third = ranks[start + 2]  # in range: the joined text ends with a NUL, never the second character
                found = (prefix >= 0) & (third >= 0)
                start, key = start[found], prefix[found].astype(np.int64) * self.size + third[found]
                add(start, self.trigram(key))
        if not all_rows:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return np.concatenate(all_rows), np.concatenate(all_cols)
