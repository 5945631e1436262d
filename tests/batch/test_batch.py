"""Batch labelling (cppcc_nlp.batch)."""

import json
import os
import pickle
import re
import sys
import time
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cppcc_nlp import batch
from cppcc_nlp.api import default_model, label_report, label_text
from cppcc_nlp.api import as_engine
from cppcc_nlp.batch import label_files, score_steps
from cppcc_nlp.batch.labeller import ModelSpec, model_spec
from cppcc_nlp.errors import InputError, ModelError
from cppcc_nlp.reader import normalise_line, parse_report
from cppcc_nlp.reader.normalising import _ASCII_TO_CHINESE, _CJK, _CJK_CHAR
from cppcc_nlp.themes import CUE_WORDS

from conftest import EXTERNAL, ROOT

SEED = ROOT / "corpus" / "raw" / "hebei-2019-cppcc-highlights.txt"


@pytest.fixture(scope="module")
def model():
    return default_model()


@pytest.fixture(scope="module")
def spec(model):
    return model_spec(model)  # what the batch labeller sends to its workers


def seed_documents() -> list[str]:
    """The seed report cut into one document per city section (14 report-like texts)."""
    report = parse_report(SEED.read_text(encoding="utf-8"))
    return ["\n".join(p.text for p in section.paragraphs) for section in report.sections]


@pytest.fixture()
def archive(tmp_path):
    """A directory of valid reports in several encodings and subdirectories."""
    root = tmp_path / "archive"
    for i, text in enumerate(seed_documents()):
        folder = root / f"{2010 + i % 3}"
        folder.mkdir(parents=True, exist_ok=True)
        encoding = ("utf-8", "gb18030", "utf-16", "utf-8-sig")[i % 4]
        (folder / f"report-{i:02d}.txt").write_bytes(text.encode(encoding))
    return root


def read(path: Path) -> bytes:
    return Path(path).read_bytes()


def test_workers_import_batch_without_scikit_learn():
    import subprocess
    import sys

    import cppcc_nlp

    code = "import sys, cppcc_nlp.batch; print(sorted(k for k in sys.modules if k.split('.')[0] in ('sklearn', 'pandas')))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "[]"
    assert sorted(cppcc_nlp.__all__) == sorted(cppcc_nlp._EXPORTS)


@given(st.floats(min_value=0.0, max_value=1.0))
def test_score_steps_round_like_python(p):
    step = int(score_steps(np.array([[p]]))[0, 0])
    assert batch.SCORE_TEXT[step] == repr(round(p, 4))


def test_score_steps_at_half_steps():
    values = np.array([[0.00005, 0.12345, 0.99995, 0.5, 1.0, 0.0, 0.30005, 0.70015]])
    assert [batch.SCORE_TEXT[k] for k in score_steps(values)[0]] == [repr(round(v, 4)) for v in values[0].tolist()]


# -- the reader's fast normalisation equals the character loop it replaced -------------------------


def _is_chinese_context(ch):
    return bool(_CJK_CHAR.match(ch)) or ch in "，。；：！？、“”《》（）"


def reference_normalise_line(line):
    """normalise_line as first written (one character at a time): the oracle."""
    out = []
    for ch in line:
        code = ord(ch)
        if 0xFF10 <= code <= 0xFF19 or 0xFF21 <= code <= 0xFF3A or 0xFF41 <= code <= 0xFF5A:
            ch = chr(code - 0xFEE0)
        elif ch in "\u3000\u00a0\u2002\u2003\u2009\t\ufeff":
            ch = " "
        elif ch in "\u200b\u200c\u200d":
            continue
        out.append(ch)
    line = re.sub(" {2,}", " ", "".join(out)).strip()
    chars = list(line)
    for i, ch in enumerate(chars):
        prev_cjk = i > 0 and _is_chinese_context(chars[i - 1])
        next_cjk = i + 1 < len(chars) and _is_chinese_context(chars[i + 1])
        if ch in _ASCII_TO_CHINESE and (prev_cjk or next_cjk):
            if ch == "," and i > 0 and i + 1 < len(chars) and chars[i - 1].isdigit() and chars[i + 1].isdigit():
                continue
            chars[i] = _ASCII_TO_CHINESE[ch]
        elif ch == "(" and next_cjk:
            chars[i] = "（"
        elif ch == ")" and prev_cjk:
            chars[i] = "）"
    return re.sub(f"(?<=[，。；：！？、]) (?=[{_CJK}])", "", "".join(chars))


LINE_ALPHABET = st.sampled_from(
    list("政协委员会议，。；：！？、“”《》（）,;:?!() 12ab") + ["\u3000", "\u00a0", "\t", "\u200b", "\ufeff", "Ａ", "１", "ｚ"]
)


@settings(max_examples=300)
@given(st.text(LINE_ALPHABET, max_size=40))
def test_normalise_line_equals_the_reference(line):
    assert normalise_line(line) == reference_normalise_line(line)


def test_normalise_line_equals_the_reference_on_real_lines():
    texts = [SEED.read_text(encoding="utf-8")]
    for path in sorted(EXTERNAL.glob("*/*.jsonl")):
        texts += [json.loads(line)["text"] for line in open(path, encoding="utf-8")]
    lines = [line for text in texts for line in re.split(r"\r\n|\r|\n", text)]
    assert [normalise_line(x) for x in lines] == [reference_normalise_line(x) for x in lines]


TEXT_ALPHABET = st.sampled_from(
    list("政协委员会议，。；：！？、“”《》（）,;:?!() 12ab\n\r\f\x0b\x1c\x85")
    + ["\u3000", "\u00a0", "\t", "\u200b", "\ufeff", "\u2028", "\u2029", "\u2003", "Ａ", "１", "ｚ"]
)


def reference_lines(text: str) -> list[str]:
    """The lines split_paragraphs normalised one at a time before it normalised the whole text."""
    lines = [reference_normalise_line(raw) for raw in re.split(r"\r\n|\r|\n|\u2028|\u2029|\f", text)]
    return [line for line in lines if line]


@settings(max_examples=500)
@given(st.text(TEXT_ALPHABET, max_size=80))
def test_normalising_the_whole_text_gives_the_lines_of_normalise_line(text):
    from cppcc_nlp.reader.normalising import _LINE_BREAK, _normalise

    lines = [line.strip() for line in _LINE_BREAK.split(_normalise(text))]
    assert [line for line in lines if line] == reference_lines(text)


def test_whole_text_normalisation_on_real_texts():
    from cppcc_nlp.reader.normalising import _LINE_BREAK, _normalise

    texts = [SEED.read_text(encoding="utf-8")]
    for path in sorted(EXTERNAL.glob("*/*.jsonl")):
        texts += [json.loads(line)["text"] for line in open(path, encoding="utf-8")]
    for text in texts:
        lines = [line.strip() for line in _LINE_BREAK.split(_normalise(text))]
        assert [line for line in lines if line] == reference_lines(text)


@given(st.text(st.sampled_from(list("政协\n\r\t\f \u3000\x01\x02\x1c\ue000\u0378\u200bＡ")), max_size=60))
def test_binary_check_fast_path_agrees_with_the_count(text):
    from cppcc_nlp.reader.decoding import _reject_binary_looking

    bad = sum(1 for ch in text if unicodedata.category(ch) in {"Cc", "Co", "Cs", "Cn"} and ch not in "\n\r\t\f")
    should_fail = bad > max(3, len(text) // 100)
    try:
        _reject_binary_looking(text, "x")
        failed = False
    except InputError:
        failed = True
    assert failed == should_fail


@given(st.text(st.sampled_from(list("政协委员，。“”《》（） \t\n\u3000\x1cabc１")), max_size=60))
def test_chinese_share_counts_like_the_character_loop(text):
    from cppcc_nlp.reader.decoding import _chinese_share

    visible = [ch for ch in text if not ch.isspace()]
    chinese = sum(1 for ch in visible if _CJK_CHAR.match(ch) or ch in "，。；：！？、“”《》（）")
    assert _chinese_share(text) == (chinese / len(visible) if visible else 0.0)


# -- outputs -------------------------------------------------------------------------------


def test_records_and_profiles_are_those_of_label_report(tmp_path, spec, model):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "seed.txt").write_bytes(read(SEED))
    out, profiles = tmp_path / "out.jsonl", tmp_path / "profiles.jsonl"
    result = label_files([tmp_path / "in"], out, model=spec, profiles=profiles, progress=False)
    labelled = label_report(tmp_path / "in" / "seed.txt", model=model)
    expected = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in labelled.to_records())
    assert out.read_text(encoding="utf-8") == expected
    assert [json.loads(line) for line in profiles.read_text(encoding="utf-8").splitlines()] == labelled.profiles()
    assert (result.documents, result.sentences, result.failed) == (1, 194, 0)
    manifest = [json.loads(line) for line in (tmp_path / "out.manifest.jsonl").read_text(encoding="utf-8").splitlines()]
    assert manifest[0]["model"] == spec.key and manifest[1]["sha256"] == labelled.report.content_hash


def flatten_record(record: dict) -> dict:
    """The CSV form of a JSONL record: labels joined with ';', scores as score_<theme> columns."""
    flat = {key: value for key, value in record.items() if key not in ("labels", "scores")}
    flat["labels"] = ";".join(record["labels"])
    for theme, score in record["scores"].items():
        flat[f"score_{theme}"] = score
    return flat


def test_csv_and_parquet_outputs_hold_the_same_records(tmp_path, archive, spec):
    import csv

    import pyarrow.parquet as pq

    label_files([archive], tmp_path / "out.jsonl", model=spec, progress=False, profiles=tmp_path / "p.csv")
    label_files([archive], tmp_path / "out.csv", model=spec, progress=False, profiles=tmp_path / "p.parquet")
    label_files([archive], tmp_path / "out.parquet", model=spec, progress=False)
    records = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    flat = [{k: str(v) for k, v in flatten_record(r).items()} for r in records]
    with open(tmp_path / "out.csv", encoding="utf-8", newline="") as handle:
        assert list(csv.DictReader(handle)) == flat
    table = pq.read_table(tmp_path / "out.parquet").to_pylist()
    assert len(table) == len(records)
    for row, record in zip(table, records):
        assert row["labels"] == record["labels"] and row["text"] == record["text"]
        assert {t: row[f"score_{t}"] for t in record["scores"]} == record["scores"]
    with open(tmp_path / "p.csv", encoding="utf-8", newline="") as handle:
        profile_rows = list(csv.DictReader(handle))
    parquet_rows = pq.read_table(tmp_path / "p.parquet").to_pylist()
    assert [r["section"] for r in profile_rows] == [r["section"] for r in parquet_rows]
    assert [float(r["share_supervision"]) for r in profile_rows] == [r["share_supervision"] for r in parquet_rows]


def test_document_ids_are_paths_under_the_directory(tmp_path, archive, spec):
    label_files([archive], tmp_path / "out.jsonl", model=spec, progress=False)
    manifest = (tmp_path / "out.manifest.jsonl").read_text(encoding="utf-8").splitlines()[1:]
    ids = [json.loads(line)["doc"] for line in manifest]
    assert ids[:3] == ["2010/report-00", "2010/report-03", "2010/report-06"] and len(ids) == 14


# -- parallel, Dask --------------------------------------------------------------------------------


def test_output_is_identical_for_one_and_two_jobs(tmp_path, archive, spec):
    (archive / "bad.txt").write_bytes(b"\x00\x01binary")
    outputs = {}
    for jobs in (1, 2):
        out = tmp_path / f"j{jobs}" / "out.jsonl"
        out.parent.mkdir()
        result = label_files(
            [archive], out, model=spec, jobs=jobs, profiles=out.with_name("p.csv"), progress=False, batch_docs=2
        )
        assert (result.documents, result.failed) == (14, 1)
        outputs[jobs] = [read(out), read(out.with_name("p.csv")), read(out.with_name("out.manifest.jsonl")),
                         read(out.with_name("out.errors.jsonl"))]
    assert outputs[1] == outputs[2]


class WorkerKiller:
    """A stand-in compiled model that kills the worker process labelling a text with "KILL" in it.

    In the main process (which labels some batches itself) it labels such a
    text like any other, so the test fails instead of killing pytest.
    """

    themes = ("a", "b")
    thresholds = np.array([0.5, 0.5])
    reads_context = False

    def __init__(self, main_pid: int) -> None:
        self.main_pid = main_pid

    def predict_proba(self, texts, contexts=None):
        if os.getpid() != self.main_pid and any("KILL" in text for text in texts):
            os._exit(1)
        return np.full((len(texts), 2), 0.25)


def test_a_document_that_kills_a_worker_is_reported_and_the_rest_labelled(tmp_path):
    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / "000.txt").write_text("政协委员 KILL 调研。", encoding="utf-8")  # the first batch goes to the worker
    for i in range(1, 8):
        (archive / f"{i:03d}.txt").write_text(f"第{i}份报告：政协委员开展调研。", encoding="utf-8")
    spec = ModelSpec("killer", pickle.dumps(WorkerKiller(os.getpid())), WorkerKiller.themes)
    out = tmp_path / "out.jsonl"
    result = label_files([archive], out, model=spec, jobs=2, progress=False, batch_docs=2)
    assert (result.documents, result.failed) == (7, 1)
    assert "000.txt: a worker process died while labelling it" in result.failures[0][1]
    assert {json.loads(line)["doc"] for line in read(out).decode("utf-8").splitlines()} == {f"{i:03d}" for i in range(1, 8)}
    # the pool is whole again: the next run labels everything in a worker
    (archive / "000.txt").write_text("政协委员调研。", encoding="utf-8")
    assert label_files([archive], tmp_path / "again.jsonl", model=spec, jobs=2, progress=False).documents == 8


def worker_processes() -> set[int]:
    """The live loky worker processes of this process (Linux /proc; a stopped worker has no command line)."""
    pids = set()
    for children in Path("/proc/self/task").glob("*/children"):
        for pid in children.read_text().split():
            try:
                if b"popen_loky" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    pids.add(int(pid))
            except OSError:
                pass
    return pids


def gone(pids: set[int], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while pids & worker_processes():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_worker_pool_lives_for_its_with_block_and_a_run_without_one_stops_its_own(tmp_path, archive, spec):
    from cppcc_nlp.batch import WorkerPool

    before = worker_processes()
    seen = []
    with WorkerPool(spec, workers=1) as pool:
        for name in ("a", "b"):
            label_files([archive], tmp_path / f"{name}.jsonl", model=spec, jobs=2, pool=pool, progress=False,
                        batch_docs=1)
            seen.append(worker_processes() - before)
        assert seen[0] and seen[0] == seen[1]  # the same worker labelled in both runs
        with pytest.raises(ValueError, match="worker"):
            label_files([archive], tmp_path / "c.jsonl", model=spec, jobs=3, pool=pool, progress=False)
    assert gone(seen[0])
    assert read(tmp_path / "a.jsonl") == read(tmp_path / "b.jsonl")
    label_files([archive], tmp_path / "d.jsonl", model=spec, jobs=2, progress=False, batch_docs=1)
    assert gone(worker_processes() - before), "label_files left its workers running"
    assert read(tmp_path / "d.jsonl") == read(tmp_path / "a.jsonl")


def test_a_local_dask_cluster_gives_the_local_output(tmp_path, archive, spec):
    from distributed import LocalCluster

    label_files([archive], tmp_path / "local.jsonl", model=spec, progress=False, batch_docs=3)
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster:
        result = label_files(
            [archive], tmp_path / "dask.jsonl", model=spec, progress=False, batch_docs=3,
            backend="dask", scheduler=cluster.scheduler_address,
        )
    assert result.documents == 14
    assert read(tmp_path / "dask.jsonl") == read(tmp_path / "local.jsonl")
    assert read(tmp_path / "dask.manifest.jsonl") == read(tmp_path / "local.manifest.jsonl")


# -- bad inputs ---------------------------------------------------------------------------------


def test_bad_files_are_reported_and_skipped(tmp_path, spec):
    texts = seed_documents()
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "gbk.txt").write_bytes(texts[1].encode("gb18030"))
    (folder / "utf16.txt").write_bytes(texts[2].encode("utf-16"))
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 20)
    (folder / "valid.txt").write_text(texts[3], encoding="utf-8")
    result = label_files([folder], tmp_path / "out.jsonl", model=spec, progress=False)
    docs = {json.loads(line)["doc"] for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()}
    assert docs == {"gbk", "utf16", "valid"}
    errors = [json.loads(line) for line in (tmp_path / "out.errors.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [Path(e["source"]).name for e in errors] == ["binary.txt", "empty.txt"]
    assert "binary" in errors[0]["reason"] and "empty" in errors[1]["reason"]
    assert (result.documents, result.failed) == (3, 2)


def test_unreadable_file_is_reported(tmp_path, spec, monkeypatch):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(seed_documents()[1], encoding="utf-8")
    (folder / "b.txt").write_text(seed_documents()[2], encoding="utf-8")
    real = batch.inputs.read_bytes

    def read_bytes(path):
        if Path(path).name == "a.txt":
            raise InputError(f"{path}: cannot read: Permission denied")
        return real(path)

    monkeypatch.setattr(batch.inputs, "read_bytes", read_bytes)
    result = label_files([folder], tmp_path / "out.jsonl", model=spec, progress=False)
    assert result.documents == 1 and result.failures[0][1].endswith("Permission denied")


def test_a_document_that_breaks_the_reader_does_not_stop_the_batch(tmp_path, spec, monkeypatch):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a", "b", "c"):
        (folder / f"{name}.txt").write_text(seed_documents()[2], encoding="utf-8")
    real = batch.inputs.parse_report

    def parse(text, doc_id, *args):
        if doc_id == "b":
            raise RecursionError("deep")
        return real(text, doc_id, *args)

    monkeypatch.setattr(batch.inputs, "parse_report", parse)
    result = label_files([folder], tmp_path / "out.jsonl", model=spec, progress=False)
    assert result.documents == 2 and "RecursionError" in result.failures[0][1]


def test_duplicate_document_ids_are_reported(tmp_path, spec):
    for folder in ("x", "y"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "same.txt").write_text(seed_documents()[1], encoding="utf-8")
    result = label_files([tmp_path / "x" / "same.txt", tmp_path / "y" / "same.txt"], tmp_path / "o.jsonl",
                         model=spec, progress=False)
    assert result.documents == 1 and "duplicate document id 'same'" in result.failures[0][1]


def test_missing_input_fails_before_any_work(tmp_path, spec):
    with pytest.raises(InputError, match="nope.txt: no such file"):
        label_files([tmp_path / "nope.txt"], tmp_path / "o.jsonl", model=spec, progress=False)
    assert not (tmp_path / "o.jsonl").exists()


# -- JSONL input -------------------------------------------------------------------------------------


def test_jsonl_input_with_text_and_id_fields(tmp_path, spec):
    texts = seed_documents()
    lines = [
        json.dumps({"id": "r1", "body": texts[1]}, ensure_ascii=False),
        "{not json",
        json.dumps({"id": "r2", "title": "no body"}),
        "",
        json.dumps({"id": 7, "body": texts[2]}, ensure_ascii=False),
        json.dumps({"id": "r4", "body": "   "}),
    ]
    source = tmp_path / "archive.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = label_files([source], tmp_path / "out.jsonl", model=spec, progress=False,
                         text_field="body", id_field="id")
    docs = [json.loads(line)["doc"] for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sorted(set(docs)) == ["7", "r1"]
    reasons = [reason for _, reason in result.failures]
    assert reasons[0].startswith(f"{source}:2: not a JSON record")
    assert reasons[1] == f"{source}:3: text field 'body' is missing"
    assert reasons[2] == f"{source}:6: text is empty"


# -- resume ------------------------------------------------------------------------------------------


class Interrupted(Exception):
    pass


def interrupt_after(monkeypatch, records: Path, batches: int, torn: bool):
    """Make the run die at the records write number ``batches + 1`` (one per document): half of it written."""
    real = batch.sinks.PartFile.write
    calls = {"records": 0}

    def write(self, text):
        if self.path == records and text:
            calls["records"] += 1
            if calls["records"] > batches:
                if torn:
                    real(self, text[: len(text) // 2])
                    self.handle.flush()
                raise Interrupted()
        return real(self, text)

    monkeypatch.setattr(batch.sinks.PartFile, "write", write)


@pytest.mark.parametrize("suffix, commit_seconds", [(".jsonl", 0), (".parquet", 0), (".jsonl", 3600)])
def test_interrupted_run_resumed_equals_an_uninterrupted_run(tmp_path, archive, spec, monkeypatch, suffix,
                                                             commit_seconds):
    (archive / "empty.txt").write_bytes(b"")
    full = tmp_path / f"full{suffix}"
    label_files([archive], full, model=spec, progress=False, batch_docs=2, profiles=tmp_path / "full-p.csv")

    out = tmp_path / f"out{suffix}"
    with monkeypatch.context() as patch:
        interrupt_after(patch, out, batches=3, torn=True)
        with pytest.raises(Interrupted):
            label_files([archive], out, model=spec, progress=False, batch_docs=2, profiles=tmp_path / "out-p.csv",
                        commit_seconds=commit_seconds)
    assert not out.exists() and Path(f"{out}.part").exists() and Path(f"{out}.journal").exists()

    result = label_files([archive], out, model=spec, progress=False, batch_docs=2, resume=True,
                         profiles=tmp_path / "out-p.csv")
    # committed after every batch: the first batch (two documents) is kept; never committed: all is redone
    assert result.already_done == (2 if commit_seconds == 0 else 0)
    assert result.already_done + result.documents == 14
    assert read(out) == read(full)
    assert read(tmp_path / "out-p.csv") == read(tmp_path / "full-p.csv")
    assert read(tmp_path / "out.manifest.jsonl") == read(tmp_path / "full.manifest.jsonl")
    assert read(tmp_path / "out.errors.jsonl") == read(tmp_path / "full.errors.jsonl")
    assert not Path(f"{out}.part").exists() and not Path(f"{out}.journal").exists()


def test_resume_of_a_finished_run_appends_new_documents_only(tmp_path, archive, spec):
    out = tmp_path / "out.jsonl"
    label_files([archive], out, model=spec, progress=False)
    before = read(out)
    (archive / "2012" / "new.txt").write_text(seed_documents()[0], encoding="utf-8")
    result = label_files([archive], out, model=spec, progress=False, resume=True)
    assert (result.already_done, result.documents) == (14, 1)
    after = read(out)
    assert after.startswith(before)
    assert {json.loads(line)["doc"] for line in after[len(before):].decode("utf-8").splitlines()} == {"2012/new"}


def test_resume_refuses_another_model_and_reports_changed_documents(tmp_path, archive, spec, seed_records):
    from cppcc_nlp.model import ThemeClassifier

    out = tmp_path / "out.jsonl"
    label_files([archive], out, model=spec, progress=False)
    other = ThemeClassifier(threshold_folds=0, C=1.0).fit([r.text for r in seed_records], [r.labels for r in seed_records])
    with pytest.raises(ModelError, match="another model"):
        label_files([archive], out, model=other, progress=False, resume=True)
    changed = sorted(archive.rglob("*.txt"))[0]
    changed.write_text(seed_documents()[5] + "\n新增一句话。", encoding="utf-8")
    result = label_files([archive], out, model=spec, progress=False, resume=True)
    assert result.documents == 0 and result.failed == 1 and "other content" in result.failures[0][1]


def test_iter_records_for_spark_partitions(model):
    docs = [("a", seed_documents()[1]), ("b", "   "), ("c", seed_documents()[2])]
    records = list(batch.iter_records(docs, model=model))
    assert {r["doc"] for r in records} == {"a", "b", "c"}
    assert [r for r in records if r["doc"] == "b"] == [{"doc": "b", "error": "b: text is empty"}]
    expected = label_text(seed_documents()[1], model=model).to_records()
    assert [r["text"] for r in records if r["doc"] == "a"] == [r["text"] for r in expected]


# -- the compiled model cached on disk -------------------------------------------------------------


def test_refit_then_label_uses_the_new_fit(tmp_path, archive, seed_records):
    """The same object refitted on other labels labels with the new fit (no cache keyed by object identity)."""
    from cppcc_nlp.model import ThemeClassifier

    texts = [r.text for r in seed_records]
    model = ThemeClassifier(threshold_folds=0).fit(texts, [r.labels for r in seed_records])
    label_files([archive], tmp_path / "first.jsonl", model=model, progress=False)
    model.fit(texts, [["supervision"] if i % 2 else [] for i in range(len(texts))])
    label_files([archive], tmp_path / "second.jsonl", model=model, progress=False)
    first = [json.loads(line) for line in (tmp_path / "first.jsonl").read_text(encoding="utf-8").splitlines()]
    second = [json.loads(line) for line in (tmp_path / "second.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["scores"] for r in first] != [r["scores"] for r in second]
    expected = model.predict_proba([r["text"] for r in second])
    assert [r["scores"]["supervision"] for r in second] == [round(float(p), 4) for p in expected[:, 2]]


def test_a_refused_model_file_is_refused_before_any_work(tmp_path, small_model, seed_records):
    from cppcc_nlp.evaluation.card import save_model

    saved = tmp_path / "mine"
    save_model(small_model, saved, seed_records)
    data = bytearray((saved / "model.npz").read_bytes())
    data[-10] ^= 0xFF
    (saved / "model.npz").write_bytes(bytes(data))
    with pytest.raises(ModelError, match="does not match the card"):
        label_files([tmp_path], tmp_path / "out.jsonl", model=saved, progress=False)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_keep_freed_memory_sets_the_allocator_for_this_process_and_its_workers():
    import subprocess

    code = (
        "import os; from cppcc_nlp.batch import keep_freed_memory; "
        "print(keep_freed_memory(), os.environ['MALLOC_MMAP_THRESHOLD_'], os.environ['MALLOC_TRIM_THRESHOLD_'])"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout
    assert out.split() == ["True", str(32 << 20), str(128 << 20)]
    env["MALLOC_TRIM_THRESHOLD_"] = "0"  # the user's own setting wins
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout
    assert out.split() == ["True", str(32 << 20), "0"]
