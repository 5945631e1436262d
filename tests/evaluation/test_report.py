"""Figures of a protocol's held-out predictions: the Evaluation, `cppcc-nlp evaluate` and their tables."""

import json

from cppcc_nlp.cli import main
from cppcc_nlp.evaluation.report import evaluate_protocol, format_evaluation
from cppcc_nlp.evaluation.splits import PROTOCOL_REGISTRY
from cppcc_nlp.model import ThemeClassifier
from cppcc_nlp.themes import THEME_IDS


def test_evaluation_table_has_model_and_baselines(seed_records):
    result = evaluate_protocol(seed_records, ThemeClassifier(threshold_folds=0), "section", splits=["承德市", "邯郸市"])
    table = result.table()
    assert "micro-F1" in table and "keyword" in table and "majority" in table
    payload = result.to_dict()
    assert payload["protocol"] == "section" and payload["folds"] == ["承德市", "邯郸市"]
    assert set(payload["model"]["per_theme"]) == set(THEME_IDS)


def test_evaluate_protocol_section_on_the_command_line_gives_the_evaluation_figures(seed_corpus_dir, seed_records,
                                                                                   tmp_path, capsys):
    params = {"features": "char", "threshold_folds": 0}
    out = tmp_path / "eval.json"
    assert main(["evaluate", "--corpus", str(seed_corpus_dir), "--protocol", "section", "--params", json.dumps(params),
                 "--json", str(out)]) == 0
    assert PROTOCOL_REGISTRY["section"].title in capsys.readouterr().out
    pooled = json.loads(out.read_text(encoding="utf-8"))["protocols"]["section"]["all"]
    direct = evaluate_protocol(seed_records, ThemeClassifier(**params), "section")
    assert pooled["units"] == direct.n_units == sum(r.section != "导语" for r in seed_records)
    assert (pooled["model"]["micro_f1"], pooled["model"]["macro_f1"]) == (direct.model.micro_f1, direct.model.macro_f1)
    assert pooled["model"]["per_theme"] == direct.model.per_theme
    assert pooled["keyword"]["micro_f1"] == direct.keyword.micro_f1


def test_evaluate_quick_prints_and_writes_the_held_out_figures(tmp_path, capsys):
    out = tmp_path / "eval.json"
    assert main(["evaluate", "--quick", "--protocol", "source", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Leave one source out" in printed and "keyword" in printed and "95 % CI" in printed
    result = json.loads(out.read_text(encoding="utf-8"))
    rows = result["protocols"]["source"]
    assert {"xwlb-cppcc", "gwr-national", "all"} <= set(rows)
    lo, hi = rows["all"]["model"]["interval"]["micro_f1"]
    assert lo <= rows["all"]["model"]["micro_f1"] <= hi
    assert format_evaluation(result).splitlines()[0].startswith("Reported units:")
