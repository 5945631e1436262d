"""Training: where a model goes (never into the tracked models/default unless asked), the shipped model's pin,
the parameters a retraining takes, and train_and_save end to end with the fit replaced."""

import hashlib
import json
import subprocess
import sys

import pytest

from cppcc_nlp import training
from cppcc_nlp.errors import UsageError
from cppcc_nlp.persist import CARD_FILE, load_engine, read_card

from conftest import ROOT


def fake_clone(root):
    (root / "models" / "default").mkdir(parents=True)
    (root / "cppcc_nlp" / "data").mkdir(parents=True)
    return root / "models" / "default"


def test_the_default_output_is_a_new_directory_under_the_users_data_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    chosen = training.model_output_dir()
    assert chosen.parent == tmp_path / "data" / "cppcc_nlp" / "models" and chosen.name.startswith("model-")
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert training.model_output_dir().parent == tmp_path / "home" / ".local" / "share" / "cppcc_nlp" / "models"


def test_an_output_asked_for_is_taken_as_it_is(tmp_path):
    assert training.model_output_dir(tmp_path / "m") == tmp_path / "m"


def test_the_shipped_model_is_refused_as_an_output_without_the_maintainer_flag():
    shipped = training.checkout_model_dir()
    assert shipped is not None  # the tests run in a clone
    with pytest.raises(UsageError, match="is the shipped model; replace it with --update-shipped-model"):
        training.model_output_dir(shipped)
    assert training.model_output_dir(update_shipped_model=True) == shipped


def test_update_shipped_model_takes_no_output_and_needs_a_clone(monkeypatch):
    with pytest.raises(UsageError, match="leave out --output"):
        training.model_output_dir("x", update_shipped_model=True)
    monkeypatch.setattr(training, "checkout_model_dir", lambda: None)
    with pytest.raises(UsageError, match="works in a clone of the repository only"):
        training.model_output_dir(update_shipped_model=True)
    with pytest.raises(UsageError, match="in a clone of the repository only"):
        training.pin_shipped_model()


def test_the_pin_is_the_sha256_of_the_shipped_models_card(tmp_path):
    shipped = fake_clone(tmp_path / "clone")
    (shipped / CARD_FILE).write_bytes(b'{"format": "x"}\n')
    pin = training.pin_shipped_model(shipped)
    assert pin == tmp_path / "clone" / "cppcc_nlp" / "data" / "default_model.sha256"
    assert pin.read_text(encoding="ascii") == hashlib.sha256(b'{"format": "x"}\n').hexdigest() + "\n"


def test_the_packages_pin_matches_the_shipped_card():
    card = (ROOT / "models" / "default" / CARD_FILE).read_bytes()
    pin = (ROOT / training.PIN_FILE).read_text(encoding="ascii").split()[0]
    assert pin == hashlib.sha256(card).hexdigest()


def test_training_params_are_checked_or_the_models_own():
    assert training.training_params({"C": 2.0}) == {"C": 2.0}
    assert training.training_params() == load_engine().params
    with pytest.raises(UsageError, match="unknown parameter"):
        training.training_params({"colour": "red"})


def test_train_and_save_writes_the_model_its_card_and_with_the_maintainer_flag_its_pin(
        seed_corpus_dir, small_model, tmp_path, monkeypatch):
    fits = []

    def fit(records, params=None, progress=None):
        fits.append(params)
        progress()
        return small_model

    monkeypatch.setattr(training, "train_model", fit)
    trained = training.train_and_save(seed_corpus_dir, tmp_path / "m", params={"threshold_folds": 0},
                                      evaluation=None, calibration={"themes": {}})
    assert trained.directory == tmp_path / "m" and trained.pin is None and trained.units > 0
    assert read_card(tmp_path / "m")["files"] == trained.card["files"]
    assert fits[0]["threshold_folds"] == 0 and fits[0]["codebook"].name
    shipped = fake_clone(tmp_path / "clone")
    monkeypatch.setattr(training, "checkout_model_dir", lambda: shipped)
    trained = training.train_and_save(seed_corpus_dir, update_shipped_model=True, params={"threshold_folds": 0})
    assert trained.directory == shipped
    assert trained.pin.read_text(encoding="ascii").strip() == hashlib.sha256((shipped / CARD_FILE).read_bytes()).hexdigest()


def test_train_and_save_refuses_a_bad_output_before_reading_the_corpus(tmp_path, monkeypatch):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine", encoding="utf-8")

    def no_corpus(*args, **kwargs):
        raise AssertionError("the corpus was read")

    monkeypatch.setattr("cppcc_nlp.corpus.load_corpus", no_corpus)
    with pytest.raises(UsageError, match="not empty and holds no model"):
        training.train_and_save(tmp_path / "nowhere", tmp_path / "taken")


def test_the_maintainer_script_pins_the_shipped_model_of_a_clone(tmp_path):
    shipped = fake_clone(tmp_path / "clone")
    (shipped / CARD_FILE).write_text(json.dumps({"format": "y"}), encoding="utf-8")
    script = ROOT / "scripts" / "pin_shipped_model.py"
    done = subprocess.run([sys.executable, str(script), str(shipped)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    pin = tmp_path / "clone" / "cppcc_nlp" / "data" / "default_model.sha256"
    assert pin.read_text(encoding="ascii").strip() == hashlib.sha256((shipped / CARD_FILE).read_bytes()).hexdigest()
    checked = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True, timeout=120)
    assert checked.returncode == 0, checked.stderr


@pytest.mark.slow  # trains on the whole corpus: 15 s alone, more under load
def test_train_rebuilds_the_shipped_model_byte_for_byte(tmp_path):
    import sklearn

    versions = read_card(ROOT / "models" / "default")["versions"]
    # the solver's library: under scikit-learn 1.9.1, scipy 1.17 and 1.18 and numpy 2.2, 2.4 and 2.5 gave the
    # same bytes; scikit-learn 1.7.2 changed the last bits of the coefficients
    if sklearn.__version__ != versions["scikit-learn"]:
        pytest.skip(f"the shipped model was trained with scikit-learn {versions['scikit-learn']}; other versions "
                    "may differ in the last bits")
    import shutil
    from pathlib import Path

    script = shutil.which("cppcc-nlp", path=str(Path(sys.executable).parent))
    assert script, "the cppcc-nlp console script is not installed beside this Python"
    done = subprocess.run([script, "train", "--output", str(tmp_path / "rebuilt")], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    for name in ("model.npz", "model.json"):
        assert (tmp_path / "rebuilt" / name).read_bytes() == (ROOT / "models" / "default" / name).read_bytes(), name
