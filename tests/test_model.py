import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from cppcc_nlp.model import ThemeClassifier, best_f1_threshold
from cppcc_nlp.themes import THEME_IDS

TEXTS = [
    "成立功能型党支部。", "落实党员委员双重组织生活制度。", "党组理论学习中心组学习。",
    "召开专题协商会议。", "开展对口协商和界别协商。", "围绕民生问题建言献策。",
    "开展民主监督活动。", "跟踪督办重点提案。", "开展专项监督。",
    "助力脱贫攻坚。", "驻村扶贫帮困。", "帮扶贫困户。",
    "建立委员履职档案。", "加强委员履职考核。", "创建政协委员工作室。",
    "七十载砥砺前行。", "展现新作为。", "继往开来谱新篇。",
]
LABELS = [["party_building"]] * 3 + [["consultation"]] * 3 + [["supervision"]] * 3 + \
         [["poverty_alleviation"]] * 3 + [["member_management"]] * 3 + [[]] * 3


def fitted(**params):
    return ThemeClassifier(threshold_folds=0, **params).fit(TEXTS, LABELS)


def test_init_stores_parameters_unchanged():
    model = ThemeClassifier(features="char", C=3.0)
    assert model.get_params()["features"] == "char" and model.get_params()["C"] == 3.0
    assert not hasattr(model, "classes_")


def test_fit_returns_self_and_sets_classes():
    model = ThemeClassifier(threshold_folds=0)
    assert model.fit(TEXTS, LABELS) is model
    assert list(model.classes_) == list(THEME_IDS)


def test_clone_gives_an_unfitted_equal():
    model = fitted(C=2.0)
    copy = clone(model)
    assert copy.get_params() == model.get_params()
    assert not hasattr(copy, "engine_")


def test_set_params_round_trip():
    model = ThemeClassifier()
    model.set_params(**{"C": 0.5, "features": "word"})
    assert model.get_params()["C"] == 0.5 and model.get_params()["features"] == "word"


def test_predict_before_fit_raises_not_fitted():
    with pytest.raises(NotFittedError):
        ThemeClassifier().predict(["政协"])


def test_labels_as_lists_or_indicator_matrix_give_the_same_model():
    matrix = np.array([[int(t in labels) for t in THEME_IDS] for labels in LABELS])
    a = fitted().predict_proba(TEXTS)
    b = ThemeClassifier(threshold_folds=0).fit(TEXTS, matrix).predict_proba(TEXTS)
    assert np.allclose(a, b)


def test_predict_shapes_and_label_lists():
    model = fitted()
    Y = model.predict(["成立临时党支部。", "开展专题协商。"])
    assert Y.shape == (2, len(THEME_IDS)) and set(np.unique(Y)) <= {0, 1}
    assert model.predict_labels(["成立临时党支部。"]) == [["party_building"]]
    assert model.decision_function(TEXTS).shape == (len(TEXTS), len(THEME_IDS))


def test_same_random_state_gives_same_predictions():
    a = ThemeClassifier(threshold_folds=3, random_state=1).fit(TEXTS, LABELS)
    b = ThemeClassifier(threshold_folds=3, random_state=1).fit(TEXTS, LABELS)
    assert np.array_equal(a.thresholds_, b.thresholds_)
    assert np.allclose(a.predict_proba(TEXTS), b.predict_proba(TEXTS))


def test_pickled_model_predicts_the_same():
    model = fitted()
    copy = pickle.loads(pickle.dumps(model))
    assert np.allclose(copy.predict_proba(TEXTS), model.predict_proba(TEXTS))


@pytest.mark.parametrize("features", ["word", "char", "both"])
@pytest.mark.parametrize("classifier", ["logreg", "svm"])
def test_every_configuration_fits_and_learns(features, classifier):
    model = ThemeClassifier(features=features, classifier=classifier, threshold_folds=0, cue_words=False)
    model.fit(TEXTS, LABELS)
    assert model.predict_labels(["助力脱贫攻坚。"]) == [["poverty_alleviation"]]
    proba = model.predict_proba(TEXTS)
    assert ((proba >= 0) & (proba <= 1)).all()


def test_a_classifier_the_engine_does_not_compute_is_refused_at_fit():
    with pytest.raises(ValueError, match=r"classifier must be one of \['logreg', 'svm'\]"):
        ThemeClassifier(classifier="nb", threshold_folds=0).fit(TEXTS, LABELS)


def test_a_theme_absent_from_training_is_a_constant_near_zero():
    model = ThemeClassifier(threshold_folds=0).fit(TEXTS[:9], LABELS[:9])  # no poverty, no member units
    proba = model.predict_proba(["帮扶贫困户。"])[0]
    assert proba[list(THEME_IDS).index("poverty_alleviation")] < 1e-6


# -- scikit-learn's tools, with labels as lists of theme ids ---------------------------------------


def test_cross_val_score_takes_label_lists():
    from sklearn.model_selection import cross_val_score

    scores = cross_val_score(ThemeClassifier(threshold_folds=0), TEXTS, LABELS, cv=3)
    assert scores.shape == (3,) and ((scores >= 0) & (scores <= 1)).all()


def test_grid_search_over_a_parameter_grid():
    from sklearn.model_selection import GridSearchCV, KFold

    search = GridSearchCV(ThemeClassifier(threshold_folds=0), {"C": [1.0, 10.0], "features": ["char", "both"]},
                          cv=KFold(3, shuffle=True, random_state=0))
    search.fit(TEXTS, LABELS)
    assert set(search.best_params_) == {"C", "features"} and len(search.cv_results_["params"]) == 4
    assert search.best_estimator_.predict_labels(["助力脱贫攻坚。"]) == [["poverty_alleviation"]]


def test_inside_a_pipeline():
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    pipe = Pipeline([("strip", FunctionTransformer(lambda xs: [x.strip() for x in xs])),
                     ("themes", ThemeClassifier(threshold_folds=0))])
    pipe.fit([f"  {t} " for t in TEXTS], LABELS)
    assert pipe.predict(["  助力脱贫攻坚。 "]).shape == (1, len(THEME_IDS))
    assert clone(pipe).get_params()["themes__C"] == 10.0


def test_bad_input_raises_value_error():
    with pytest.raises(ValueError, match="single string"):
        ThemeClassifier().fit("政协", [[]])
    with pytest.raises(ValueError, match="unknown theme id"):
        ThemeClassifier(threshold_folds=0).fit(["政协"], [["poverty"]])
    with pytest.raises(ValueError, match="2 texts but 1"):
        ThemeClassifier(threshold_folds=0).fit(["政协", "协商"], [[]])
    with pytest.raises(ValueError, match="features"):
        ThemeClassifier(features="bytes").fit(TEXTS, LABELS)


def test_best_f1_threshold_separates_positives():
    truth = np.array([0, 0, 0, 1, 1])
    scores = np.array([0.1, 0.2, 0.3, 0.6, 0.9])
    threshold = best_f1_threshold(truth, scores)
    assert 0.3 < threshold <= 0.6
    assert best_f1_threshold(np.zeros(3), np.array([0.1, 0.9, 0.5])) == 0.5


@pytest.mark.slow
def test_thresholds_are_chosen_by_cross_validation_inside_fit(seed_records):
    texts, labels = [r.text for r in seed_records], [r.labels for r in seed_records]
    groups = [r.section for r in seed_records]
    model = ThemeClassifier(threshold_folds=4).fit(texts, labels, groups=groups)
    assert model.thresholds_.shape == (len(THEME_IDS),)
    assert not np.allclose(model.thresholds_, 0.5)
    assert ((model.thresholds_ >= 0.05) & (model.thresholds_ <= 0.95)).all()


def test_explain_names_the_terms_that_drove_the_theme(small_model):
    explanation = small_model.explain("将助力脱贫攻坚作为重大政治任务来抓。")
    predicted = {theme.theme: theme for theme in explanation.predicted}
    assert "poverty_alleviation" in predicted
    terms = [term for term, _ in predicted["poverty_alleviation"].terms]
    assert any("脱贫" in term for term in terms)
    weights = [weight for _, weight in predicted["poverty_alleviation"].terms]
    assert weights == sorted(weights, reverse=True) and weights[0] > 0
    assert "poverty_alleviation" in explanation.format()


def test_top_terms_per_theme(small_model):
    top = small_model.top_terms(5)
    assert set(top) == set(THEME_IDS)
    assert any("监督" in term for term, _ in top["supervision"])
