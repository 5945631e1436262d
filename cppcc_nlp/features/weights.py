"""TF-IDF weighting shared by the n-gram parts: the fitted vocabulary and IDF, and the weighting of counts.

``fit_vocabulary`` learns what ``TfidfVectorizer.fit`` learns (with its
defaults ``max_df=1.0``, ``smooth_idf=True``): the terms kept by ``min_df`` in
sorted order and their IDF weights, computed with the same floating-point
operations; ``TfidfWeights`` weights a count matrix as
``TfidfTransformer.transform`` does.
"""

from __future__ import annotations

from collections import Counter
from itertools import repeat
from typing import Iterable

import numpy as np

from .csr import CsrRows


def check_strings(listed, number: int) -> None:
    """ValueError when stored part ``number`` does not list its terms (or cue words) as strings."""
    if not isinstance(listed, list) or not all(map(isinstance, listed, repeat(str))):  # C loops: 100,000s of terms
        raise ValueError(f"feature part {number} must list its terms (or cue words) as strings")


class TermColumns:
    """What a TF-IDF part whose columns are its ``terms``, in order, knows of its columns, stored or fitted."""

    terms: list[str]

    @property
    def n_features(self) -> int:
        return len(self.terms)

    def feature_names(self) -> list[str]:
        """The term of each column (an n-gram; for words, one word or two joined by a space)."""
        return list(self.terms)

    @staticmethod
    def size_of(meta: dict) -> int:
        """The number of columns of the stored part ``meta``."""
        return int(meta["n_features"])

    @staticmethod
    def expected_arrays(meta: dict) -> dict[str, tuple[str, tuple]]:
        """The arrays the stored part ``meta`` may hold: name -> (dtype kinds, shape)."""
        return TfidfWeights.expected_arrays(meta)


NORMS = ("l1", "l2", None)


def fit_vocabulary(documents: Iterable[Iterable[str]], min_df: int) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The terms found in at least ``min_df`` documents, sorted, their smoothed IDF weights, and their first-seen order.

    ``documents`` holds each training document's n-grams. The first-seen
    order (``order[column]``: how many kept terms appeared before it, reading
    the documents in turn) is the order scikit-learn's ``fit_transform``
    stores each row's entries in; ``TfidfWeights`` given it sums each row's
    norm in that order, so a model learns from the same floating-point
    numbers. The errors are scikit-learn's, in its order: no n-gram at all,
    fewer documents than ``min_df``, no term left after pruning.
    """
    frequency: Counter[str] = Counter()  # its keys in first-seen order
    n_documents = 0
    for grams in documents:
        frequency.update(dict.fromkeys(grams).keys())
        n_documents += 1
    if not frequency:
        raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
    if n_documents < min_df:
        raise ValueError("max_df corresponds to < documents than min_df")
    seen = [term for term, count in frequency.items() if count >= min_df]
    if not seen:
        raise ValueError("After pruning, no terms remain. Try a lower min_df or a higher max_df.")
    terms = sorted(seen)
    first_seen = dict(zip(seen, range(len(seen))))
    order = np.fromiter(map(first_seen.__getitem__, terms), dtype=np.int64, count=len(terms))
    smoothed = np.array([frequency[term] for term in terms], dtype=np.float64)
    smoothed += 1.0  # as if one more document held every term
    idf = np.full_like(smoothed, n_documents + 1)
    idf /= smoothed
    np.log(idf, out=idf)
    idf += 1.0
    return terms, idf, order


class TfidfWeights:
    """TF-IDF weighting of a count matrix, as ``TfidfTransformer.transform`` computes it."""

    def __init__(self, n_features: int, idf: np.ndarray | None, sublinear: bool, norm: str | None) -> None:
        self.n_features = n_features
        self.idf = None if idf is None else np.asarray(idf, dtype=np.float64)
        self.sublinear = sublinear
        self.norm = norm

    def __call__(self, rows: np.ndarray, cols: np.ndarray, n_texts: int, order: np.ndarray | None = None
                 ) -> CsrRows:
        """The weighted matrix of the (row, column) pairs counted; ``order``: as in ``count_matrix``."""
        X = count_matrix(rows, cols, n_texts, self.n_features, order=order)
        if self.sublinear:
            np.log(X.data, X.data)
            X.data += 1.0
        if self.idf is not None:
            X.data *= self.idf[X.indices]
        if self.norm is not None:
            # row sums added up in storage order, as scikit-learn's inplace row normalisation
            values = X.data * X.data if self.norm == "l2" else np.abs(X.data)
            row_of = np.repeat(np.arange(n_texts), np.diff(X.indptr))
            totals = np.bincount(row_of, weights=values, minlength=n_texts)
            if self.norm == "l2":
                totals = np.sqrt(totals)
            totals[totals == 0.0] = 1.0  # empty rows stay as they are
            X.data /= totals[row_of]
        return X

    def to_data(self) -> tuple[dict, dict[str, np.ndarray]]:
        """``(json_able, arrays)`` for ``from_data``: the part that holds these weights stores both."""
        meta = {"n_features": self.n_features, "sublinear": self.sublinear, "norm": self.norm}
        return meta, ({} if self.idf is None else {"idf": self.idf})

    @classmethod
    def from_data(cls, meta: dict, arrays: dict[str, np.ndarray]) -> "TfidfWeights":
        """The weights ``to_data`` described."""
        return cls(int(meta["n_features"]), arrays.get("idf"), bool(meta["sublinear"]), meta["norm"])

    @staticmethod
    def check_data(meta: dict, n_terms: int, number: int) -> None:
        """ValueError when a stored part's weights do not fit its ``n_terms`` terms (``persist`` reads this)."""
        count = meta.get("n_features")
        if not isinstance(count, int) or isinstance(count, bool) or count != n_terms:
            raise ValueError(f"feature part {number}: 'n_features' {count!r} is not its {n_terms} terms")
        if meta.get("norm") not in NORMS:
            raise ValueError(f"feature part {number}: 'norm' must be 'l1', 'l2' or null, got {meta.get('norm')!r}")

    @staticmethod
    def expected_arrays(meta: dict) -> dict[str, tuple[str, tuple]]:
        """The arrays a stored part's weights may hold: name -> (dtype kinds, shape)."""
        return {"idf": ("f", (int(meta["n_features"]),))}


def count_matrix(rows: np.ndarray, cols: np.ndarray, n_rows: int, n_cols: int, value: float | None = None,
                 order: np.ndarray | None = None) -> CsrRows:
    """The count matrix of (row, col) pairs: what ``csr_matrix((ones, (rows, cols))).sum_duplicates()`` stores.

    One sort of ``row * n_cols + col`` puts each row's columns in order and
    duplicates side by side; counting runs is then array arithmetic. With
    ``value``, every pair present holds ``value`` instead of its count. With
    ``order`` (a rank per column), each row stores its entries by that rank
    instead of by column.
    """
    key_type = np.int32 if n_rows * n_cols < 2**31 else np.int64  # a smaller key sorts faster
    keys = rows.astype(key_type, copy=False) * key_type(n_cols)
    keys += (cols if order is None else order[cols]).astype(key_type, copy=False)
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
    index_dtype = np.int32 if max(len(keys), n_cols, n_rows) < 2**31 - 1 else np.int64  # as scipy chooses
    # where each row's keys start in the sorted keys: a binary search per row, not a pass over the keys
    indptr = np.searchsorted(keys, np.arange(n_rows + 1, dtype=key_type) * key_type(n_cols)).astype(index_dtype)
    indices = keys % key_type(n_cols)
    if order is not None:
        indices = np.argsort(order)[indices]  # rank -> column
    return CsrRows(counts, indices.astype(index_dtype, copy=False), indptr, (n_rows, n_cols),
                   has_sorted_indices=order is None)
