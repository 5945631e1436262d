"""Model files are pure data: saved as arrays and JSON, loaded without running code or needing scikit-learn."""

import io
import json
import shutil
import subprocess
import sys
import zipfile

import joblib
import numpy as np
import pytest
from sklearn.base import clone

from cppcc_nlp import persist
from cppcc_nlp.corpus import corpus_hash
from cppcc_nlp.errors import ModelError
from cppcc_nlp.model import ThemeClassifier
from cppcc_nlp.evaluation.card import save_model
from cppcc_nlp.persist import (
    ARRAYS_FILE, CARD_FILE, DATA_FILE, default_model_dir, load_engine, load_model, pinned_default_hash, read_card,
    sha256_of,
)
from cppcc_nlp.training import train_model

PROBE = ["成立功能型党支部。", "开展民主监督，跟踪督办重点提案。", "建立委员履职档案。", "", "APP www.x.cn"]


@pytest.fixture
def saved(tmp_path, seed_records, small_model):
    directory = tmp_path / "model"
    save_model(small_model, directory, seed_records, evaluation={"table": "| x |"})
    return directory


def test_round_trip_predicts_the_same_bit_for_bit(saved, small_model):
    loaded = load_model(saved)
    assert np.array_equal(loaded.predict_proba(PROBE), small_model.predict_proba(PROBE))
    assert np.array_equal(loaded.thresholds_, small_model.thresholds_)
    assert list(loaded.classes_) == list(small_model.classes_)


def test_a_loaded_model_is_a_full_estimator_again(saved, seed_records):
    loaded = load_model(saved)
    assert loaded.get_params() == ThemeClassifier(threshold_folds=0).get_params()
    fresh = clone(loaded)
    assert not hasattr(fresh, "engine_") and fresh.get_params() == loaded.get_params()
    texts, labels = [r.text for r in seed_records[:80]], [r.labels for r in seed_records[:80]]
    refit = loaded.fit(texts, labels)
    assert refit is loaded and refit.engine_.fingerprint() != load_model(saved).engine_.fingerprint()


def test_card_records_file_hashes_versions_and_themes(saved, seed_records):
    card = read_card(saved)
    assert card["format"] == "cppcc_nlp-model/2"
    for name in (ARRAYS_FILE, DATA_FILE):
        assert card["files"][name] == sha256_of((saved / name).read_bytes())
    assert card["training_data_sha256"] == corpus_hash(seed_records)
    assert card["theme_ids"][0] == "party_building" and "numpy" in card["versions"]
    assert not (saved / "model.joblib").exists()


def test_the_array_file_holds_no_pickle(saved):
    with np.load(saved / ARRAYS_FILE, allow_pickle=False) as archive:
        assert {"coef", "intercept", "thresholds"} <= set(archive.files)
        assert all(archive[name].dtype != object for name in archive.files)
    json.loads((saved / DATA_FILE).read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", [ARRAYS_FILE, DATA_FILE])
def test_a_changed_model_file_is_refused(saved, name):
    path = saved / name
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(ModelError, match=rf"{name}: sha256 .* does not match the card"):
        load_model(saved)


def test_an_object_array_is_refused_even_with_a_matching_hash(saved):
    """A file that would need pickle to load is not a model, whatever its card says."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        member = io.BytesIO()
        np.lib.format.write_array(member, np.array([{"x": 1}], dtype=object), allow_pickle=True)
        archive.writestr("coef.npy", member.getvalue())
    (saved / ARRAYS_FILE).write_bytes(buffer.getvalue())
    card = json.loads((saved / CARD_FILE).read_text(encoding="utf-8"))
    card["files"][ARRAYS_FILE] = sha256_of(buffer.getvalue())
    (saved / CARD_FILE).write_text(json.dumps(card), encoding="utf-8")
    with pytest.raises(ModelError, match="do not describe a model"):
        load_model(saved)


def test_directory_without_card_is_refused(tmp_path):
    with pytest.raises(ModelError, match="no model card"):
        load_model(tmp_path)


def test_card_of_another_tool_is_refused(saved):
    (saved / CARD_FILE).write_text(json.dumps({"format": "something-else"}), encoding="utf-8")
    with pytest.raises(ModelError, match="not a cppcc_nlp model card"):
        load_model(saved)


def test_an_old_pickled_model_gets_a_clear_error_and_converts(tmp_path, seed_records):
    """The format-1 directory (model.joblib + card): refused with advice; convert-model turns it into data."""
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import FeatureUnion

    from cppcc_nlp.sklearn_features import CueWordFeatures, char_vectorizer, word_vectorizer

    texts, labels = [r.text for r in seed_records], [r.labels for r in seed_records]
    old = ThemeClassifier(threshold_folds=0)
    fitted = clone(old).fit(texts, labels)
    old.vectorizer_ = FeatureUnion([("word", word_vectorizer(fitted.engine_segmenter(), 1)), ("char", char_vectorizer(1)),
                                    ("cue", CueWordFeatures())])  # what format 1 pickled
    features = old.vectorizer_.fit_transform(texts)
    Y = np.array([[t in r for t in fitted.classes_] for r in labels], dtype=int)
    old.model_ = OneVsRestClassifier(old._make_linear()).fit(features, Y)
    old.classes_, old.thresholds_ = fitted.classes_, np.full(5, 0.5)
    directory = tmp_path / "old"
    directory.mkdir()
    joblib.dump(old, directory / "model.joblib")
    (directory / CARD_FILE).write_text(json.dumps({"format": "cppcc_nlp-model/1", "model_file": "model.joblib",
                                                    "theme_ids": list(fitted.classes_), "params": old.get_params()}),
                                       encoding="utf-8")
    with pytest.raises(ModelError, match=r"old pickled model .*convert-model"):
        load_model(directory)
    from cppcc_nlp.cli import main

    assert main(["convert-model", str(directory), "-o", str(tmp_path / "new")]) == 2  # needs --trust-model
    assert main(["convert-model", str(directory), "-o", str(tmp_path / "new"), "--trust-model"]) == 0
    converted = load_model(tmp_path / "new")
    expected = old.model_.predict_proba(old.vectorizer_.transform(PROBE))
    assert np.array_equal(converted.predict_proba(PROBE), expected)


def test_training_twice_gives_identical_model_files(tmp_path, seed_records):
    for name in ("a", "b"):
        save_model(train_model(seed_records, {"threshold_folds": 0}), tmp_path / name, seed_records)
    for name in (ARRAYS_FILE, DATA_FILE):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_the_shipped_model_is_pinned_and_a_changed_one_refused(tmp_path, monkeypatch):
    assert sha256_of((default_model_dir() / CARD_FILE).read_bytes()) == pinned_default_hash()
    load_engine()
    copy = tmp_path / "default"
    shutil.copytree(default_model_dir(), copy)
    card = json.loads((copy / CARD_FILE).read_text(encoding="utf-8"))
    card["thresholds"]["supervision"] = 0.01
    (copy / CARD_FILE).write_text(json.dumps(card), encoding="utf-8")
    monkeypatch.setattr(persist.read, "default_model_dir", lambda: copy)
    with pytest.raises(ModelError, match="the package pins"):
        load_engine()


def test_a_model_loads_and_predicts_without_scikit_learn(saved, small_model):
    code = (
        "import sys; sys.modules['sklearn'] = None\n"
        "from cppcc_nlp.persist import load_engine\n"
        "engine = load_engine(sys.argv[1]).engine\n"
        "print(engine.predict_proba(['政协委员开展民主监督。']).tolist())\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(saved)], capture_output=True, text=True, check=True).stdout
    assert np.array_equal(np.array(json.loads(out)), small_model.predict_proba(["政协委员开展民主监督。"]))
