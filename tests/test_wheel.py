"""Installed from a wheel, used from another directory: the corpus, codebook and model come with it."""

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from conftest import EXTERNAL, ROOT, source_copy

# builds in the source tree (build/, *.egg-info): one worker at a time


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The package built as a wheel and installed into a directory of its own (dependencies from this venv)."""
    work = tmp_path_factory.mktemp("wheel")
    tree = source_copy(work / "tree")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(work / "dist"), str(tree)],
        capture_output=True, text=True,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    [wheel] = (work / "dist").glob("cppcc_nlp-*.whl")
    target = work / "site"
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(target), str(wheel)],
                             capture_output=True, text=True)
    assert install.returncode == 0, install.stderr[-2000:]
    elsewhere = work / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), sysconfig.get_paths()["purelib"]]),
           "CPPCC_NLP_SOURCES": str(EXTERNAL), "XDG_DATA_HOME": str(work / "data"), "XDG_CACHE_HOME": str(work / "cache")}
    return target, elsewhere, env


def run(installed, *args, env=None):
    target, elsewhere, base = installed
    return subprocess.run([sys.executable, "-m", "cppcc_nlp.cli", *args], cwd=elsewhere, capture_output=True,
                          text=True, env={**base, **(env or {})})


def test_the_wheel_holds_the_corpus_codebook_and_model(installed):
    target, _, _ = installed
    package = target / "cppcc_nlp"
    assert (package / "corpus_data" / "CODEBOOK.md").is_file()
    assert (package / "corpus_data" / "labels" / "xwlb-cppcc.jsonl").is_file()
    assert (package / "corpus_data" / "raw" / "hebei-2019-cppcc-highlights.txt").is_file()
    assert (package / "default_model" / "model.npz").is_file()
    assert not list(target.rglob("*.joblib"))


def test_corpus_stats_from_another_directory(installed, records):
    done = run(installed, "corpus", "stats")
    assert done.returncode == 0, done.stderr
    assert f"units: {len(records)} " in done.stdout and "inter-annotator agreement, local-cppcc-web" in done.stdout
    code = "import cppcc_nlp.corpus as c; print(c.default_corpus_dir())"
    where = subprocess.run([sys.executable, "-c", code], cwd=installed[1], capture_output=True, text=True, env=installed[2])
    assert where.stdout.strip().startswith(str(installed[0]))


@pytest.mark.slow
def test_train_and_evaluate_from_another_directory(installed, tmp_path):
    # the seed report alone (no external copies): fast, and still the shipped corpus
    fast = {"CPPCC_NLP_SOURCES": str(tmp_path / "none")}
    trained = run(installed, "train", "--skip-missing-sources", "--output", str(tmp_path / "m"),
                  "--params", '{"threshold_folds": 0}', env=fast)
    assert trained.returncode == 0, trained.stderr
    assert (tmp_path / "m" / "model.npz").is_file()
    evaluated = run(installed, "evaluate", "--skip-missing-sources", "--quick", "--protocol", "city", env=fast)
    assert evaluated.returncode == 0, evaluated.stderr
    assert "Leave one city out" in evaluated.stdout
    labelled = run(installed, "explain", "--model", str(tmp_path / "m"), "开展民主监督，跟踪督办重点提案。")
    assert labelled.returncode == 0 and "supervision" in labelled.stdout


def test_report_page_from_another_directory(installed, tmp_path):
    # the page's template, style and script are package data
    seed = installed[0] / "cppcc_nlp" / "corpus_data" / "raw" / "hebei-2019-cppcc-highlights.txt"
    done = run(installed, "report", str(seed), "-o", str(tmp_path / "page.html"), "--no-explain")
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "page.html").read_text(encoding="utf-8")
    assert "hebei-2019-cppcc-highlights" in page and "window.cppccReport" in page and "{{" not in page


def test_merge_into_the_installed_package_is_refused_with_a_pointer_to_corpus_init(installed, tmp_path):
    target = installed[0]
    batch = tmp_path / "batch.jsonl"
    batch.write_text('{"id": "xwlb-cppcc/x-s00-000", "labels": [], "annotator": "me", "selection": "random"}\n',
                     encoding="utf-8")
    before = sorted(p.stat().st_mtime_ns for p in (target / "cppcc_nlp" / "corpus_data" / "labels").iterdir())
    done = run(installed, "annotate", "merge", str(batch))
    assert done.returncode == 2, done.stderr
    assert "shipped inside the installed package" in done.stderr and "cppcc-nlp corpus init DIR" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    after = sorted(p.stat().st_mtime_ns for p in (target / "cppcc_nlp" / "corpus_data" / "labels").iterdir())
    assert before == after
    made = run(installed, "corpus", "init", str(tmp_path / "mine"))
    assert made.returncode == 0 and (tmp_path / "mine" / "codebook.toml").is_file()


def test_corpus_stats_of_the_installed_package_without_source_copies(installed, tmp_path):
    done = run(installed, "corpus", "stats", env={"CPPCC_NLP_SOURCES": str(tmp_path / "none")})
    assert done.returncode == 0, done.stderr
    units = sum(1 for path in (ROOT / "corpus" / "labels").glob("*.jsonl") for line in path.open() if line.strip())
    assert f"units: {units} " in done.stdout and "not checked against their sources" in done.stderr
