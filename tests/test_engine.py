"""The one prediction engine: its parts side by side, a linear model, calibration; every path uses it.

Each feature type's equality with scikit-learn's transformer is tested in ``tests/features/``.
"""

import json

import numpy as np

from cppcc_nlp.api import classify, label_report
from cppcc_nlp.engine import Engine
from cppcc_nlp.model import ThemeClassifier

from conftest import ODD_TEXTS as ODD, ROOT

SEED = ROOT / "corpus" / "raw" / "hebei-2019-cppcc-highlights.txt"


def test_the_engine_round_trips_through_plain_data(small_model):
    meta, arrays = small_model.engine_.to_data()
    json.dumps(meta)  # JSON, no objects
    assert all(isinstance(v, np.ndarray) and v.dtype != object for v in arrays.values())
    again = Engine.from_data(json.loads(json.dumps(meta)), arrays, small_model.engine_segmenter())
    probe = ["政协委员开展民主监督。", "助力脱贫攻坚。"] + ODD
    assert np.array_equal(again.predict_proba(probe), small_model.predict_proba(probe))
    assert again.fingerprint() == small_model.engine_.fingerprint()


def test_classify_and_label_report_call_the_engine(small_model, monkeypatch):
    calls = []
    original = Engine.predict_proba

    def counting(self, texts, contexts=None):
        calls.append(len(list(texts)))
        return original(self, texts, contexts)

    monkeypatch.setattr(Engine, "predict_proba", counting)
    classify(["政协委员开展民主监督。", "助力脱贫攻坚。"], model=small_model)
    classify("成立功能型党支部。", model=small_model)
    label_report(SEED, model=small_model)
    assert calls[:2] == [2, 1] and calls[2] == 194


def test_context_features_read_the_neighbours_and_round_trip(seed_records, tmp_path):
    from cppcc_nlp.evaluation.card import save_model
    from cppcc_nlp.persist import load_model

    model = ThemeClassifier(threshold_folds=0, context_weight=0.5).fit(seed_records, [r.labels for r in seed_records])
    assert "context" in model.engine_.inputs
    unit = seed_records[20]
    with_context = model.predict_proba([unit])
    alone = model.predict_proba([unit.text])
    assert not np.array_equal(with_context, alone)  # the neighbours moved the scores
    save_model(model, tmp_path / "m", seed_records)
    loaded = load_model(tmp_path / "m")
    assert np.array_equal(loaded.predict_proba([unit]), with_context)


def test_isotonic_calibration_is_fitted_inside_fit_and_maps_monotonically(seed_records):
    texts, labels = [r.text for r in seed_records], [r.labels for r in seed_records]
    model = ThemeClassifier(threshold_folds=3, calibration="isotonic").fit(texts, labels, groups=[r.section for r in seed_records])
    assert all(knots is not None for knots in model.engine_.calibration)
    raw = model.engine_.raw_proba(texts)
    calibrated = model.predict_proba(texts)
    for k in range(5):
        order = np.argsort(raw[:, k])
        assert (np.diff(calibrated[order, k]) >= -1e-12).all()  # increasing map
    assert not np.array_equal(raw, calibrated)
