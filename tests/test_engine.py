"""The one prediction engine: each feature type equals scikit-learn's own transformer; every path uses it."""

import json
import pickle

import numpy as np
import pytest

from cppcc_nlp import engine as engine_module
from cppcc_nlp.api import classify, label_report
from cppcc_nlp.engine import CharNgrams, Engine, WordNgrams, engine_from_fitted
from cppcc_nlp.features import CueWordFeatures, char_vectorizer, word_vectorizer
from cppcc_nlp.model import ThemeClassifier
from cppcc_nlp.reader import parse_report
from cppcc_nlp.segment import Segmenter

from conftest import EXTERNAL, ROOT

SEED = ROOT / "corpus" / "raw" / "hebei-2019-cppcc-highlights.txt"
ODD = ["", " ", "APP www.x.cn 1963-1968 年", "ＡＢＣ　　１２３", "中\t\t文  空格", "党建\x00工作", "\x00",
       "政协\x00\x00委员", "协商 \n 民主", "委员\n履职", "协商\r\n议政"]


def external_sentences(limit: int = 4000) -> list[str]:
    sentences = []
    for path in sorted(EXTERNAL.glob("*/*.jsonl")):
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                sentences += [s.text for s in parse_report(json.loads(line)["text"]).sentences]
                if len(sentences) >= limit * (1 + sorted(EXTERNAL.glob("*/*.jsonl")).index(path)) // 4:
                    break
    return sentences


@pytest.fixture(scope="module")
def texts(seed_records):
    return [r.text for r in seed_records], external_sentences() + ODD


def _same(a, b) -> None:
    a, b = a.tocsr(), b.tocsr()
    a.sort_indices()
    b.sort_indices()
    assert a.shape == b.shape
    assert np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
    assert np.array_equal(a.data, b.data)


@pytest.mark.parametrize("min_df", [1, 2])
def test_character_ngrams_equal_tfidf_vectorizer(texts, min_df):
    train, probe = texts
    reference = char_vectorizer(min_df).fit(train + probe[:2000])
    part = engine_module._tfidf_part("char", reference)
    assert isinstance(part, CharNgrams)
    _same(pickle.loads(pickle.dumps(part))(probe), reference.transform(probe))


def test_character_ngrams_with_searched_tables_equal_the_dense_ones(texts, monkeypatch):
    """Vocabularies too large for dense tables are looked up by binary search: the same features."""
    train, probe = texts
    reference = char_vectorizer(1).fit(train + probe[:-len(ODD)])
    monkeypatch.setattr(engine_module, "_MAX_PAIR_CELLS", 0)
    monkeypatch.setattr(engine_module, "_MAX_TRIGRAM_CELLS", 0)
    part = engine_module._tfidf_part("char", reference)
    assert part.bigram.table is None and part.trigram.table is None
    _same(part(probe), reference.transform(probe))


@pytest.mark.parametrize("backend", ["rjieba", "jieba"])
@pytest.mark.parametrize("use_lexicon", [False, True])
def test_word_ngrams_equal_tfidf_vectorizer(texts, backend, use_lexicon):
    from cppcc_nlp.segment import default_lexicon

    train, probe = texts
    segmenter = Segmenter(lexicon=default_lexicon() if use_lexicon else (), backend=backend)
    reference = word_vectorizer(segmenter, 1).fit(train + probe[:1000])
    part = engine_module._tfidf_part("word", reference)
    assert isinstance(part, WordNgrams)
    _same(pickle.loads(pickle.dumps(part))(probe), reference.transform(probe))


def test_cue_words_equal_the_reference_transformer(texts):
    from cppcc_nlp.engine import CueWords

    train, probe = texts
    reference = CueWordFeatures(weight=1.0).fit(train)
    _same(CueWords(list(reference.cues_), 1.0)(probe), reference.transform(probe))


def test_a_feature_type_the_engine_does_not_know_is_an_error_at_fit():
    from sklearn.feature_extraction.text import HashingVectorizer, TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    texts = ["政协委员", "民主监督"]
    for part in (HashingVectorizer(), TfidfVectorizer(analyzer="char_wb")):
        union = FeatureUnion([("x", part)]).fit(texts)
        with pytest.raises(ValueError, match="engine"):
            engine_from_fitted(union, np.zeros((union.transform(texts).shape[1], 5)), np.zeros(5), "expit",
                               ["a", "b", "c", "d", "e"], np.full(5, 0.5))


def test_the_engine_round_trips_through_plain_data(small_model):
    meta, arrays = small_model.engine_.to_data()
    json.dumps(meta)  # JSON, no objects
    assert all(isinstance(v, np.ndarray) and v.dtype != object for v in arrays.values())
    again = Engine.from_data(json.loads(json.dumps(meta)), arrays, small_model.engine_segmenter())
    probe = ["政协委员开展民主监督。", "助力脱贫攻坚。"] + ODD
    assert np.array_equal(again.predict_proba(probe), small_model.predict_proba(probe))
    assert again.fingerprint() == small_model.engine_.fingerprint()


def test_changing_the_token_filter_in_one_place_changes_every_path(seed_records, monkeypatch):
    """The drift experiment: drop one-character tokens in ``Segmenter.keep`` only; fit and predict both follow."""
    texts, labels = [r.text for r in seed_records], [r.labels for r in seed_records]
    probe = texts[:40]
    before = ThemeClassifier(threshold_folds=0, features="word").fit(texts, labels)
    original = Segmenter.keep
    monkeypatch.setattr(Segmenter, "keep", lambda self, raw: [t for t in original(self, raw) if len(t) > 1])
    after = ThemeClassifier(threshold_folds=0, features="word").fit(texts, labels)
    words = after.engine_.parts[0].terms
    assert words and all(len(term) > 1 for term in words if " " not in term)
    reference = word_vectorizer(after.engine_segmenter(), 1).fit(texts)
    _same(after.engine_.parts[0](probe), reference.transform(probe))
    assert not np.array_equal(after.predict_proba(probe), before.predict_proba(probe))
    # classify, label_report and the batch labeller use the same engine, so they change too
    assert classify(probe[0], model=after).scores == {
        t: round(float(p), 4) for t, p in zip(after.classes_, after.predict_proba(probe[:1])[0])
    }


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
