"""The integer tables the feature parts look n-grams and trie edges up in: dense, or a cuckoo hash table."""

import numpy as np
import pytest

from cppcc_nlp.features.lookup import CuckooTable, Lookup


@pytest.mark.parametrize("n", [0, 1, 2, 17, 5000])
def test_the_hash_table_finds_every_key_and_nothing_else(n):
    rng = np.random.default_rng(n)
    keys = np.unique(rng.integers(0, 2**40, size=2 * n + 1))[:n]
    rng.shuffle(keys)
    values = rng.integers(0, 30000, size=n)
    table = CuckooTable(keys, values, np.int16)
    assert np.array_equal(table(keys), values)
    others = rng.integers(0, 2**40, size=20000)
    others = others[~np.isin(others, keys)]
    assert (table(others) == -1).all()
    mixed = np.concatenate([keys, others, keys[::-1]])
    expected = dict(zip(keys.tolist(), values.tolist()))
    assert table(mixed).tolist() == [expected.get(k, -1) for k in mixed.tolist()]


def test_a_lookup_is_the_same_dense_or_hashed():
    rng = np.random.default_rng(7)
    keys = np.unique(rng.integers(0, 100_000, size=3000))
    values = np.arange(len(keys))
    queries = rng.integers(0, 100_000, size=50_000)
    dense, hashed = Lookup(keys, values, 100_000, np.int32), Lookup(keys, values, 100_000, np.int32, max_cells=0)
    assert dense.table is not None and hashed.table is None
    assert np.array_equal(dense(queries), hashed(queries))
