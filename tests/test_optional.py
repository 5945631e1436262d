"""A missing optional dependency: one line naming the extra to install, exit code 9, never a traceback."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cppcc_nlp.cli import main
from cppcc_nlp.errors import CppccNlpError, MissingDependencyError
from cppcc_nlp.optional import require

from conftest import ROOT

SEED = str(ROOT / "corpus" / "raw" / "hebei-2019-cppcc-highlights.txt")


def block(monkeypatch, *names):
    """Make ``import name`` fail in this process, as if the package were not installed."""
    for name in names:
        monkeypatch.setitem(sys.modules, name, None)


def test_require_returns_the_module_when_installed():
    assert require("json", "anything") is sys.modules["json"]


@pytest.mark.parametrize("module, extra", [("pandas", "research"), ("matplotlib.figure", "research"),
                                           ("pyarrow", "batch"), ("distributed", "cluster")])
def test_missing_module_raises_an_error_naming_the_extra(monkeypatch, module, extra):
    block(monkeypatch, module.partition(".")[0], module)
    with pytest.raises(MissingDependencyError) as caught:
        require(module, "this feature")
    message = str(caught.value)
    assert message == (f"this feature needs {module.partition('.')[0]}, which is not installed: "
                       f'pip install "cppcc_nlp[{extra}]"')
    assert caught.value.exit_code == 9
    assert isinstance(caught.value, CppccNlpError) and isinstance(caught.value, ImportError)


def test_to_dataframe_without_pandas_names_the_research_extra(monkeypatch):
    from cppcc_nlp.api import LabelledReport
    from cppcc_nlp.reader import parse_report

    labelled = LabelledReport(parse_report("成立功能型党支部。"), predictions=(), themes=())
    block(monkeypatch, "pandas")
    with pytest.raises(MissingDependencyError, match=r'to_dataframe\(\) needs pandas.*cppcc_nlp\[research\]'):
        labelled.to_dataframe()


def test_plot_without_matplotlib_names_the_research_extra(monkeypatch):
    from cppcc_nlp.plots import plot_profiles

    block(monkeypatch, "matplotlib", "matplotlib.figure", "matplotlib.font_manager")
    rows = [{"doc": "d", "section": "石家庄市", "party_building": 0.5}]
    with pytest.raises(MissingDependencyError, match=r"needs matplotlib.*cppcc_nlp\[research\]"):
        plot_profiles(rows)


def one_line_error(capsys, extra):
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert f'pip install "cppcc_nlp[{extra}]"' in err
    return err


def test_profile_plot_without_matplotlib_exits_9_before_labelling(monkeypatch, tmp_path, capsys):
    block(monkeypatch, "matplotlib")
    assert main(["profile", SEED, "--plot", str(tmp_path / "heat.png")]) == 9
    assert "--plot needs matplotlib" in one_line_error(capsys, "research")
    assert not (tmp_path / "heat.png").exists()


def test_label_to_parquet_without_pyarrow_exits_9_and_writes_nothing(monkeypatch, tmp_path, capsys):
    block(monkeypatch, "pyarrow")
    assert main(["label", SEED, "-o", str(tmp_path / "labels.parquet"), "-q"]) == 9
    assert "needs pyarrow" in one_line_error(capsys, "batch")
    assert list(tmp_path.iterdir()) == []


def test_label_with_dask_backend_without_distributed_exits_9(monkeypatch, tmp_path, capsys):
    block(monkeypatch, "distributed")
    code = main(["label", SEED, "-o", str(tmp_path / "l.jsonl"), "--backend", "dask", "--scheduler", "tcp://127.0.0.1:9"])
    assert code == 9
    assert "--backend dask needs distributed" in one_line_error(capsys, "cluster")
    assert list(tmp_path.iterdir()) == []


SITECUSTOMIZE = """\
import os, sys
for name in filter(None, os.environ.get("CPPCC_TEST_BLOCK", "").split(",")):
    sys.modules[name] = None  # import name now raises ImportError, as if it were not installed
"""


@pytest.mark.parametrize("blocked, args, extra", [
    ("matplotlib", ["profile", SEED, "--plot", "heat.png"], "research"),
    ("pyarrow", ["label", SEED, "-o", "labels.parquet"], "batch"),
    ("distributed", ["label", SEED, "-o", "l.jsonl", "--backend", "dask", "--scheduler", "tcp://127.0.0.1:9"], "cluster"),
])
def test_console_script_without_an_optional_dependency_prints_one_line_and_exits_9(tmp_path, blocked, args, extra):
    script = shutil.which("cppcc-nlp", path=str(Path(sys.executable).parent))
    assert script, "the cppcc-nlp console script is not installed"
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    work = tmp_path / "work"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site), "CPPCC_TEST_BLOCK": blocked}
    result = subprocess.run([script, *args], cwd=work, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 9, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    assert f"needs {blocked}" in result.stderr and f'pip install "cppcc_nlp[{extra}]"' in result.stderr
    assert list(work.iterdir()) == []
