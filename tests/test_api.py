import importlib
import pytest

from cppcc_nlp import Prediction, classify, label_report, label_text
from cppcc_nlp.errors import InputError
from cppcc_nlp.api import predict_many
from cppcc_nlp.themes import THEME_IDS

from conftest import ROOT

SEED = ROOT / "corpus" / "raw" / "hebei-2019-cppcc-highlights.txt"


def test_classify_one_sentence_uses_the_default_model():
    prediction = classify("开展民主监督，跟踪督办重点提案。")
    assert isinstance(prediction, Prediction)
    assert "supervision" in prediction.labels
    assert set(prediction.scores) == set(THEME_IDS)
    assert all(0.0 <= s <= 1.0 for s in prediction.scores.values())


def test_classify_a_list_gives_one_prediction_per_text_in_one_vectorisation(small_model, monkeypatch):
    calls = []
    engine = small_model.engine_
    original = type(engine).predict_proba

    def counting(self, texts, contexts=None):
        calls.append(len(texts))
        return original(self, texts, contexts)

    monkeypatch.setattr(type(engine), "predict_proba", counting)
    texts = ["成立功能型党支部。", "助力脱贫攻坚。", "七十载砥砺前行。"]
    predictions = classify(texts, model=small_model)
    assert [p.text for p in predictions] == texts
    assert calls == [3]
    assert predictions[1].labels == ("poverty_alleviation",)


def test_classify_accepts_a_paragraph():
    prediction = classify("成立功能型党支部。落实党员委员双重组织生活制度。")
    assert "party_building" in prediction.labels


def test_empty_list_gives_empty_result(small_model):
    assert classify([], model=small_model) == [] == predict_many(small_model, [])


def test_label_report_gives_sentences_sections_and_profiles(small_model):
    labelled = label_report(SEED, model=small_model)
    assert len(labelled.predictions) == len(labelled.report.sentences) == 194
    profiles = labelled.profiles()
    assert [p["section"] for p in profiles][1] == "石家庄市"
    shijiazhuang = profiles[1]
    assert shijiazhuang["sentences"] == 14
    share = shijiazhuang["share_party_building"]
    expected = sum("party_building" in p.labels for p in labelled.section_predictions(1)) / 14
    assert share == pytest.approx(expected, abs=1e-4)
    records = labelled.to_records()
    assert records[0]["doc"] == "hebei-2019-cppcc-highlights"
    assert {"section", "paragraph", "sentence", "start", "end", "text", "labels", "scores"} <= set(records[0])
    assert labelled.report.text[records[5]["start"]:records[5]["end"]] == records[5]["text"]


def test_label_text_labels_text_and_label_report_refuses_it(small_model):
    labelled = label_text("甲市政协 标题\n成立功能型党支部。", model=small_model, doc_id="mine")
    assert labelled.report.sections[-1].name == "甲市" and labelled.to_records()[0]["doc"] == "mine"
    with pytest.raises(InputError, match="no such file.*parse_report"):
        label_report("甲市政协 标题\n成立功能型党支部。", model=small_model)


def test_label_report_accepts_a_path_string_and_bytes(small_model):
    by_path = label_report(str(SEED), model=small_model)
    by_bytes = label_report(SEED.read_bytes(), model=small_model)
    assert by_path.predictions == by_bytes.predictions and len(by_path.predictions) == 194


def test_to_dataframe_when_pandas_is_installed(small_model):
    pd = importlib.import_module("pandas")
    frame = label_report(SEED, model=small_model).to_dataframe()
    assert isinstance(frame, pd.DataFrame) and len(frame) == 194


def test_classify_a_whole_report_gives_sections_and_profiles(small_model):
    from cppcc_nlp import read_report

    labelled = classify(read_report(SEED), model=small_model)
    assert len(labelled.report.sections) == 14
    assert len(labelled.profiles()) == 14 and len(labelled.predictions) == 194


def test_classify_a_pandas_series_gives_one_prediction_per_element(small_model):
    pd = importlib.import_module("pandas")
    texts = ["成立功能型党支部。", "助力脱贫攻坚。", "七十载砥砺前行。"]
    frame = pd.DataFrame({"id": [7, 8, 9], "text": texts}, index=[10, 20, 30])
    predictions = classify(frame["text"], model=small_model)
    assert [p.text for p in predictions] == texts
    assert predictions == classify(texts, model=small_model)


def test_classify_a_generator_gives_one_prediction_per_text(small_model):
    texts = ["成立功能型党支部。", "助力脱贫攻坚。"]
    assert [p.text for p in classify((t for t in texts), model=small_model)] == texts


def test_classify_a_dataframe_is_refused_with_the_column_to_pass(small_model):
    pd = importlib.import_module("pandas")
    frame = pd.DataFrame({"id": [1], "text": ["助力脱贫攻坚。"]})
    with pytest.raises(TypeError, match=r"not a DataFrame.*classify\(df\['text'\]\)"):
        classify(frame, model=small_model)


@pytest.mark.parametrize("texts, what", [(["助力脱贫攻坚。", float("nan")], "element 1 is float"),
                                         (b"bytes", "not bytes"), (42, "not int")])
def test_classify_refuses_what_is_not_text(small_model, texts, what):
    with pytest.raises(TypeError, match=what):
        classify(texts, model=small_model)


def test_the_readme_example_report_gets_the_labels_the_readme_shows():
    """docs/example_report.txt, written for the README, labelled by the shipped model as the README's table says."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    readme = (root / "README.md").read_text(encoding="utf-8")
    section = readme.split("## A report the model has not seen", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| [^|]+ \| ([^|]+。) \| ([^|]+) \|$", section, re.M)
    assert len(rows) >= 6
    labelled = label_report(root / "docs" / "example_report.txt")
    got = {r["text"]: r["labels"] for r in labelled.to_records()}
    for text, labels in rows:
        expected = [] if labels.strip() == "(none)" else [t.strip() for t in labels.split(",")]
        assert got[text.strip()] == expected, text


@pytest.mark.parametrize("mapping", [{"a": "助力脱贫攻坚。"}, {1: "成立功能型党支部。", 2: "开展民主监督。"}])
def test_classify_a_dict_is_refused_rather_than_its_keys_classified(small_model, mapping):
    with pytest.raises(TypeError, match=r"not a dict \(keys: .*classify\(list\(d.values\(\)\)\)"):
        classify(mapping, model=small_model)
