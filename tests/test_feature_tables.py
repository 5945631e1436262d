"""The lookup structures inside the engine's feature parts: hash tables, the cue-word trie, the white-space table."""

import re
import sys

import numpy as np
import pytest

from cppcc_nlp import engine as engine_module
from cppcc_nlp.engine import CueWords, _CuckooTable, _Lookup


@pytest.mark.parametrize("n", [0, 1, 2, 17, 5000])
def test_the_hash_table_finds_every_key_and_nothing_else(n):
    rng = np.random.default_rng(n)
    keys = np.unique(rng.integers(0, 2**40, size=2 * n + 1))[:n]
    rng.shuffle(keys)
    values = rng.integers(0, 30000, size=n)
    table = _CuckooTable(keys, values, np.int16)
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
    dense, hashed = _Lookup(keys, values, 100_000, np.int32), _Lookup(keys, values, 100_000, np.int32, max_cells=0)
    assert dense.table is not None and hashed.table is None
    assert np.array_equal(dense(queries), hashed(queries))


def reference_cue_matrix(cues, texts):
    """Each cue found by str.find: the definition the trie walk must meet."""
    out = np.zeros((len(texts), len(cues)))
    for i, text in enumerate(texts):
        for j, cue in enumerate(cues):
            if cue in text:
                out[i, j] = 2.5
    return out


def test_cue_words_are_found_as_substrings():
    cues = ["政协", "政协委员", "委员", "员会", "协商", "政协委员会", "民主监督", "a.b", "协商", "x"]  # prefixes, a duplicate
    texts = ["政协委员会召开", "", "委员", "员", "a.b", "aab", "民主监", "民主监督协商", "政协\x01委员", "xx政"] * 3
    got = CueWords(cues, 2.5)(texts).toarray()
    assert np.array_equal(got, reference_cue_matrix(cues, texts))


def test_cue_words_on_random_text():
    rng = np.random.default_rng(3)
    alphabet = list("政协委员会民主监督商ab")
    cues = sorted({"".join(rng.choice(alphabet, size=rng.integers(1, 6))) for _ in range(60)})
    texts = ["".join(rng.choice(alphabet, size=rng.integers(0, 40))) for _ in range(400)]
    assert np.array_equal(CueWords(cues, 2.5)(texts).toarray(), reference_cue_matrix(cues, texts))


def test_white_space_ends_where_the_table_says():
    assert engine_module._LAST_SPACE == max(c for c in range(sys.maxunicode + 1) if chr(c).isspace())
    white = re.compile(r"\s")
    assert all(bool(white.match(chr(c))) == chr(c).isspace() for c in range(engine_module._LAST_SPACE + 1))
