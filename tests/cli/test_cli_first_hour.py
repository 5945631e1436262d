"""What a new user meets first: --version, --help, where train writes, profile -o -, empty inputs, a clean clone."""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from cppcc_nlp import cli, training
from cppcc_nlp.cli import exits, main
from cppcc_nlp.segment import rjieba_available

from conftest import ROOT

SEED = str(ROOT / "corpus" / "raw" / "hebei-2019-cppcc-highlights.txt")
CARD = ROOT / "models" / "default" / "model_card.json"


def console_script() -> str:
    script = shutil.which("cppcc-nlp", path=str(Path(sys.executable).parent))
    assert script, "the cppcc-nlp console script is not installed"
    return script


def run(*args, cwd=None, env=None):
    return subprocess.run([console_script(), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def digest(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir()) if p.is_file()}


# -- --version ----------------------------------------------------------------------------


def check_version_text(text: str) -> None:
    lines = text.splitlines()
    assert lines[0] == f"cppcc_nlp {metadata.version('cppcc_nlp')}"
    card_sha = hashlib.sha256(CARD.read_bytes()).hexdigest()
    assert f"sha256 {card_sha}" in lines[1]
    assert lines[-1].startswith(f"segmentation: {'rjieba' if rjieba_available() else 'jieba'} ")


def test_version_prints_package_model_hash_and_backend_without_loading_the_model(monkeypatch, capsys):
    from cppcc_nlp import persist

    def refuse(*args, **kwargs):
        raise AssertionError("--version must read the card only, not load the model")

    monkeypatch.setattr(persist, "load_model", refuse)
    monkeypatch.setattr(persist, "load_engine", refuse)
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    check_version_text(capsys.readouterr().out)


def test_version_of_the_console_script_exits_0():
    result = run("--version")
    assert result.returncode == 0, result.stderr
    check_version_text(result.stdout)


def test_version_falls_back_to_jieba_without_rjieba(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "rjieba", None)
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.splitlines()[-1].startswith("segmentation: jieba ")


def test_top_level_help_describes_the_tool_for_a_user(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert cli.DESCRIPTION.split(":")[0] in " ".join(out.split())
    assert "argument parsing" not in out and "--version" in out


# -- train: never into the tracked models/default (the policy: tests/test_training.py) ---------------


def test_train_without_output_writes_a_new_user_directory_and_says_where(seed_corpus_dir, small_model, tmp_path,
                                                                         monkeypatch, capsys):
    shipped = digest(ROOT / "models" / "default")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setattr(training, "train_model", lambda records, params=None, progress=None: small_model)  # the fit is model.py's; here: where
    assert main(["train", "--corpus", str(seed_corpus_dir), "--params", '{"threshold_folds": 0}']) == 0
    written = list((tmp_path / "data" / "cppcc_nlp" / "models").iterdir())
    assert len(written) == 1 and written[0].name.startswith("model-")
    assert (written[0] / "model_card.json").is_file()
    assert f"saved to {written[0]}" in capsys.readouterr().out
    assert digest(ROOT / "models" / "default") == shipped


def test_console_script_train_refuses_the_shipped_model_and_documents_its_default(tmp_path):
    shipped = digest(ROOT / "models" / "default")
    result = run("train", "--output", str(ROOT / "models" / "default"), cwd=tmp_path)
    assert result.returncode == 2 and "cppcc-nlp train: error:" in result.stderr
    assert "--update-shipped-model" in result.stderr
    assert digest(ROOT / "models" / "default") == shipped
    helped = run("train", "--help")
    assert "$XDG_DATA_HOME/cppcc_nlp/models/" in " ".join(helped.stdout.split())
    assert "--update-shipped-model" in helped.stdout


def test_update_shipped_model_and_output_together_is_a_usage_error(capsys):
    assert main(["train", "--update-shipped-model", "--output", "x", "--params", '{"threshold_folds": 0}']) == 2
    assert "leave out --output" in capsys.readouterr().err


def test_update_shipped_model_writes_the_model_and_its_pin(seed_corpus_dir, small_model, tmp_path, monkeypatch,
                                                          capsys):
    clone = tmp_path / "clone"
    (clone / "models" / "default").mkdir(parents=True)
    (clone / "cppcc_nlp" / "data").mkdir(parents=True)
    monkeypatch.setattr(training, "checkout_model_dir", lambda: clone / "models" / "default")
    monkeypatch.setattr(training, "train_model", lambda records, params=None, progress=None: small_model)
    assert main(["train", "--update-shipped-model", "--corpus", str(seed_corpus_dir), "--params", '{"threshold_folds": 0}']) == 0
    card = (clone / "models" / "default" / "model_card.json").read_bytes()
    pin = clone / "cppcc_nlp" / "data" / "default_model.sha256"
    assert pin.read_text(encoding="ascii").strip() == hashlib.sha256(card).hexdigest()
    assert f"replaced the shipped model and its pin {pin}; commit both" in capsys.readouterr().err


# -- profile -o - ---------------------------------------------------------------------------


def test_profile_output_dash_writes_json_lines_to_stdout_only(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["profile", SEED, "-o", "-"]) == 0
    out = capsys.readouterr().out
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 14 and rows[1]["section"] == "石家庄市"
    assert not (tmp_path / "-").exists()


def test_profile_output_dash_of_the_console_script(tmp_path):
    result = run("profile", SEED, "-o", "-", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert [json.loads(line)["doc"] for line in result.stdout.splitlines()][0] == "hebei-2019-cppcc-highlights"
    assert not (tmp_path / "-").exists()


# -- empty inputs ----------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["label", "profile"])
def test_empty_directory_says_so_and_exits_with_nothing_labelled(command, tmp_path, capsys):
    empty = tmp_path / "reports"
    empty.mkdir()
    (empty / "notes.md").write_text("不是报告", encoding="utf-8")
    args = [command, str(empty)] + (["-o", str(tmp_path / "labels.jsonl")] if command == "label" else [])
    assert main(args) == exits.EXIT_NOTHING_LABELLED == 10
    err = capsys.readouterr().err
    assert f"{empty}: no file matches '*.txt'" in err and "nothing labelled" in err
    assert not (tmp_path / "labels.jsonl").exists()


def test_empty_directory_beside_a_report_is_reported_and_the_report_labelled(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["label", str(tmp_path / "empty"), SEED, "-o", str(tmp_path / "l.jsonl"), "-q"]) == 0
    assert "no file matches" in capsys.readouterr().err
    assert (tmp_path / "l.jsonl").stat().st_size > 0


def test_empty_jsonl_file_exits_with_nothing_labelled(tmp_path, capsys):
    (tmp_path / "docs.jsonl").write_text("\n", encoding="utf-8")
    assert main(["label", str(tmp_path / "docs.jsonl"), "-o", str(tmp_path / "l.jsonl"), "-q"]) == 10
    assert "nothing labelled" in capsys.readouterr().err


def test_console_script_on_an_empty_directory_exits_10(tmp_path):
    (tmp_path / "reports").mkdir()
    result = run("label", "reports", "-o", "labels.csv", cwd=tmp_path)
    assert result.returncode == 10 and "no file matches" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reports"]


# -- documentation and a clean clone ------------------------------------------------------


def test_new_exit_codes_are_documented_in_the_cli_and_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for code, words in ((9, "optional dependency is missing"), (10, "nothing labelled")):
        assert re.search(rf"\n\| {code} \| [^\n]*{words}", readme), f"README's exit-code table lacks {code}"
        assert re.search(rf"{code} [^;]*{words}", exits.__doc__), f"cli/exits.py's docstring lacks {code}"


def test_outputs_of_the_readme_main_command_are_ignored_by_git():
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.skip("not a git clone")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = next(line for line in readme.splitlines() if "cppcc-nlp label corpus/raw/" in line)
    labels = re.search(r" -o (\S+)", command).group(1)
    profiles = re.search(r" --profiles (\S+)", command).group(1)
    stem = Path(labels).stem
    written = [labels, profiles, f"{stem}.manifest.jsonl", f"{stem}.errors.jsonl"]
    result = subprocess.run(["git", "check-ignore", *written], cwd=ROOT, capture_output=True, text=True)
    assert sorted(result.stdout.split()) == sorted(written), result.stdout
