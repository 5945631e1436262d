"""Word n-grams: the fitter learns what TfidfVectorizer(tokenizer=Segmenter) learns, the part computes its features."""

import json
import pickle

import numpy as np
import pytest

from cppcc_nlp.api import classify
from cppcc_nlp.features import TfidfWeights, WordNgrams
from cppcc_nlp.model import ThemeClassifier
from cppcc_nlp.segment import Segmenter, default_lexicon
from cppcc_nlp.sklearn_features import tfidf_part, word_vectorizer

from conftest import same_matrix


@pytest.mark.parametrize("min_df", [1, 2])
def test_the_fitter_learns_the_vectorizers_vocabulary_idf_and_training_matrix(feature_texts, min_df):
    train, probe = feature_texts
    texts = train + probe[:1000]
    segmenter = Segmenter()
    reference = word_vectorizer(segmenter, min_df)
    expected = reference.fit_transform(texts)
    part, matrix = WordNgrams.fit_transform(texts, segmenter, min_df)
    assert part.terms == sorted(reference.vocabulary_)
    assert np.array_equal(part.weights.idf, reference.idf_)
    same_matrix(matrix, expected, stored=True)  # the same floats in the same order: a linear model learns the same
    same_matrix(part(texts), reference.transform(texts))  # and predicts as the fitted vectorizer


@pytest.mark.parametrize("backend", ["rjieba", "jieba"])
@pytest.mark.parametrize("use_lexicon", [False, True])
def test_word_ngrams_equal_tfidf_vectorizer(feature_texts, backend, use_lexicon):
    train, probe = feature_texts
    segmenter = Segmenter(lexicon=default_lexicon() if use_lexicon else (), backend=backend)
    reference = word_vectorizer(segmenter, 1).fit(train + probe[:1000])
    part = tfidf_part("word", reference)
    assert isinstance(part, WordNgrams)
    same_matrix(pickle.loads(pickle.dumps(part))(probe), reference.transform(probe))


def test_the_part_round_trips_through_plain_data(feature_texts):
    train, probe = feature_texts
    segmenter = Segmenter()
    part, _ = WordNgrams.fit_transform(train, segmenter, 1)
    meta, arrays = part.to_data()
    meta = json.loads(json.dumps(meta))
    WordNgrams.check_data(meta, 0)
    assert WordNgrams.expected_arrays(meta) == {name: ("f", value.shape) for name, value in arrays.items()}
    assert WordNgrams.size_of(meta) == part.n_features
    again = WordNgrams.from_data(meta, arrays, segmenter)
    assert again.terms == part.terms and again.max_n == 2
    same_matrix(again(probe), part(probe), stored=True)
    with pytest.raises(ValueError, match="needs a segmenter"):
        WordNgrams.from_data(meta, arrays, None)


def test_only_stop_words_is_the_vectorizers_error():
    texts = ["，。", "的"]
    with pytest.raises(ValueError, match="empty vocabulary"):
        word_vectorizer(Segmenter(), 1).fit(texts)
    with pytest.raises(ValueError, match="empty vocabulary"):
        WordNgrams.fit_transform(texts, Segmenter(), 1)


def test_changing_the_token_filter_in_one_place_changes_every_path(seed_records, monkeypatch):
    """The drift experiment: drop one-character tokens in ``Segmenter.keep`` only; fit and predict both follow."""
    texts, labels = [r.text for r in seed_records], [r.labels for r in seed_records]
    probe = texts[:40]
    before = ThemeClassifier(threshold_folds=0, features="word").fit(texts, labels)
    original = Segmenter.keep
    monkeypatch.setattr(Segmenter, "keep", lambda self, raw: [t for t in original(self, raw) if len(t) > 1])
    after = ThemeClassifier(threshold_folds=0, features="word").fit(texts, labels)
    words = after.engine_.parts[0].terms
    assert words and all(len(term) > 1 for term in words if " " not in term)
    reference = word_vectorizer(after.engine_segmenter(), 1).fit(texts)
    same_matrix(after.engine_.parts[0](probe), reference.transform(probe))
    assert not np.array_equal(after.predict_proba(probe), before.predict_proba(probe))
    # classify, label_report and the batch labeller use the same engine, so they change too
    assert classify(probe[0], model=after).scores == {
        t: round(float(p), 4) for t, p in zip(after.classes_, after.predict_proba(probe[:1])[0])
    }


@pytest.mark.parametrize("terms, exact", [
    (["委员", "委员 提案", "提案", "政协", "政协 委员"], True),
    (["委员", "委员 提案", "政协 委员"], False),  # 提案 and 政协 are no unigram terms
    (["a b c", "a", "b c"], False),  # a second half holding a space (a token with a space)
    (["政协"], True),
])
def test_the_rank_tables_hold_every_unigram_and_bigram_of_unigrams(terms, exact):
    part = WordNgrams(sorted(terms), 2, Segmenter(), TfidfWeights(len(terms), None, True, "l2"))
    unigrams = [term for term in part.terms if " " not in term]
    assert part.rank == {term: rank for rank, term in enumerate(unigrams)}
    assert [part.terms[i] for i in part.unigram_ids] == unigrams
    assert part.vocabulary == {term: index for index, term in enumerate(part.terms)} and part.exact == exact
    pairs = [(term, *term.split(" ")) for term in part.terms if term.count(" ") == 1]
    countable = [(term, a, b) for term, a, b in pairs if a in part.rank and b in part.rank]
    assert part.n_bigrams == len(countable)
    for term, a, b in countable:
        assert part.terms[int(part.bigram(np.array([part.rank[a] * len(part.rank) + part.rank[b]]))[0])] == term
    every_pair = np.arange(len(part.rank) ** 2)
    assert np.count_nonzero(part.bigram(every_pair) >= 0) == len(countable)
