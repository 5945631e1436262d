"""scikit-learn's side of the features: the transformers each engine part equals, and the adapter from fitted ones.

``ThemeClassifier.fit`` learns its features with the parts of ``features/``;
the transformers here are the references the tests compare every part with,
and ``engine_from_fitted`` turns a fitted ``FeatureUnion`` of them (an old
pickled model, see ``persist.convert_pickled_model``) into an engine.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils.validation import check_is_fitted

from .codebook import Codebook, default_codebook
from .engine import Engine
from .features import CharNgrams, CueWords, TfidfWeights, WordNgrams
from .segment import Segmenter


def _no_preprocessing(text: str) -> str:
    return text


class CueWordFeatures(TransformerMixin, BaseEstimator):
    """One 0/1 column per codebook cue word: does the text contain it? (reference for ``features.CueWords``)"""

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
    """TF-IDF over the segmenter's tokens, uni- and bigrams (reference for ``features.WordNgrams``)."""
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
    """TF-IDF over character 1- to 3-grams (reference for ``features.CharNgrams``)."""
    return TfidfVectorizer(analyzer="char", ngram_range=(1, 3), lowercase=False, min_df=min_df, sublinear_tf=True)


def engine_from_fitted(vectorizer, coef, intercept, link: str, codebook: Codebook, thresholds, context_unions=(),
                       calibration=None, heldout=None) -> Engine:
    """The engine of a fitted ``FeatureUnion`` of the transformers above and the linear models' coefficients.

    ``context_unions``: ``(FeatureUnion, view, weight)`` of each context view's fitted features.

    A feature type that the engine cannot compute exactly is a ``ValueError``
    here, at conversion time, never a slower path later.
    """
    parts, inputs, weights = [], [], []
    unions = [(vectorizer, "text", 1.0), *context_unions]
    for union, reads, weight in unions:
        for name, part in union.transformer_list:
            if type(part) is CueWordFeatures:
                parts.append(CueWords(list(part.cues_), float(part.weight)))
            elif isinstance(part, TfidfVectorizer):
                parts.append(tfidf_part(name, part))
            else:
                raise ValueError(f"feature part {name!r} ({type(part).__name__}) is not one the engine computes")
            inputs.append(reads)
            weights.append(weight)
    return Engine(codebook.ids, thresholds, parts, coef, intercept, link, inputs, weights, calibration, heldout,
                  codebook)


def tfidf_part(name: str, part: TfidfVectorizer) -> CharNgrams | WordNgrams:
    """The engine part that computes what the fitted ``part`` (named ``name`` in its union) computes."""
    plain = (
        part.input == "content"
        and not part.lowercase
        and part.strip_accents is None
        and not part.binary
        and np.dtype(part.dtype) == np.float64
        and part.norm in ("l2", "l1", None)
        and part.stop_words is None
    )
    weights = TfidfWeights(len(part.vocabulary_), part.idf_ if part.use_idf else None, part.sublinear_tf, part.norm)
    if plain and part.analyzer == "char" and part.preprocessor is None and 1 <= part.ngram_range[0] <= part.ngram_range[1] <= 3:
        if any("\x00" in term for term in part.vocabulary_):
            raise ValueError(f"feature part {name!r}: a character n-gram holds NUL")
        return CharNgrams(_terms_in_order(part.vocabulary_), part.ngram_range, weights)
    if (
        plain
        and part.analyzer == "word"
        and isinstance(part.tokenizer, Segmenter)
        and part.ngram_range in ((1, 1), (1, 2))
        and (part.preprocessor is None or getattr(part.preprocessor, "__name__", "") == "_no_preprocessing")
    ):
        return WordNgrams(_terms_in_order(part.vocabulary_), part.ngram_range[1], part.tokenizer, weights)
    raise ValueError(f"feature part {name!r}: a TfidfVectorizer configuration the engine does not compute")


def _terms_in_order(vocabulary: dict[str, int]) -> list[str]:
    """A fitted vectorizer's terms by column."""
    terms = [""] * len(vocabulary)
    for term, index in vocabulary.items():
        terms[index] = term
    return terms
