"""Cue words: the part finds each codebook cue word as a substring, as the reference transformer does."""

import json
import pickle

import numpy as np
import pytest

from cppcc_nlp.codebook import default_codebook
from cppcc_nlp.features import CueWords
from cppcc_nlp.sklearn_features import CueWordFeatures

from conftest import same_matrix


@pytest.mark.parametrize("extended", [False, True])
def test_cue_words_equal_the_reference_transformer(feature_texts, extended):
    train, probe = feature_texts
    reference = CueWordFeatures(weight=1.0, extended=extended)
    expected = reference.fit_transform(train)
    part, matrix = CueWords.fit_transform(train, default_codebook(), extended=extended)
    assert part.cues == list(reference.cues_) and part.feature_names() == list(reference.get_feature_names_out())
    same_matrix(matrix, expected, stored=True)
    same_matrix(pickle.loads(pickle.dumps(part))(probe), reference.transform(probe))


def test_the_part_round_trips_through_plain_data(feature_texts):
    train, probe = feature_texts
    part, _ = CueWords.fit_transform(train, default_codebook(), weight=2.5)
    meta, arrays = part.to_data()
    meta = json.loads(json.dumps(meta))
    CueWords.check_data(meta, 0)
    assert arrays == {} and CueWords.expected_arrays(meta) == {} and CueWords.size_of(meta) == part.n_features
    same_matrix(CueWords.from_data(meta, arrays)(probe), part(probe), stored=True)


def reference_cue_matrix(cues, texts):
    """Each cue found by ``in``: the definition the trie walk must meet."""
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


@pytest.mark.parametrize("cues", [[""], ["政\x00协"]])
def test_an_empty_cue_or_one_holding_nul_is_refused(cues):
    with pytest.raises(ValueError, match="non-empty and hold no NUL"):
        CueWords(cues, 1.0)
