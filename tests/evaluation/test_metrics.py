"""One metrics module: one zero-support rule for every figure, intervals that resample documents."""

import numpy as np

from cppcc_nlp.evaluation.metrics import bootstrap_interval, micro_macro, per_theme, score_predictions


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
