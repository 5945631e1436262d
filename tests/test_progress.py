"""Progress bars: on stderr when it is a terminal (label, train, evaluate), never otherwise."""

import fcntl
import io
import os
import pty
import select
import shutil
import struct
import subprocess
import sys
import termios
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator

from cppcc_nlp.progress import NoBar, progress_bar

from conftest import ROOT

SEED = str(ROOT / "corpus" / "raw" / "hebei-2019-cppcc-highlights.txt")


class Terminal(io.StringIO):
    """A captured stderr that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def as_terminal(monkeypatch) -> Terminal:
    """Replace stderr by a Terminal (in the test body: pytest restores its own stderr after fixtures)."""
    stderr = Terminal()
    monkeypatch.setattr(sys, "stderr", stderr)
    return stderr


def test_no_bar_and_no_output_when_stderr_is_not_a_terminal(capsys):
    bar = progress_bar(range(3), desc="x")
    assert isinstance(bar, NoBar) and list(bar) == [0, 1, 2]
    bar.update(1)
    bar.close()
    assert capsys.readouterr().err == ""


def test_bar_on_a_terminal_counts_to_the_total(monkeypatch):
    terminal = as_terminal(monkeypatch)
    bar = progress_bar(total=2, desc="docs", unit="doc")
    bar.update(1)
    bar.update(1)
    bar.close()
    assert "docs" in terminal.getvalue() and "2/2" in terminal.getvalue()


def test_show_overrides_the_terminal_check(monkeypatch):
    as_terminal(monkeypatch)
    assert isinstance(progress_bar(total=1, show=False), NoBar)
    assert not isinstance(progress_bar(total=1, show=True), NoBar)


class ShareOfTraining(BaseEstimator):
    """A stand-in estimator that fits in microseconds: every unit gets the training share of each theme."""

    def fit(self, texts, Y, groups=None):
        self.share_ = np.asarray(Y, dtype=float).mean(axis=0)
        self.thresholds_ = np.full(self.share_.shape, 0.5)
        return self

    def predict_proba(self, texts):
        return np.tile(self.share_, (len(texts), 1))


def test_evaluate_protocol_shows_a_bar_over_folds_on_a_terminal_only(seed_records, monkeypatch):
    from cppcc_nlp.evaluation.report import evaluate_protocol
    from cppcc_nlp.evaluation.splits import make_splits

    terminal = as_terminal(monkeypatch)
    folds = [split.name for split in make_splits(seed_records, "section")[:3]]
    evaluate_protocol(seed_records, ShareOfTraining(), "section", splits=folds, progress=None)
    assert "folds" in terminal.getvalue() and "3/3" in terminal.getvalue()
    quiet = io.StringIO()
    monkeypatch.setattr(sys, "stderr", quiet)
    evaluate_protocol(seed_records, ShareOfTraining(), "section", splits=folds, progress=None)
    assert quiet.getvalue() == ""


def test_evaluate_command_counts_its_folds_on_a_terminal(seed_corpus_dir, monkeypatch, capsys):
    from cppcc_nlp.evaluation import report
    from cppcc_nlp.cli import main

    def three_folds(records, params, protocols, progress=None, **options):  # the fits are tests/evaluation's
        for _ in range(3):
            progress()
        return {}

    monkeypatch.setattr(report, "heldout_evaluation", three_folds)
    monkeypatch.setattr(report, "format_evaluation", lambda result: "table")
    terminal = as_terminal(monkeypatch)
    assert main(["evaluate", "--corpus", str(seed_corpus_dir)]) == 0
    assert "3fold" in terminal.getvalue()
    quiet = io.StringIO()
    monkeypatch.setattr(sys, "stderr", quiet)
    assert main(["evaluate", "--corpus", str(seed_corpus_dir)]) == 0
    assert quiet.getvalue() == ""


def test_train_command_shows_its_fit_bar_on_a_terminal(seed_corpus_dir, small_model, tmp_path, monkeypatch):
    from cppcc_nlp import training
    from cppcc_nlp.cli import main

    terminal = as_terminal(monkeypatch)

    def two_folds_and_a_fit(records, params=None, progress=None):
        for _ in range(3):
            progress()
        return small_model

    monkeypatch.setattr(training, "train_model", two_folds_and_a_fit)
    assert main(["train", "--corpus", str(seed_corpus_dir), "--output", str(tmp_path / "m"),
                 "--params", '{"threshold_folds": 2}']) == 0
    assert "3/3" in terminal.getvalue()


def run_on_terminal(args, cwd, columns=100):
    """Run a command with stderr on a pseudo-terminal of ``columns`` (0: one that reports 0 x 0, as under
    ``script -q -c``); return (exit code, what it drew)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24 if columns else 0, columns, 0, 0))
    process = subprocess.Popen(args, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    drawn = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the other side closed
            break
        if not chunk:
            break
        drawn += chunk
    os.close(master)
    return process.wait(timeout=120), drawn.decode("utf-8", "replace")


def test_label_console_script_draws_a_bar_on_a_terminal_and_none_into_a_pipe(tmp_path):
    script = shutil.which("cppcc-nlp", path=str(Path(sys.executable).parent))
    assert script, "the cppcc-nlp console script is not installed"
    code, drawn = run_on_terminal([script, "label", SEED, "-o", "a.jsonl"], tmp_path)
    assert code == 0 and "1/1" in drawn and "doc" in drawn, drawn
    piped = subprocess.run([script, "label", SEED, "-o", "b.jsonl"], cwd=tmp_path, capture_output=True, text=True,
                           timeout=120)
    assert piped.returncode == 0 and "1/1" not in piped.stderr and "%|" not in piped.stderr
    assert piped.stderr.startswith("labelled 1 document(s)")


def test_a_bar_is_drawn_on_a_pseudo_terminal_that_reports_size_zero(monkeypatch):
    master, slave = pty.openpty()  # a new pseudo-terminal reports 0 x 0 until someone sets its size
    try:
        with os.fdopen(os.dup(slave), "w", encoding="utf-8") as stderr:
            monkeypatch.setattr(sys, "stderr", stderr)
            assert os.get_terminal_size(stderr.fileno()).columns == 0
            bar = progress_bar(total=2, desc="docs", unit="doc")
            bar.update(2)
            bar.close()
        monkeypatch.undo()
        drawn = b""
        while select.select([master], [], [], 1.0)[0]:  # the pty hands the writes over in pieces
            chunk = os.read(master, 65536)
            if not chunk:
                break
            drawn += chunk
        drawn = drawn.decode("utf-8", "replace")
    finally:
        os.close(slave)
        os.close(master)
    assert "docs" in drawn and "2/2" in drawn and "100%|" in drawn, drawn


def test_annotate_select_shows_a_bar_over_the_documents_on_a_terminal(tmp_path, monkeypatch):
    import json as _json

    from cppcc_nlp.cli import main

    corpus, sources = tmp_path / "corpus", tmp_path / "copies"
    (corpus / "labels").mkdir(parents=True)
    (corpus / "sources.json").write_text(_json.dumps({"sources": [{"name": "news", "path": "n.jsonl", "doc_id": "id"}]}),
                                         encoding="utf-8")
    sources.mkdir()
    (sources / "n.jsonl").write_text("".join(_json.dumps({"id": f"d{i}", "text": "政协召开协商会。委员发言。"},
                                                         ensure_ascii=False) + "\n" for i in range(3)), encoding="utf-8")
    terminal = as_terminal(monkeypatch)
    assert main(["annotate", "select", "news", "-n", "2", "--corpus", str(corpus), "--sources", str(sources),
                 "-o", str(tmp_path / "b.jsonl")]) == 0
    assert "3doc" in terminal.getvalue().replace(" ", "")
    quiet = io.StringIO()
    monkeypatch.setattr(sys, "stderr", quiet)
    assert main(["annotate", "select", "news", "-n", "2", "--corpus", str(corpus), "--sources", str(sources),
                 "-o", str(tmp_path / "c.jsonl")]) == 0
    assert "doc/s" not in quiet.getvalue()
