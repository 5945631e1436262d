"""Notebook rendering: profile tables, rendered explanations, error pages."""

import re
import sys
from pathlib import Path

import pytest

from cppcc_nlp.model import ThemeClassifier
from cppcc_nlp.optional import as_table, table_rows
from cppcc_nlp.reader import LEAD_IN
from cppcc_nlp.records import profile_rows
from cppcc_nlp.research import (
    RenderedExplanation,
    errors_html,
    explain,
    explanation_html,
    highlight_html,
    label_reports,
    markdown_table,

    theme_profile,
    top_terms_table,
)
from cppcc_nlp.themes import THEME_IDS

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "corpus" / "raw" / "hebei-2019-cppcc-highlights.txt"
MARK = re.compile(r"<mark[^>]*>(.*?)</mark>")


@pytest.fixture(scope="module")
def labelled():
    from cppcc_nlp import label_report

    return label_report(SAMPLE)


@pytest.fixture(scope="module")
def subset(seed_records):
    """The lead-in and the first two city sections: enough for a fast evaluation."""
    sections = [name for name in dict.fromkeys(r.section for r in seed_records) if name != LEAD_IN]
    return [r for r in seed_records if r.section in {LEAD_IN, *sections[:2]}]


# -- profiles --------------------------------------------------------------------------


def test_theme_profile_has_a_row_per_section_and_the_share_of_each_theme(labelled):
    rows = table_rows(theme_profile(labelled))
    assert [row["section"] for row in rows] == [s.name for s in labelled.report.sections]
    section = labelled.report.sections[2]
    predictions = labelled.section_predictions(section.index)
    for theme in THEME_IDS:
        expected = sum(theme in p.labels for p in predictions) / len(predictions)
        assert rows[2][theme] == pytest.approx(expected, abs=1e-4)
    assert rows[2]["sentences"] == len(predictions)


def test_profile_by_characters_weights_sentences_by_length(labelled):
    section = labelled.report.sections[1]
    pairs = [(s, p) for s, p in zip(labelled.report.sentences, labelled.predictions) if s.section_index == 1]
    row = profile_rows(labelled, measure="characters")[1]
    theme = "consultation"
    expected = sum(len(s.text) for s, p in pairs if theme in p.labels) / sum(len(s.text) for s, _ in pairs)
    assert row[theme] == pytest.approx(expected, abs=1e-4) and row["section"] == section.name
    with pytest.raises(ValueError, match="measure"):
        profile_rows(labelled, measure="words")


def test_tables_are_dataframes_with_pandas_and_lists_without(labelled, monkeypatch):
    pd = pytest.importorskip("pandas")
    assert isinstance(theme_profile(labelled), pd.DataFrame)
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas now raises ImportError
    table = theme_profile(labelled)
    assert isinstance(table, list) and table[0]["section"] == LEAD_IN
    assert as_table([{"a": 1}]) == [{"a": 1}]


def test_markdown_table_formats_floats_params_and_lists():
    text = markdown_table([{"name": "a|b", "C": 10.0, "f1": 0.87654, "labels": ["x", "y"], "none": None}])
    assert text.splitlines() == ["| name | C | f1 | labels | none |", "|---|---|---|---|---|", "| a\\|b | 10 | 0.877 | x, y |  |"]


# -- explanations ----------------------------------------------------------------------


def test_explanation_html_highlights_the_terms_that_drove_the_theme(small_model):
    text = "市政协党组坚持把党的政治建设摆在首位，推动党员委员在履职中发挥模范作用。"
    view = explain(text, model=small_model)
    assert isinstance(view, RenderedExplanation)
    predicted = [t.theme for t in view.explanation.predicted]
    assert "party_building" in predicted
    page = view._repr_html_()
    assert "党的建设" in page and "party_building" in page
    marked = "".join(MARK.findall(page))
    assert "党组" in marked
    assert str(view) == view.explanation.format()


def test_explanation_html_escapes_the_text(small_model):
    explanation = small_model.explain("<script>alert(1)</script>党组", top=3)
    page = explanation_html(explanation, themes=THEME_IDS)
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_highlight_marks_bigrams_cue_words_and_separate_tokens():
    rgb = (0, 0, 0)
    assert MARK.findall(highlight_html("推动党员委员履职", [("党员 委员", 1.0)], rgb)) == ["党员委员"]
    assert MARK.findall(highlight_html("推动党员委员履职", [("cue:履职", 1.0)], rgb)) == ["履职"]
    assert MARK.findall(highlight_html("党员和履职", [("党员 履职", 1.0)], rgb)) == ["党员", "履职"]
    assert MARK.findall(highlight_html("没有", [("党员", 1.0)], rgb)) == []


def test_gold_labels_mark_missed_and_extra_themes(small_model):
    explanation = small_model.explain("市政协党组加强理论学习。")
    page = explanation_html(explanation, themes=["party_building", "poverty_alleviation"], gold=["poverty_alleviation"])
    predicted = {t.theme for t in explanation.predicted}
    assert "party_building" in predicted and "poverty_alleviation" not in predicted
    assert "extra (not in gold)" in page and "missed (gold)" in page


def test_top_terms_table_lists_the_model_top_terms(small_model):
    rows = table_rows(top_terms_table(small_model, n=4))
    assert [row["rank"] for row in rows] == [1, 2, 3, 4]
    top = small_model.top_terms(4)
    for theme in THEME_IDS:
        term, weight = top[theme][0]
        assert rows[0][theme] == f"{term} ({weight:.2f})"


# -- errors ------------------------------------------------------------------------------


def test_errors_html_shows_each_error_with_its_explanation(subset):
    from cppcc_nlp.evaluation.errors import misclassified
    from cppcc_nlp.evaluation.report import evaluate_protocol

    analysis = misclassified(evaluate_protocol(subset, ThemeClassifier(features="char", threshold_folds=0)), subset)
    page = errors_html(analysis, limit=3)
    assert page.count('class="cppcc-explanation"') == min(3, len(analysis)) and len(analysis) > 0
    assert f"{len(analysis)} misclassified unit(s)" in page and analysis.rows[0]["id"] in page


# -- your own reports ------------------------------------------------------------------


def test_label_reports_skips_unreadable_files(tmp_path, small_model):
    (tmp_path / "a.txt").write_bytes("一、总体情况\n市政协党组加强理论学习。".encode("gb18030"))
    (tmp_path / "b.txt").write_bytes(b"\x00\x01binary\x00" * 40)
    batch = label_reports([tmp_path], model=small_model)
    assert [l.report.doc_id for l in batch.labelled] == ["a"]
    assert [Path(path).name for path, _ in batch.failures] == ["b.txt"]
    assert [r["text"] for r in batch.to_records()] == ["一、总体情况", "市政协党组加强理论学习。"]
    single = label_reports(tmp_path / "a.txt", model=small_model)  # one path, not a list of its characters
    assert [l.report.doc_id for l in single.labelled] == ["a"] and not single.failures


def test_write_table_flattens_labels_and_scores_for_csv(tmp_path, labelled):
    import csv
    import json

    from cppcc_nlp.research import write_table

    records = labelled.to_records()
    with open(write_table(records, tmp_path / "sentences.csv"), encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(records)
    assert rows[1]["labels"] == ";".join(records[1]["labels"])
    assert float(rows[1]["score_party_building"]) == records[1]["scores"]["party_building"]
    lines = write_table(records, tmp_path / "sentences.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[1])["labels"] == records[1]["labels"]
