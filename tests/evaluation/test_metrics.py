"""One metrics module: one zero-support rule for every figure, intervals that resample documents."""

import numpy as np

from cppcc_nlp.evaluation.metrics import (bootstrap_interval, f1_parts, micro_macro, per_theme, score_predictions,
                                         theme_f1)


def test_one_zero_support_rule_for_every_figure():
    truth = np.array([[1, 0], [0, 0]])
    perfect = truth.copy()
    # the second theme has no positive and no prediction: 1, in both the table and the pooled figures
    assert micro_macro(truth, perfect) == (1.0, 1.0)
    assert per_theme(truth, perfect, ("a", "b"))["b"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 0}
    scores = score_predictions(truth, perfect, ("a", "b"))
    assert (scores.micro_f1, scores.macro_f1) == (1.0, 1.0)
    wrong = np.array([[1, 1], [0, 0]])  # the second theme predicted where it has no positive: 0
    assert per_theme(truth, wrong, ("a", "b"))["b"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert micro_macro(truth, wrong) == (2 / 3, 0.5)


def test_bootstrap_resamples_documents():
    truth = np.array([[1, 0], [1, 0], [0, 1], [0, 1]])
    predicted = np.array([[1, 0], [1, 0], [0, 0], [0, 0]])
    one_doc = bootstrap_interval(truth, predicted, ["d"] * 4, rounds=200)
    point = micro_macro(truth, predicted)[0]
    assert one_doc["micro_f1"] == [round(point, 3), round(point, 3)]  # one document: nothing to resample
    two_docs = bootstrap_interval(truth, predicted, ["a", "a", "b", "b"], rounds=200)
    assert two_docs["micro_f1"][0] < point < two_docs["micro_f1"][1] or two_docs["micro_f1"][0] <= point


def test_the_estimators_score_and_threshold_search_use_the_one_f1(small_model, seed_records):
    """``ThemeClassifier.score`` is this module's micro-F1, the vacuous case included; the threshold search picks
    the candidate of highest F1 by ``theme_f1``."""
    from cppcc_nlp.model import best_f1_threshold

    texts, labels = [r.text for r in seed_records], [r.labels for r in seed_records]
    Y = small_model.codebook_.label_matrix(labels)
    assert small_model.score(texts, labels) == micro_macro(Y, small_model.predict(texts))[0]
    nothing = [text for text, row in zip(texts, small_model.predict(texts)) if not row.any()]
    assert small_model.score(nothing, [[] for _ in nothing]) == 1.0  # no positive, no prediction: 1
    truth = np.array([1, 0, 1, 0, 0, 1], dtype=bool)
    scores = np.array([0.9, 0.8, 0.7, 0.4, 0.3, 0.2])
    f1_at = {c: theme_f1(*f1_parts(truth[:, None], (scores >= c)[:, None]))[0] for c in scores}
    best = max(f1_at.values())
    chosen = best_f1_threshold(truth, scores)
    assert f1_at[min(c for c in scores if f1_at[c] == best)] == best
    assert theme_f1(*f1_parts(truth[:, None], (scores >= chosen)[:, None]))[0] == best
