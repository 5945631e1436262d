"""``--jobs auto`` (the default): one process for small inputs, every usable core from the measured crossover."""

import importlib
import shutil

import pytest

from cppcc_nlp.api import as_engine
from cppcc_nlp.batch import Item, label_files
from cppcc_nlp.cli import build_parser

from conftest import ROOT

SEED = ROOT / "corpus" / "raw" / "hebei-2019-cppcc-highlights.txt"
plan = importlib.import_module("cppcc_nlp.batch.plan")  # the package's name ``plan`` is the function


def items(*sizes, path="x.txt"):
    return [Item(f"d{i}", f"d{i}", path=path, size=size) for i, size in enumerate(sizes)]


def test_auto_is_one_process_below_the_threshold_and_every_core_from_it():
    assert plan.auto_jobs(items(100, 200), cpus=4, stream_bytes=1000, threshold=301) == 1
    assert plan.auto_jobs(items(100, 200), cpus=4, stream_bytes=1000, threshold=300) == 4
    assert plan.auto_jobs(items(10**9), cpus=1, stream_bytes=10**10, threshold=1) == 1  # one core: one process


def test_auto_leaves_out_files_that_stream_and_stops_reading_at_the_threshold():
    assert plan.auto_jobs(items(5000, 10), cpus=2, stream_bytes=1000, threshold=100) == 1  # the big one streams
    consumed = []

    def endless():
        while True:
            consumed.append(1)
            yield Item("d", "d", path="x.txt", size=10)

    assert plan.auto_jobs(endless(), cpus=2, stream_bytes=1000, threshold=100) == 2
    assert len(consumed) == 10


def test_auto_is_the_default_of_the_command_line():
    args = build_parser().parse_args(["label", "x.txt"])
    assert args.jobs == "auto"
    assert build_parser().parse_args(["label", "x.txt", "-j", "3"]).jobs == 3


def test_label_files_runs_what_auto_decides(tmp_path, monkeypatch):
    folder = tmp_path / "in"
    folder.mkdir()
    for number in range(3):
        shutil.copy(SEED, folder / f"r{number}.txt")
    spec = as_engine()
    small = label_files([folder], tmp_path / "a.jsonl", spec, jobs="auto", progress=False)
    assert small.jobs == 1
    import cppcc_nlp.batch as batch

    monkeypatch.setattr(batch, "usable_cpus", lambda: 2)
    monkeypatch.setattr(plan, "AUTO_JOBS_BYTES", SEED.stat().st_size * 2)
    large = label_files([folder], tmp_path / "b.jsonl", spec, jobs="auto", progress=False)
    assert large.jobs == 2
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()


def test_jobs_other_than_a_count_minus_one_or_auto_are_refused(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["label", "x.txt", "-j", "0"])
    assert "expected a number of processes" in capsys.readouterr().err
