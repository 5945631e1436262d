"""The annotation workflow: select, merge, agreement, audit, progress and the Label Studio round trip."""

import json
import re
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cppcc_nlp.corpus.agreement import agreement, cohen_kappa, krippendorff_alpha
from cppcc_nlp.annotate.audit import find_label_issues
from cppcc_nlp.annotate.labelstudio import batch_to_tasks, label_config, read_export
from cppcc_nlp.annotate.select import select_units
from cppcc_nlp.cli import main
from cppcc_nlp.corpus import LabelRecord, document_units, iter_documents, load_corpus, read_registry
from cppcc_nlp.errors import CorpusError


CLI = Path(sys.executable).with_name("cppcc-nlp")


def _units(corpus, sources):
    spec = read_registry(corpus)["news"]
    return [u for d in iter_documents(spec, sources / spec.path) for u in document_units(d)]


class _FixedModel:
    """A stand-in engine whose probabilities are given per text (and which records the contexts it was given)."""

    themes = ("party_building", "consultation", "supervision", "poverty_alleviation", "member_management")
    thresholds = np.full(5, 0.5)
    reads_context = True

    def __init__(self, table):
        self.table = table
        self.contexts = []

    def predict_proba(self, texts, contexts=None):
        self.contexts.extend(contexts or [])
        return np.array([self.table[t] for t in texts], dtype=float)


def test_random_selection_is_spread_over_sources_and_documents_and_excludes_labelled(standoff_corpus):
    corpus, sources, units = standoff_corpus
    chosen = select_units(units, 3, "random", exclude={units[0].id}, max_per_doc=1)
    assert len(chosen) == 2  # one per document at most, two documents
    assert {c.unit.doc for c in chosen} == {"n1", "n2"}
    assert units[0].id not in {c.unit.id for c in chosen}
    assert all(c.selection == "random" and c.suggested is None for c in chosen)
    again = select_units(units, 3, "random", exclude={units[0].id}, max_per_doc=1)
    assert [c.unit.id for c in again] == [c.unit.id for c in chosen]


def test_keyword_selection_takes_only_matching_units(standoff_corpus):
    _, _, units = standoff_corpus
    chosen = select_units(units, 10, "keyword", query="扶贫|贫困")
    assert sorted(c.unit.text for c in chosen) == sorted(["各地推进精准扶贫。", "贫困户收入增加。"])


def test_uncertainty_selection_puts_the_unit_nearest_a_threshold_first(standoff_corpus):
    _, _, units = standoff_corpus
    table = {u.text: [0.01, 0.99, 0.01, 0.01, 0.01] for u in units}
    table[units[2].text] = [0.01, 0.45, 0.01, 0.01, 0.01]
    model = _FixedModel(table)
    chosen = select_units(units, 2, "uncertainty", model=model, suggest=True)
    assert chosen[0].unit.id == units[2].id
    assert chosen[0].suggested["consultation"] == 0.45
    assert model.contexts[:len(units)] == [u.context for u in units]  # each unit reaches the model with its context


def test_diversity_selection_returns_distinct_units(standoff_corpus):
    _, _, units = standoff_corpus
    chosen = select_units(units, 3, "diversity")
    assert len({c.unit.id for c in chosen}) == 3


def test_select_writes_a_batch_with_null_labels_from_the_cli(standoff_corpus, tmp_path):
    corpus, sources, units = standoff_corpus
    batch = tmp_path / "batch.jsonl"
    code = main(["annotate", "select", "news", "-n", "10", "--corpus", str(corpus), "--sources", str(sources),
                 "-o", str(batch)])
    assert code == 0
    lines = [json.loads(line) for line in batch.read_text(encoding="utf-8").splitlines()]
    labelled = {r.id for r in load_corpus(corpus, sources=sources)}
    assert len(lines) == len(units) - 3 and not {line["id"] for line in lines} & labelled
    assert all(line["labels"] is None and "suggested" not in line for line in lines)
    assert {"text", "before", "after", "span", "sha256", "selection"} <= set(lines[0])


def test_merge_adds_decided_units_and_refuses_bad_ones(standoff_corpus, tmp_path, capsys):
    corpus, sources, units = standoff_corpus
    batch = tmp_path / "batch.jsonl"
    main(["annotate", "select", "news", "-n", "10", "--corpus", str(corpus), "--sources", str(sources), "-o", str(batch)])
    lines = [json.loads(line) for line in batch.read_text(encoding="utf-8").splitlines()]
    lines[0]["labels"] = ["supervision"]
    batch.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    args = ["annotate", "merge", str(batch), "--corpus", str(corpus), "--sources", str(sources), "--annotator", "b"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "merged 1 units; 1 without labels left out" in out
    records = {r.id: r for r in load_corpus(corpus, sources=sources)}
    assert records[lines[0]["id"]].labels == ("supervision",) and records[lines[0]["id"]].annotator == "b"
    assert "text" not in (corpus / "labels" / "news.jsonl").read_text(encoding="utf-8").split('"labels"')[0]
    # the same unit again: refused unless --replace
    assert main(args) == 4
    assert "already in the corpus" in capsys.readouterr().err
    lines[0]["labels"] = ["consultation"]
    batch.write_text(json.dumps(lines[0], ensure_ascii=False) + "\n", encoding="utf-8")
    assert main(args + ["--replace"]) == 0
    assert load_corpus(corpus, sources=sources)[-1].labels in {("consultation",), ("poverty_alleviation",)}
    assert {r.id: r for r in load_corpus(corpus, sources=sources)}[lines[0]["id"]].labels == ("consultation",)
    # an unknown theme, an unknown source
    batch.write_text(json.dumps({"id": lines[0]["id"], "labels": ["economy"], "selection": "random"}) + "\n", encoding="utf-8")
    assert main(args) == 4
    assert "unknown theme id(s) ['economy']" in capsys.readouterr().err
    batch.write_text(json.dumps({"id": "other/x-s00-000", "labels": [], "selection": "random"}) + "\n", encoding="utf-8")
    assert main(args) == 4
    assert "names no registered source" in capsys.readouterr().err


def test_agreement_figures_on_a_known_case():
    a = {"u1": ("consultation",), "u2": (), "u3": ("consultation", "supervision"), "u4": ("supervision",), "x": ()}
    b = {"u1": ("consultation",), "u2": ("consultation",), "u3": ("consultation",), "u4": ("supervision",), "y": ()}
    result = agreement(a, b)
    assert (result.units, result.only_a, result.only_b) == (4, 1, 1)
    assert result.exact_match == pytest.approx(0.5)
    # pairs: A has 4 positive cells, B has 4, 3 shared -> micro-F1 = 2*3 / 8
    assert result.micro_f1 == pytest.approx(0.75)
    consultation = next(t for t in result.themes if t.theme == "consultation")
    assert consultation.f1 == pytest.approx(0.8)
    assert [d.id for d in result.disagreements] == ["u2", "u3"]


def test_kappa_and_alpha_match_their_textbook_values():
    a = np.array([1, 1, 0, 0, 1, 0, 1, 0, 0, 0], dtype=bool)
    b = np.array([1, 0, 0, 0, 1, 0, 1, 1, 0, 0], dtype=bool)
    # observed 0.8; expected 0.4*0.4 + 0.6*0.6 = 0.52 -> kappa = 0.28/0.48
    assert cohen_kappa(a, b) == pytest.approx(0.28 / 0.48)
    # alpha = 1 - (n-1) * disagreements / (n0 * n1) with n = 20 values, 8 ones, 12 zeros, 2 disagreeing units
    assert krippendorff_alpha(a, b) == pytest.approx(1 - 19 * 2 / (12 * 8))
    assert cohen_kappa(a, a) == krippendorff_alpha(a, a) == 1.0


def test_agreement_from_the_cli_lists_disagreements(tmp_path, capsys):
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_text('{"id": "u1", "labels": ["consultation"]}\n{"id": "u2", "labels": []}\n', encoding="utf-8")
    second.write_text('{"id": "u1", "labels": ["consultation"]}\n{"id": "u2", "labels": ["supervision"]}\n', encoding="utf-8")
    out = tmp_path / "dis.jsonl"
    assert main(["annotate", "agreement", str(first), str(second), "--disagreements", str(out)]) == 0
    assert "common units: 2" in capsys.readouterr().out
    assert [json.loads(line) for line in out.read_text().splitlines()] == [
        {"id": "u2", "first": [], "second": ["supervision"], "labels": None}
    ]


def test_audit_lists_the_most_confident_contradictions_first():
    records = [LabelRecord(f"u{i}", "d", "s", f"t{i}", labels) for i, labels in
               enumerate([("consultation",), ("consultation",), (), (), ()])]
    p = np.zeros((5, 5))
    p[:, 1] = [0.9, 0.05, 0.1, 0.97, 0.2]  # u1 labelled on but scored low; u3 labelled off but scored high
    findings = find_label_issues(records, p)
    assert [(f.id, f.theme, f.hand_label) for f in findings] == [("u3", "consultation", False), ("u1", "consultation", True)]
    assert findings[0].self_confidence == pytest.approx(0.03)


@pytest.mark.slow
def test_audit_runs_over_a_corpus_from_the_cli(standoff_corpus, tmp_path, capsys):
    corpus, sources, _ = standoff_corpus
    out = tmp_path / "audit.jsonl"
    assert main(["annotate", "audit", "--folds", "3", "--top", "5", "-o", str(out), "--corpus", str(corpus),
                 "--sources", str(sources)]) == 0
    captured = capsys.readouterr()
    assert "unit-theme pairs where the cross-validated model contradicts the hand label" in captured.err
    findings = [json.loads(line) for line in out.read_text().splitlines()]
    assert findings and len(captured.out.splitlines()) == min(5, len(findings))
    for f in findings:  # the self-confidence is the probability the model gives to the hand label
        assert f["self_confidence"] == pytest.approx(f["probability"] if f["hand_label"] else 1 - f["probability"], abs=1e-4)
    assert [f["self_confidence"] for f in findings] == sorted(f["self_confidence"] for f in findings)


def test_progress_counts_decided_and_open_units(tmp_path, capsys):
    batch = tmp_path / "b.jsonl"
    batch.write_text('{"id": "news/a-s00-000", "labels": ["consultation"]}\n{"id": "news/a-s00-001", "labels": null}\n',
                     encoding="utf-8")
    assert main(["annotate", "progress", str(batch)]) == 0
    out = capsys.readouterr().out
    assert "labelled so far: 1 of 2 units (50%)" in out
    assert re.search(r"consultation +1\n", out)


# -- Label Studio, in its documented task and export formats -----------------------------------------


def test_label_studio_tasks_carry_the_units_and_the_suggestions_as_predictions():
    lines = [{"id": "news/a-s00-000", "text": "委员们建议。", "before": "", "after": "", "heading": "", "selection": "random",
              "suggested": {"consultation": 0.8, "supervision": 0.2}}]
    task = batch_to_tasks(lines, model_version="m1")[0]
    assert task["data"]["unit_id"] == "news/a-s00-000" and task["data"]["text"] == "委员们建议。"
    prediction = task["predictions"][0]
    assert prediction["model_version"] == "m1"
    assert prediction["result"] == [{"from_name": "themes", "to_name": "text", "type": "choices",
                                     "value": {"choices": ["consultation"]}}]
    assert '<Choices name="themes" toName="text" choice="multiple"' in label_config()


def test_label_studio_json_export_reads_back_the_last_submitted_annotation(tmp_path):
    export = [
        {"id": 1, "data": {"unit_id": "news/a-s00-000", "text": "…"}, "annotations": [
            {"id": 11, "result": [{"from_name": "themes", "to_name": "text", "type": "choices",
                                   "value": {"choices": ["supervision", "consultation"]}}],
             "was_cancelled": False, "completed_by": 3}]},
        {"id": 2, "data": {"unit_id": "news/a-s00-001", "text": "…"}, "annotations": [
            {"id": 12, "result": [], "was_cancelled": False, "completed_by": {"id": 4, "email": "x@y"}}]},
        {"id": 3, "data": {"unit_id": "news/a-s00-002", "text": "…"}, "annotations": [
            {"id": 13, "result": [], "was_cancelled": True}]},
        {"id": 4, "data": {"unit_id": "news/a-s00-003", "text": "…"}, "annotations": []},
    ]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export), encoding="utf-8")
    lines, unannotated = read_export(path)
    assert unannotated == 2
    assert lines == [  # with the text the annotator saw, which merge checks against the sentence
        {"id": "news/a-s00-000", "labels": ["consultation", "supervision"], "annotator": "labelstudio:3", "text": "…"},
        {"id": "news/a-s00-001", "labels": [], "annotator": "labelstudio:x@y", "text": "…"},
    ]


def test_label_studio_json_min_export_is_read_too(tmp_path):
    export = [
        {"id": 1, "unit_id": "news/a-s00-000", "text": "…", "themes": {"choices": ["consultation", "supervision"]},
         "annotator": 2, "annotation_id": 5},
        {"id": 2, "unit_id": "news/a-s00-001", "text": "…", "themes": "poverty_alleviation", "annotator": 2,
         "annotation_id": 6},
        {"id": 3, "unit_id": "news/a-s00-002", "text": "…", "annotator": 2, "annotation_id": 7},
    ]
    path = tmp_path / "min.json"
    path.write_text(json.dumps(export), encoding="utf-8")
    lines, _ = read_export(path)
    assert [line["labels"] for line in lines] == [["consultation", "supervision"], ["poverty_alleviation"], []]


def test_label_studio_export_with_an_unknown_theme_is_refused(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([{"unit_id": "news/a-s00-000", "themes": "economy", "annotation_id": 1}]), encoding="utf-8")
    with pytest.raises(CorpusError, match=r"bad\.json: task 1: unknown theme\(s\) \['economy'\]"):
        read_export(path)


@pytest.mark.slow
def test_label_studio_round_trip_through_the_installed_command(standoff_corpus, tmp_path):
    """select -> export-labelstudio -> (an annotator in Label Studio) -> import-labelstudio -> merge."""
    corpus, sources, units = standoff_corpus
    env = {**os.environ, "CPPCC_NLP_SOURCES": str(sources)}

    def run(*args):
        return subprocess.run([str(CLI), *args], capture_output=True, text=True, env=env)

    batch, tasks, config = tmp_path / "batch.jsonl", tmp_path / "tasks.json", tmp_path / "config.xml"
    assert run("annotate", "select", "news", "-n", "2", "--corpus", str(corpus), "-o", str(batch)).returncode == 0
    done = run("annotate", "export-labelstudio", str(batch), "-o", str(tasks), "--config", str(config))
    assert done.returncode == 0, done.stderr
    assert config.read_text(encoding="utf-8") == label_config()
    exported = json.loads(tasks.read_text(encoding="utf-8"))
    # what Label Studio gives back: the tasks with one submitted annotation each
    for k, task in enumerate(exported):
        task["id"] = k + 1
        task["annotations"] = [{"id": 100 + k, "was_cancelled": False, "completed_by": 1, "result": [
            {"from_name": "themes", "to_name": "text", "type": "choices", "value": {"choices": ["supervision"] if k == 0 else []}}]}]
    export = tmp_path / "export.json"
    export.write_text(json.dumps(exported, ensure_ascii=False), encoding="utf-8")
    imported = tmp_path / "imported.jsonl"
    assert run("annotate", "import-labelstudio", str(export), "-o", str(imported)).returncode == 0
    merged = run("annotate", "merge", str(imported), "--corpus", str(corpus))
    assert merged.returncode == 0, merged.stderr
    records = {r.id: r for r in load_corpus(corpus, sources=sources)}
    first, second = exported[0]["data"]["unit_id"], exported[1]["data"]["unit_id"]
    assert records[first].labels == ("supervision",) and records[second].labels == ()
    assert records[first].annotator == "labelstudio:1" and records[first].selection == "random"
