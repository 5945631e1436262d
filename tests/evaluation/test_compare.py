"""Comparing configurations on the section protocol."""

from cppcc_nlp.evaluation.compare import compare_configurations, compare_models
from cppcc_nlp.evaluation.report import evaluate_protocol
from cppcc_nlp.optional import table_rows
from cppcc_nlp.themes import THEME_IDS

from .conftest import fast_estimator


def test_compare_models_gives_a_row_per_configuration_and_the_baselines(subset):
    configurations = {"char": {}, "char C=1": {"C": 1.0}}
    kept = {}
    rows = table_rows(
        compare_models(subset, configurations, base_params={"features": "char", "threshold_folds": 0}, keep=kept)
    )
    assert [row["configuration"] for row in rows] == ["char", "char C=1", "keyword baseline", "majority baseline"]
    assert rows[1]["C"] == 1.0 and rows[0]["features"] == "char" and rows[0]["classifier"] == "logreg"
    direct = evaluate_protocol(subset, fast_estimator(C=1.0), "section")
    assert rows[1]["micro_f1"] == direct.model.micro_f1 and rows[1]["macro_f1"] == direct.model.macro_f1
    assert rows[2]["micro_f1"] == direct.keyword.micro_f1
    assert set(kept) == set(configurations) and kept["char"].model.micro_f1 == rows[0]["micro_f1"]


def test_compare_configurations_keeps_its_rows(subset):
    rows = compare_configurations(subset, {"char": {"features": "char", "threshold_folds": 0}})
    assert rows[0]["configuration"] == "char" and rows[0]["features"] == "char"
    assert rows[0]["micro_f1"] == evaluate_protocol(subset, fast_estimator(), "section").model.micro_f1
    assert {f"f1_{theme}" for theme in THEME_IDS} <= set(rows[0])
