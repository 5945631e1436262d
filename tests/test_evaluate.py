import numpy as np

from cppcc_nlp.evaluate import cross_validate, keyword_predictions, majority_predictions, section_folds
from cppcc_nlp.model import ThemeClassifier
from cppcc_nlp.reader import LEAD_IN
from cppcc_nlp.themes import THEME_IDS


def test_folds_are_the_thirteen_cities(seed_records):
    folds = section_folds(seed_records)
    assert len(folds) == 13 and LEAD_IN not in folds


def test_keyword_baseline_uses_cue_words():
    predicted = keyword_predictions(["开展民主监督。", "七十载砥砺前行。"])
    assert predicted[0, THEME_IDS.index("supervision")] == 1
    assert predicted[1].sum() == 0


def test_majority_baseline_predicts_most_frequent_theme():
    train = np.array([[0, 1, 0, 0, 0], [0, 1, 0, 0, 0], [1, 0, 0, 0, 0]])
    assert majority_predictions(train, 2).tolist() == [[0, 1, 0, 0, 0]] * 2


def test_held_out_section_is_never_in_training(seed_records, monkeypatch):
    seen_training_sets = []
    original_fit = ThemeClassifier.fit

    def spy_fit(self, X, y, groups=None):
        seen_training_sets.append(set(groups or []))
        return original_fit(self, X, y, groups)

    monkeypatch.setattr(ThemeClassifier, "fit", spy_fit)
    result = cross_validate(seed_records, ThemeClassifier(threshold_folds=0), folds=["石家庄市", "辛集市"])
    assert "石家庄市" not in seen_training_sets[0] and "辛集市" not in seen_training_sets[1]
    assert {row["section"] for row in result.out_of_fold} == {"石家庄市", "辛集市"}
    assert result.n_units == sum(r.section in ("石家庄市", "辛集市") for r in seed_records)


def test_evaluation_table_has_model_and_baselines(seed_records):
    result = cross_validate(seed_records, ThemeClassifier(threshold_folds=0), folds=["承德市", "邯郸市"])
    table = result.table()
    assert "micro-F1" in table and "keyword" in table and "majority" in table
    payload = result.to_dict()
    assert payload["protocol"] == "leave-one-section-out"
    assert set(payload["model"]["per_theme"]) == set(THEME_IDS)


def test_one_zero_support_rule_for_every_figure():
    from cppcc_nlp.evaluate import score_predictions
    from cppcc_nlp.evaluation.metrics import micro_macro, per_theme

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
