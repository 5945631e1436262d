"""Bad command lines end before any work: FIFOs and dangling links, outputs that are inputs, impossible options."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cppcc_nlp.cli import main

from conftest import ROOT, mount_tmpfs, unmount_tmpfs

SEED = ROOT / "corpus" / "raw" / "hebei-2019-cppcc-highlights.txt"
CLI = shutil.which("cppcc-nlp", path=str(Path(sys.executable).parent))


def test_a_fifo_named_on_the_command_line_is_refused_without_blocking(tmp_path, capsys):
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    assert main(["label", str(fifo), "-o", str(tmp_path / "out.jsonl")]) == 3  # would block for good if opened
    err = capsys.readouterr().err
    assert "pipe.txt" in err and "a FIFO, not a report file" in err
    assert not (tmp_path / "out.jsonl").exists()


def test_a_dangling_link_on_the_command_line_is_named(tmp_path, capsys):
    link = tmp_path / "gone.txt"
    link.symlink_to(tmp_path / "nowhere.txt")
    assert main(["label", str(link), "-o", str(tmp_path / "out.jsonl")]) == 3
    err = capsys.readouterr().err
    assert "gone.txt" in err and "a symbolic link to nothing" in err


def test_an_output_that_is_an_input_is_refused_before_reading(tmp_path, capsys):
    report = tmp_path / "report.txt"
    shutil.copy(SEED, report)
    before = report.read_bytes()
    assert main(["label", str(report), "-o", str(report)]) == 2
    assert "-o is also an input" in capsys.readouterr().err
    assert report.read_bytes() == before


def test_profiles_and_output_on_one_file_are_refused(tmp_path, capsys):
    out = tmp_path / "out.csv"
    assert main(["label", str(SEED), "-o", str(out), "--profiles", str(out)]) == 2
    assert "-o and --profiles name the same file" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("value", ["nan", "inf", "-1"])
def test_commit_every_must_be_a_finite_non_negative_number(tmp_path, value, capsys):
    assert main(["label", str(SEED), "-o", str(tmp_path / "o.jsonl"), "--commit-every", value]) == 2
    assert "--commit-every takes a finite number of seconds" in capsys.readouterr().err


def test_the_console_script_refuses_a_fifo_in_one_line(tmp_path):
    assert CLI, "the cppcc-nlp console script is not installed beside this Python"
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    done = subprocess.run([CLI, "label", str(fifo), "-q"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 3
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_csv_cells_that_would_run_as_formulas_get_an_apostrophe_and_jsonl_stays_exact(tmp_path):
    import csv
    import json

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "=HYPERLINK.txt").write_text("=HYPERLINK(\"http://x\")，政协召开协商会。\n@SUM(1)委员发言。\n+1 委员提出建议。\n",
                                           encoding="utf-8")
    assert main(["label", str(folder), "-o", str(tmp_path / "out.csv"), "-q"]) == 0
    assert main(["label", str(folder), "-o", str(tmp_path / "out.jsonl"), "-q"]) == 0
    rows = list(csv.DictReader((tmp_path / "out.csv").open(encoding="utf-8", newline="")))
    records = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["text"] for r in rows] == ["'" + r["text"] if r["text"][0] in "=+-@" else r["text"] for r in records]
    assert rows[0]["doc"] == "'=HYPERLINK" and records[0]["doc"] == "=HYPERLINK"
    assert records[0]["text"].startswith("=HYPERLINK") and rows[0]["text"].startswith("'=HYPERLINK")
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row.values())


def test_links_and_fifos_inside_a_directory_are_reported_not_followed(tmp_path, capsys):
    import json

    secret = tmp_path / "secret.txt"
    secret.write_text("机密：不应出现在输出中。", encoding="utf-8")
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(SEED, folder / "report.txt")
    (folder / "link.txt").symlink_to(secret)
    (folder / "dangling.txt").symlink_to(tmp_path / "nowhere.txt")
    (folder / "sub" / "linked-dir").symlink_to(tmp_path, target_is_directory=True)
    os.mkfifo(folder / "pipe.txt")
    out = tmp_path / "out.jsonl"
    assert main(["label", str(folder), "-o", str(out), "-q"]) == 6  # some inputs skipped
    assert "机密" not in out.read_text(encoding="utf-8")
    assert {json.loads(line)["doc"] for line in out.read_text(encoding="utf-8").splitlines()} == {"report"}
    errors = (tmp_path / "out.errors.jsonl").read_text(encoding="utf-8")
    assert "link.txt: a symbolic link inside a directory, not followed" in errors
    assert "dangling.txt: a symbolic link" in errors and "pipe.txt: not a regular file" in errors


@pytest.mark.parametrize("case", ["directory", "parent is a file", "no parent", "read-only file", "read-only dir"])
def test_outputs_that_cannot_be_written_are_refused_before_labelling(tmp_path, case, capsys):
    if case == "directory":
        out = tmp_path / "out.jsonl"
        out.mkdir()
        expected = "is a directory"
    elif case == "parent is a file":
        (tmp_path / "file").write_text("x")
        out, expected = tmp_path / "file" / "out.jsonl", "is a file, not a directory"
    elif case == "no parent":
        out, expected = tmp_path / "missing" / "out.jsonl", "does not exist"
    elif case == "read-only file":
        out = tmp_path / "out.jsonl"
        out.write_text("previous complete output\n")
        out.chmod(0o444)
        expected = "read-only"
    else:
        folder = tmp_path / "ro"
        folder.mkdir()
        folder.chmod(0o555)
        out, expected = folder / "out.jsonl", "not writable"
    if os.geteuid() == 0 and case.startswith("read-only"):
        pytest.skip("running as root: permission bits do not stop root, so there is nothing to refuse")
    assert main(["label", str(SEED), "-o", str(out), "-q"]) == 2
    err = capsys.readouterr().err
    assert expected in err and str(out) in err and "Traceback" not in err
    if case == "read-only file":
        assert out.read_text() == "previous complete output\n"


def test_piping_into_head_ends_quietly(tmp_path):
    assert CLI, "the cppcc-nlp console script is not installed beside this Python"
    done = subprocess.run(f"'{CLI}' label '{SEED}' | head -n 1 >/dev/null; exit ${{PIPESTATUS[0]}}", shell=True,
                          executable="/bin/bash", capture_output=True, text=True, timeout=120)
    assert "Traceback" not in done.stderr and "BrokenPipeError" not in done.stderr
    assert done.returncode in (0, 141)


def test_a_second_run_into_the_same_output_fails_at_once_naming_the_first(tmp_path, capsys):
    import fcntl

    out = tmp_path / "out.jsonl"
    with open(tmp_path / "out.jsonl.lock", "w", encoding="ascii") as held:  # as a running first run holds it
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.write("4242\n")
        held.flush()
        assert main(["label", str(SEED), "-o", str(out), "-q"]) == 11
        err = capsys.readouterr().err
        assert "another run (pid 4242) is writing this output" in err
        assert not out.exists()
    assert main(["label", str(SEED), "-o", str(out), "-q"]) == 0  # the lock is free again
    assert out.exists() and not (tmp_path / "out.jsonl.lock").exists()


def test_a_rerun_killed_early_keeps_the_previous_errors_file(tmp_path, monkeypatch):
    from cppcc_nlp.batch import journal

    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SEED, folder / "good.txt")
    (folder / "empty.txt").write_bytes(b"")
    out = tmp_path / "out.jsonl"
    assert main(["label", str(folder), "-o", str(out), "-q"]) == 6
    errors = tmp_path / "out.errors.jsonl"
    before = errors.read_bytes()
    assert b"empty.txt" in before

    def killed(self, outcomes):
        raise KeyboardInterrupt

    monkeypatch.setattr(journal.FileOutput, "write", killed)
    assert main(["label", str(folder), "-o", str(out), "-q"]) == 130
    assert errors.read_bytes() == before  # the earlier complete list is still there
    assert not list(tmp_path.glob("*.errors.jsonl.part"))
    monkeypatch.undo()
    (folder / "empty.txt").unlink()
    assert main(["label", str(folder), "-o", str(out), "-q"]) == 0
    assert not errors.exists()  # a run that skipped nothing leaves no stale list


def test_spool_directories_live_beside_the_output_and_a_killed_runs_are_removed(tmp_path, monkeypatch):
    import tempfile

    from cppcc_nlp.batch import workers

    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(4):
        shutil.copy(SEED, folder / f"r{i}.txt")
    out = tmp_path / "out.jsonl"
    stale = tmp_path / ".out.jsonl.spool-killed"  # what a SIGKILLed run leaves
    stale.mkdir()
    (stale / "x.pickle").write_bytes(b"\0" * 1000)
    made = []
    original = tempfile.mkdtemp

    def recording(*args, **kwargs):
        made.append(original(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(workers.tempfile, "mkdtemp", recording)
    assert main(["label", str(folder), "-o", str(out), "-q", "--jobs", "2", "--batch-size", "1"]) == 0
    assert made and all(Path(path).parent == tmp_path and Path(path).name.startswith(".out.jsonl.spool-")
                        for path in made)
    assert not stale.exists() and not list(tmp_path.glob(".out.jsonl.spool-*"))


@pytest.mark.parametrize("damage", ["garbage line", "missing key", "bad header"])
def test_resume_with_a_damaged_manifest_says_where_instead_of_a_traceback(tmp_path, damage, capsys):
    out = tmp_path / "out.jsonl"
    assert main(["label", str(SEED), "-o", str(out), "-q"]) == 0
    manifest = tmp_path / "out.manifest.jsonl"
    lines = manifest.read_text(encoding="utf-8").splitlines()
    if damage == "garbage line":
        lines[1] = "{not json"
    elif damage == "missing key":
        lines[1] = '{"doc": "x"}'
    else:
        lines[0] = "[]"
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["label", str(SEED), "-o", str(out), "-q", "--resume"]) == 3
    err = capsys.readouterr().err
    assert "out.manifest.jsonl:" in err and "rerun without --resume" in err and "Traceback" not in err


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark_is_read_not_called_binary(encoding):
    from cppcc_nlp.reader import decode_bytes

    text = SEED.read_text(encoding="utf-8")
    decoded, found = decode_bytes(text.encode(encoding), "report.txt")
    assert decoded == text and found == encoding


def test_an_undecodable_file_names_the_offset_of_the_first_bad_byte():
    from cppcc_nlp.errors import InputError
    from cppcc_nlp.reader import decode_bytes

    data = "政协委员".encode("utf-8") + bytes([0x81, 0x30, 0xFF, 0xFF, 0xFE]) * 3
    with pytest.raises(InputError) as caught:
        decode_bytes(data, "bad.txt")
    assert "bad.txt: cannot decode" in str(caught.value) and "at offset 12" in str(caught.value)


def _six_reports(folder: Path) -> Path:
    folder.mkdir()
    lines = [line for line in SEED.read_text(encoding="utf-8").splitlines() if len(line) > 20]
    for number in range(6):
        (folder / f"r{number}.txt").write_text("\n".join(lines[number * 5:number * 5 + 5]) + "\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
@pytest.mark.parametrize("damage", ["output truncated", "a record changed", "manifest truncated", "profiles truncated"])
def test_resume_checks_the_output_against_the_manifest_and_relabels_what_is_missing(tmp_path, suffix, damage, capsys):
    folder = _six_reports(tmp_path / "in")
    reference, out = tmp_path / f"reference{suffix}", tmp_path / f"out{suffix}"
    for target in (reference, out):
        assert main(["label", str(folder), "-o", str(target), "--profiles", str(target.with_name(target.stem + "-p.csv")),
                     "-q"]) == 0
    damaged = {"output truncated": out, "a record changed": out, "manifest truncated": tmp_path / "out.manifest.jsonl",
               "profiles truncated": tmp_path / "out-p.csv"}[damage]
    if suffix == ".parquet" and damaged == out:
        import pyarrow.parquet as pq

        table = pq.read_table(out)
        if damage == "output truncated":
            table = table.slice(0, table.num_rows // 2)
        else:
            column = table.column("text").to_pylist()
            column[len(column) // 2] = column[len(column) // 2][::-1]
            table = table.set_column(table.schema.get_field_index("text"), "text", __import__("pyarrow").array(column))
        pq.write_table(table, out)
    else:
        data = damaged.read_bytes()
        if damage == "a record changed":
            middle = data.index("政".encode(), len(data) // 2)
            data = data[:middle] + "協".encode() + data[middle + 3:]
        else:
            data = data[: len(data) // 2]
        damaged.write_bytes(data)
    assert main(["label", str(folder), "-o", str(out), "--profiles", str(tmp_path / "out-p.csv"), "-q", "--resume"]) == 0
    err = capsys.readouterr().err
    assert "labelled again" in err or "labelling them again" in err
    assert out.read_bytes() == reference.read_bytes() or suffix == ".parquet"
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        assert pq.read_table(out).equals(pq.read_table(reference))
    assert (tmp_path / "out-p.csv").read_bytes() == (tmp_path / "reference-p.csv").read_bytes()
    assert (tmp_path / "out.manifest.jsonl").read_bytes() == (tmp_path / "reference.manifest.jsonl").read_bytes()


def test_resume_of_an_intact_output_changes_nothing_and_says_nothing(tmp_path, capsys):
    folder = _six_reports(tmp_path / "in")
    out = tmp_path / "out.jsonl"
    assert main(["label", str(folder), "-o", str(out), "-q"]) == 0
    before = out.read_bytes(), (tmp_path / "out.manifest.jsonl").read_bytes()
    capsys.readouterr()
    assert main(["label", str(folder), "-o", str(out), "-q", "--resume"]) == 0
    assert capsys.readouterr().err == ""
    assert (out.read_bytes(), (tmp_path / "out.manifest.jsonl").read_bytes()) == before


def test_a_manifest_of_an_older_version_is_refused_on_resume(tmp_path, capsys):
    out = tmp_path / "out.jsonl"
    assert main(["label", str(SEED), "-o", str(out), "-q"]) == 0
    manifest = tmp_path / "out.manifest.jsonl"
    lines = manifest.read_text(encoding="utf-8").splitlines()
    lines[0] = lines[0].replace("cppcc_nlp-batch/2", "cppcc_nlp-batch/1")
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["label", str(SEED), "-o", str(out), "-q", "--resume"]) == 3
    assert "written by another version of cppcc_nlp" in capsys.readouterr().err
    assert out.exists() and manifest.exists()


# -- Ctrl-C ------------------------------------------------------------------------------------------

sys.path.insert(0, str(ROOT / "benchmarks"))
from interrupt_trials import build_archive, default_sigint  # noqa: E402


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return found


@pytest.fixture(scope="module")
def interrupt_archive(tmp_path_factory):
    """An archive that takes --jobs 2 a few seconds, and its labels from an uninterrupted run.

    16 MiB: its first labels reach the output about 1.5 s before the run ends (idle machine), a window that a
    poller starved by a loaded machine still sees; at 1 MiB it was 0.2 s, and the run sometimes ended first.
    """
    folder = tmp_path_factory.mktemp("interrupts")
    archive = build_archive(folder / "in", 16.0)
    assert main(["label", str(archive), "-o", str(folder / "reference.jsonl"), "-q", "--jobs", "1"]) == 0
    return archive, (folder / "reference.jsonl").read_bytes()


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to see the worker processes")
@pytest.mark.parametrize("phase", ["a worker is starting", "labelling"])
def test_ctrl_c_with_two_jobs_ends_at_once_in_one_line_and_resumes(tmp_path, interrupt_archive, phase):
    import signal
    import time

    archive, reference = interrupt_archive
    out = tmp_path / "out.jsonl"
    command = [CLI, "label", str(archive), "-o", str(out), "--jobs", "2", "-q"]
    proc = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=default_sigint)
    deadline = time.monotonic() + 60
    part = out.with_name(out.name + ".part")
    while time.monotonic() < deadline and proc.poll() is None:
        workers = [child for child in _children(proc.pid)
                   if b"popen_loky" in Path(f"/proc/{child}/cmdline").read_bytes()]
        if (phase == "a worker is starting" and workers) or (phase == "labelling" and part.exists()
                                                            and part.stat().st_size > 0):
            break
        time.sleep(0.005)
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C: to every process of the group
    sent = time.monotonic()
    try:
        _, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail("the run did not end within 20 s of Ctrl-C")
    assert time.monotonic() - sent < 10
    assert proc.returncode == 130, err
    assert err.strip().splitlines() == [f"cppcc-nlp label: interrupted; rerun with --resume to continue into {out}"]
    assert not list(tmp_path.glob(".out.jsonl.spool-*"))
    resumed = subprocess.run(command + ["--resume"], capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert out.read_bytes() == reference


def test_a_ctrl_c_during_the_numpy_import_arrives_after_it_as_an_interrupt(tmp_path):
    (tmp_path / "slow_module.py").write_text("import os, signal, time\nos.kill(os.getpid(), signal.SIGINT)\n"
                                             "time.sleep(0.2)\nDONE = True\n", encoding="utf-8")
    code = ("import signal, sys\nsignal.signal(signal.SIGINT, signal.default_int_handler)  # even if started ignoring it\n"
            "from cppcc_nlp.cli.exits import import_holding_interrupts\n"
            "try:\n    import_holding_interrupts('slow_module')\n"
            "except KeyboardInterrupt:\n    print('interrupt after import', sys.modules['slow_module'].DONE)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=60,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(
                              filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))})
    assert done.stdout.strip() == "interrupt after import True", done.stderr


# -- a full disk -------------------------------------------------------------------------------------

@pytest.fixture
def small_disk(tmp_path):
    """A 160 KiB tmpfs (needs root); skips, saying why, where it cannot be mounted."""
    mount = mount_tmpfs(tmp_path, "160k", "a full disk")
    yield mount
    unmount_tmpfs(mount)


@pytest.mark.parametrize("case", ["fresh, --jobs 1", "fresh, --jobs 2", "over a previous output", "--resume"])
def test_a_full_disk_ends_in_one_line_with_the_previous_output_untouched_and_no_part_files(tmp_path, small_disk,
                                                                                           case, capsys):
    archive = build_archive(tmp_path / "in", 0.25)  # its labels need more than the disk holds
    out = small_disk / "out.jsonl"
    before = {}
    if case in ("over a previous output", "--resume"):
        assert main(["label", str(next(archive.iterdir())), "-o", str(out), "-q"]) == 0
        before = {path.name: path.read_bytes() for path in small_disk.iterdir()}
        capsys.readouterr()
    options = {"fresh, --jobs 2": ["--jobs", "2"], "--resume": ["--resume"]}.get(case, [])
    assert main(["label", str(archive), "-o", str(out), "-q", *options]) == 12
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "No space left on device" in err[0] and str(small_disk) in err[0]
    assert {path.name: path.read_bytes() for path in small_disk.iterdir()} == before  # no .part, .lock or spool


# -- clarity -----------------------------------------------------------------------------------------

def test_a_file_name_with_a_line_break_stays_on_one_error_line(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "bad\nname.txt").write_bytes(b"\x00\x01binary")
    shutil.copy(SEED, folder / "good.txt")
    assert main(["label", str(folder), "-o", str(tmp_path / "out.jsonl"), "-q"]) == 6
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "bad\\nname.txt" in err[0] and "binary" in err[0]
    assert main(["label", str(tmp_path / "missing\nfile.txt"), "-o", str(tmp_path / "o2.jsonl")]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "missing\\nfile.txt" in err[0]


def test_nul_characters_are_refused_in_jsonl_text_as_in_files(tmp_path):
    from cppcc_nlp.batch import label_files

    lines = tmp_path / "docs.jsonl"
    lines.write_text('{"id": "a", "text": "政协委员开展调研。"}\n{"id": "b", "text": "政协\\u0000委员。"}\n', encoding="utf-8")
    (tmp_path / "c.txt").write_bytes("政协\x00委员。".encode("utf-8"))
    result = label_files([lines, tmp_path / "c.txt"], tmp_path / "out.jsonl", None, id_field="id",
                         progress=False)
    assert result.documents == 1 and result.failed == 2
    reasons = dict(result.failures)
    assert "NUL characters" in reasons[f"{lines}:2"] and "NUL bytes" in reasons[str(tmp_path / "c.txt")]


def test_with_glob_star_and_the_output_inside_the_input_the_run_never_labels_its_own_files(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SEED, folder / "report.txt")
    out = folder / "out.jsonl"
    for attempt in range(2):  # the second run finds the first one's output, manifest and errors beside the report
        (folder / ".out.jsonl.spool-stale").mkdir(exist_ok=True)
        (folder / ".out.jsonl.spool-stale" / "x.pickle").write_bytes(b"\x80\x04stale")
        assert main(["label", str(folder), "--glob", "*", "-o", str(out), "--profiles", str(folder / "p.csv"),
                     "-q", "--jobs", "2"]) == 0, capsys.readouterr().err
        docs = {__import__("json").loads(line)["doc"] for line in out.read_text(encoding="utf-8").splitlines()}
        assert docs == {"report"}
    assert "skipped" not in capsys.readouterr().err


def test_a_model_file_that_holds_a_pickle_is_refused_without_running_it(tmp_path):
    import io
    import json

    import numpy as np

    from cppcc_nlp.errors import ModelError
    from cppcc_nlp.persist import ARRAYS_FILE, CARD_FILE, load_engine, sha256_of

    model = tmp_path / "model"
    shutil.copytree(ROOT / "models" / "default", model, ignore=shutil.ignore_patterns("__init__.py", "__pycache__"))
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    with np.load(model / ARRAYS_FILE, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    arrays["coef"] = np.array([Payload()], dtype=object)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # pickles the object array
    (model / ARRAYS_FILE).write_bytes(buffer.getvalue())
    card = json.loads((model / CARD_FILE).read_text(encoding="utf-8"))
    card["files"][ARRAYS_FILE] = sha256_of(buffer.getvalue())  # a card that vouches for it: still refused
    (model / CARD_FILE).write_text(json.dumps(card), encoding="utf-8")
    with pytest.raises(ModelError, match="do not describe a model"):
        load_engine(model)
    assert not marker.exists()
