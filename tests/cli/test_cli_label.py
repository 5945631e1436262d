"""`cppcc-nlp label`: the installed console script, stdin, exit codes, a killed run resumed, Dask."""

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cppcc_nlp.api import default_model
from cppcc_nlp.api import as_engine
from cppcc_nlp.batch import COMMIT_SECONDS, label_files
from cppcc_nlp.cli import main
from cppcc_nlp.reader import parse_report

from conftest import ROOT

SEED = ROOT / "corpus" / "raw" / "hebei-2019-cppcc-highlights.txt"
SCRIPT = shutil.which("cppcc-nlp") or str(Path(sys.executable).with_name("cppcc-nlp"))


@pytest.fixture(scope="module")
def spec():
    return as_engine(default_model())


def sections() -> list[str]:
    report = parse_report(SEED.read_text(encoding="utf-8"))
    return ["\n".join(p.text for p in section.paragraphs) for section in report.sections]


def run(*args, stdin: bytes | None = None, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([SCRIPT, *map(str, args)], input=stdin, capture_output=True, cwd=cwd, timeout=120)


def test_console_script_labels_a_directory_and_reports_bad_files(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(sections()[1], encoding="utf-8")
    (folder / "b.txt").write_bytes(sections()[2].encode("gb18030"))
    (folder / "c.txt").write_bytes(b"\x00\x01\x02\x03" * 25)  # control bytes: no encoding makes them text
    proc = run("label", folder, "-o", tmp_path / "out.csv", "--profiles", tmp_path / "p.jsonl")
    err = proc.stderr.decode("utf-8")
    assert proc.returncode == 6, err
    assert "c.txt" in err and "binary" in err and "labelled 2 document(s)" in err
    assert "\r" not in err  # stderr is not a terminal: no progress bar
    assert (tmp_path / "out.csv").read_text(encoding="utf-8").startswith("doc,section,section_index,")
    errors = [json.loads(line) for line in (tmp_path / "out.errors.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [Path(e["source"]).name for e in errors] == ["c.txt"]
    assert {json.loads(line)["doc"] for line in (tmp_path / "p.jsonl").read_text(encoding="utf-8").splitlines()} == {"a", "b"}


def test_console_script_labels_a_single_file_with_two_jobs(tmp_path):
    # one batch: the main thread took it back while the starter thread still imported loky (import deadlock)
    (tmp_path / "one.txt").write_text(sections()[1], encoding="utf-8")
    proc = run("label", tmp_path / "one.txt", "-o", tmp_path / "j2.jsonl", "--jobs", "2", "-q")
    assert proc.returncode == 0, proc.stderr
    assert run("label", tmp_path / "one.txt", "-o", tmp_path / "j1.jsonl", "-q").returncode == 0
    assert (tmp_path / "j2.jsonl").read_bytes() == (tmp_path / "j1.jsonl").read_bytes()


def test_console_script_reads_plain_text_and_jsonl_from_stdin(tmp_path):
    proc = run("label", "-", stdin=sections()[3].encode("gb18030"))
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in proc.stdout.decode("utf-8").splitlines()]
    assert records and {r["doc"] for r in records} == {"stdin"}
    assert "".join(r["text"] for r in records).startswith(sections()[3].splitlines()[0][:10])

    lines = [json.dumps({"key": f"k{i}", "content": t}, ensure_ascii=False) for i, t in enumerate(sections()[4:6])]
    proc = run("label", "-", "--text-field", "content", "--id-field", "key", "-o", tmp_path / "o.jsonl", "-q",
               stdin=("\n".join(lines) + "\n").encode("utf-8"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == b""
    docs = [json.loads(line)["doc"] for line in (tmp_path / "o.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sorted(set(docs)) == ["k0", "k1"]


def test_usage_errors_have_exit_code_2_and_missing_input_3(tmp_path, capsys):
    assert main(["label", str(SEED), "--resume"]) == 2
    assert main(["label", str(SEED), "--backend", "dask", "-o", str(tmp_path / "o.jsonl")]) == 2
    assert main(["label", str(tmp_path / "missing.txt"), "-o", str(tmp_path / "o.jsonl")]) == 3
    assert "missing.txt: no such file or directory" in capsys.readouterr().err


def test_label_help_states_the_commit_interval_that_applies(capsys):
    with pytest.raises(SystemExit):
        main(["label", "--help"])
    assert f"(default: {COMMIT_SECONDS:g})" in " ".join(capsys.readouterr().out.split())


@pytest.mark.slow
def test_a_killed_run_resumed_gives_the_bytes_of_an_uninterrupted_run(tmp_path, spec):
    folder = tmp_path / "archive"
    text = SEED.read_text(encoding="utf-8")
    for i in range(240):
        path = folder / f"{i // 60}" / f"r{i:03d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"第{i}号报告\n{text}", encoding="utf-8")
    reference = tmp_path / "reference.jsonl"
    label_files([folder], reference, model=spec, progress=False)

    out = tmp_path / "out.jsonl"
    journal = Path(f"{out}.journal")
    proc = subprocess.Popen([SCRIPT, "label", str(folder), "-o", str(out), "--batch-size", "4", "--commit-every", "0", "-q"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            state = json.loads(journal.read_text())
        except (OSError, ValueError):
            state = None
        if state and state["files"]["records"][1] > 0:
            break
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    assert not out.exists() and journal.exists()

    proc = run("label", folder, "-o", out, "--resume", "--jobs", "2")
    assert proc.returncode == 0, proc.stderr
    assert "already in the output" in proc.stderr.decode("utf-8")
    assert out.read_bytes() == reference.read_bytes()
    assert (tmp_path / "out.manifest.jsonl").read_bytes() == (tmp_path / "reference.manifest.jsonl").read_bytes()


def test_cli_with_a_local_dask_cluster(tmp_path, capsys):
    from distributed import LocalCluster

    folder = tmp_path / "in"
    folder.mkdir()
    for i, text in enumerate(sections()[:6]):
        (folder / f"s{i}.txt").write_text(text, encoding="utf-8")
    assert main(["label", str(folder), "-o", str(tmp_path / "local.jsonl"), "-q"]) == 0
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        code = main(["label", str(folder), "-o", str(tmp_path / "dask.jsonl"), "-q", "--batch-size", "2",
                     "--backend", "dask", "--scheduler", cluster.scheduler_address])
    assert code == 0
    assert (tmp_path / "dask.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()


def test_progress_bar_when_asked(tmp_path, spec, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(sections()[1], encoding="utf-8")
    label_files([folder], tmp_path / "o.jsonl", model=spec, progress=True)
    err = capsys.readouterr().err
    assert "1/1" in err and "doc" in err and "sentences/s" in err


def test_stdout_records_follow_the_stdout_encoding(tmp_path):
    """Records are UTF-8 bytes inside; standard output in another encoding still gets text in its encoding."""
    import os

    text = sections()[1].encode("utf-8")
    utf8 = subprocess.run([SCRIPT, "label", "-"], input=text, capture_output=True, timeout=120)
    env = {**os.environ, "PYTHONIOENCODING": "gb18030"}
    gbk = subprocess.run([SCRIPT, "label", "-"], input=text, capture_output=True, timeout=120, env=env)
    assert utf8.returncode == gbk.returncode == 0
    assert utf8.stdout and gbk.stdout.decode("gb18030") == utf8.stdout.decode("utf-8")
    assert gbk.stdout != utf8.stdout
