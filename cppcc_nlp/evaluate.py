"""Honest evaluation: leave-one-section-out cross-validation beside two baselines."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
from sklearn.base import clone

from .corpus import LabelRecord
from .model import ThemeClassifier, _label_matrix
from .progress import progress_bar
from .reader import LEAD_IN
from .codebook import Codebook, default_codebook, resolve_codebook
from .evaluation.metrics import micro_macro, per_theme


@dataclass(frozen=True)
class Scores:
    """Per-theme precision, recall, F1 and support, plus micro and macro F1."""

    per_theme: dict[str, dict[str, float]]
    micro_f1: float
    macro_f1: float

    def to_dict(self) -> dict:
        return {"per_theme": self.per_theme, "micro_f1": self.micro_f1, "macro_f1": self.macro_f1}


def score_predictions(truth: np.ndarray, predicted: np.ndarray, classes: Sequence[str] | None = None) -> Scores:
    """Per-theme and micro/macro figures (``evaluation.metrics``: one zero-support rule for every figure)."""
    classes = classes if classes is not None else default_codebook().ids
    micro, macro = micro_macro(truth, predicted)
    return Scores(per_theme=per_theme(truth, predicted, classes), micro_f1=round(micro, 3), macro_f1=round(macro, 3))


def keyword_predictions(texts: Sequence[str], codebook: Codebook | None = None) -> np.ndarray:
    """Keyword-lexicon baseline: a unit gets a theme when it contains one of the theme's cue words."""
    cue_words = (codebook or default_codebook()).cue_words()
    return np.array(
        [[int(any(cue in text for cue in cues)) for cues in cue_words.values()] for text in texts], dtype=int
    ).reshape(len(texts), len(cue_words))


def majority_predictions(train_Y: np.ndarray, n_test: int) -> np.ndarray:
    """Majority baseline: every unit gets the theme most frequent in the training fold."""
    predicted = np.zeros((n_test, train_Y.shape[1]), dtype=int)
    predicted[:, int(np.argmax(train_Y.sum(axis=0)))] = 1
    return predicted


@dataclass
class Evaluation:
    """Result of leave-one-section-out cross-validation."""

    model: Scores
    keyword: Scores
    majority: Scores
    folds: list[str]
    n_units: int
    params: dict
    out_of_fold: list[dict] = field(default_factory=list, repr=False)

    def to_dict(self) -> dict:
        return {
            "protocol": "leave-one-section-out",
            "folds": self.folds,
            "n_units": self.n_units,
            "params": self.params,
            "model": self.model.to_dict(),
            "keyword_baseline": self.keyword.to_dict(),
            "majority_baseline": self.majority.to_dict(),
        }

    def table(self) -> str:
        """Markdown table: per-theme F1 (P/R) for the model and both baselines, then micro/macro F1."""
        rows = [
            "| theme | support | model P / R / F1 | keyword P / R / F1 | majority F1 |",
            "|---|---:|---|---|---:|",
        ]
        for theme in self.model.per_theme:
            m, k, j = (s.per_theme[theme] for s in (self.model, self.keyword, self.majority))
            rows.append(
                f"| {theme} | {m['support']} | {m['precision']:.2f} / {m['recall']:.2f} / **{m['f1']:.2f}** "
                f"| {k['precision']:.2f} / {k['recall']:.2f} / {k['f1']:.2f} | {j['f1']:.2f} |"
            )
        rows.append(
            f"| **micro-F1** | | **{self.model.micro_f1:.3f}** | {self.keyword.micro_f1:.3f} | {self.majority.micro_f1:.3f} |"
        )
        rows.append(
            f"| **macro-F1** | | **{self.model.macro_f1:.3f}** | {self.keyword.macro_f1:.3f} | {self.majority.macro_f1:.3f} |"
        )
        return "\n".join(rows)


def section_folds(records: Sequence[LabelRecord]) -> list[str]:
    """Held-out groups: every section except the lead-in, which is always in training."""
    return [name for name in dict.fromkeys(r.section for r in records) if name != LEAD_IN]


def cross_validate(
    records: Sequence[LabelRecord],
    estimator: ThemeClassifier | None = None,
    folds: Sequence[str] | None = None,
    progress: bool | None = False,
) -> Evaluation:
    """Train on all sections but one, test on that one, for every section; pool the predictions.

    ``progress``: a bar over the folds on stderr (None: when stderr is a terminal).
    """
    estimator = estimator if estimator is not None else ThemeClassifier()
    codebook = resolve_codebook(getattr(estimator, "codebook", None))
    theme_ids = codebook.ids
    records = list(records)
    folds = list(folds) if folds is not None else section_folds(records)
    texts = [r.text for r in records]
    Y, _ = _label_matrix([r.labels for r in records], len(records), list(theme_ids))
    sections = np.array([r.section for r in records], dtype=object)
    truth_rows, model_rows, keyword_rows, majority_rows, out_of_fold = [], [], [], [], []
    for held_out in progress_bar(folds, desc="folds", unit="fold", show=progress):
        test = np.flatnonzero(sections == held_out)
        train = np.flatnonzero(sections != held_out)
        if test.size == 0:
            raise ValueError(f"no units in section {held_out!r}")
        fitted = clone(estimator).fit([texts[i] for i in train], Y[train], groups=list(sections[train]))
        test_texts = [texts[i] for i in test]
        probabilities = fitted.predict_proba(test_texts)
        predicted = (probabilities >= fitted.thresholds_).astype(int)
        truth_rows.append(Y[test])
        model_rows.append(predicted)
        keyword_rows.append(keyword_predictions(test_texts, codebook))
        majority_rows.append(majority_predictions(Y[train], test.size))
        for row, i in enumerate(test):
            out_of_fold.append(
                {
                    "id": records[i].id,
                    "section": records[i].section,
                    "text": texts[i],
                    "gold": list(records[i].labels),
                    "predicted": [theme_ids[k] for k in np.flatnonzero(predicted[row])],
                    "scores": {theme_ids[k]: round(float(probabilities[row, k]), 3) for k in range(len(theme_ids))},
                }
            )
    truth = np.vstack(truth_rows)
    return Evaluation(
        model=score_predictions(truth, np.vstack(model_rows), theme_ids),
        keyword=score_predictions(truth, np.vstack(keyword_rows), theme_ids),
        majority=score_predictions(truth, np.vstack(majority_rows), theme_ids),
        folds=folds,
        n_units=int(truth.shape[0]),
        params={k: v for k, v in estimator.get_params().items() if k != "codebook"},
        out_of_fold=out_of_fold,
    )


def evaluate_configurations(
    records: Sequence[LabelRecord],
    configurations: dict[str, dict],
    base: Callable[..., ThemeClassifier] = ThemeClassifier,
) -> dict[str, Evaluation]:
    """The leave-one-section-out ``Evaluation`` of each named estimator configuration."""
    return {name: cross_validate(records, base(**params)) for name, params in configurations.items()}


def configuration_row(name: str, params: dict, result: Evaluation) -> dict:
    """One table row: configuration name, its parameters, micro/macro F1 and per-theme F1."""
    return {
        "configuration": name,
        **params,
        "micro_f1": result.model.micro_f1,
        "macro_f1": result.model.macro_f1,
        **{f"f1_{theme}": scores["f1"] for theme, scores in result.model.per_theme.items()},
    }


def compare_configurations(
    records: Sequence[LabelRecord],
    configurations: dict[str, dict],
    base: Callable[..., ThemeClassifier] = ThemeClassifier,
) -> list[dict]:
    """Leave-one-section-out scores of several estimator configurations, one row each."""
    results = evaluate_configurations(records, configurations, base)
    return [configuration_row(name, params, results[name]) for name, params in configurations.items()]
