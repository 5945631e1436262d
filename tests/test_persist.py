import json
import shutil

import numpy as np
import pytest

from cppcc_nlp.corpus import corpus_hash
from cppcc_nlp.errors import ModelError
from cppcc_nlp.persist import CARD_FILE, MODEL_FILE, default_model_dir, load_model, read_card, save_model, train_model

PROBE = ["成立功能型党支部。", "开展民主监督，跟踪督办重点提案。", "建立委员履职档案。"]


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """Each test gets its own per-user cache, hence its own list of trusted models."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.fixture
def saved(tmp_path, records, small_model):
    directory = tmp_path / "model"
    save_model(small_model, directory, records, evaluation={"table": "| x |"})
    return directory


def test_round_trip_predicts_the_same(saved, small_model):
    loaded = load_model(saved)
    assert np.allclose(loaded.predict_proba(PROBE), small_model.predict_proba(PROBE))


def test_card_records_hashes_versions_and_themes(saved, records):
    card = read_card(saved)
    assert card["training_data_sha256"] == corpus_hash(records)
    assert card["theme_ids"] == ["party_building", "consultation", "supervision", "poverty_alleviation", "member_management"]
    assert {"python", "scikit-learn", "jieba", "numpy"} <= set(card["versions"])
    assert (saved / "MODEL_CARD.md").read_text(encoding="utf-8").startswith("# Model card")


def test_changed_model_file_is_refused(saved):
    path = saved / MODEL_FILE
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="does not match the card"):
        load_model(saved, trusted=True)


def test_model_of_unknown_origin_needs_trust(saved, tmp_path, monkeypatch):
    elsewhere = tmp_path / "downloaded"
    shutil.copytree(saved, elsewhere)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "other-user"))
    with pytest.raises(ModelError, match="unknown origin"):
        load_model(elsewhere)
    assert load_model(elsewhere, trusted=True).predict(PROBE).shape == (3, 5)


def test_directory_without_card_is_refused(tmp_path, small_model):
    import joblib

    (tmp_path / "bare").mkdir()
    joblib.dump(small_model, tmp_path / "bare" / MODEL_FILE)
    with pytest.raises(ModelError, match="no model card"):
        load_model(tmp_path / "bare", trusted=True)


def test_card_of_another_tool_is_refused(saved):
    (saved / CARD_FILE).write_text(json.dumps({"format": "other"}), encoding="utf-8")
    with pytest.raises(ModelError, match="not a cppcc_nlp model card"):
        load_model(saved)


def _pretend_other_sklearn(directory):
    card = json.loads((directory / CARD_FILE).read_text(encoding="utf-8"))
    card["versions"]["scikit-learn"] = "0.0.1"
    (directory / CARD_FILE).write_text(json.dumps(card), encoding="utf-8")


def test_version_mismatch_can_refuse_with_retrain_advice(saved):
    _pretend_other_sklearn(saved)
    with pytest.raises(ModelError, match="cppcc-nlp train"):
        load_model(saved, on_version_mismatch="error")


def test_version_mismatch_retrains_from_the_corpus(saved, small_model):
    _pretend_other_sklearn(saved)
    with pytest.warns(UserWarning, match="retraining"):
        model = load_model(saved)
    assert np.allclose(model.predict_proba(PROBE), small_model.predict_proba(PROBE))


def test_training_twice_gives_identical_model_files(tmp_path, records):
    params = {"threshold_folds": 3}
    for name in ("a", "b"):
        save_model(train_model(records, params), tmp_path / name, records)
    assert (tmp_path / "a" / MODEL_FILE).read_bytes() == (tmp_path / "b" / MODEL_FILE).read_bytes()


def test_shipped_default_model_matches_the_corpus(records):
    card = read_card(default_model_dir())
    assert card["training_data_sha256"] == corpus_hash(records), "retrain: cppcc-nlp train"
    assert card["evaluation"]["model"]["micro_f1"] > card["evaluation"]["keyword_baseline"]["micro_f1"]
    model = load_model()
    assert model.predict_labels(["成立功能型党支部。"]) == [["party_building"]]
