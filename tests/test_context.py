"""A unit's context reaches a context model on every path that labels a report, the same on each."""

import json

import numpy as np
import pytest

from cppcc_nlp import classify, label_report, label_text, read_report
from cppcc_nlp.cli import main
from cppcc_nlp.context import UnitContext, document_text, frame_text, neighbours_text, report_contexts, report_title
from cppcc_nlp.reader import parse_report

REPORT = """县政协常委会工作报告
一、协商议政
围绕县城停车难问题召开专题协商会。二十余位委员在会上发言。
二、委员队伍建设
举办新任委员履职培训班。建立委员履职档案，实行年度履职考核。
"""


@pytest.fixture(scope="module")
def context_model(seed_records):
    from cppcc_nlp.model import ThemeClassifier

    return ThemeClassifier(threshold_folds=0, context_weight=0.6, frame_weight=0.6, document_weight=0.3).fit(
        seed_records, [r.labels for r in seed_records])


@pytest.fixture(scope="module")
def context_model_dir(context_model, seed_records, tmp_path_factory):
    from cppcc_nlp.evaluation.card import save_model

    directory = tmp_path_factory.mktemp("context-model")
    save_model(context_model, directory, seed_records)
    return directory


def _scores(labelled) -> np.ndarray:
    return np.array([[p.scores[t] for t in labelled.themes] for p in labelled.predictions])


def test_a_report_gives_each_sentence_its_neighbours_heading_and_title():
    report = parse_report(REPORT)
    contexts = report_contexts(report)
    assert len(contexts) == len(report.sentences)
    assert report_title(report) == "县政协常委会工作报告"
    second = contexts[3]  # 二十余位委员在会上发言。
    assert second == UnitContext(before="围绕县城停车难问题召开专题协商会。", after="", heading="一、协商议政",
                                 title="县政协常委会工作报告", document=report.text[:1000])
    assert neighbours_text(second) == "围绕县城停车难问题召开专题协商会。\n一、协商议政"
    assert frame_text(second) == "县政协常委会工作报告\n一、协商议政"
    assert document_text(second) == "县政协常委会工作报告\n" + report.text[:1000]
    assert report_contexts(report, title="")[3].title == ""


def test_a_context_model_scores_a_sentence_differently_with_and_without_its_context(context_model):
    labelled = label_text(REPORT, model=context_model)
    alone = classify([s.text for s in labelled.report.sentences], model=context_model)
    with_context = _scores(labelled)
    without = np.array([[p.scores[t] for t in labelled.themes] for p in alone])
    assert not np.allclose(with_context, without)


def test_classify_of_a_report_label_report_and_label_text_give_the_same_scores(context_model, tmp_path):
    path = tmp_path / "report.txt"
    path.write_text(REPORT, encoding="utf-8")
    by_path = _scores(label_report(path, model=context_model))
    assert np.array_equal(by_path, _scores(classify(read_report(path), model=context_model)))
    assert np.array_equal(by_path, _scores(label_text(REPORT, model=context_model)))
    assert np.array_equal(by_path, _scores(label_report(path, model=context_model.engine_)))


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_the_command_line_labels_with_the_same_context_as_label_report(context_model, context_model_dir, tmp_path, jobs):
    path = tmp_path / "report.txt"
    path.write_text(REPORT, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["label", str(path), "-o", str(out), "--model", str(context_model_dir), "--jobs", jobs]) == 0
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    themes = context_model.engine_.themes
    cli_scores = np.array([[r["scores"][t] for t in themes] for r in records])
    assert np.array_equal(cli_scores, _scores(label_report(path, model=context_model)))


def test_a_streamed_file_gets_the_same_context_as_one_read_whole(context_model, tmp_path):
    from cppcc_nlp.batch.labeller import Labeller, Options  # noqa: F401 (the streaming path)
    from cppcc_nlp.batch import label_files

    path = tmp_path / "report.txt"
    path.write_text(REPORT * 40, encoding="utf-8")
    whole, streamed = tmp_path / "whole.jsonl", tmp_path / "streamed.jsonl"
    label_files([path], whole, model=context_model, progress=False)
    label_files([path], streamed, model=context_model, progress=False, stream_bytes=100)
    assert whole.read_bytes() == streamed.read_bytes()


def test_a_jsonl_records_title_field_is_the_context_a_model_trained_on_such_records_reads(context_model,
                                                                                          context_model_dir, tmp_path):
    """Registered sources give a page's title apart from its text (their "title" field), and the units a model is
    trained on take it as their title; `label` of such JSONL gives the model the same context."""
    from cppcc_nlp.records import score_steps, score_value

    title, body = REPORT.split("\n", 1)
    with_title, without = tmp_path / "with.jsonl", tmp_path / "without.jsonl"
    with_title.write_text(json.dumps({"text": body, "title": title}, ensure_ascii=False) + "\n", encoding="utf-8")
    without.write_text(json.dumps({"text": body}, ensure_ascii=False) + "\n", encoding="utf-8")
    themes = context_model.engine_.themes
    scores = {}
    for path in (with_title, without):
        out = tmp_path / f"{path.stem}.out.jsonl"
        assert main(["label", str(path), "-o", str(out), "--model", str(context_model_dir)]) == 0
        records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        scores[path.stem] = np.array([[r["scores"][t] for t in themes] for r in records])
    report = parse_report(body)
    expected = score_value(score_steps(context_model.engine_.predict_proba(
        [s.text for s in report.sentences], report_contexts(report, title))))
    assert np.array_equal(scores["with"], expected)
    assert not np.array_equal(scores["with"], scores["without"])
