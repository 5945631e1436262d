"""The source distribution: licence, corpus, notebooks and the model, built as a user would build it."""

import importlib
import subprocess
import sys
import tarfile

import pytest

from conftest import ROOT, source_copy



@pytest.fixture(scope="module")
def sdist(tmp_path_factory):
    """Build the sdist with ``python -m build --sdist`` (the test extra installs build and setuptools>=77)."""
    importlib.import_module("build")
    out = tmp_path_factory.mktemp("dist")
    tree = source_copy(tmp_path_factory.mktemp("tree") / "cppcc_nlp")
    result = subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir", str(out), str(tree)],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    (archive,) = out.glob("cppcc_nlp-*.tar.gz")
    with tarfile.open(archive) as tar:
        names = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
        pkg_info = tar.extractfile(next(n for n in tar.getnames() if n.count("/") == 1 and n.endswith("/PKG-INFO")))
        return {"names": names, "pkg_info": pkg_info.read().decode("utf-8"), "log": result.stdout + result.stderr}


def test_sdist_holds_the_licence_corpus_notebooks_and_model(sdist):
    names = sdist["names"]
    tracked = subprocess.run(["git", "ls-files", "corpus", "notebooks"], cwd=ROOT, capture_output=True, text=True)
    expected = set(tracked.stdout.split()) or {"corpus/CODEBOOK.md", "corpus/sources.json"}
    assert {"LICENSE", "README.md", "pyproject.toml"} <= names
    assert expected <= names, sorted(expected - names)
    assert {"models/default/model_card.json", "cppcc_nlp/data/default_model.sha256"} <= names
    assert {f"cppcc_nlp/data/report_page.{kind}" for kind in ("html", "css", "js")} <= names  # the HTML report's page
    assert any(n.startswith("notebooks/") and n.endswith(".ipynb") for n in names)
    assert any(n.startswith("corpus/labels/") and n.endswith(".jsonl") for n in names)


def test_licence_is_an_spdx_expression_with_its_file(sdist):
    assert "License-Expression: MIT" in sdist["pkg_info"]
    assert "License-File: LICENSE" in sdist["pkg_info"]
    assert "deprecated" not in sdist["log"].lower() and "absent from the `packages`" not in sdist["log"]
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert licence.startswith("MIT License") and "Copyright (c) the cppcc_nlp authors" in licence
