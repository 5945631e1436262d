"""The notebooks are stored without outputs and run top to bottom in a fresh kernel."""

import importlib
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
EXPECTED = ["01_quickstart.ipynb", "02_model_comparison.ipynb", "03_label_your_reports.ipynb",
            "04_themes_over_time.ipynb"]


def test_the_three_notebooks_are_there():
    assert [path.name for path in NOTEBOOKS] == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_notebook_has_no_outputs(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for number, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [], f"{path.name} cell {number} has stored outputs; clear them"
            assert cell["execution_count"] is None, f"{path.name} cell {number} has an execution count"
    assert "widgets" not in notebook["metadata"]


def outputs_of(notebook, kind: str) -> list[str]:
    """Every output of the executed notebook with the MIME type ``kind`` (or stream text for 'stream')."""
    found = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if kind == "stream" and output.get("output_type") == "stream":
                found.append(output["text"])
            elif kind in output.get("data", {}):
                found.append(output["data"][kind])
    return found


@pytest.fixture()
def run_notebook(tmp_path, monkeypatch):
    nbclient = importlib.import_module("nbclient")
    nbformat = importlib.import_module("nbformat")
    # the kernel inherits the environment: keep caches and the trusted-model list out of the user's home
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("MPLBACKEND", "Agg")

    def run(name: str):
        notebook = nbformat.read(ROOT / "notebooks" / name, as_version=4)
        client = nbclient.NotebookClient(
            notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
        )
        client.execute()  # raises CellExecutionError naming the cell on any error
        return notebook

    return run


@pytest.mark.slow
def test_quickstart_notebook_runs(run_notebook):
    notebook = run_notebook("01_quickstart.ipynb")
    assert len(outputs_of(notebook, "image/png")) == 2  # heatmap and bar charts
    pages = "".join(outputs_of(notebook, "text/html"))
    assert "石家庄市" in pages and pages.count('class="cppcc-explanation"') == 4 and "<mark" in pages


@pytest.mark.slow
def test_model_comparison_notebook_runs(run_notebook):
    notebook = run_notebook("02_model_comparison.ipynb")
    text = "".join(outputs_of(notebook, "stream"))
    assert "194 hand-labelled sentences of the seed report" in text  # the small configuration, not the whole corpus
    assert "**micro-F1**" in text  # the per-theme table beside the baselines
    pages = "".join(outputs_of(notebook, "text/html"))
    for name in ("word n-grams", "char n-grams", "word + char (default features)", "keyword baseline"):
        assert name in pages
    assert "misclassified" in pages and "<mark" in pages
    assert len(outputs_of(notebook, "image/png")) == 1  # the learning curve
    prose = "".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    assert "benchmarks/heldout_configs.py" in prose and "cppcc-nlp evaluate" in prose  # where the full comparison is


@pytest.mark.slow
def test_label_your_reports_notebook_runs(run_notebook):
    notebook = run_notebook("03_label_your_reports.ipynb")
    code = "".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    assert "select_batch(" in code and "merge_batch(" in code  # the annotation route, not a label template
    text = "".join(outputs_of(notebook, "stream"))
    assert "failures: ()" in text
    assert "labelled so far: 13 of 14 units" in text  # one sentence left undecided: labels null
    assert "merged 13 units; 1 without labels left out" in text
    assert '"source": "mine"' in text and '"sha256": ' in text and '"text"' not in text  # a stand-off record
    assert "units: 207" in text  # the seed report's 194 sentences plus the 13 decided ones of the example reports
    assert "**micro-F1**" in text  # the evaluation on the held-out sections of the example reports
    pages = "".join(outputs_of(notebook, "text/html"))
    assert "二、委员管理" in pages and "score_party_building" in pages and "retrained" in pages
    assert "suggested" in pages  # the model's probabilities beside labels that start as null
    assert len(outputs_of(notebook, "image/png")) == 1


@pytest.mark.slow
def test_themes_over_time_notebook_estimates_shares_by_year(run_notebook):
    notebook = run_notebook("04_themes_over_time.ipynb")
    text = "".join(outputs_of(notebook, "stream"))
    assert "skipped" not in text  # conftest points CPPCC_NLP_SOURCES at ../shared/external, which holds the archive
    assert "1098 items" in text and "years 2012-2026" in text and "failures: 0" in text
    assert "| 2012 |" in text and "| 2026 |" in text and "method: adjusted; intervals: 95%" in text
    assert len(outputs_of(notebook, "image/png")) == 1  # shares over time, one panel per theme
    prose = "".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    assert "What the picture shows" in prose


@pytest.mark.slow
def test_themes_over_time_notebook_says_it_skips_without_the_archive(run_notebook, tmp_path, monkeypatch):
    monkeypatch.setenv("CPPCC_NLP_SOURCES", str(tmp_path / "no-sources-here"))
    notebook = run_notebook("04_themes_over_time.ipynb")
    text = "".join(outputs_of(notebook, "stream"))
    assert "skipped: the dated news archive cctv-xwlb-cppcc/xwlb_cppcc_items.jsonl is not in" in text
    assert outputs_of(notebook, "image/png") == []
