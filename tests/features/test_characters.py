"""Character n-grams: the fitter learns what TfidfVectorizer(analyzer="char") learns, the part computes its features."""

import json
import pickle
import re
import sys

import numpy as np
import pytest

from cppcc_nlp.features import CharNgrams, TfidfWeights, characters, lookup
from cppcc_nlp.sklearn_features import char_vectorizer, tfidf_part

from conftest import ODD_TEXTS, same_matrix


@pytest.mark.parametrize("min_df", [1, 2])
def test_the_fitter_learns_the_vectorizers_vocabulary_idf_and_training_matrix(feature_texts, min_df):
    train, probe = feature_texts
    texts = train + probe[:2000]
    reference = char_vectorizer(min_df)
    expected = reference.fit_transform(texts)
    part, matrix = CharNgrams.fit_transform(texts, min_df)
    assert part.terms == sorted(reference.vocabulary_)
    assert np.array_equal(part.weights.idf, reference.idf_)
    same_matrix(matrix, expected, stored=True)  # the same floats in the same order: a linear model learns the same


@pytest.mark.parametrize("min_df", [1, 2])
def test_character_ngrams_equal_tfidf_vectorizer(feature_texts, min_df):
    train, probe = feature_texts
    reference = char_vectorizer(min_df).fit(train + probe[:2000])
    part = tfidf_part("char", reference)
    assert isinstance(part, CharNgrams)
    same_matrix(pickle.loads(pickle.dumps(part))(probe), reference.transform(probe))


def test_character_ngrams_with_searched_tables_equal_the_dense_ones(feature_texts, monkeypatch):
    """Vocabularies too large for dense tables are looked up in hash tables: the same features."""
    train, probe = feature_texts
    reference = char_vectorizer(1).fit(train + probe[:-len(ODD_TEXTS)])
    monkeypatch.setattr(lookup, "MAX_DENSE_CELLS", 0)
    monkeypatch.setattr(characters, "_MAX_TRIGRAM_CELLS", 0)
    part = tfidf_part("char", reference)
    assert part.pair.table is None and part.trigram.table is None
    same_matrix(part(probe), reference.transform(probe))


def test_the_part_round_trips_through_plain_data(feature_texts):
    train, probe = feature_texts
    part, _ = CharNgrams.fit_transform(train, 2)
    meta, arrays = part.to_data()
    meta = json.loads(json.dumps(meta))
    CharNgrams.check_data(meta, 0)
    assert {name: (kinds, shape) for name, (kinds, shape) in CharNgrams.expected_arrays(meta).items()} == {
        name: ("f", value.shape) for name, value in arrays.items()}
    assert CharNgrams.size_of(meta) == part.n_features
    again = CharNgrams.from_data(meta, arrays)
    assert again.terms == part.terms and again.feature_names() == part.terms
    same_matrix(again(probe), part(probe), stored=True)


@pytest.mark.parametrize("texts, min_df", [(["", ""], 1), (["政协", "委员"], 3), (["政协", "委员"], 2)])
def test_a_vocabulary_that_cannot_be_learnt_is_the_vectorizers_error(texts, min_df):
    with pytest.raises(ValueError) as expected:
        char_vectorizer(min_df).fit(texts)
    with pytest.raises(ValueError, match=re.escape(str(expected.value))):
        CharNgrams.fit_transform(texts, min_df)


def test_a_term_holding_nul_is_refused_at_fit():
    with pytest.raises(ValueError, match="holds NUL"):
        CharNgrams.fit_transform(["党建\x00工作"], 1)


def test_white_space_ends_where_the_table_says():
    assert characters._LAST_SPACE == max(c for c in range(sys.maxunicode + 1) if chr(c).isspace())
    white = re.compile(r"\s")
    assert all(bool(white.match(chr(c))) == chr(c).isspace() for c in range(characters._LAST_SPACE + 1))


def test_the_pair_table_gives_each_bigram_and_trigram_prefix():
    """One table of character pairs: a pair that is a bigram term, starts a trigram term, both, or neither."""
    terms = sorted(["政", "协", "委", "员", "政协", "协委", "政协委", "委员会", "会"])  # 委员 starts a trigram only
    part = CharNgrams(terms, (1, 3), TfidfWeights(len(terms), None, True, "l2"))
    for first in "政协委员会":
        for second in "政协委员会":
            pair = part.pair(np.array([(part.rank[ord(first)] - 1) * part.size + part.rank[ord(second)] - 1]))
            bigram, prefix = part.bigram_of_pair[pair][0], part.prefix_of_pair[pair][0]
            assert (bigram >= 0) == (first + second in terms) and (bigram < 0 or terms[bigram] == first + second)
            assert (prefix >= 0) == any(t[:2] == first + second for t in terms if len(t) == 3)
    rows, cols = part._pairs(["政协委员会", "委员"])
    got = sorted(zip(rows.tolist(), (terms[c] for c in cols.tolist())))
    assert got == sorted([(0, g) for g in ["政", "协", "委", "员", "会", "政协", "协委", "政协委", "委员会"]] + [(1, "委"), (1, "员")])


def test_the_white_space_table_is_str_isspace():
    part = CharNgrams(["a"], (1, 1), TfidfWeights(1, None, True, "l2"))
    last = characters._LAST_SPACE
    assert np.flatnonzero(part.space[: last + 1]).tolist() == [c for c in range(last + 1) if chr(c).isspace()]
    assert not part.space[last + 1] and not any(chr(c).isspace() for c in range(last + 1, sys.maxunicode + 1))
