"""The fast paths predict what the one engine predicts: classify, one sentence or many, and start-up without scikit-learn."""

import json
import subprocess
import sys

import numpy as np
import pytest
from scipy import sparse
from scipy.special import expit

from cppcc_nlp import classify, label_report, label_text
from cppcc_nlp import engine as engine_module
from cppcc_nlp.api import default_engine, default_model
from cppcc_nlp.reader import parse_report, read_report

from conftest import EXTERNAL, ROOT

SEED = ROOT / "corpus" / "raw" / "hebei-2019-cppcc-highlights.txt"
ODD = ["", " ", "\x00", "党建\x00工作", "APP www.x.cn 1963-1968 年", "ＡＢＣ　　１２３", "协商 \n 民主", "委员\n履职"]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    """Over 400 sentences (enough that a batch takes the vectorised logistic function), and odd strings."""
    sentences = [s.text for s in read_report(SEED).sentences]
    with open(sorted(EXTERNAL.glob("*/*.jsonl"))[0], encoding="utf-8") as handle:
        for line in handle:
            sentences += [s.text for s in parse_report(json.loads(line)["text"]).sentences]
            if len(sentences) > 400:
                break
    return sentences + ODD


def test_classify_gives_the_engines_probabilities_and_thresholds(texts):
    engine = default_engine()
    probabilities = engine.predict_proba(texts)
    predictions = classify(texts)
    assert len(predictions) == len(texts)
    for text, prediction, row in zip(texts, predictions, probabilities):
        assert prediction.text == text
        assert prediction.labels == tuple(t for t, p, c in zip(engine.themes, row, engine.thresholds) if p >= c)
        assert prediction.scores == {t: round(float(p), 4) for t, p in zip(engine.themes, row)}


def test_classify_predicts_with_the_default_engine_once_per_call(texts, monkeypatch):
    engine = default_engine()
    calls = []
    original = engine.predict_proba

    def counting(batch, contexts=None):
        calls.append(len(batch))
        return original(batch, contexts)

    monkeypatch.setattr(engine, "predict_proba", counting)
    report = "甲市政协 标题\n成立功能型党支部。助力脱贫攻坚。"
    classify(texts[:7])
    classify(texts[0])
    label_text(report)
    assert calls == [7, 1, len(parse_report(report).sentences)]


def test_the_default_model_wraps_the_default_engine():
    assert default_model().engine_ is default_engine()
    assert tuple(default_model().classes_) == default_engine().themes


def test_one_sentence_equals_the_same_sentence_in_a_batch(texts, monkeypatch):
    """The one-row stacking and the few-scores logistic function give the bits the batch path gives."""
    engine = default_engine()
    with monkeypatch.context() as patched:
        patched.setattr(engine_module, "_FEW_SCORES", 0)  # the batch takes scipy's expit, one sentence math.exp
        batch = engine.predict_proba(texts)
        listed = classify(texts)
    together = engine.transform(texts)
    for i in list(range(0, len(texts), 37)) + list(range(len(texts) - len(ODD), len(texts))):
        alone = engine.transform([texts[i]])
        row = together[i]
        assert np.array_equal(alone.indices, row.indices) and np.array_equal(alone.data, row.data)
        assert np.array_equal(engine.predict_proba([texts[i]])[0], batch[i])
        assert classify(texts[i]) == classify([texts[i]])[0] == listed[i]


def test_few_and_many_features_give_the_same_scores_to_the_bit(texts, monkeypatch):
    """numpy's product (few entries) and scipy's sparse product (many) add up each score in the same order."""
    engine = default_engine()
    by_scipy = engine.transform(texts) @ engine.coef
    assert np.array_equal(engine.features(texts).dot(engine.coef).view(np.int64), by_scipy.view(np.int64))
    paths = []
    for few in (0, 10**9):
        with monkeypatch.context() as patched:
            patched.setattr(engine_module, "_FEW_ENTRIES", few)
            paths.append(engine.decision_function(texts))
    assert np.array_equal(paths[0].view(np.int64), paths[1].view(np.int64))
    for text in texts[:40] + ODD:
        assert np.array_equal(engine.decision_function([text]), engine.transform([text]) @ engine.coef + engine.intercept)


def test_one_row_of_features_is_what_hstack_builds(texts):
    engine = default_engine()
    for text in texts[:5] + ODD:
        # the parts that read the text get it; a context part reads its view of no context (an empty string)
        blocks = [part([text] if reads == "text" else [""]) * weight
                  for part, reads, weight in zip(engine.parts, engine.inputs, engine.weights)]
        expected = sparse.hstack(blocks, format="csr")
        got = engine.transform([text])
        assert got.shape == expected.shape == (1, engine.n_features)
        assert np.array_equal(got.indptr, expected.indptr)
        assert np.array_equal(got.indices, expected.indices) and np.array_equal(got.data, expected.data)


@pytest.mark.parametrize("shape", [(1, 5), (3, 5), (204, 5), (205, 5), (400, 5), (13107, 5), (13108, 5), (65536,)])
def test_the_logistic_function_is_scipys_expit_to_the_bit(shape):
    rng = np.random.default_rng(sum(shape))
    scores = rng.normal(0.0, 12.0, shape)
    scores.flat[: min(4, scores.size)] = [0.0, 36.9, -36.9, 745.0][: min(4, scores.size)]
    assert np.array_equal(engine_module.logistic(scores.copy()), expit(scores))


@pytest.mark.parametrize("scale", [0.5, 4.0, 40.0, 300.0])
def test_the_math_exp_path_is_expit_to_the_bit_on_many_values(scale):
    """Both paths of ``logistic`` on 2**20 values each: every float64 the same, to the last bit."""
    rng = np.random.default_rng(int(scale * 10))
    values = np.clip(rng.normal(0.0, scale, 2**20), -699.9, 750.0)
    assert engine_module._FEW_SCORES >= 4096
    for chunk in values.reshape(-1, 4096, 1):
        assert np.array_equal(engine_module.logistic(chunk.copy()).view(np.int64), expit(chunk).view(np.int64))


def test_the_math_exp_path_is_expit_to_the_bit_on_random_bit_patterns():
    """Finite doubles of every exponent above -700 (tiny, subnormal, huge), both signs."""
    rng = np.random.default_rng(7)
    values = rng.integers(0, 2**64, 2**20, dtype=np.uint64).view(np.float64)
    values = values[np.isfinite(values) & (values > -700.0)]
    for chunk in np.array_split(values, len(values) // 4096):
        chunk = chunk.reshape(-1, 1)
        assert np.array_equal(engine_module.logistic(chunk.copy()).view(np.int64), expit(chunk).view(np.int64))


@pytest.mark.parametrize("odd", [np.nan, np.inf, -np.inf, -709.5, -800.0])
def test_the_logistic_function_of_extreme_scores(odd):
    scores = np.array([[0.5, odd, -3.0]])
    assert np.array_equal(engine_module.logistic(scores.copy()), expit(scores), equal_nan=True)


def test_a_classifier_and_its_engine_give_the_same_predictions(small_model, texts):
    assert classify(texts[:50], model=small_model) == classify(texts[:50], model=small_model.engine_)
    by_model, by_engine = label_report(SEED, model=small_model), label_report(SEED, model=small_model.engine_)
    assert by_model.predictions == by_engine.predictions and by_model.themes == by_engine.themes


def test_label_report_predicts_its_sentences_as_classify_does():
    from cppcc_nlp.api import predict_many
    from cppcc_nlp.context import report_contexts

    labelled = label_report(SEED)
    texts = [s.text for s in labelled.report.sentences]
    assert list(labelled.predictions) == predict_many(default_engine(), texts, report_contexts(labelled.report))
    if default_engine().reads_context:  # the shipped model reads the title and heading: plain strings differ
        assert list(labelled.predictions) != classify(texts)
    assert labelled.themes == default_engine().themes


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys; print(' '.join(sorted(sys.modules)))"],
                         check=True, capture_output=True, text=True, cwd=ROOT).stdout
    return set(out.strip().splitlines()[-1].split())


def _has(modules: set[str], package: str) -> bool:
    return any(m == package or m.startswith(package + ".") for m in modules)


def test_classify_with_the_shipped_model_imports_no_scikit_learn():
    modules = _modules_after(
        "from cppcc_nlp import classify, label_text\n"
        "assert classify('开展民主监督，跟踪督办重点提案。').labels\n"
        "classify(['成立功能型党支部。'] * 300)\n"
        "label_text('甲市政协 标题\\n成立功能型党支部。')"
    )
    assert "cppcc_nlp.engine" in modules  # it did predict
    assert not _has(modules, "sklearn") and "cppcc_nlp.model" not in modules


def test_start_up_imports_only_what_it_uses():
    assert not _has(_modules_after("import cppcc_nlp"), "numpy")
    after_import = _modules_after("from cppcc_nlp import classify")
    assert not _has(after_import, "scipy") and "cppcc_nlp.engine" not in after_import  # the model loads on first use
    first = _modules_after("from cppcc_nlp import classify, label_text\nclassify('政协委员开展民主监督。')\n"
                           "label_text('甲市政协 标题\\n成立功能型党支部。助力脱贫攻坚。')")
    assert "cppcc_nlp.engine" in first and not _has(first, "scipy")  # few features: numpy's product and math.exp


def test_the_command_lines_parser_imports_no_numpy():
    """``cppcc-nlp --help``, ``read`` and the other light commands start without numpy."""
    assert not _has(_modules_after("from cppcc_nlp.cli import build_parser\nbuild_parser()"), "numpy")
