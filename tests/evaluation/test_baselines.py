"""The keyword and majority baselines."""

import numpy as np

from cppcc_nlp.evaluation.baselines import keyword_predictions, keyword_scores, majority_predictions
from cppcc_nlp.evaluation.metrics import score_predictions
from cppcc_nlp.reader import LEAD_IN
from cppcc_nlp.themes import THEME_IDS


def test_keyword_baseline_uses_cue_words():
    predicted = keyword_predictions(["开展民主监督。", "七十载砥砺前行。"])
    assert predicted[0, THEME_IDS.index("supervision")] == 1
    assert predicted[1].sum() == 0


def test_majority_baseline_predicts_most_frequent_theme():
    train = np.array([[0, 1, 0, 0, 0], [0, 1, 0, 0, 0], [1, 0, 0, 0, 0]])
    assert majority_predictions(train, 2).tolist() == [[0, 1, 0, 0, 0]] * 2


def test_keyword_scores_cover_every_section_but_the_lead_in(seed_records):
    held = [r for r in seed_records if r.section != LEAD_IN]
    truth = np.array([[int(t in r.labels) for t in THEME_IDS] for r in held])
    expected = score_predictions(truth, keyword_predictions([r.text for r in held]))
    assert keyword_scores(seed_records) == expected
