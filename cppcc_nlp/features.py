"""The scikit-learn transformers ``ThemeClassifier.fit`` learns with; the engine computes the same features."""

from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils.validation import check_is_fitted

from .codebook import default_codebook
from .segment import Segmenter


def _no_preprocessing(text: str) -> str:
    return text


class CueWordFeatures(TransformerMixin, BaseEstimator):
    """One 0/1 column per codebook cue word: does the text contain it? (reference for ``engine.CueWords``)"""

    def __init__(self, weight: float = 1.0, extended: bool = False, codebook=None) -> None:
        self.weight = weight
        self.extended = extended
        self.codebook = codebook

    def fit(self, X, y=None) -> "CueWordFeatures":
        self.cues_ = (self.codebook or default_codebook()).cue_list(self.extended)
        return self

    def transform(self, X) -> sparse.csr_matrix:
        check_is_fitted(self, "cues_")
        X = list(X)
        rows, cols = [], []
        for i, text in enumerate(X):
            for j, cue in enumerate(self.cues_):
                if cue in text:
                    rows.append(i)
                    cols.append(j)
        data = np.full(len(rows), float(self.weight))
        return sparse.csr_matrix((data, (rows, cols)), shape=(len(X), len(self.cues_)))

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        check_is_fitted(self, "cues_")
        return np.array([f"cue:{cue}" for cue in self.cues_], dtype=object)


def word_vectorizer(segmenter: Segmenter, min_df: int) -> TfidfVectorizer:
    """TF-IDF over the segmenter's tokens, uni- and bigrams (reference for ``engine.WordNgrams``)."""
    return TfidfVectorizer(
        tokenizer=segmenter,
        preprocessor=_no_preprocessing,
        token_pattern=None,
        lowercase=False,
        ngram_range=(1, 2),
        min_df=min_df,
        sublinear_tf=True,
    )


def char_vectorizer(min_df: int) -> TfidfVectorizer:
    """TF-IDF over character 1- to 3-grams (reference for ``engine.CharNgrams``)."""
    return TfidfVectorizer(analyzer="char", ngram_range=(1, 3), lowercase=False, min_df=min_df, sublinear_tf=True)
