import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cppcc_nlp.cli import main

from conftest import ROOT

SEED = str(ROOT / "corpus" / "raw" / "hebei-2019-cppcc-highlights.txt")


def test_read_prints_sections_and_sentence_counts(capsys):
    assert main(["read", SEED]) == 0
    out = capsys.readouterr().out
    assert "14 sections, 194 sentences" in out and "辛集市" in out


def test_read_of_binary_file_is_one_line_error_with_exit_code_3(tmp_path, capsys):
    path = tmp_path / "x.bin"
    path.write_bytes(b"\x00\x01\x02" * 100)
    assert main(["read", str(path)]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "x.bin" in err and "binary" in err


def test_train_writes_model_and_card(tmp_path, seed_corpus_dir, capsys):
    assert main(["train", "--corpus", str(seed_corpus_dir), "--output", str(tmp_path / "m"),
                 "--params", '{"threshold_folds": 0}']) == 0
    assert (tmp_path / "m" / "model.npz").is_file() and (tmp_path / "m" / "model_card.json").is_file()
    assert main(["explain", "--model", str(tmp_path / "m"), "助力脱贫攻坚。"]) == 0
    assert "poverty_alleviation" in capsys.readouterr().out


def test_changed_model_is_refused_with_exit_code_5(tmp_path, capsys):
    shutil.copytree(ROOT / "models" / "default", tmp_path / "changed")
    data = bytearray((tmp_path / "changed" / "model.npz").read_bytes())
    data[100] ^= 1
    (tmp_path / "changed" / "model.npz").write_bytes(bytes(data))
    assert main(["explain", "--model", str(tmp_path / "changed"), "政协"]) == 5
    assert "does not match the card" in capsys.readouterr().err


def test_evaluate_the_cities_of_a_single_report(tmp_path, seed_corpus_dir, capsys):
    out_json = tmp_path / "eval.json"
    assert main(["evaluate", "--corpus", str(seed_corpus_dir), "--quick", "--protocol", "city",
                 "--json", str(out_json)]) == 0
    assert "Leave one city out" in capsys.readouterr().out
    payload = json.loads(out_json.read_text(encoding="utf-8"))
    assert set(payload["protocols"]) == {"city"}


def test_explain_prints_terms(capsys):
    assert main(["explain", "开展民主监督，跟踪督办重点提案。"]) == 0
    out = capsys.readouterr().out
    assert "supervision" in out and "监督" in out


def test_installed_console_script_runs():
    script = shutil.which("cppcc-nlp", path=str(Path(sys.executable).parent))
    assert script, "the cppcc-nlp console script is not installed"
    result = subprocess.run([script, "read", SEED], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "194 sentences" in result.stdout


def test_the_command_line_offers_what_each_registry_holds():
    from cppcc_nlp.annotate.select import STRATEGIES
    from cppcc_nlp.batch import BACKENDS
    from cppcc_nlp.cli import build_parser, options
    from cppcc_nlp.corpus.records import SELECTIONS
    from cppcc_nlp.plots import PLOT_KINDS
    from cppcc_nlp.records import MEASURES
    from cppcc_nlp.evaluation.splits import PROTOCOLS
    from cppcc_nlp.shares import METHODS

    assert options.PROTOCOL_CHOICES == PROTOCOLS and options.SHARE_METHOD_CHOICES == METHODS
    assert options.BATCH_BACKEND_CHOICES == BACKENDS and set(STRATEGIES) <= set(SELECTIONS)
    assert options.MEASURE_CHOICES == MEASURES
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    choices = {(name, a.dest): a.choices for name, p in commands.items() for a in p._actions if a.choices}
    assert tuple(choices["profile", "measure"]) == MEASURES and tuple(choices["profile", "plot_kind"]) == PLOT_KINDS
    assert tuple(choices["profile", "shares"]) == tuple(choices["report", "shares"]) == METHODS
    assert tuple(choices["evaluate", "protocol"]) == PROTOCOLS and tuple(choices["label", "backend"]) == BACKENDS
