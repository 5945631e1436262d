"""One model type at the API: every entry point takes every form of a model, and the engine is thread-safe."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from cppcc_nlp import as_engine, classify, estimate_shares, label_report, label_text
from cppcc_nlp.annotate.select import select_units
from cppcc_nlp.batch import label_files
from cppcc_nlp.corpus.sources import report_units
from cppcc_nlp.model import ThemeClassifier, check_params
from cppcc_nlp.evaluation.card import save_model
from cppcc_nlp.persist import load_engine
from cppcc_nlp.reader import parse_report
from cppcc_nlp.evaluation.compare import default_configurations

from conftest import ROOT

TEXT = "一、协商议政\n围绕县城停车难问题召开专题协商会。\n二、脱贫攻坚\n委员结对帮扶低收入户，帮助贫困群众就近就业。"
SEED = ROOT / "corpus" / "raw" / "hebei-2019-cppcc-highlights.txt"
FORMS = ("classifier", "engine", "loaded", "directory", "shipped")


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory, small_model, seed_records):
    directory = tmp_path_factory.mktemp("forms") / "model"
    save_model(small_model, directory, seed_records)
    return directory


def _form(name: str, small_model, model_dir):
    """The same model in one of its forms (the shipped model for "shipped")."""
    return {"classifier": small_model, "engine": small_model.engine_, "loaded": load_engine(model_dir),
            "directory": str(model_dir), "shipped": None}[name]


def _reference(name: str, small_model, model_dir):
    return load_engine().engine if name == "shipped" else small_model.engine_


def _scores(predictions) -> np.ndarray:
    return np.array([list(p.scores.values()) for p in predictions])


ENTRY_POINTS = ("classify", "label_report", "label_text", "label_files", "estimate_shares", "annotate_select")


def _run(entry: str, model, tmp_path):
    """What ``entry`` gives with ``model``, as an array to compare."""
    if entry == "classify":
        return _scores(classify(["成立功能型党支部。", "助力脱贫攻坚。"], model=model))
    if entry == "label_report":
        return _scores(label_report(SEED, model=model).predictions)
    if entry == "label_text":
        return _scores(label_text(TEXT, model=model).predictions)
    if entry == "label_files":
        out = tmp_path / "out.jsonl"
        label_files([SEED], out, model=model, progress=False)
        return np.array([list(json.loads(line)["scores"].values()) for line in out.read_text("utf-8").splitlines()])
    if entry == "estimate_shares":
        table = estimate_shares(parse_report(TEXT), method="count", model=model, rounds=50)
        return np.array([[row["share"], row["low"], row["high"]] for row in table.rows])
    chosen = select_units(report_units(parse_report(TEXT), "s"), 2, "uncertainty", model=model, suggest=True)
    return np.array([list(item.suggested.values()) for item in chosen])


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_every_entry_point_takes_every_form_of_a_model(entry, form, small_model, model_dir, tmp_path):
    got = _run(entry, _form(form, small_model, model_dir), tmp_path)
    (tmp_path / "ref").mkdir()
    expected = _run(entry, _reference(form, small_model, model_dir), tmp_path / "ref")
    assert got.shape == expected.shape and got.size
    assert np.array_equal(got, expected)


def test_a_model_that_is_not_one_is_refused_with_what_to_give():
    with pytest.raises(TypeError, match="not fitted"):
        as_engine(ThemeClassifier())
    with pytest.raises(TypeError, match="not a model: dict"):
        classify("协商。", model={"a": 1})


def test_eight_threads_classifying_at_once_give_the_single_thread_results_every_time(small_model):
    texts = [s.text for s in label_report(SEED, model=small_model).report.sentences] * 3
    chunks = [texts[k::8] for k in range(8)]
    engine = small_model.engine_
    alone = [_scores(classify(chunk, model=engine)) for chunk in chunks]
    single = [[_scores(classify([t], model=engine)) for t in chunk[:5]] for chunk in chunks]
    with ThreadPoolExecutor(8) as pool:
        for _ in range(50):
            together = list(pool.map(lambda chunk: _scores(classify(chunk, model=engine)), chunks))
            assert all(np.array_equal(a, b) for a, b in zip(together, alone))
        ones = list(pool.map(lambda chunk: [_scores(classify([t], model=engine)) for t in chunk[:5]], chunks))
        assert all(np.array_equal(a, b) for x, y in zip(ones, single) for a, b in zip(x, y))


def test_every_configuration_research_offers_passes_the_estimators_constraints():
    for name, params in default_configurations().items():
        check_params({**ThemeClassifier().get_params(), **params})  # raises for a value outside the constraints
    with pytest.raises(ValueError, match=r"classifier must be one of \['logreg', 'svm'\], got 'nb'"):
        check_params({"classifier": "nb"})
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) \['colour'\]"):
        check_params({"colour": 1})
