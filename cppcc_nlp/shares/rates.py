"""The held-out error rates the adjusted methods correct with, and the bootstrap draws of a mean."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from ..records import SCORE_DIGITS
from .methods import share_method

EXACT_BOOTSTRAP_UNITS = 20_000  # above this many units, a mean's draws come from its normal approximation
_MIN_GAP = 1e-9  # tpr - fpr (or m1 - m0) at most this: no correction is possible, the unadjusted share is kept


def adjust(observed, positive_rate, negative_rate):
    """``(observed - negative_rate) / (positive_rate - negative_rate)`` clipped to [0, 1] (ACC and PACC).

    ``positive_rate`` is the true-positive rate (ACC) or the mean probability
    among positives (PACC), ``negative_rate`` the false-positive rate or the
    mean probability among negatives. Where the two rates are (almost) equal
    the classifier carries no information to correct with, and the observed
    share is kept (clipped). Works elementwise on arrays that broadcast.
    """
    observed = np.asarray(observed, dtype=float)
    gap = np.asarray(positive_rate, dtype=float) - np.asarray(negative_rate, dtype=float)
    safe = np.where(np.abs(gap) > _MIN_GAP, gap, 1.0)
    corrected = np.where(np.abs(gap) > _MIN_GAP, (observed - negative_rate) / safe, observed)
    return np.clip(corrected, 0.0, 1.0)


@dataclass(frozen=True)
class ErrorRates:
    """Each theme's held-out rates: what ``adjusted`` and ``adjusted-probability`` correct with.

    ``tpr``/``fpr``: share of held-out positives/negatives predicted positive;
    ``mean_positive``/``mean_negative``: their mean probability; ``positives``/
    ``negatives``: how many held-out units each figure rests on.
    """

    themes: tuple[str, ...]
    tpr: np.ndarray
    fpr: np.ndarray
    mean_positive: np.ndarray
    mean_negative: np.ndarray
    positives: np.ndarray
    negatives: np.ndarray
    probabilities: np.ndarray = field(repr=False)
    labels: np.ndarray = field(repr=False)
    thresholds: np.ndarray = field(repr=False)

    @classmethod
    def from_heldout(cls, probabilities, labels, thresholds, themes: Sequence[str]) -> "ErrorRates":
        """The rates of out-of-fold ``probabilities`` (n x themes) against 0/1 ``labels`` at ``thresholds``."""
        p = np.asarray(probabilities, dtype=float)
        y = np.asarray(labels).astype(bool)
        t = np.asarray(thresholds, dtype=float)
        if p.ndim != 2 or p.shape != y.shape or p.shape[1] != len(themes) or t.shape != (len(themes),):
            raise ValueError(f"held-out probabilities {p.shape}, labels {y.shape} and thresholds {t.shape} "
                             f"do not fit {len(themes)} themes")
        predicted = p >= t
        pos, neg = y.sum(axis=0), (~y).sum(axis=0)

        def mean_where(values, mask, count):
            return np.where(count > 0, (values * mask).sum(axis=0) / np.maximum(count, 1), np.nan)

        return cls(tuple(themes), mean_where(predicted, y, pos), mean_where(predicted, ~y, neg),
                   mean_where(p, y, pos), mean_where(p, ~y, neg), pos, neg, p, y, t)

    def rates(self, method: str) -> tuple[np.ndarray, np.ndarray]:
        """``(positive_rate, negative_rate)`` per theme for an adjusted ``method``."""
        if share_method(method).crisp:
            return self.tpr, self.fpr
        return self.mean_positive, self.mean_negative

    def draws(self, method: str, rounds: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """``rounds`` resampled ``(positive_rate, negative_rate)`` arrays, each ``(rounds, themes)``."""
        crisp = share_method(method).crisp
        values = (self.probabilities >= self.thresholds) if crisp else self.probabilities
        pos_draws = np.empty((rounds, len(self.themes)))
        neg_draws = np.empty_like(pos_draws)
        for k in range(len(self.themes)):
            for out, mask, fallback in ((pos_draws, self.labels[:, k], self.rates(method)[0][k]),
                                        (neg_draws, ~self.labels[:, k], self.rates(method)[1][k])):
                column = values[mask, k].astype(float)
                out[:, k] = mean_draws(column[:, None], rounds, rng, crisp)[:, 0] if len(column) else fallback
        return pos_draws, neg_draws

    def to_dict(self) -> dict:
        """Per theme: tpr, fpr, mean probability among positives and negatives, and their counts."""
        return {theme: {"tpr": _round(self.tpr[k]), "fpr": _round(self.fpr[k]),
                        "mean_positive": _round(self.mean_positive[k]), "mean_negative": _round(self.mean_negative[k]),
                        "positives": int(self.positives[k]), "negatives": int(self.negatives[k])}
                for k, theme in enumerate(self.themes)}


def mean_draws(values: np.ndarray, rounds: int, rng: np.random.Generator, crisp: bool) -> np.ndarray:
    """``rounds`` bootstrap draws of the column means of ``values`` (units x columns): ``(rounds, columns)``.

    The Bayesian bootstrap (exponential weights per unit) with half a unit of
    value 1 and half a unit of value 0 added (Gamma(1/2) weights), so that a
    column of equal values still gets a spread; for 0/1 values its closed form,
    Beta(c + 1/2, n - c + 1/2). Above ``EXACT_BOOTSTRAP_UNITS`` units, the normal
    approximation of the mean.
    """
    n = values.shape[0]
    if crisp:
        counts = values.sum(axis=0)
        return rng.beta(counts + 0.5, n - counts + 0.5, size=(rounds, values.shape[1]))
    if n <= EXACT_BOOTSTRAP_UNITS:
        weights = rng.standard_exponential((rounds, n))
        at_one = rng.gamma(0.5, size=(rounds, 1))  # half a unit at 1 and half a unit at 0, as for 0/1 values
        total = weights.sum(axis=1, keepdims=True) + at_one + rng.gamma(0.5, size=(rounds, 1))
        return (weights @ values + at_one) / total
    mean = values.mean(axis=0)
    spread = values.std(axis=0, ddof=1) / math.sqrt(n)
    return np.clip(mean + spread * rng.standard_normal((rounds, values.shape[1])), 0.0, 1.0)


def _round(value) -> float | None:
    value = float(value)
    return None if math.isnan(value) else round(value, SCORE_DIGITS)
