"""Hardening of every file a `label` run writes (issue 22, items 9-14): locks on each, regular files only, a full disk
at the start, a file that changes while streamed, Ctrl-C and SIGTERM at the end of a run."""

import multiprocessing
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from cppcc_nlp.cli import main

from conftest import ROOT, fill_disk, mount_tmpfs, unmount_tmpfs

SEED = ROOT / "corpus" / "raw" / "hebei-2019-cppcc-highlights.txt"
CLI = Path(sys.executable).with_name("cppcc-nlp")


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


# -- 13. outputs that are devices, FIFOs or links ----------------------------------------------------

def _special(path: Path, kind: str, target: Path) -> str:
    """Make ``path`` a ``kind``; return the words the refusal uses."""
    if kind == "device":
        if os.geteuid() != 0:
            pytest.skip("making a device node needs root")
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 7))  # another /dev/full
        return "is a device, not a regular file"
    if kind == "FIFO":
        os.mkfifo(path)
        return "is a FIFO, not a regular file"
    target.write_text("a file the link points at\n", encoding="utf-8")
    path.symlink_to(target)
    return "is a symbolic link, not a regular file"


def _unchanged(path: Path, kind: str, target: Path) -> bool:
    mode = os.lstat(path).st_mode
    if kind == "device":
        return stat.S_ISCHR(mode)
    if kind == "FIFO":
        return stat.S_ISFIFO(mode)
    return stat.S_ISLNK(mode) and target.read_text(encoding="utf-8") == "a file the link points at\n"


@pytest.mark.parametrize("kind", ["device", "FIFO", "link"])
@pytest.mark.parametrize("flag", ["-o", "--profiles", "--errors", "manifest", "profile -o"])
def test_an_output_that_is_a_device_fifo_or_link_is_refused_and_left_alone(tmp_path, flag, kind, capsys):
    special, target = tmp_path / "special.csv", tmp_path / "target.csv"
    words = _special(special, kind, target)
    out = tmp_path / "out.jsonl"
    if flag == "profile -o":
        command = ["profile", str(SEED), "-o", str(special)]
    elif flag == "manifest":
        special.rename(tmp_path / "out.manifest.jsonl")
        special = tmp_path / "out.manifest.jsonl"
        command = ["label", str(SEED), "-o", str(out), "-q"]
    elif flag == "-o":
        command = ["label", str(SEED), "-o", str(special), "-q"]
    else:
        command = ["label", str(SEED), "-o", str(out), flag, str(special), "-q"]
    assert main(command) == 2
    line = _one_line(capsys.readouterr().err)
    assert str(special) in line and words in line
    assert _unchanged(special, kind, target)
    assert not out.exists() and not list(tmp_path.glob("*.part"))


def test_standard_output_stays_the_way_to_write_to_a_pipe(tmp_path):
    done = subprocess.run([str(CLI), "label", str(SEED), "-o", "-", "-q"], capture_output=True, timeout=120)
    assert done.returncode == 0 and done.stdout.count(b"\n") > 100


# -- 9. every file a run writes is locked ---------------------------------------------------------------

@pytest.mark.parametrize("shared", ["--profiles", "--errors"])
def test_a_run_stops_at_once_when_another_holds_its_profiles_or_errors_file(tmp_path, shared, capsys):
    import fcntl

    other = tmp_path / ("p.csv" if shared == "--profiles" else "e.jsonl")
    out = tmp_path / "out.jsonl"
    with open(other.with_name(other.name + ".lock"), "w", encoding="ascii") as held:  # a run writing to it
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.write("4343\n")
        held.flush()
        assert main(["label", str(SEED), "-o", str(out), shared, str(other), "-q"]) == 11
        line = _one_line(capsys.readouterr().err)
        assert f"{other}: another run (pid 4343) is writing this file" in line
    assert not out.exists() and not (tmp_path / "out.jsonl.lock").exists()  # the lock it took is let go
    assert main(["label", str(SEED), "-o", str(out), shared, str(other), "-q"]) == 0


def _run_in_child(inputs, output, profiles, errors, barrier, results) -> None:
    from cppcc_nlp.batch import label_files
    from cppcc_nlp.errors import CppccNlpError

    barrier.wait()
    try:
        label_files(inputs, output, SPEC, profiles=profiles, errors=errors, progress=False)
        results.put((output, 0))
    except CppccNlpError as exc:
        results.put((output, exc.exit_code))
    except BaseException as exc:  # noqa: BLE001 - a crash is what the test looks for
        results.put((output, f"{type(exc).__name__}: {exc}"))


SPEC = None


@pytest.mark.slow  # 20 trials (or a whole run, killed and resumed): 10 s and more under load
@pytest.mark.skipif(not hasattr(os, "fork"), reason="starts the runs in forked processes")
def test_concurrent_runs_sharing_profiles_and_errors_never_mix_or_lose_them(tmp_path):
    global SPEC
    from cppcc_nlp.batch import label_files
    from cppcc_nlp.batch.labeller import model_spec

    SPEC = model_spec(None)
    lines = [line for line in SEED.read_text(encoding="utf-8").splitlines() if len(line) > 20]
    inputs = {}
    for name, part in (("a", lines[:6]), ("b", lines[6:12])):
        folder = tmp_path / name
        folder.mkdir()
        (folder / f"{name}.txt").write_text("\n".join(part) + "\n", encoding="utf-8")
        (folder / f"empty-{name}.txt").write_bytes(b"")  # each run lists one failure in the shared errors file
        inputs[name] = [str(folder)]
    expected = {}
    for name in inputs:  # what each run alone writes into the shared files
        label_files(inputs[name], tmp_path / f"alone-{name}.jsonl", SPEC, profiles=tmp_path / f"alone-{name}.csv",
                    errors=tmp_path / f"alone-{name}.errors.jsonl", progress=False)
        expected[name] = ((tmp_path / f"alone-{name}.csv").read_bytes(),
                          (tmp_path / f"alone-{name}.errors.jsonl").read_bytes())
    context = multiprocessing.get_context("fork")
    profiles, errors = tmp_path / "shared.csv", tmp_path / "shared.errors.jsonl"
    for trial in range(20):
        for path in (profiles, errors, tmp_path / "a.jsonl", tmp_path / "b.jsonl"):
            path.unlink(missing_ok=True)
        barrier, results = context.Barrier(2), context.Queue()
        children = [context.Process(target=_run_in_child, args=(inputs[name], str(tmp_path / f"{name}.jsonl"),
                                                                str(profiles), str(errors), barrier, results))
                    for name in inputs]
        for child in children:
            child.start()
        outcomes = dict(results.get(timeout=120) for _ in children)
        for child in children:
            child.join(timeout=60)
        codes = {Path(output).stem: code for output, code in outcomes.items()}
        assert sorted(codes.values(), key=str) in ([0, 0], [0, 11]), f"trial {trial}: {codes}"
        written = profiles.read_bytes()
        assert written in (expected["a"][0], expected["b"][0]), f"trial {trial}: mixed or lost profiles"
        last = "a" if written == expected["a"][0] else "b"
        assert errors.read_bytes() == expected[last][1], f"trial {trial}: the errors of another run"
        for name, code in codes.items():
            assert (tmp_path / f"{name}.jsonl").exists() == (code == 0)
        assert not list(tmp_path.glob("*.lock")) and not list(tmp_path.glob("*.part"))


# -- 10. a disk already full when label starts ---------------------------------------------------------

@pytest.fixture
def full_disk(tmp_path):
    """A small tmpfs, filled (needs root); skips, saying why, where it cannot be mounted."""
    mount = mount_tmpfs(tmp_path, "64k", "a full disk")
    fill_disk(mount)
    yield mount
    unmount_tmpfs(mount)


@pytest.mark.parametrize("where", ["-o", "--profiles"])
def test_a_disk_full_before_the_run_starts_ends_in_one_line_leaving_nothing(tmp_path, full_disk, where, capsys):
    out = full_disk / "out.jsonl" if where == "-o" else tmp_path / "out.jsonl"
    command = ["label", str(SEED), "-o", str(out), "-q"]
    if where == "--profiles":
        command += ["--profiles", str(full_disk / "p.csv")]
    assert main(command) == 12
    line = _one_line(capsys.readouterr().err)
    assert "No space left on device" in line and str(full_disk) in line
    assert sorted(p.name for p in full_disk.iterdir()) == ["filler"]
    assert not out.exists() and not list(tmp_path.glob("out.*"))


# -- 11. a streamed file that changes while it is read ----------------------------------------------

@pytest.mark.parametrize("change", ["appended", "same size and time, other bytes", "replaced"])
def test_a_streamed_file_that_changes_while_read_is_reported_and_none_of_it_kept(tmp_path, change, monkeypatch):
    from cppcc_nlp import reader
    from cppcc_nlp.batch import journal, label_files, labeller

    spec = labeller.model_spec(None)
    folder = tmp_path / "in"
    folder.mkdir()
    report = folder / "big.txt"
    report.write_text(SEED.read_text(encoding="utf-8") * 3, encoding="utf-8")
    monkeypatch.setattr(reader.streaming, "STREAM_BLOCK", 4096)  # read on after the first piece is labelled
    monkeypatch.setattr(labeller, "PIECE_CHARS", 2000)
    original, calls = labeller.Labeller._labels_and_steps, []

    def changing_the_file(self, probabilities):
        if not len(probabilities):  # the batch of documents read whole: none here
            return original(self, probabilities)
        if not calls:
            info = report.stat()
            if change == "appended":
                with open(report, "ab") as handle:
                    handle.write("新增的一段文字。\n".encode("utf-8"))
            elif change == "replaced":
                (folder / "new.tmp").write_bytes(report.read_bytes().replace("政协".encode(), "人大".encode()))
                os.replace(folder / "new.tmp", report)
            else:
                with open(report, "r+b") as handle:  # the first characters, already read: same size, same time
                    handle.write("人大".encode("utf-8"))
                os.utime(report, ns=(info.st_atime_ns, info.st_mtime_ns))
        calls.append(1)
        return original(self, probabilities)

    monkeypatch.setattr(labeller.Labeller, "_labels_and_steps", changing_the_file)
    out = tmp_path / "out.jsonl"
    result = label_files([folder], out, spec, progress=False, stream_bytes=1024)  # 1 KiB: as if over 16 MiB
    assert len(calls) > 1  # it was labelled piece by piece, the change came in between
    assert result.documents == 0 and result.failed == 1
    reason = dict(result.failures)[str(report)]
    assert "big.txt: changed while it was read" in reason and "none of it is kept" in reason
    assert out.read_bytes() == b""
    manifest = (tmp_path / "out.manifest.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(manifest) == 1 and journal.FORMAT in manifest[0]  # the header only: no document, no hash of a mix


# -- 14. Ctrl-C at the very end, SIGTERM ---------------------------------------------------------------

def test_a_ctrl_c_just_after_the_output_is_complete_does_not_undo_the_run(tmp_path, monkeypatch):
    import signal

    from cppcc_nlp.batch import label_files, workers
    from cppcc_nlp.batch.labeller import model_spec

    folder = tmp_path / "in"
    folder.mkdir()
    for k in range(4):
        shutil.copy(SEED, folder / f"r{k}.txt")
    close = workers.WorkerPool.close

    def ctrl_c_then_close(self):
        os.kill(os.getpid(), signal.SIGINT)  # as a Ctrl-C in the last moment, while the workers are stopped
        close(self)

    monkeypatch.setattr(workers.WorkerPool, "close", ctrl_c_then_close)
    out = tmp_path / "out.jsonl"
    result = label_files([folder], out, model_spec(None), jobs=2, batch_docs=1, progress=False)
    assert result.complete and result.documents == 4 and out.exists()
    assert not list(tmp_path.glob(".out.jsonl.spool-*")) and not list(tmp_path.glob("out.jsonl.*"))


@pytest.mark.parametrize("sent", ["SIGINT", "SIGTERM"])
def test_a_signal_during_the_interpreters_shutdown_leaves_the_exit_code_of_the_finished_run(tmp_path, sent):
    code = ("import atexit, os, signal, sys, time\n"
            f"atexit.register(lambda: (os.kill(os.getpid(), signal.{sent}), time.sleep(0.2)))\n"
            "sys.argv = ['cppcc-nlp'] + sys.argv[1:]\n"
            "from cppcc_nlp.cli import main\n"
            "sys.exit(main())\n")
    done = subprocess.run([sys.executable, "-c", code, "label", str(SEED), "-o", str(tmp_path / "o.jsonl"), "-q",
                           "--jobs", "2"], capture_output=True, text=True, timeout=120,
                          preexec_fn=lambda: signal_default())
    assert done.returncode == 0, (done.returncode, done.stderr)
    assert done.stderr == "" and (tmp_path / "o.jsonl").exists()


def signal_default() -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.slow  # 20 trials (or a whole run, killed and resumed): 10 s and more under load
def test_sigterm_stops_a_two_job_run_cleanly_in_one_line_and_it_resumes(tmp_path):
    import signal
    import time

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from interrupt_trials import build_archive

    archive = build_archive(tmp_path / "in", 0.25)
    out = tmp_path / "out.jsonl"
    command = [str(CLI), "label", str(archive), "-o", str(out), "--jobs", "2", "--batch-size", "2", "-q"]
    proc = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, start_new_session=True)
    part = out.with_name(out.name + ".part")
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline and not (part.exists() and part.stat().st_size):
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGTERM)  # as `kill PID`: the main process only
    _, err = proc.communicate(timeout=60)
    if proc.returncode == 0:
        pytest.skip("the run ended before SIGTERM arrived")
    assert proc.returncode == 143, err
    assert err.strip().splitlines() == [f"cppcc-nlp label: terminated; rerun with --resume to continue into {out}"]
    assert not list(tmp_path.glob(".out.jsonl.spool-*")) and not list(tmp_path.glob("*.tmp"))
    assert not (tmp_path / "out.jsonl.lock").exists()
    resumed = subprocess.run(command + ["--resume"], capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    reference = tmp_path / "reference.jsonl"
    assert main(["label", str(archive), "-o", str(reference), "-q", "--jobs", "1"]) == 0
    assert out.read_bytes() == reference.read_bytes()


# -- 12. one huge paragraph is streamed at its sentence ends -------------------------------------------

def _random_report(seed: int) -> str:
    """Paragraphs of every kind the reader joins and splits, some of them lines of 10,000+ characters."""
    import random

    rng = random.Random(seed)
    words = ["政协", "委员", "协商", "民主监督", "脱贫攻坚", "一", "2019年", "ＡＢＣ", "CPPCC", "（调研）", "(建议)",
             "提案", "“履职”", "3,200", "a", " ", "\u3000", "\u200b", "：", ",", ";", "!", "?"]
    ends = ["。", "！", "？", "；", "。”", "……", ""]

    def sentence() -> str:
        return "".join(rng.choice(words) for _ in range(rng.randint(1, 12))) + rng.choice(ends)

    lines = []
    for _ in range(rng.randint(5, 25)):
        kind = rng.random()
        if kind < 0.15:
            lines.append(rng.choice(["一、", "（二）", "第三部分", "石家庄市政协 "]) + sentence())
        elif kind < 0.35:  # a line of one paragraph without a break: thousands of sentences
            lines.append("".join(sentence() for _ in range(rng.randint(600, 2500))))
        elif kind < 0.5:  # a hard-wrapped sentence (joined to the next line)
            lines.append("".join(rng.choice(words) for _ in range(6)))
        elif kind < 0.6:
            lines.append(rng.choice(["", " ", "\t"]))
        else:
            lines.append("".join(sentence() for _ in range(rng.randint(1, 6))))
    return rng.choice(["\n", "\r\n"]).join(lines) + "\n"


@pytest.mark.parametrize("seed", range(12))
def test_a_report_streamed_inside_its_paragraphs_has_the_sentences_of_one_read_whole(tmp_path, seed, monkeypatch):
    from cppcc_nlp import reader

    path = tmp_path / "report.txt"
    path.write_text(_random_report(seed), encoding="utf-8")
    whole = reader.read_report(path)
    monkeypatch.setattr(reader.streaming, "STREAM_BLOCK", 3001)  # lines and characters cut between blocks
    pieces = list(reader.stream_report(path, piece_chars=500))
    digest = pieces.pop()
    streamed = [s for piece in pieces for s in piece.sentences]
    assert digest == whole.content_hash
    assert [(s.text, s.start, s.end, s.section_index, s.paragraph_index, s.index) for s in streamed] == \
        [(s.text, s.start, s.end, s.section_index, s.paragraph_index, s.index) for s in whole.sentences]
    assert pieces[-1].section_names == tuple(section.name for section in whole.sections)
    assert max(len(p.text) for piece in pieces for _, p in piece.paragraphs) < 12_000  # never one whole long line


def test_one_huge_paragraph_is_labelled_piece_by_piece_as_if_read_whole(tmp_path, monkeypatch):
    from cppcc_nlp import reader
    from cppcc_nlp.batch import label_files, labeller

    spec = labeller.model_spec(None)
    lines = [line.strip() for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip().endswith("。")]
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "huge.txt").write_text("一、总体情况\n" + "".join(lines) * 4 + "\n", encoding="utf-8")  # one paragraph
    reference = tmp_path / "whole.jsonl"
    assert label_files([folder], reference, spec, profiles=tmp_path / "whole.csv", progress=False).failed == 0
    monkeypatch.setattr(reader.streaming, "STREAM_BLOCK", 4096)
    monkeypatch.setattr(labeller, "PIECE_CHARS", 4096)
    sizes = []
    stream = labeller.Labeller.stream

    def recording(self, outcome, options, piece_chars=None):
        for records, profiles in stream(self, outcome, options, piece_chars):
            sizes.append(len(records))
            yield records, profiles

    monkeypatch.setattr(labeller.Labeller, "stream", recording)
    out = tmp_path / "streamed.jsonl"
    result = label_files([folder], out, spec, profiles=tmp_path / "streamed.csv", progress=False, stream_bytes=1024)
    assert result.failed == 0 and len(sizes) >= 4  # labelled in pieces, not as one paragraph
    assert out.read_bytes() == reference.read_bytes()
    assert (tmp_path / "streamed.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()
