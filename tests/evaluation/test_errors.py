"""Error analysis: each misclassified unit explained by the model of its split."""

import pytest

from cppcc_nlp.evaluation.errors import merged_terms, misclassified
from cppcc_nlp.evaluation.report import evaluate_protocol

from .conftest import fast_estimator


def test_misclassified_units_are_explained_by_the_model_that_missed_them(subset):
    evaluation = evaluate_protocol(subset, fast_estimator(), "section")
    analysis = misclassified(evaluation, subset)
    wrong = [row["id"] for row in evaluation.out_of_fold if set(row["gold"]) != set(row["predicted"])]
    assert [row["id"] for row in analysis.rows] == wrong and len(analysis) == len(wrong) > 0
    for row, explanation in zip(analysis.rows, analysis.explanations):
        # the explanation's probabilities are those of the fold model that made the error
        assert {t.theme: round(t.probability, 3) for t in explanation.themes} == row["scores"]
        assert set(row["missed"]) == set(row["gold"]) - set(row["predicted"])
        assert set(row["extra"]) == set(row["predicted"]) - set(row["gold"])
        assert all(theme in row["why"] for theme in row["missed"] + row["extra"])
    assert analysis.to_records()[0]["text"] == analysis.rows[0]["text"]


def test_merged_terms_sums_word_and_character_features_of_the_same_name():
    assert merged_terms([("好", 0.19), ("党", 0.5), ("好", 0.03)]) == [("党", 0.5), ("好", pytest.approx(0.22))]
