"""The one place figures come from: per-theme precision, recall and F1, micro- and macro-F1, intervals, ECE.

One zero-support rule, everywhere (``cppcc-nlp evaluate``, the model card, the
README, the notebooks): when a theme has neither positives nor predictions in
the units scored, its precision, recall and F1 are 1 — there was nothing to
find and nothing was claimed. Any other zero denominator gives 0 (a theme
predicted where it has no positive: precision 0, recall 0, F1 0). Micro-F1 pools
every theme's counts; macro-F1 is the mean of the per-theme F1s.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..codebook import default_codebook


def f1_parts(truth: np.ndarray, predicted: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-theme true positives, predicted positives and actual positives."""
    truth, predicted = np.asarray(truth).astype(bool), np.asarray(predicted).astype(bool)
    return (truth & predicted).sum(axis=0), predicted.sum(axis=0), truth.sum(axis=0)


def _ratio(numerator: np.ndarray, denominator: np.ndarray, vacuous: np.ndarray) -> np.ndarray:
    """``numerator / denominator``; where the denominator is 0: 1 for a vacuous theme, else 0."""
    out = np.where(vacuous, 1.0, 0.0)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def theme_f1(tp: np.ndarray, pp: np.ndarray, ap: np.ndarray) -> np.ndarray:
    """Per-theme F1 from counts (a theme with no positive and no prediction: 1)."""
    tp, pp, ap = (np.asarray(a, dtype=float) for a in (tp, pp, ap))
    return _ratio(2 * tp, pp + ap, (pp + ap) == 0)


def micro_macro(truth: np.ndarray, predicted: np.ndarray) -> tuple[float, float]:
    """Micro-F1 (pooled counts) and macro-F1 (mean of per-theme F1s)."""
    tp, pp, ap = f1_parts(truth, predicted)
    micro = theme_f1(tp.sum(keepdims=True), pp.sum(keepdims=True), ap.sum(keepdims=True))[0]
    return float(micro), float(theme_f1(tp, pp, ap).mean())


def per_theme(truth: np.ndarray, predicted: np.ndarray, themes: Sequence[str]) -> dict[str, dict[str, float]]:
    """Per theme: precision, recall, F1 (rounded to 3 digits) and support."""
    tp, pp, ap = (a.astype(float) for a in f1_parts(truth, predicted))
    vacuous = (pp + ap) == 0
    precision, recall, f1 = _ratio(tp, pp, vacuous), _ratio(tp, ap, vacuous), theme_f1(tp, pp, ap)
    return {theme: {"precision": round(float(precision[k]), 3), "recall": round(float(recall[k]), 3),
                    "f1": round(float(f1[k]), 3), "support": int(ap[k])}
            for k, theme in enumerate(themes)}


@dataclass(frozen=True)
class Scores:
    """Per-theme precision, recall, F1 and support, plus micro and macro F1."""

    per_theme: dict[str, dict[str, float]]
    micro_f1: float
    macro_f1: float

    def to_dict(self) -> dict:
        return {"per_theme": self.per_theme, "micro_f1": self.micro_f1, "macro_f1": self.macro_f1}


def score_predictions(truth: np.ndarray, predicted: np.ndarray, classes: Sequence[str] | None = None) -> Scores:
    """Per-theme and micro/macro figures of 0/1 matrices (``classes``: the column names, default the CPPCC themes)."""
    classes = classes if classes is not None else default_codebook().ids
    micro, macro = micro_macro(truth, predicted)
    return Scores(per_theme=per_theme(truth, predicted, classes), micro_f1=round(micro, 3), macro_f1=round(macro, 3))


def bootstrap_interval(
    truth: np.ndarray, predicted: np.ndarray, documents: Sequence[str], rounds: int = 1000, seed: int = 0
) -> dict[str, list[float]]:
    """95 % intervals of micro-, macro- and each theme's F1 (``per_theme_f1``, in column order), resampling whole
    documents with replacement."""
    rng = np.random.default_rng(seed)
    docs = np.array(documents, dtype=object)
    unique, inverse = np.unique(docs, return_inverse=True)
    # per document: its units' true positives, predicted and actual positives per theme
    tp = np.zeros((len(unique), truth.shape[1]))
    pp = np.zeros_like(tp)
    ap = np.zeros_like(tp)
    np.add.at(tp, inverse, (truth.astype(bool) & predicted.astype(bool)).astype(float))
    np.add.at(pp, inverse, predicted.astype(float))
    np.add.at(ap, inverse, truth.astype(float))
    micro, macro, themes = [], [], []
    for _ in range(rounds):
        pick = np.bincount(rng.integers(0, len(unique), len(unique)), minlength=len(unique)).astype(float)
        t, p, a = pick @ tp, pick @ pp, pick @ ap
        micro.append(theme_f1(t.sum(keepdims=True), p.sum(keepdims=True), a.sum(keepdims=True))[0])
        per = theme_f1(t, p, a)
        macro.append(float(per.mean()))
        themes.append(per)

    def bounds(values) -> list[float]:
        return [round(float(np.percentile(values, 2.5)), 3), round(float(np.percentile(values, 97.5)), 3)]

    per_theme_values = np.array(themes).reshape(rounds, truth.shape[1])
    return {"micro_f1": bounds(micro), "macro_f1": bounds(macro),
            "per_theme_f1": [bounds(per_theme_values[:, k]) for k in range(truth.shape[1])]}


def reliability(truth: np.ndarray, probability: np.ndarray, bins: int = 10) -> dict:
    """Expected calibration error (equal-width bins), Brier score, and the diagram's points, for one theme."""
    truth = truth.astype(float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(probability, edges[1:-1]), 0, bins - 1)
    ece, points = 0.0, []
    for b in range(bins):
        inside = which == b
        if inside.any():
            mean_p, mean_y = float(probability[inside].mean()), float(truth[inside].mean())
            ece += inside.mean() * abs(mean_p - mean_y)
            points.append([round(mean_p, 4), round(mean_y, 4), int(inside.sum())])
    return {"ece": round(float(ece), 4), "brier": round(float(np.mean((probability - truth) ** 2)), 4), "points": points}
