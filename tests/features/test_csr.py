"""CSR arrays without scipy: stacking, row selection, scaling and the product are scipy's, entry for entry and to the bit."""

import numpy as np
import pytest
from scipy import sparse

from cppcc_nlp.features.csr import CsrRows


def _random_rows(rng, n_rows: int, n_cols: int, density: float) -> CsrRows:
    matrix = sparse.random(n_rows, n_cols, density=density, format="csr", random_state=rng, dtype=np.float64)
    matrix.data *= rng.choice([-1.0, 1.0], size=matrix.nnz) * 10.0 ** rng.integers(-6, 6, size=matrix.nnz)
    return CsrRows(matrix.data, matrix.indices, matrix.indptr, matrix.shape)


def _same(rows: CsrRows, matrix) -> bool:
    csr = rows.tocsr()
    return (csr.shape == matrix.shape and np.array_equal(csr.indptr, matrix.indptr)
            and np.array_equal(csr.indices, matrix.indices) and np.array_equal(csr.data, matrix.data))


@pytest.mark.parametrize("n_rows", [0, 1, 7, 300])
def test_stacking_taking_and_scaling_give_scipys_arrays(n_rows):
    rng = np.random.default_rng(n_rows)
    blocks = [_random_rows(rng, n_rows, n_cols, density) for n_cols, density in [(50, 0.1), (3, 0.0), (400, 0.02), (9, 0.5)]]
    stacked = CsrRows.stack(blocks)
    expected = sparse.hstack([block.tocsr() for block in blocks], format="csr")
    assert _same(stacked, expected) and stacked.indices.dtype == expected.indices.dtype
    picked = rng.integers(0, max(n_rows, 1), size=2 * n_rows) if n_rows else np.zeros(0, dtype=np.int64)
    assert _same(stacked.take(picked), expected[picked])
    assert _same(blocks[0].scaled(0.7), blocks[0].tocsr() * 0.7)


@pytest.mark.parametrize("n_rows", [0, 1, 40, 2000])
def test_the_product_adds_in_scipys_order_to_the_bit(n_rows):
    rng = np.random.default_rng(n_rows + 1)
    rows = _random_rows(rng, n_rows, 3000, 0.05)
    dense = rng.normal(0.0, 3.0, (3000, 5)) * 10.0 ** rng.integers(-8, 8, size=(3000, 1))
    got, expected = rows.dot(dense), rows.tocsr() @ dense
    assert got.shape == expected.shape == (n_rows, 5)
    assert np.array_equal(got.view(np.int64), expected.view(np.int64))  # also the sign of zeros
