"""A sparse matrix as its CSR arrays, with no scipy: what the feature parts compute, and scipy's matrix on request.

Importing ``scipy.sparse`` takes a good share of a one-paragraph job (it
imports most of numpy's sub-packages), so the parts and the engine build
their features as ``CsrRows``, the three arrays scipy's ``csr_matrix``
holds. ``tocsr`` gives the scipy matrix (for scikit-learn, and for large
products); ``stack``, ``take`` and ``dot`` are scipy's ``hstack``, row
indexing and ``@`` with the same entries, in the same order, to the bit.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np


class CsrRows:
    """``data``, ``indices`` and ``indptr`` of a ``shape`` matrix, as scipy's ``csr_matrix`` stores them."""

    def __init__(self, data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, shape: tuple[int, int],
                 has_sorted_indices: bool = False) -> None:
        self.data, self.indices, self.indptr = data, indices, indptr
        self.shape = (int(shape[0]), int(shape[1]))
        self.has_sorted_indices = has_sorted_indices

    @property
    def nnz(self) -> int:
        return len(self.data)

    def tocsr(self):
        """The same matrix as ``scipy.sparse.csr_matrix`` (sharing the arrays)."""
        from scipy import sparse

        matrix = sparse.csr_matrix((self.data, self.indices, self.indptr), shape=self.shape)
        if self.has_sorted_indices:  # else scipy finds out when it needs to
            matrix.has_sorted_indices = True
        return matrix

    def row_of_entries(self) -> np.ndarray:
        """The row of each stored entry."""
        return np.repeat(np.arange(self.shape[0]), np.diff(self.indptr))

    def scaled(self, factor: float) -> "CsrRows":
        """``factor`` times the matrix (scipy's ``matrix * factor``)."""
        return CsrRows(self.data * factor, self.indices, self.indptr, self.shape, self.has_sorted_indices)

    def take(self, rows: np.ndarray) -> "CsrRows":
        """The matrix of ``rows`` (row indices, repeats allowed): scipy's ``matrix[rows]``."""
        lengths = np.diff(self.indptr)[rows]
        indptr = np.zeros(len(rows) + 1, dtype=self.indptr.dtype)
        np.cumsum(lengths, out=indptr[1:])
        where = _positions(self.indptr[:-1][rows], lengths, indptr)
        return CsrRows(self.data[where], self.indices[where], indptr, (len(rows), self.shape[1]),
                       self.has_sorted_indices)

    @staticmethod
    def stack(blocks: Sequence["CsrRows"]) -> "CsrRows":
        """The blocks side by side (scipy's ``hstack``): each row holds each block's entries, one block after another."""
        n_rows, n_cols = blocks[0].shape[0], sum(block.shape[1] for block in blocks)
        index_type = np.int32 if n_cols < 2**31 and sum(b.nnz for b in blocks) < 2**31 else np.int64
        lengths = [np.diff(block.indptr) for block in blocks]
        indptr = np.zeros(n_rows + 1, dtype=index_type)
        np.cumsum(sum(lengths), out=indptr[1:])
        data = np.empty(int(indptr[-1]), dtype=np.float64)
        indices = np.empty(int(indptr[-1]), dtype=index_type)
        before, offset = indptr[:-1].astype(np.int64), 0  # where each row's entries of the next block go
        for block, length in zip(blocks, lengths):
            where = _positions(before, length, block.indptr)
            data[where] = block.data
            indices[where] = block.indices.astype(index_type, copy=False) + index_type(offset)
            before = before + length
            offset += block.shape[1]
        return CsrRows(data, indices, indptr, (n_rows, n_cols))

    def dot(self, dense: np.ndarray) -> np.ndarray:
        """``matrix @ dense`` for a 2-D ``dense``, each sum added up in storage order from 0, as scipy's product does.

        One ``bincount`` per column: it adds its weights into their rows one
        by one, in order, as scipy's loop does; numpy's sums along an axis
        would add in pairs and differ in the last bits.
        """
        rows = self.row_of_entries()
        out = np.empty((self.shape[0], dense.shape[1]), dtype=np.float64)
        for column in range(dense.shape[1]):
            out[:, column] = np.bincount(rows, weights=dense[self.indices, column] * self.data, minlength=self.shape[0])
        return out


def _positions(starts: np.ndarray, lengths: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """Entry by entry of runs laid out one after another as ``indptr`` says (run i: ``lengths[i]`` entries from
    ``indptr[i]``), ``starts[i]`` plus the entry's place in its run."""
    total = int(lengths.sum())
    run_start = np.repeat(np.asarray(indptr[:-1], dtype=np.int64), lengths)
    return np.repeat(np.asarray(starts, dtype=np.int64), lengths) + (np.arange(total, dtype=np.int64) - run_start)


__all__ = ["CsrRows"]
