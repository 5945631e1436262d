"""The one out-of-fold runner: every protocol, the audit and the learning curves fit and predict through it."""

import numpy as np
from sklearn.base import clone

from cppcc_nlp.evaluation.report import evaluate_protocol
from cppcc_nlp.evaluation.runner import run_protocol, run_splits
from cppcc_nlp.evaluation.splits import Split, make_splits
from cppcc_nlp.model import ThemeClassifier
from cppcc_nlp.reader import LEAD_IN

from .conftest import fast_estimator


def test_held_out_section_is_never_in_training(seed_records, monkeypatch):
    seen_training_sets = []
    original_fit = ThemeClassifier.fit

    def spy_fit(self, X, y, groups=None):
        seen_training_sets.append(set(groups or []))
        return original_fit(self, X, y, groups)

    monkeypatch.setattr(ThemeClassifier, "fit", spy_fit)
    result = evaluate_protocol(seed_records, ThemeClassifier(threshold_folds=0), "section", splits=["石家庄市", "辛集市"])
    assert "石家庄市" not in seen_training_sets[0] and "辛集市" not in seen_training_sets[1]
    assert {row["section"] for row in result.out_of_fold} == {"石家庄市", "辛集市"}
    assert result.n_units == sum(r.section in ("石家庄市", "辛集市") for r in seed_records)


def test_the_section_protocol_scores_as_the_old_leave_one_section_out_loop(subset):
    """The old path: per section but the lead-in, fit a clone on the other sections' texts (sections as groups),
    predict the section, pool."""
    estimator = fast_estimator()
    sections = np.array([r.section for r in subset], dtype=object)
    predicted = []
    for held in [name for name in dict.fromkeys(sections) if name != LEAD_IN]:
        train = np.flatnonzero(sections != held)
        fitted = clone(estimator).fit([subset[i].text for i in train], [subset[i].labels for i in train],
                                      groups=list(sections[train]))
        predicted.append(fitted.predict([r.text for r in subset if r.section == held]))
    held_out = run_protocol(subset, lambda: clone(estimator), "section")
    assert (held_out.predicted == np.vstack(predicted)).all()
    assert held_out.index.tolist() == [i for name in held_out.splits for i in np.flatnonzero(sections == name)]


def test_run_splits_pools_in_split_order_with_baselines_and_progress(subset):
    splits = make_splits(subset, "section")[:2]
    calls = []
    held = run_splits(subset, fast_estimator, splits, progress=lambda: calls.append(1))
    assert held.index.tolist() == splits[0].test.tolist() + splits[1].test.tolist() and len(calls) == 2
    assert held.split_of == [splits[0].name] * len(splits[0].test) + [splits[1].name] * len(splits[1].test)
    assert held.probabilities.shape == held.raw.shape == held.keyword.shape == held.majority.shape
    assert ((held.probabilities >= 0) & (held.probabilities <= 1)).all()


def test_run_splits_gives_fit_the_groups_it_is_told(subset, monkeypatch):
    seen = []
    original_fit = ThemeClassifier.fit

    def spy_fit(self, X, y, groups=None):
        seen.append(list(groups))
        return original_fit(self, X, y, groups)

    monkeypatch.setattr(ThemeClassifier, "fit", spy_fit)
    index = np.arange(len(subset))
    run_splits(subset, fast_estimator, [Split("mine", "one", index[5:], index[:5])], groups=[f"g{i % 3}" for i in index])
    assert seen == [[f"g{i % 3}" for i in index[5:]]]


def test_the_audit_probabilities_come_from_the_runner_over_document_folds(seed_records):
    from cppcc_nlp.annotate.audit import out_of_fold_probabilities
    from cppcc_nlp.evaluation.splits import document_folds, document_groups

    probabilities = out_of_fold_probabilities(seed_records, fast_estimator, folds=3)
    held = run_splits(seed_records, fast_estimator, document_folds(seed_records, 3), document_groups(seed_records, 3))
    assert np.allclose(probabilities[held.index], held.probabilities)
    assert sorted(held.index.tolist()) == list(range(len(seed_records)))
