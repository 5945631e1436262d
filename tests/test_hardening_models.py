"""Hardening of model directories and `train` (issue 22, items 5-8): any model directory is safe to open, a refused
model is one line (exit 5), and `train --output` swaps a whole model in or refuses before fitting."""

import io
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from cppcc_nlp.cli import main
from cppcc_nlp.errors import ModelError
from cppcc_nlp.persist import ARRAYS_FILE, CARD_FILE, DATA_FILE, load_engine, npz_bytes, sha256_of

from conftest import ROOT

SEED = ROOT / "corpus" / "raw" / "hebei-2019-cppcc-highlights.txt"
CLI = Path(sys.executable).with_name("cppcc-nlp")


@pytest.fixture
def model_dir(tmp_path):
    """A copy of the shipped model to damage."""
    target = tmp_path / "model"
    shutil.copytree(ROOT / "models" / "default", target, ignore=shutil.ignore_patterns("__init__.py", "__pycache__"))
    return target


def _arrays(directory: Path) -> dict:
    with np.load(directory / ARRAYS_FILE, allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


def _vouch(directory: Path, name: str, data: bytes) -> None:
    """Write a model file and a card that vouches for it: what is refused is then the content, not the hash."""
    (directory / name).write_bytes(data)
    card = json.loads((directory / CARD_FILE).read_text(encoding="utf-8"))
    card["files"][name] = sha256_of(data)
    (directory / CARD_FILE).write_text(json.dumps(card), encoding="utf-8")


def _refused_in_one_line(directory: Path, tmp_path: Path, capsys, *expected: str) -> str:
    out = tmp_path / "out.jsonl"
    assert main(["label", str(SEED), "--model", str(directory), "-o", str(out), "-q"]) == 5
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert all(text in lines[0] for text in expected), lines[0]
    assert not out.exists()
    return lines[0]


# -- 5. files that are not what they say, and sizes ---------------------------------------------------

def test_a_fifo_as_model_npz_is_refused_without_blocking(model_dir, tmp_path):
    (model_dir / ARRAYS_FILE).unlink()
    os.mkfifo(model_dir / ARRAYS_FILE)
    done = subprocess.run([str(CLI), "label", str(SEED), "--model", str(model_dir), "-o", str(tmp_path / "o.jsonl")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 5
    assert len(done.stderr.strip().splitlines()) == 1 and "model.npz: a FIFO, not a regular file" in done.stderr


@pytest.mark.parametrize("name", [ARRAYS_FILE, DATA_FILE, CARD_FILE])
def test_a_device_as_a_model_file_is_refused_before_reading(model_dir, tmp_path, name, capsys):
    if not os.path.exists("/dev/zero"):
        pytest.skip("needs /dev/zero")
    (model_dir / name).unlink()
    (model_dir / name).symlink_to("/dev/zero")  # read to the end, it grows until MemoryError
    _refused_in_one_line(model_dir, tmp_path, capsys, f"{name}: a device, not a regular file")


def _bomb(member: str, shape: tuple) -> bytes:
    """An archive of a few MB with one member that declares ``shape`` (1 GiB of zeros, compressed)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": shape})
        info = zipfile.ZipInfo(f"{member}.npy")
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=True) as handle:
            handle.write(header.getvalue())
            zeros = bytes(16 << 20)
            for _ in range(int(np.prod(shape)) * 8 // len(zeros)):
                handle.write(zeros)
    return buffer.getvalue()


@pytest.mark.slow  # compressing 1 GiB of zeros: 4 s alone, 10 s and more under load
def test_a_small_archive_declaring_a_huge_member_is_refused_at_its_header(model_dir, tmp_path, capsys):
    import tracemalloc

    data = _bomb("coef", (1 << 27,))  # 1 GiB of float64 in about 1 MB
    assert len(data) < 3 << 20
    _vouch(model_dir, ARRAYS_FILE, data)
    tracemalloc.start()
    try:
        features = len(_arrays(ROOT / "models" / "default")["coef"])  # the shipped model, which model_dir copies
        with pytest.raises(ModelError, match=rf"array 'coef' has shape \(134217728,\); model.json describes \({features}, 5\)"):
            load_engine(model_dir)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 100 << 20  # never decompressed: not the gigabyte np.load took
    _refused_in_one_line(model_dir, tmp_path, capsys, "do not describe a model", "array 'coef' has shape")


def test_a_member_model_json_does_not_describe_is_refused(model_dir, tmp_path, capsys):
    arrays = _arrays(model_dir)
    arrays["extra"] = np.zeros(3)
    _vouch(model_dir, ARRAYS_FILE, npz_bytes(arrays))
    _refused_in_one_line(model_dir, tmp_path, capsys, "model.npz holds 'extra.npy', which model.json does not describe")


def test_long_cue_words_build_a_table_in_proportion_to_their_length():
    import tracemalloc

    from cppcc_nlp.features import CueWords

    alphabet = [chr(0x4E00 + k) for k in range(4000)]
    cues = ["".join(alphabet[(7 * i + 13 * j) % 4000] for j in range(100)) for i in range(600)]  # 60,000 nodes
    assert sum(len(cue.encode("utf-8")) for cue in cues) > 170 << 10  # 179 KiB of cue words, as in the issue
    tracemalloc.start()
    try:
        part = CueWords(cues, 1.0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 200 << 20  # a dense nodes x characters table: 60,000 x 4,000 cells, about 1 GB
    found = part(["前文" + cues[5] + "后文", cues[7][:50], "无关"]).toarray()
    assert found[0, 5] == 1.0 and found[0].sum() == 1.0 and found[1].sum() == 0 and found[2].sum() == 0


# -- 6. arrays that load but cannot label ---------------------------------------------------------------

@pytest.mark.parametrize("damage, expected", [
    ("thresholds -inf", "array 'thresholds' holds values that are not finite"),
    ("thresholds nan", "array 'thresholds' holds values that are not finite"),
    ("thresholds above 1", "array 'thresholds' holds values outside [0.0, 1.0]"),
    ("coef +inf", "array 'coef' holds values that are not finite"),
    ("coef nan", "array 'coef' holds values that are not finite"),
    ("intercept nan", "array 'intercept' holds values that are not finite"),
    ("3 thresholds for 5 themes", "array 'thresholds' has shape (3,); model.json describes (5,)"),
    ("idf cut to 10", "array 'part0_idf' has shape (10,); model.json describes ("),
    ("idf zero", "array 'part1_idf' holds IDF weights that are not positive"),
    ("knots out of order", "array 'calibration0_x': calibration knots out of order"),
    ("probabilities above 1", "array 'heldout_probabilities' holds values outside [0.0, 1.0]"),
    ("labels of 2", "array 'heldout_labels' holds values other than 0 and 1"),
    ("calibration missing", "model.npz lacks the array(s) ['calibration2_x', 'calibration2_y']"),
])
def test_arrays_that_are_not_finite_or_do_not_fit_are_refused_at_load(model_dir, tmp_path, damage, expected, capsys):
    arrays = _arrays(model_dir)
    if damage.startswith("thresholds") and "for" not in damage:
        arrays["thresholds"][1] = {"thresholds -inf": -np.inf, "thresholds nan": np.nan, "thresholds above 1": 1.5}[damage]
    elif damage.startswith(("coef", "intercept")):
        name, value = damage.split()
        arrays[name].flat[3] = float(value)
    elif damage == "3 thresholds for 5 themes":
        arrays["thresholds"] = arrays["thresholds"][:3]
    elif damage == "idf cut to 10":
        arrays["part0_idf"] = arrays["part0_idf"][:10]
    elif damage == "idf zero":
        arrays["part1_idf"][3] = 0.0
    elif damage == "knots out of order":
        arrays["calibration0_x"] = arrays["calibration0_x"][::-1].copy()
    elif damage == "probabilities above 1":
        arrays["heldout_probabilities"][0, 0] = 1.01
    elif damage == "labels of 2":
        arrays["heldout_labels"][0, 0] = 2
    else:
        del arrays["calibration2_x"], arrays["calibration2_y"]
    _vouch(model_dir, ARRAYS_FILE, npz_bytes(arrays))
    with pytest.raises(ModelError, match="the model files do not describe a model"):
        load_engine(model_dir)
    _refused_in_one_line(model_dir, tmp_path, capsys, expected)


def test_the_shipped_model_and_a_saved_one_still_load_and_label(small_model, seed_records, tmp_path):
    from cppcc_nlp.evaluation.card import save_model
    from cppcc_nlp.persist import load_model

    assert load_engine().engine.thresholds.shape == (5,)
    save_model(small_model, tmp_path / "m", seed_records)
    loaded = load_model(tmp_path / "m")
    texts = [r.text for r in seed_records[:20]]
    assert np.array_equal(loaded.predict_proba(texts), small_model.predict_proba(texts))


# -- 7. model.json and the card in shapes that are not a model ------------------------------------------

def _deep(depth: int) -> bytes:
    return ("[" * depth + "]" * depth).encode()


@pytest.mark.parametrize("case, expected", [
    ("a list", "model.json holds a JSON list, not an object"),
    ("no params", "model.json has no 'params' object"),
    ("no engine", "model.json has no 'engine' object"),
    ("themes a string", "the engine's 'themes' must be a non-empty list"),
    ("nested 100,000 deep", "model.json: the model's data is JSON nested too deeply"),
    ("NaN weight", "feature part 2: 'weight' must be a finite number"),
    ("terms not strings", "feature part 0 must list its terms"),
])
def test_model_json_that_is_no_model_is_refused_in_one_line(model_dir, tmp_path, case, expected, capsys):
    data = json.loads((model_dir / DATA_FILE).read_text(encoding="utf-8"))
    if case == "a list":
        raw = b"[1, 2]"
    elif case == "nested 100,000 deep":
        raw = _deep(100_000)
    else:
        if case == "no params":
            del data["params"]
        elif case == "no engine":
            del data["engine"]
        elif case == "themes a string":
            data["engine"]["themes"] = "party_building"
        elif case == "NaN weight":
            data["engine"]["parts"][2]["weight"] = float("nan")
        else:
            data["engine"]["parts"][0]["terms"][5] = 5
        raw = json.dumps(data, ensure_ascii=False).encode("utf-8")
    _vouch(model_dir, DATA_FILE, raw)
    _refused_in_one_line(model_dir, tmp_path, capsys, expected)


@pytest.mark.parametrize("card", [_deep(100_000), b'"a string"', b"[]"])
def test_a_card_that_is_no_card_is_refused_in_one_line(model_dir, tmp_path, card, capsys):
    (model_dir / CARD_FILE).write_bytes(card)
    _refused_in_one_line(model_dir, tmp_path, capsys, "model_card.json")


def test_params_this_version_does_not_take_are_refused_by_load_model(model_dir):
    from cppcc_nlp.persist import load_model

    data = json.loads((model_dir / DATA_FILE).read_text(encoding="utf-8"))
    data["params"]["speed"] = "fast"
    _vouch(model_dir, DATA_FILE, json.dumps(data, ensure_ascii=False).encode("utf-8"))
    with pytest.raises(ModelError, match="its 'params' do not fit this version's ThemeClassifier"):
        load_model(model_dir)


# -- 8. train --output: one step, refused before fitting ------------------------------------------------

@pytest.fixture
def no_fitting(monkeypatch):
    """Fail the test if train gets as far as fitting."""
    from cppcc_nlp import training

    def fitting(*args, **kwargs):
        raise AssertionError("train began fitting")

    monkeypatch.setattr(training, "train_model", fitting)


def _train(corpus: Path, *extra: str) -> list[str]:
    return ["train", "--corpus", str(corpus), "--params", '{"threshold_folds": 0}', *extra]


@pytest.mark.parametrize("params, expected", [
    ("{bad", "--params is not JSON"),
    ('{"C": 10, "colour": "red"}', "unknown parameter(s) ['colour']"),
    ('{"C": "ten"}', "C must be a number > 0, got 'ten'"),
    ('{"C": -1}', "C must be a number > 0, got -1"),
    ('{"threshold_folds": 2.5}', "threshold_folds must be a whole number >= 0 or None, got 2.5"),
    ('{"features": "words"}', "features must be one of"),
    ('[1, 2]', "model parameters must be a JSON object"),
    ('[' * 100_000, "--params is not JSON"),
])
def test_bad_params_are_refused_before_fitting(seed_corpus_dir, tmp_path, no_fitting, params, expected, capsys):
    started = time.monotonic()
    assert main(["train", "--corpus", str(seed_corpus_dir), "--output", str(tmp_path / "m"),
                 "--params", params]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and expected in err, err
    assert time.monotonic() - started < 5 and not (tmp_path / "m").exists()


@pytest.mark.parametrize("case", ["a file", "a link", "not empty, no model", "unwritable"])
def test_an_output_that_cannot_take_a_model_is_refused_before_fitting(seed_corpus_dir, tmp_path, no_fitting, case,
                                                                     capsys):
    target = tmp_path / "m"
    if case == "a file":
        target.write_text("notes")
        expected = "exists and is not a directory"
    elif case == "a link":
        (tmp_path / "real").mkdir()
        target.symlink_to(tmp_path / "real", target_is_directory=True)
        expected = "a symbolic link"
    elif case == "not empty, no model":
        target.mkdir()
        (target / "thesis.tex").write_text("years of work")
        expected = "not empty and holds no model"
    else:
        if not Path("/proc/self").is_dir():
            pytest.skip("needs /proc, where not even root can make a directory")
        target = Path("/proc/cppcc-nlp-model")
        expected = "cannot write a model there"
    assert main(_train(seed_corpus_dir, "--output", str(target))) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and expected in err and str(target) in err, err
    if case == "not empty, no model":
        assert (target / "thesis.tex").read_text() == "years of work"


@pytest.mark.slow  # trains three times: 10 s and more under load
def test_train_replaces_a_model_only_with_overwrite_and_as_one_step(seed_corpus_dir, tmp_path, monkeypatch, capsys):
    from cppcc_nlp import persist

    target = tmp_path / "m"
    assert main(_train(seed_corpus_dir, "--output", str(target))) == 0
    first = {p.name: p.read_bytes() for p in target.iterdir()}
    assert main(_train(seed_corpus_dir, "--output", str(target))) == 2
    assert "holds another model; pass --overwrite" in capsys.readouterr().err

    calls = []
    real_fsync = os.fsync

    def killed_between_files(fd):  # as a kill after model.npz, before model.json and the card
        calls.append(fd)
        if len(calls) == 2:
            raise KeyboardInterrupt
        real_fsync(fd)

    monkeypatch.setattr(persist.write.os, "fsync", killed_between_files)
    assert main(_train(seed_corpus_dir, "--output", str(target), "--overwrite")) == 130
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in target.iterdir()} == first  # the old model, whole
    assert [p.name for p in tmp_path.iterdir()] == ["m"]  # no temporary directory left
    load_engine(target)
    assert main(_train(seed_corpus_dir, "--output", str(target), "--overwrite", "--params",
                       '{"threshold_folds": 0, "C": 1.0}')) == 0
    assert json.loads((target / CARD_FILE).read_text())["params"]["C"] == 1.0
    assert load_engine(target).params["C"] == 1.0 and sorted(p.name for p in tmp_path.iterdir()) == ["m"]
