"""Figures in the README that come from measurements or files agree with them, so they cannot go stale unseen."""

from __future__ import annotations

import json
import re

from conftest import EXTERNAL, ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
CARD = json.loads((ROOT / "models" / "default" / "model_card.json").read_text(encoding="utf-8"))
RESULTS = ROOT / "benchmarks" / "results"


def number(text: str) -> float:
    return float(text.replace(",", ""))


def test_the_classify_example_shows_the_shipped_models_scores():
    from cppcc_nlp import classify

    line = re.search(r"^# Prediction\(text=\.\.\., labels=\((.*?)\), scores=\{(.*)\}\)$", README, re.M)
    assert line, "the classify example's output line is gone"
    shown = {theme: float(value) for theme, value in re.findall(r"'(\w+)': ([\d.]+)", line.group(2))}
    prediction = classify("开展民主监督，跟踪督办重点提案。")
    assert line.group(1) == repr(prediction.labels)[1:-1]
    assert shown and all(prediction.scores[theme] == value for theme, value in shown.items()), prediction.scores


def test_the_count_of_external_texts_is_the_archives():
    said = re.search(r"on all ([\d,]+) texts \(([\d.]+) M characters\) of\s+`\.\./shared/external`", README)
    assert said, "the sentence on the external texts is gone"
    texts = characters = 0
    for path in sorted(EXTERNAL.glob("*/*.jsonl")):  # what tests/test_segment.py segments with both tokenizers
        for line in path.read_text(encoding="utf-8").splitlines():
            texts += 1
            characters += len(json.loads(line)["text"])
    assert (number(said.group(1)), number(said.group(2))) == (texts, round(characters / 1e6, 2))


def test_the_shipped_model_keeps_the_held_out_predictions_the_readme_says_it_has():
    from cppcc_nlp.api import default_engine

    said = re.search(r"The shipped model keeps the out-of-fold predictions of all\s+its ([\d,]+) training units", README)
    assert said and "gets its held-out predictions when it is next" not in README
    probabilities, labels = default_engine().heldout
    assert number(said.group(1)) == len(probabilities) == len(labels) == CARD["training_units"]


def test_the_library_versions_of_byte_identical_training_are_the_cards():
    said = re.search(r"The shipped model was trained with\s+scikit-learn ([\d.]+) and numpy ([\d.]+)", README)
    assert said, "the sentence on the shipped model's library versions is gone"
    assert (said.group(1), said.group(2)) == (CARD["versions"]["scikit-learn"], CARD["versions"]["numpy"])


def test_the_notebook_times_are_the_measured_ones():
    measured = json.loads((RESULTS / "notebook_times.json").read_text(encoding="utf-8"))
    said = re.search(r"in a fresh kernel by `tests/test_notebooks.py`: (.*?) on\s+a (\d+)-core machine", README, re.S)
    assert said, "the sentence with the notebook times is gone"
    shown = dict(re.findall(r"(\d\d) ([\d.]+) s", said.group(1)))
    expected = {name[:2]: f"{entry['median_seconds']:g}" for name, entry in measured["notebooks"].items()}
    assert shown == expected and int(said.group(2)) == measured["cores"]


def test_the_local_learning_curve_and_its_extension_are_the_measured_ones(monkeypatch):
    import importlib.util
    import os
    import sys

    # the benchmark script sets its sources' folder and its import path when loaded: undone after the test
    monkeypatch.setenv("CPPCC_NLP_SOURCES", os.environ.get("CPPCC_NLP_SOURCES", str(EXTERNAL)))
    monkeypatch.setattr(sys, "path", list(sys.path))

    curve = json.loads((RESULTS / "local_genre-curve.json").read_text(encoding="utf-8"))
    saved = json.loads((RESULTS / "local_genre-reach.json").read_text(encoding="utf-8"))
    spec = importlib.util.spec_from_file_location("local_genre", ROOT / "benchmarks" / "local_genre.py")
    assert spec and spec.loader
    local_genre = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(local_genre)
    assert local_genre.reach(curve) == saved  # the saved extension is the one the saved curve gives

    row = re.search(r"^\| micro-F1 \[95 % CI\] \| (0\.617.*)\|$", README, re.M)
    assert row, "the local learning curve's row is gone"
    assert re.findall(r"(0\.\d{3}) \[", row.group(1)) == [f"{r['micro_f1']:.3f}" for r in curve["learning_curve"]]
    said = re.search(r"reach 0\.88 at about ([\d,]+) local units fitted on all four\s+points, or ([\d,]+) on the last "
                     r"three: six to ten times the ([\d,]+)", README)
    assert said, "the sentence on extending the local learning curve is gone"
    fits = saved["fits"]
    assert [number(x) for x in said.groups()] == [fits["all points"]["units_to_reach"]["0.88"],
                                                  fits["last three points"]["units_to_reach"]["0.88"],
                                                  saved["largest_measured"]]


def test_the_evaluation_tables_are_the_measured_ones():
    evaluation = json.loads((RESULTS / "evaluation.json").read_text(encoding="utf-8"))["protocols"]
    rows = dict(re.findall(r"^\| (.+?) \| [\d,]+ \| [\d,]+ \| \*\*(0\.\d{3})\*\* \[[^]]+\] \| 0\.\d{3} \| 0\.\d{3} \| 0\.\d{3} \|$",
                           README, re.M))
    expected = {"leave one source out (all six pooled)": evaluation["source"]["all"],
                "— local pages held out": evaluation["source"]["local-cppcc-web"],
                "— xwlb-cppcc held out": evaluation["source"]["xwlb-cppcc"],
                "leave one city out (seed report)": evaluation["city"]["all"],
                "held-out hosts, local pages": evaluation["host"]["all"]}
    for label, measured in expected.items():
        assert number(rows[label]) == measured["model"]["micro_f1"], label

    calibration = json.loads((RESULTS / "calibration.json").read_text(encoding="utf-8"))
    said = re.search(r"leave one source out, test half, ([\d,]+) units; `benchmarks/results/reliability\.png`", README)
    assert said and number(said.group(1)) == next(iter(calibration.values()))["units"]
    for theme, figures in calibration.items():
        shown = re.search(rf"^\| {theme} \| (0\.\d{{3}}) \| (0\.\d{{3}}) \| 0\.\d{{3}} \| 0\.\d{{3}} \|$", README, re.M)
        assert shown and (number(shown.group(1)), number(shown.group(2))) == (
            round(figures["before"]["ece"], 3), round(figures["after"]["ece"], 3)), theme

    curve = json.loads((RESULTS / "learning_curve.json").read_text(encoding="utf-8"))
    full = re.search(r"^\| 100 % \| (0\.\d{3}) \| (0\.\d{3}) \(", README, re.M)
    pooled, local = (next(r["micro_f1"] for r in curve if r["fraction"] == 1.0 and r["source"] == source)
                     for source in ("all", "local-cppcc-web"))
    assert full and (number(full.group(1)), number(full.group(2))) == (pooled, local)


def test_the_share_estimate_table_is_the_measured_one():
    measured = json.loads((RESULTS / "share_estimates.json").read_text(encoding="utf-8"))
    said = re.search(r"^\| (\d+) groups \(city, year, document; at least 5 units\) \| count \| (0\.\d{3}) \|.*?\n"
                     r"(?:.*\n){2}\|  \| adjusted-probability \| (0\.\d{3}) .*?\n"
                     r"\| (\d+) whole sources .*? \| count \| (0\.\d{3}) \|.*?\n(?:.*\n){2}"
                     r"\|  \| adjusted-probability \| (0\.\d{3}) ", README, re.M)
    assert said, "the share estimates' table is gone"
    test, whole = measured["test"], measured["test, whole sources"]
    best = "adjusted-probability (all training units)"
    assert [number(x) for x in said.groups()] == [
        test["groups"], round(test["methods"]["count"]["mae"], 3), round(test["methods"][best]["mae"], 3),
        whole["groups"], round(whole["methods"]["count"]["mae"], 3), round(whole["methods"][best]["mae"], 3)]
