"""The TF-IDF pieces every n-gram part shares: counting (row, column) pairs and learning the vocabulary."""

import numpy as np
import pytest
from scipy import sparse

from cppcc_nlp.features.weights import count_matrix, fit_vocabulary


@pytest.mark.parametrize("n_pairs", [0, 1, 500])
def test_counting_pairs_gives_scipys_matrix_in_column_or_given_order(n_pairs):
    rng = np.random.default_rng(n_pairs)
    rows, cols = rng.integers(0, 30, n_pairs), rng.integers(0, 40, n_pairs)
    expected = sparse.csr_matrix((np.ones(n_pairs), (rows, cols)), shape=(30, 40))
    expected.sum_duplicates()
    got = count_matrix(rows, cols, 30, 40).tocsr()
    assert np.array_equal(got.toarray(), expected.toarray()) and np.array_equal(got.indptr, expected.indptr)
    assert np.array_equal(got.indices, expected.indices)
    order = rng.permutation(40)
    reordered = count_matrix(rows, cols, 30, 40, order=order).tocsr()
    assert np.array_equal(reordered.toarray(), expected.toarray())
    for row in range(30):
        stored = reordered.indices[reordered.indptr[row]:reordered.indptr[row + 1]]
        assert (np.diff(order[stored]) > 0).all()  # each row's entries by the given rank
    assert (count_matrix(rows, cols, 30, 40, value=2.5).data == 2.5).all()


def test_the_vocabulary_is_sorted_with_its_first_seen_order_and_smoothed_idf():
    terms, idf, order = fit_vocabulary([["乙", "甲", "乙"], ["丙", "甲"], ["丁"]], min_df=1)
    assert terms == ["丁", "丙", "乙", "甲"]
    assert order.tolist() == [3, 2, 0, 1]  # 乙 seen first, then 甲, 丙, 丁
    assert np.allclose(idf, np.log(4 / (1 + np.array([1, 1, 1, 2]))) + 1)
    terms, idf, order = fit_vocabulary([["乙", "甲"], ["丙", "甲"], ["丁"]], min_df=2)
    assert terms == ["甲"] and order.tolist() == [0]
