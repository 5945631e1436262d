"""ThemeClassifier: TF-IDF features and one linear model per theme with per-theme thresholds.

``fit`` learns the feature parts of ``features/`` (each computes its own
training matrix, as it will at prediction) and a linear model per theme with
scikit-learn, and keeps the result as an ``Engine`` (``engine.py``): plain
arrays, the one prediction path of the package.
"""

from __future__ import annotations

from dataclasses import dataclass
import os
from typing import Callable, Iterable, Sequence

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator
from sklearn.model_selection import GroupKFold, KFold
from sklearn.utils.validation import check_is_fitted

from .context import context_strings, split_inputs  # noqa: F401 (split_inputs: callers import it from here too)
from .engine import Engine, calibrate, distinct_rows
from .evaluation.metrics import micro_macro, theme_f1
from .features import fit_part
# format-1 pickles (``persist.convert_pickled_model``) name model.CueWordFeatures and model._no_preprocessing
from .sklearn_features import CueWordFeatures, _no_preprocessing  # noqa: F401
from .codebook import Codebook, default_codebook, resolve_codebook
from .segment import Segmenter, default_lexicon

FEATURES = ("word", "char", "both")
CALIBRATIONS = (None, "isotonic")


@dataclass(frozen=True)
class LinearModel:
    """A linear model per theme that the prediction engine computes: how to make it, and its link function."""

    link: str
    make: Callable[[float, object, object], object]


def _logistic_regression(C, class_weight, random_state):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, class_weight=class_weight, solver="liblinear", random_state=random_state)


def _linear_svm(C, class_weight, random_state):
    from sklearn.svm import LinearSVC

    return LinearSVC(C=C, class_weight=class_weight, random_state=random_state)


# the classifiers ``ThemeClassifier(classifier=...)`` offers (the command line and the README read this)
CLASSIFIERS: dict[str, LinearModel] = {
    "logreg": LinearModel("expit", _logistic_regression),
    "svm": LinearModel("sigmoid", _linear_svm),
}


def _one_of(*allowed):
    return lambda value: value in allowed, f"one of {list(allowed)}"


def _number(low: float, strict: bool):
    def check(value) -> bool:
        return isinstance(value, (int, float)) and not isinstance(value, bool) and (value > low if strict else value >= low)
    return check, f"a number {'>' if strict else '>='} {low}"


def _whole(low: int, none: bool = False):
    def check(value) -> bool:
        return (none and value is None) or (isinstance(value, int) and not isinstance(value, bool) and value >= low)
    return check, f"a whole number >= {low}" + (" or None" if none else "")


# every parameter of ThemeClassifier: (test, what it must be), in scikit-learn's _parameter_constraints style
PARAMETER_CONSTRAINTS: dict[str, tuple[Callable[[object], bool], str]] = {
    "features": _one_of(*FEATURES),
    "classifier": _one_of(*CLASSIFIERS),
    "C": _number(0, strict=True),
    "class_weight": _one_of(None, "balanced"),
    "use_lexicon": _one_of(True, False),
    "backend": _one_of("auto", "jieba", "rjieba"),
    "threshold_folds": _whole(0, none=True),
    "min_df": _whole(1),
    "cue_words": _one_of(True, False, "extended"),
    "context_weight": _number(0, strict=False),
    "frame_weight": _number(0, strict=False),
    "document_weight": _number(0, strict=False),
    "calibration": _one_of(*CALIBRATIONS),
    "random_state": _whole(0, none=True),
    "codebook": (lambda value: value is None or isinstance(value, (Codebook, str, os.PathLike)),
                 "a Codebook, a codebook file or None"),
}


def check_params(params: dict) -> None:
    """Refuse unknown parameters and values outside ``PARAMETER_CONSTRAINTS`` (a ValueError naming each)."""
    unknown = sorted(set(params) - set(PARAMETER_CONSTRAINTS))
    if unknown:
        raise ValueError(f"unknown parameter(s) {unknown}; known: {sorted(PARAMETER_CONSTRAINTS)}")
    for name, value in params.items():
        test, expected = PARAMETER_CONSTRAINTS[name]
        if not test(value):
            raise ValueError(f"{name} must be {expected}, got {value!r}")
# a theme with no positive (or no negative) training unit: a constant predictor of this log-odds
_CONSTANT_LOG_ODDS = 30.0


class ThemeClassifier(BaseEstimator):
    """Multi-label theme classifier for Chinese sentences.

    Parameters
    ----------
    features : "word", "char" or "both"
        TF-IDF over segmented words (uni- and bigrams), character 1-3-grams, or both.
    classifier : "logreg" or "svm"
        One logistic regression or linear SVM per theme.
    C : inverse regularisation strength.
    class_weight : passed to the linear models; "balanced" up-weights rare themes.
    use_lexicon : segment with the CPPCC domain lexicon (word features only).
    backend : segmentation backend, "auto", "jieba" or "rjieba" (identical tokens).
    threshold_folds : folds of the cross-validation inside ``fit`` that picks each
        theme's decision threshold; 0 or 1 keeps 0.5 for every theme.
    cue_words : add one 0/1 feature per cue word of the codebook's themes;
        "extended" adds the cue words of the codebook's decision rules.
    context_weight : above 0, add character n-grams of the unit's context (the
        neighbouring sentences of its paragraph and its section heading),
        multiplied by this weight; units given as plain strings have no context.
    frame_weight : above 0, add character n-grams of the unit's frame (its
        document's title and its section heading) as a block of their own,
        multiplied by this weight.
    document_weight : above 0, add character n-grams of the unit's document
        (its title and opening, ``context.document_lead``), multiplied by this weight.
    calibration : "isotonic" maps each theme's scores to probabilities by isotonic
        regression on the out-of-fold scores of the threshold search; None keeps
        the linear model's own probabilities.
    min_df, random_state : as in scikit-learn.
    codebook : the themes to learn: a ``Codebook``, a codebook file, or None
        (the five CPPCC themes). The fitted model carries it in its files.

    ``X`` holds strings, or units with ``.text`` and ``.context`` (a
    ``UnitContext``: ``before``, ``after``, ``heading``, ``title``) such as the
    corpus's ``LabelRecord`` objects.

    Labels ``y`` are lists of theme ids per text or a 0/1 indicator matrix
    with columns in the codebook's theme order; scikit-learn's model-selection tools
    (``cross_val_score``, ``GridSearchCV``, ``clone``, ``Pipeline``) work with
    either. The estimator does not declare itself a scikit-learn *classifier*:
    that would make those tools stratify folds on ``y``, which they cannot do
    for lists of labels; ``score`` is micro-F1.
    """

    def __init__(
        self,
        features: str = "both",
        classifier: str = "logreg",
        C: float = 10.0,
        class_weight: str | None = "balanced",
        use_lexicon: bool = False,
        backend: str = "auto",
        threshold_folds: int = 5,
        min_df: int = 1,
        cue_words: bool = True,
        context_weight: float = 0.0,
        frame_weight: float = 0.0,
        document_weight: float = 0.0,
        calibration: str | None = None,
        random_state: int | None = 0,
        codebook: Codebook | str | None = None,
    ) -> None:
        self.features = features
        self.classifier = classifier
        self.C = C
        self.class_weight = class_weight
        self.use_lexicon = use_lexicon
        self.backend = backend
        self.threshold_folds = threshold_folds
        self.min_df = min_df
        self.cue_words = cue_words
        self.context_weight = context_weight
        self.frame_weight = frame_weight
        self.document_weight = document_weight
        self.calibration = calibration
        self.random_state = random_state
        self.codebook = codebook

    # -- construction -----------------------------------------------------------------

    def _make_segmenter(self) -> Segmenter:
        return Segmenter(lexicon=default_lexicon() if self.use_lexicon else (), backend=self.backend)

    def _feature_parts(self, segmenter: Segmenter) -> list[tuple[str, dict]]:
        """``(kind, settings)`` of each feature part that reads the units' own text, in column order."""
        word = ("word_ngrams", {"segmenter": segmenter, "min_df": self.min_df})
        char = ("char_ngrams", {"min_df": self.min_df})
        parts = list({"word": [word], "char": [char], "both": [word, char]}[self.features])
        if self.cue_words:
            parts.append(("cue_words", {"codebook": self.codebook_, "extended": self.cue_words == "extended"}))
        return parts

    def _make_linear(self):
        return CLASSIFIERS[self.classifier].make(self.C, self.class_weight, self.random_state)

    def _check_params(self) -> None:
        check_params(self.get_params())

    # -- fitting ----------------------------------------------------------------------

    def fit(self, X: Iterable, y, groups: Sequence | None = None, progress=None) -> "ThemeClassifier":
        """Fit on units ``X`` and labels ``y`` (lists of theme ids, or a 0/1 matrix).

        ``groups`` (e.g. the document or section of each unit) keeps whole
        groups together in the cross-validation inside ``fit`` that picks the
        per-theme thresholds and fits the calibration. ``progress``, if given,
        is called after each inner fold and after the final fit.
        """
        self._check_params()
        self.codebook_ = resolve_codebook(self.codebook)
        texts, contexts = split_inputs(X)
        Y = _checked_label_matrix(y, len(texts), self.codebook_)
        self.classes_ = np.array(self.codebook_.ids, dtype=object)
        segmenter = self._make_segmenter()
        thresholds = np.full(Y.shape[1], 0.5)
        calibration = heldout = None
        raw = self._out_of_fold(texts, contexts, Y, groups, segmenter, progress)
        if raw is not None:
            if self.calibration == "isotonic":
                calibration = [_isotonic_knots(raw[:, k], Y[:, k]) for k in range(Y.shape[1])]
                raw = calibrate(raw, calibration)
            thresholds = np.array([best_f1_threshold(Y[:, k], raw[:, k]) for k in range(Y.shape[1])])
            heldout = (raw, Y)  # out-of-fold: what share estimates correct for
        self.engine_ = self._fit_engine(texts, contexts, Y, segmenter, thresholds, calibration, heldout)
        if progress is not None:
            progress()
        self.thresholds_ = self.engine_.thresholds
        self.n_features_ = self.engine_.n_features
        return self

    def _fit_engine(self, texts, contexts, Y, segmenter: Segmenter, thresholds, calibration=None, heldout=None) -> Engine:
        # (part, its training matrix, what it reads, its weight): each part computes its own matrix
        fitted = [(*fit_part(kind, texts, **settings), "text", 1.0) for kind, settings in self._feature_parts(segmenter)]
        for view, weight in (("context", self.context_weight), ("frame", self.frame_weight),
                             ("document", self.document_weight)):
            if weight > 0:
                strings = context_strings(contexts, len(texts), view)
                if not any(strings):
                    if not any(contexts):
                        raise ValueError(f"{view}_weight > 0 needs units with a context (e.g. LabelRecord or Unit "
                                         "objects), not plain strings")
                    continue  # no unit here has this view (no titles or headings): nothing to learn from it
                distinct, rows = distinct_rows(strings)  # a heading, title or document counts once in the weights
                # a small corpus has few titles and headings: min_df cannot ask for more of them than there are
                min_df = min(self.min_df, sum(1 for string in distinct if string))
                part, block = fit_part("char_ngrams", distinct, min_df=min_df)
                fitted.append((part, block[rows] * weight, view, weight))
        parts, blocks, inputs, weights = (list(column) for column in zip(*fitted))
        features = sparse.hstack(blocks, format="csr") if len(blocks) > 1 else blocks[0]
        coef, intercept = self._fit_linear(features, Y)
        return Engine(self.codebook_.ids, thresholds, parts, coef, intercept, CLASSIFIERS[self.classifier].link,
                      inputs, weights, calibration, heldout, self.codebook_)

    def _fit_linear(self, features, Y) -> tuple[np.ndarray, np.ndarray]:
        """Coefficients ``(n_features, n_themes)`` and intercepts of one linear model per theme."""
        coef = np.zeros((features.shape[1], Y.shape[1]))
        intercept = np.zeros(Y.shape[1])
        for k in range(Y.shape[1]):
            column = Y[:, k]
            if column.min() == column.max():  # one class only: a constant predictor
                intercept[k] = _CONSTANT_LOG_ODDS if column[0] else -_CONSTANT_LOG_ODDS
                continue
            linear = self._make_linear().fit(features, column)
            coef[:, k] = linear.coef_.ravel()
            intercept[k] = float(np.ravel(linear.intercept_)[0])
        return coef, intercept

    def _out_of_fold(self, texts, contexts, Y, groups, segmenter: Segmenter, progress=None) -> np.ndarray | None:
        """Raw probabilities of every unit from models that did not see its group (None: no inner folds)."""
        if self.threshold_folds is None or self.threshold_folds < 2:
            return None
        if groups is not None and len(set(groups)) >= self.threshold_folds:
            splits = GroupKFold(n_splits=self.threshold_folds).split(texts, Y, groups)
        else:
            n_splits = min(self.threshold_folds, len(texts))
            if n_splits < 2:
                return None
            splits = KFold(n_splits=n_splits, shuffle=True, random_state=self.random_state).split(texts)
        raw = np.zeros(Y.shape, dtype=float)
        for train, test in splits:
            engine = self._fit_engine([texts[i] for i in train], [contexts[i] for i in train], Y[train], segmenter,
                                      np.full(Y.shape[1], 0.5))
            raw[test] = engine.raw_proba([texts[i] for i in test], [contexts[i] for i in test])
            if progress is not None:
                progress()
        return raw

    @classmethod
    def from_engine(cls, engine: Engine, params: dict) -> "ThemeClassifier":
        """A fitted classifier around a loaded engine (``persist.load_model``)."""
        # the default codebook stays the default (None) parameter: a loaded model has the parameters it was fitted with
        model = cls(**{**params, "codebook": None if engine.codebook == default_codebook() else engine.codebook})
        model.codebook_ = engine.codebook
        model.classes_ = np.array(engine.themes, dtype=object)
        model.engine_ = engine
        model.thresholds_ = engine.thresholds
        model.n_features_ = engine.n_features
        return model

    def engine_segmenter(self) -> Segmenter | None:
        """The segmenter the engine's word features use (None without word features)."""
        for part in self._engine().parts:
            segmenter = getattr(part, "segmenter", None)
            if segmenter is not None:
                return segmenter
        return None

    # -- prediction -------------------------------------------------------------------

    def _engine(self) -> Engine:
        check_is_fitted(self, "engine_")
        return self.engine_

    def decision_function(self, X: Iterable) -> np.ndarray:
        """Raw per-theme scores, shape ``(n_texts, n_themes)``, columns in ``classes_`` order."""
        return self._engine().decision_function(*split_inputs(X))

    def predict_proba(self, X: Iterable) -> np.ndarray:
        """Per-theme probabilities (independent, not summing to 1), columns in ``classes_`` order."""
        return self._engine().predict_proba(*split_inputs(X))

    def predict(self, X: Iterable[str]) -> np.ndarray:
        """0/1 indicator matrix, columns in ``classes_`` order, using the per-theme thresholds."""
        return (self.predict_proba(X) >= self.thresholds_).astype(int)

    def predict_labels(self, X: Iterable[str]) -> list[list[str]]:
        """Theme ids per text."""
        return indicator_to_labels(self.predict(X), self.classes_)

    def score(self, X, y, sample_weight=None) -> float:
        """Micro-averaged F1 over themes (``evaluation.metrics``: no positive and no prediction at all counts 1)."""
        X = list(X) if not isinstance(X, str) else X
        Y = _checked_label_matrix(y, len(split_inputs(X)[0]), self.codebook_)
        return micro_macro(Y, self.predict(X))[0]

    # -- explanation ------------------------------------------------------------------

    def term_weights(self) -> np.ndarray:
        """Per-theme weight of every feature, shape ``(n_themes, n_features)``."""
        return self._engine().coef.T

    def feature_names(self) -> list[str]:
        """The term (or ``cue:<word>``) of every feature column."""
        return self._engine().feature_names()

    def explain(self, text: str, top: int = 5) -> "Explanation":
        """For each predicted theme, the terms of ``text`` that pushed its score most."""
        features = self._engine().transform(*split_inputs([text]))
        weights = self.term_weights()
        names = self.feature_names()
        probabilities = self.predict_proba([text])[0]
        row = features.tocsr()[0]
        themes = []
        for k, theme in enumerate(self.classes_):
            contributions = row.data * weights[k, row.indices]
            order = np.argsort(-contributions)[:top]
            terms = tuple(
                (names[row.indices[i]], float(contributions[i])) for i in order if contributions[i] > 0
            )
            themes.append(
                ThemeExplanation(
                    theme=str(theme),
                    probability=float(probabilities[k]),
                    threshold=float(self.thresholds_[k]),
                    predicted=bool(probabilities[k] >= self.thresholds_[k]),
                    terms=terms,
                )
            )
        return Explanation(text=text, themes=tuple(themes))

    def top_terms(self, n: int = 10) -> dict[str, list[tuple[str, float]]]:
        """The ``n`` terms with the largest positive weight for each theme."""
        weights = self.term_weights()
        names = self.feature_names()
        result = {}
        for k, theme in enumerate(self.classes_):
            order = np.argsort(-weights[k])[:n]
            result[str(theme)] = [(names[i], float(weights[k, i])) for i in order if weights[k, i] > 0]
        return result


@dataclass(frozen=True)
class ThemeExplanation:
    theme: str
    probability: float
    threshold: float
    predicted: bool
    terms: tuple[tuple[str, float], ...]

    def to_dict(self) -> dict:
        return {
            "theme": self.theme,
            "probability": self.probability,
            "threshold": self.threshold,
            "predicted": self.predicted,
            "terms": [list(term) for term in self.terms],
        }


@dataclass(frozen=True)
class Explanation:
    text: str
    themes: tuple[ThemeExplanation, ...]

    @property
    def predicted(self) -> tuple[ThemeExplanation, ...]:
        return tuple(theme for theme in self.themes if theme.predicted)

    def to_dict(self) -> dict:
        return {"text": self.text, "themes": [theme.to_dict() for theme in self.themes]}

    def format(self, all_themes: bool = False) -> str:
        """Plain-text rendering for a terminal."""
        lines = [self.text]
        shown = self.themes if all_themes else self.predicted
        if not shown:
            lines.append("  (no theme predicted)")
        for theme in shown:
            mark = "*" if theme.predicted else " "
            terms = ", ".join(f"{term} {weight:+.2f}" for term, weight in theme.terms) or "-"
            lines.append(f" {mark} {theme.theme:<20} p={theme.probability:.2f} (threshold {theme.threshold:.2f})  {terms}")
        return "\n".join(lines)


# -- helpers ----------------------------------------------------------------------------


def best_f1_threshold(truth: np.ndarray, scores: np.ndarray) -> float:
    """The probability threshold that maximises F1 on out-of-fold scores (0.5 without positives)."""
    truth = np.asarray(truth).astype(bool)
    if truth.sum() == 0:
        return 0.5
    candidates = np.unique(np.concatenate([scores, [0.5]]))
    # per candidate threshold: units scored at or above it (predicted), and those of them that are positive
    predicted = len(scores) - np.searchsorted(np.sort(scores), candidates, side="left")
    true_positives = truth.sum() - np.searchsorted(np.sort(scores[truth]), candidates, side="left")
    f1s = theme_f1(true_positives, predicted, np.full(len(candidates), truth.sum()))
    best_threshold, best_f1 = 0.5, -1.0
    for threshold, f1 in zip(candidates, f1s):
        if f1 > best_f1 + 1e-12:
            best_threshold, best_f1 = float(threshold), f1
    # place the threshold between the chosen score and the next lower one, not on a training score
    lower = scores[scores < best_threshold]
    if lower.size:
        best_threshold = (best_threshold + lower.max()) / 2
    return float(min(max(best_threshold, 0.05), 0.95))



def _isotonic_knots(scores: np.ndarray, truth: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Knots of the isotonic regression of ``truth`` on ``scores`` (None for a theme without both classes)."""
    from sklearn.isotonic import IsotonicRegression

    if truth.min() == truth.max():
        return None
    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(scores, truth)
    return np.asarray(iso.X_thresholds_, dtype=np.float64), np.asarray(iso.y_thresholds_, dtype=np.float64)


def _checked_label_matrix(y, n_texts: int, codebook: Codebook) -> np.ndarray:
    """Labels as lists of theme ids or a 0/1 matrix, checked, as ``codebook.label_matrix`` builds them."""
    classes = list(codebook.ids)
    if hasattr(y, "shape") and len(getattr(y, "shape", ())) == 2:
        Y = np.asarray(y.toarray() if hasattr(y, "toarray") else y)
        if Y.shape != (n_texts, len(classes)):
            raise ValueError(f"label matrix has shape {Y.shape}, expected ({n_texts}, {len(classes)}) in {classes} order")
        if not np.isin(Y, (0, 1)).all():
            raise ValueError("label matrix must contain only 0 and 1")
        return Y.astype(int)
    y = list(y)
    if len(y) != n_texts:
        raise ValueError(f"got {n_texts} texts but {len(y)} label lists")
    known = set(classes)
    for i, labels in enumerate(y):
        if isinstance(labels, str):
            raise ValueError(f"labels of text {i} must be a list of theme ids, got the string {labels!r}")
        for label in labels:
            if label not in known:
                raise ValueError(f"unknown theme id {label!r} for text {i}; expected one of {classes}")
    return codebook.label_matrix(y)


def indicator_to_labels(Y: np.ndarray, classes: Sequence[str]) -> list[list[str]]:
    return [[str(classes[k]) for k in np.flatnonzero(row)] for row in np.asarray(Y)]
