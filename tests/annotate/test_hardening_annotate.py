"""Hardening of the annotation loop (issue 22): merge under concurrency, against a changed source, on bad disks;
malformed Label Studio exports and batch files. Each case ends in one line, a documented exit code, nothing lost."""

import json
import multiprocessing
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cppcc_nlp.cli import main
from cppcc_nlp.corpus import document_units, iter_documents, load_corpus, read_registry

from conftest import fill_disk, mount_tmpfs, unmount_tmpfs

CLI = Path(sys.executable).with_name("cppcc-nlp")
SENTENCES = 48


def _documents(shift: bool = False) -> list[dict]:
    """Two documents of numbered sentences; ``shift``: a sentence inserted at the start of the first one."""
    first = [f"政协委员围绕第{k}项议题开展调研。" for k in range(SENTENCES)]
    if shift:
        first.insert(0, "市政协召开全体会议。")
    return [{"id": "d1", "text": "".join(first)},
            {"id": "d2", "text": "委员们开展民主监督。\n会议协商了扶贫工作。"}]


def _write_source(copies: Path, docs: list[dict]) -> None:
    (copies / "news").mkdir(parents=True, exist_ok=True)
    (copies / "news" / "items.jsonl").write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs),
                                                 encoding="utf-8")


def _make_corpus(base: Path) -> tuple[Path, Path]:
    corpus, copies = base / "corpus", base / "copies"
    (corpus / "labels").mkdir(parents=True)
    (corpus / "sources.json").write_text(
        json.dumps({"sources": [{"name": "news", "path": "news/items.jsonl", "doc_id": "id"}]}), encoding="utf-8")
    (corpus / "labels" / "news.jsonl").write_text("", encoding="utf-8")
    _write_source(copies, _documents())
    return corpus, copies


@pytest.fixture
def news_corpus(tmp_path):
    """A corpus whose only source has 50 sentences, none labelled yet, and its units."""
    corpus, copies = _make_corpus(tmp_path)
    spec = read_registry(corpus)["news"]
    units = [u for d in iter_documents(spec, copies / spec.path) for u in document_units(d)]
    return corpus, copies, units


def _batch_line(unit, labels=("consultation",), **changes) -> dict:
    line = {"id": unit.id, "source": unit.source, "doc": unit.doc, "span": list(unit.span), "sha256": unit.sha256,
            "text": unit.text, "selection": "random", "labels": list(labels), "annotator": "a"}
    line.update(changes)
    return line


def _write_batch(path: Path, lines: list[dict]) -> Path:
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    return path


def _merge(batch, corpus, copies, *extra) -> list[str]:
    return ["annotate", "merge", str(batch), "--corpus", str(corpus), "--sources", str(copies), *extra]


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


# -- 1. concurrent merges --------------------------------------------------------------------------

def _merge_in_child(batch: str, corpus: str, copies: str, barrier, results) -> None:
    from cppcc_nlp.annotate.merge import merge_batch
    from cppcc_nlp.errors import CppccNlpError

    barrier.wait()
    try:
        merge_batch(batch, corpus, copies)
        results.put((batch, 0))
    except CppccNlpError as exc:
        results.put((batch, exc.exit_code))
    except BaseException as exc:  # noqa: BLE001 - a crash is what the test looks for
        results.put((batch, f"{type(exc).__name__}: {exc}"))


@pytest.mark.slow  # 20 trials (or a whole run, killed and resumed): 10 s and more under load
@pytest.mark.skipif(not hasattr(os, "fork"), reason="starts merges in forked processes")
def test_concurrent_merges_into_one_corpus_keep_every_label(news_corpus, tmp_path):
    corpus, copies, units = news_corpus
    merges, per_batch, trials = 4, 3, 20
    context = multiprocessing.get_context("fork")
    for trial in range(trials):
        (corpus / "labels" / "news.jsonl").write_text("", encoding="utf-8")
        batches = []
        for k in range(merges):
            chosen = units[(trial + k * per_batch) % 40:][:per_batch]
            batches.append(str(_write_batch(tmp_path / f"b{k}.jsonl", [_batch_line(u) for u in chosen])))
        barrier, results = context.Barrier(merges), context.Queue()
        children = [context.Process(target=_merge_in_child, args=(b, str(corpus), str(copies), barrier, results))
                    for b in batches]
        for child in children:
            child.start()
        outcomes = dict(results.get(timeout=60) for _ in children)
        for child in children:
            child.join(timeout=60)
        assert sorted(outcomes.values(), key=str) == [0] * merges, f"trial {trial}: {outcomes}"
        merged = {json.loads(line)["id"] for line in (corpus / "labels" / "news.jsonl").read_text().splitlines()}
        wanted = {json.loads(line)["id"] for b in batches for line in Path(b).read_text().splitlines()}
        assert merged == wanted, f"trial {trial}: lost {sorted(wanted - merged)}"
        assert not list((corpus / "labels").glob("*.part")) and not (corpus / "labels.lock").exists()


def test_a_merge_waits_for_the_lock_and_then_names_the_holder(news_corpus, tmp_path, monkeypatch, capsys):
    import fcntl

    from cppcc_nlp.annotate import merge

    corpus, copies, units = news_corpus
    batch = _write_batch(tmp_path / "b.jsonl", [_batch_line(units[0])])
    monkeypatch.setattr(merge, "MERGE_WAIT_SECONDS", 0.2)
    with open(corpus / "labels.lock", "w", encoding="ascii") as held:  # as a running merge holds it
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.write("4242\n")
        held.flush()
        assert main(_merge(batch, corpus, copies)) == 11
    line = _one_line(capsys.readouterr().err)
    assert "another merge (pid 4242)" in line and str(corpus / "labels") in line
    assert (corpus / "labels" / "news.jsonl").read_text() == ""
    assert main(_merge(batch, corpus, copies)) == 0
    assert not (corpus / "labels.lock").exists()


# -- 2. a labelled line must be the sentence the annotator saw -------------------------------------

def test_merge_refuses_lines_whose_sentence_moved_in_a_changed_source_copy(news_corpus, tmp_path, capsys):
    corpus, copies, units = news_corpus
    batch = _write_batch(tmp_path / "b.jsonl", [_batch_line(u) for u in units[3:6]] + [_batch_line(units[-1])])
    _write_source(copies, _documents(shift=True))  # every sentence of d1 moves one on; d2 stays
    assert main(_merge(batch, corpus, copies)) == 4
    line = _one_line(capsys.readouterr().err)
    assert "3 line(s) whose sha256 or text is not the sentence now at their id" in line
    assert all(u.id in line for u in units[3:6]) and units[-1].id not in line and "nothing merged" in line
    assert (corpus / "labels" / "news.jsonl").read_text() == ""


@pytest.mark.parametrize("field", ["sha256", "text"])
def test_merge_refuses_a_line_whose_hash_or_text_is_plainly_wrong(news_corpus, tmp_path, field, capsys):
    corpus, copies, units = news_corpus
    wrong = {"sha256": "0" * 64, "text": "完全不同的一句话。"}[field]
    batch = _write_batch(tmp_path / "b.jsonl", [_batch_line(units[0]), _batch_line(units[1], **{field: wrong})])
    assert main(_merge(batch, corpus, copies)) == 4
    line = _one_line(capsys.readouterr().err)
    assert f"{units[1].id} (2)" in line and units[0].id + " " not in line
    assert (corpus / "labels" / "news.jsonl").read_text() == ""


def test_merge_of_lines_that_match_their_sentences_still_works(news_corpus, tmp_path, capsys):
    corpus, copies, units = news_corpus
    batch = _write_batch(tmp_path / "b.jsonl", [_batch_line(units[0]), _batch_line(units[1], labels=[])])
    assert main(_merge(batch, corpus, copies)) == 0
    records = {r.id: r for r in load_corpus(corpus, sources=copies)}
    assert records[units[0].id].labels == ("consultation",) and records[units[1].id].labels == ()


# -- 4. merge write errors and a FIFO batch --------------------------------------------------------

@pytest.fixture
def tmpfs(tmp_path):
    """A mount point for a small tmpfs (needs root); skips, saying why, where it cannot be mounted."""
    mount = mount_tmpfs(tmp_path, "256k", "a full or read-only disk")
    yield mount
    unmount_tmpfs(mount)


@pytest.mark.parametrize("case", ["full disk", "read-only corpus"])
def test_merge_on_a_disk_that_cannot_take_it_ends_in_one_line_and_leaves_the_corpus_as_it_was(tmp_path, tmpfs, case,
                                                                                              capsys):
    corpus, copies = _make_corpus(tmpfs)
    shutil.move(str(copies), tmp_path / "copies")  # the source copies stay on the roomy disk
    copies = tmp_path / "copies"
    spec = read_registry(corpus)["news"]
    units = [u for d in iter_documents(spec, copies / spec.path) for u in document_units(d)]
    first = _write_batch(tmp_path / "first.jsonl", [_batch_line(u) for u in units[:2]])
    assert main(_merge(first, corpus, copies)) == 0
    capsys.readouterr()
    before = {p.relative_to(corpus): p.read_bytes() for p in corpus.rglob("*") if p.is_file()}
    assert before
    batch = _write_batch(tmp_path / "b.jsonl", [_batch_line(u, annotator="x" * 4000) for u in units[2:40]])
    if case == "full disk":
        fill_disk(tmpfs, leave=16 << 10)  # room for the lock, not for the label file
        reason = "No space left on device"
    else:
        subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)], check=True)
        reason = "Read-only file system"
    assert main(_merge(batch, corpus, copies)) == 12
    line = _one_line(capsys.readouterr().err)
    assert reason in line and str(corpus) in line
    after = {p.relative_to(corpus): p.read_bytes() for p in corpus.rglob("*") if p.is_file() and p.name != "filler"}
    assert after == before  # no .part file keeps the disk full, no lock file, the labels as they were


def test_merge_refuses_a_lone_surrogate_in_the_annotator_before_writing(news_corpus, tmp_path, capsys):
    corpus, copies, units = news_corpus
    batch = tmp_path / "b.jsonl"
    line = json.dumps(_batch_line(units[0])).replace('"annotator": "a"', '"annotator": "a\\ud800"')
    batch.write_text(line + "\n", encoding="utf-8")
    assert main(_merge(batch, corpus, copies)) == 4
    message = _one_line(capsys.readouterr().err)
    assert "b.jsonl:1: 'annotator' holds a lone surrogate" in message
    assert (corpus / "labels" / "news.jsonl").read_text() == "" and not list(corpus.rglob("*.part"))


def test_a_fifo_given_as_the_batch_is_refused_without_blocking(news_corpus, tmp_path):
    corpus, copies, _ = news_corpus
    fifo = tmp_path / "batch.jsonl"
    os.mkfifo(fifo)
    done = subprocess.run([str(CLI), *_merge(fifo, corpus, copies)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 4
    assert "batch.jsonl: a FIFO, not a regular file" in _one_line(done.stderr)


# -- 3. Label Studio exports and batch files that are not what they should be --------------------------

def _task(result, unit="news/d1-s00-000", **extra) -> dict:
    return {"id": 1, "data": {"unit_id": unit, "text": "…"},
            "annotations": [{"id": 2, "result": result, "was_cancelled": False, "completed_by": 1}], **extra}


_REGION = {"from_name": "themes", "to_name": "text", "type": "choices"}


@pytest.mark.parametrize("export, expected", [
    ([_task({"choices": ["supervision"]})], "the annotation's 'result' must be a list of regions, got a object"),
    ([_task("supervision")], "the annotation's 'result' must be a list of regions, got a string"),
    ([{"data": {"unit_id": "news/d1-s00-000"}, "annotations": 5}], "'annotations' must be a list, got a number"),
    ([_task([{**_REGION, "value": "supervision"}])], "the 'value' of a 'themes' region must be an object"),
    ([{"unit_id": "news/d1-s00-000", "themes": 5, "annotation_id": 1}], "'themes' must be a theme, a list of themes"),
    ("deep", "JSON nested too deeply to be a Label Studio export"),
    ("surrogate", "'unit_id' holds a lone surrogate"),
])
def test_malformed_label_studio_exports_are_refused_in_one_line_leaving_no_batch(tmp_path, export, expected, capsys):
    path, out = tmp_path / "export.json", tmp_path / "batch.jsonl"
    if export == "deep":
        path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    elif export == "surrogate":
        path.write_text(json.dumps([_task([], unit="news/d1\ud800")]), encoding="utf-8")  # \\ud800 in the JSON
    else:
        path.write_text(json.dumps(export), encoding="utf-8")
    assert main(["annotate", "import-labelstudio", str(path), "-o", str(out)]) == 4
    assert expected in _one_line(capsys.readouterr().err)
    assert not out.exists() and not list(tmp_path.glob("*.part"))


def test_import_labelstudio_refuses_to_write_over_its_export_or_into_a_missing_directory(tmp_path, capsys):
    path = tmp_path / "export.json"
    path.write_text(json.dumps([_task([{**_REGION, "value": {"choices": ["supervision"]}}])]), encoding="utf-8")
    before = path.read_bytes()
    assert main(["annotate", "import-labelstudio", str(path), "-o", str(path)]) == 2
    assert "-o is also an input" in _one_line(capsys.readouterr().err)
    assert path.read_bytes() == before
    missing = tmp_path / "missing" / "batch.jsonl"
    assert main(["annotate", "import-labelstudio", str(path), "-o", str(missing)]) == 2
    assert "does not exist" in _one_line(capsys.readouterr().err)
    assert main(["annotate", "import-labelstudio", str(path), "-o", str(tmp_path / "b.jsonl")]) == 0
    assert json.loads((tmp_path / "b.jsonl").read_text())["labels"] == ["supervision"]


@pytest.mark.parametrize("command", ["progress", "export-labelstudio"])
@pytest.mark.parametrize("line, expected", [
    ("[1, 2]", "a batch line is a JSON object, got a list"),
    ('{"id": "news/d1-s00-000", "labels": 5}', "'labels' must be a list of theme ids"),
    ('{"id": "news/d1-s00-000", "labels": null, "suggested": [0.5]}', "'suggested' must be an object"),
    ('{"id": "news/d1-s00-000", "labels": null, "text": "\\ud800"}', "'text' holds a lone surrogate"),
])
def test_batch_lines_of_the_wrong_shape_are_refused_in_one_line(tmp_path, command, line, expected, capsys):
    batch = tmp_path / "batch.jsonl"
    batch.write_text(line + "\n", encoding="utf-8")
    extra = ["-o", str(tmp_path / "tasks.json")] if command == "export-labelstudio" else []
    assert main(["annotate", command, str(batch), *extra]) == 4
    line = _one_line(capsys.readouterr().err)
    assert expected in line and "batch.jsonl:1" in line
    assert not (tmp_path / "tasks.json").exists()


def test_a_label_studio_round_trip_keeps_the_text_so_merge_can_check_it(news_corpus, tmp_path, capsys):
    from cppcc_nlp.annotate.labelstudio import batch_to_tasks

    corpus, copies, units = news_corpus
    tasks = batch_to_tasks([_batch_line(units[0]), _batch_line(units[1])])
    for task, text in zip(tasks, (units[0].text, "另一句话。")):
        task["data"]["text"] = text  # the second annotator saw another sentence
        task["annotations"] = [{"result": [{**_REGION, "value": {"choices": ["supervision"]}}], "completed_by": 1}]
    export = tmp_path / "export.json"
    export.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    assert main(["annotate", "import-labelstudio", str(export), "-o", str(tmp_path / "b.jsonl")]) == 0
    capsys.readouterr()
    assert main(_merge(tmp_path / "b.jsonl", corpus, copies)) == 4
    assert f"{units[1].id} (2)" in _one_line(capsys.readouterr().err)
