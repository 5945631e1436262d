"""Learning curves and calibration, through the one runner."""

import pytest

from cppcc_nlp.evaluation.curves import calibration_report, learning_curve
from cppcc_nlp.evaluation.report import evaluate_protocol
from cppcc_nlp.evaluation.runner import run_protocol
from cppcc_nlp.evaluation.splits import make_splits
from cppcc_nlp.model import ThemeClassifier
from cppcc_nlp.optional import table_rows

from .conftest import fast_estimator


def test_learning_curve_with_every_other_section_equals_the_section_protocol(subset):
    estimator = fast_estimator()
    n_folds = len(make_splits(subset, "section"))
    rows = table_rows(learning_curve(subset, sizes=[1, n_folds - 1], repeats=2, estimator=estimator))
    assert [row["sections"] for row in rows] == [1, n_folds - 1]
    full = evaluate_protocol(subset, estimator, "section")
    assert rows[1]["micro_f1"] == full.model.micro_f1 and rows[1]["macro_f1"] == full.model.macro_f1
    assert rows[1]["micro_f1_std"] == 0.0 and rows[1]["repeats"] == 2
    assert rows[0]["training_units"] < rows[1]["training_units"]
    assert rows[0]["keyword_micro_f1"] == full.keyword.micro_f1
    again = table_rows(learning_curve(subset, sizes=[1, n_folds - 1], repeats=2, estimator=estimator))
    assert again == rows


def test_learning_curve_rejects_impossible_sizes(subset):
    with pytest.raises(ValueError, match="sizes"):
        learning_curve(subset, sizes=[0], estimator=fast_estimator())
    with pytest.raises(ValueError, match="sizes"):
        learning_curve(subset, sizes=[len(make_splits(subset, "section"))], estimator=fast_estimator())


def test_calibration_report_compares_the_link_and_the_calibrated_probabilities(subset):
    held = run_protocol(subset, lambda: ThemeClassifier(features="char", threshold_folds=2, calibration="isotonic"),
                        "section")
    report = calibration_report(subset, held)
    assert set(report) == set(held.codebook.ids)
    for theme in report.values():
        assert theme["units"] == len(held.index)
        assert 0 <= theme["before"]["ece"] <= 1 and 0 <= theme["after"]["ece"] <= 1
    assert any(report[t]["before"] != report[t]["after"] for t in report)  # the isotonic map changed something
