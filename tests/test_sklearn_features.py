"""scikit-learn's transformers as references: a model fitted with the engine's parts is the one they would give."""

import numpy as np
import pytest
from sklearn.feature_extraction.text import HashingVectorizer, TfidfVectorizer
from sklearn.pipeline import FeatureUnion

from cppcc_nlp.model import ThemeClassifier
from cppcc_nlp.sklearn_features import CueWordFeatures, char_vectorizer, engine_from_fitted, word_vectorizer


@pytest.mark.parametrize("params", [{"min_df": 2, "cue_words": "extended"}, {"features": "char", "cue_words": False},
                                    {"features": "word", "min_df": 1, "classifier": "svm"}])
def test_a_model_is_the_one_scikit_learns_transformers_give(seed_records, params):
    """Same vocabularies, IDF weights and training matrix (to the bit and in storage order): the same coefficients."""
    texts, labels = [r.text for r in seed_records], [r.labels for r in seed_records]
    model = ThemeClassifier(threshold_folds=0, **params).fit(texts, labels)
    min_df, segmenter = model.min_df, model.engine_segmenter()
    word, char = ("word", word_vectorizer(segmenter, min_df)), ("char", char_vectorizer(min_df))
    transformers = {"word": [word], "char": [char], "both": [word, char]}[model.features]
    if model.cue_words:
        transformers.append(("cue", CueWordFeatures(extended=model.cue_words == "extended")))
    union = FeatureUnion(transformers)
    coef, intercept = model._fit_linear(union.fit_transform(texts), model.codebook_.label_matrix(labels))
    reference = engine_from_fitted(union, coef, intercept, model.engine_.link, model.codebook_, model.thresholds_)
    assert reference.fingerprint() == model.engine_.fingerprint()


def test_a_feature_type_the_engine_does_not_know_is_an_error_at_conversion():
    texts = ["政协委员", "民主监督"]
    for part in (HashingVectorizer(), TfidfVectorizer(analyzer="char_wb")):
        union = FeatureUnion([("x", part)]).fit(texts)
        with pytest.raises(ValueError, match="engine"):
            engine_from_fitted(union, np.zeros((union.transform(texts).shape[1], 5)), np.zeros(5), "expit",
                               ["a", "b", "c", "d", "e"], np.full(5, 0.5))
