"""Comparing estimator configurations on the ``section`` protocol (the one fully labelled report), one row each."""

from __future__ import annotations

import time
from typing import Callable, Sequence

from ..corpus.records import LabelRecord
from ..model import ThemeClassifier
from ..optional import as_table
from .report import Evaluation, evaluate_protocol

COMPARED_PARAMS = ("features", "classifier", "use_lexicon", "cue_words", "C")


def default_configurations() -> dict[str, dict]:
    """One-change-at-a-time variations around the default ``ThemeClassifier``."""
    return {
        "default (word+char, logreg, cue words)": {},
        "word n-grams only": {"features": "word"},
        "word n-grams + lexicon": {"features": "word", "use_lexicon": True},
        "char n-grams only": {"features": "char"},
        "with domain lexicon": {"use_lexicon": True},
        "without cue words": {"cue_words": False},
        "linear SVM": {"classifier": "svm"},
        "isotonic calibration": {"calibration": "isotonic"},
        "C = 1": {"C": 1.0},
    }


def evaluate_configurations(
    records: Sequence[LabelRecord],
    configurations: dict[str, dict],
    base: Callable[..., ThemeClassifier] = ThemeClassifier,
    protocol: str = "section",
) -> dict[str, Evaluation]:
    """The ``Evaluation`` of each named estimator configuration on ``protocol`` (default: leave one section out)."""
    return {name: evaluate_protocol(records, base(**params), protocol) for name, params in configurations.items()}


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


def comparison_rows(evaluations: dict[str, Evaluation], seconds: dict[str, float] | None = None) -> list[dict]:
    """One row per evaluated configuration, then the keyword and majority baselines."""
    rows = []
    for name, result in evaluations.items():
        row = {"configuration": name, **{p: result.params.get(p) for p in COMPARED_PARAMS}}
        row.update({"micro_f1": result.model.micro_f1, "macro_f1": result.model.macro_f1})
        row.update({f"f1_{theme}": scores["f1"] for theme, scores in result.model.per_theme.items()})
        if seconds is not None:
            row["seconds"] = round(seconds[name], 1)
        rows.append(row)
    if evaluations:
        first = next(iter(evaluations.values()))
        for name, scores in (("keyword baseline", first.keyword), ("majority baseline", first.majority)):
            row = {"configuration": name, **{p: None for p in COMPARED_PARAMS}}
            row.update({"micro_f1": scores.micro_f1, "macro_f1": scores.macro_f1})
            row.update({f"f1_{theme}": theme_scores["f1"] for theme, theme_scores in scores.per_theme.items()})
            rows.append(row)
    return rows


def compare_models(
    records: Sequence[LabelRecord] | None = None,
    configurations: dict[str, dict] | None = None,
    base_params: dict | None = None,
    keep: dict[str, Evaluation] | None = None,
):
    """Leave-one-section-out evaluation of several ``ThemeClassifier`` configurations, one table.

    ``configurations`` maps a name to parameters (``features``, ``classifier``,
    ``use_lexicon``, ``cue_words``, ``C``, ...) laid over ``base_params``; the
    default is ``default_configurations()``. Rows (a DataFrame when pandas is
    installed): each configuration's micro/macro F1, per-theme F1 and run
    time, then the two baselines. Pass a dict as ``keep`` to receive each
    configuration's ``Evaluation`` (for ``misclassified``).
    """
    from ..corpus import load_corpus

    records = list(records) if records is not None else load_corpus()
    configurations = configurations if configurations is not None else default_configurations()
    evaluations, seconds = {}, {}
    for name, params in configurations.items():
        start = time.perf_counter()
        evaluations[name] = evaluate_protocol(records, ThemeClassifier(**{**(base_params or {}), **params}))
        seconds[name] = time.perf_counter() - start
    if keep is not None:
        keep.update(evaluations)
    return as_table(comparison_rows(evaluations, seconds))
