"""Label archives: many inputs -> per-sentence records and section profiles.

inputs (files, directories, ``-``, JSONL records) -> items, streamed
-> batches of bounded size -> workers (in-process, joblib's loky processes or a
Dask cluster): read, split, predict, serialise -> results in input order
-> output files, committed batch by batch.

- Memory stays flat: items are listed lazily, a bounded number of batches is in
  flight, and results are written as they arrive.
- Output is identical for any number of jobs and either backend: batches are cut
  the same way, each document's labels depend only on its own sentences, and
  results are written in input order.
- Atomic commits: data goes to ``<file>.part`` files; after each batch they are
  flushed and ``<output>.journal`` (their committed sizes) is replaced through a
  temporary file. At the end the parts are renamed to their final names. A crash
  leaves the finished output untouched and a journal that ``resume`` uses to cut
  any half-written tail.
- Resume: ``<output stem>.manifest.jsonl`` lists every labelled document with the
  sha256 of its normalised text; ``resume=True`` skips documents listed with the
  same hash and appends the rest, giving the bytes of an uninterrupted run.
- Bad inputs (unreadable, empty, binary, undecodable, bad JSONL line) are reported
  in an errors file and on stderr and skipped; the batch goes on.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import pickle
import shutil
import sys
import tempfile
import threading
import time
from array import array
from collections import deque
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Iterable, Iterator, Sequence

import numpy as np

from .errors import InputError, ModelError
from .optional import require
from .progress import progress_bar, show_progress
from .reader import Report, decode_bytes, parse_report, read_bytes
from .records import (
    SCORE_TEXT,
    STDIN_ID,
    RecordEncoder,
    column_types,
    csv_header,
    document_id,
    encode_json,
    line_id,
    profile_fields,
    record_fields,
    score_steps,
    section_profiles,
)

if TYPE_CHECKING:  # the workers import this module; they need neither scikit-learn nor the model module
    from .engine import Engine
    from .model import ThemeClassifier

FORMAT = "cppcc_nlp-batch/1"
JSONL_SUFFIXES = (".jsonl", ".ndjson")
BACKENDS = ("local", "dask")
BATCH_DOCS = 32  # documents per batch at most
BATCH_BYTES = 1_500_000  # input bytes per batch at most (a single larger document is its own batch)
PREDICT_CHARS = 200_000  # sentences are vectorised in chunks of about this many characters
PARQUET_ROWS = 20_000  # rows per Parquet row group
STDERR_FAILURES = 20  # failures printed on stderr; all of them go to the errors file
KEPT_FAILURES = 1000  # failures kept in BatchResult.failures; all of them go to the errors file
COMMIT_SECONDS = 2.0  # output made durable (fsync) and journalled at most this often; a resume redoes the rest


# -- inputs -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One input document, before reading: a file path, raw bytes, or JSONL text."""

    doc_id: str
    source: str  # what messages name: a path, "<stdin>", "file.jsonl:12"
    path: str | None = None  # read by the worker
    data: bytes | None = None  # raw bytes (standard input)
    text: str | None = None  # decoded text (a JSONL record)
    error: str | None = None  # a failure found while listing (bad JSONL line, unreadable directory)
    expected_hash: str | None = None  # resume: the hash prefix this document was labelled with
    size: int = 0  # bytes or characters, for cutting batches


def iter_items(
    inputs: Iterable[str | os.PathLike],
    glob: str = "*.txt",
    text_field: str | None = None,
    id_field: str | None = None,
) -> Iterator[Item]:
    """Every document of ``inputs``, lazily, in a fixed order.

    - A directory: its files matching ``glob`` at any depth, in path order; a
      document's id is its path relative to the directory without suffix.
    - A file: its id is its name without suffix.
    - ``.jsonl``/``.ndjson`` files: one document per line, text in ``text_field``
      (default ``"text"``), id in ``id_field`` (default ``<file id>:<line>``).
    - ``-``: standard input, one plain-text report (id ``stdin``), or JSONL
      records when ``text_field`` or ``id_field`` is given.
    """
    for raw in inputs:
        if str(raw) == "-":
            if text_field is not None or id_field is not None:
                yield from _jsonl_items(sys.stdin.buffer, "<stdin>", STDIN_ID, text_field, id_field)
            else:
                data = sys.stdin.buffer.read()
                yield Item(STDIN_ID, "<stdin>", data=data, size=len(data))
            continue
        path = Path(raw)
        if path.is_dir():
            for file, relative in _walk(path, glob):
                if isinstance(file, Item):
                    yield file
                else:
                    yield from _file_items(file, document_id(relative), text_field, id_field)
        else:
            yield from _file_items(path, document_id(path.name), text_field, id_field)


def count_items(inputs: Iterable[str | os.PathLike], glob: str = "*.txt") -> int | None:
    """The number of documents ``iter_items`` will give (counting JSONL lines), or None for stdin."""
    total = 0
    for raw in inputs:
        if str(raw) == "-":
            return None
        path = Path(raw)
        files = (f for f, _ in _walk(path, glob) if not isinstance(f, Item)) if path.is_dir() else [path]
        for file in files:
            if file.suffix.lower() in JSONL_SUFFIXES:
                try:
                    with open(file, "rb") as handle:
                        total += sum(1 for line in handle if line.strip())
                except OSError:
                    total += 1
            else:
                total += 1
    return total


def check_inputs(inputs: Iterable[str | os.PathLike]) -> None:
    """Raise InputError naming the first input on the command line that does not exist."""
    for raw in inputs:
        if str(raw) != "-" and not os.path.lexists(raw):
            raise InputError(f"{raw}: no such file or directory")


def empty_directories(inputs: Iterable[str | os.PathLike], glob: str = "*.txt") -> list[str]:
    """The inputs that are directories without one file matching ``glob`` (stops at the first match)."""
    return [
        str(raw) for raw in inputs
        if str(raw) != "-" and Path(raw).is_dir() and next(_walk(Path(raw), glob), None) is None
    ]


def _walk(root: Path, pattern: str, relative: str = "") -> Iterator[tuple[Path | Item, str]]:
    """Files under ``root`` matching ``pattern``, in path order; symlinked directories are not followed."""
    try:
        entries = sorted(os.scandir(root), key=lambda entry: entry.name)
    except OSError as exc:
        item = Item(relative or root.name, str(root), error=f"{root}: cannot list directory: {exc.strerror or exc}")
        yield item, relative
        return
    for entry in entries:
        rel = f"{relative}/{entry.name}" if relative else entry.name
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
            is_file = not is_dir and entry.is_file()
        except OSError:
            is_dir, is_file = False, True  # let the reader report it
        if is_dir:
            yield from _walk(Path(entry.path), pattern, rel)
        elif is_file and _matches(entry.name, rel, pattern):
            yield Path(entry.path), rel


def _matches(name: str, relative: str, pattern: str) -> bool:
    if "/" in pattern:
        return PurePosixPath(relative).match(pattern)
    return fnmatch.fnmatchcase(name, pattern)


def _file_items(path: Path, doc_id: str, text_field: str | None, id_field: str | None) -> Iterator[Item]:
    if path.suffix.lower() in JSONL_SUFFIXES:
        try:
            handle = open(path, "rb")
        except OSError as exc:
            yield Item(doc_id, str(path), error=f"{path}: cannot read: {exc.strerror or exc}")
            return
        with handle:
            yield from _jsonl_items(handle, str(path), doc_id, text_field, id_field)
        return
    try:
        size = path.stat().st_size
    except OSError:
        size = 0
    yield Item(doc_id, str(path), path=str(path), size=size)


def _jsonl_items(handle, name: str, stem: str, text_field: str | None, id_field: str | None) -> Iterator[Item]:
    text_field = text_field or "text"
    for number, raw in enumerate(handle, start=1):
        source = f"{name}:{number}"
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        if not raw.strip():
            continue
        default_id = line_id(stem, number)
        try:
            record = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            yield Item(default_id, source, error=f"{source}: line is not UTF-8")
            continue
        except json.JSONDecodeError as exc:
            yield Item(default_id, source, error=f"{source}: not a JSON record: {exc.msg}")
            continue
        if not isinstance(record, dict):
            yield Item(default_id, source, error=f"{source}: expected a JSON object, got {type(record).__name__}")
            continue
        doc_id = default_id
        if id_field is not None:
            value = record.get(id_field)
            if not isinstance(value, (str, int)) or isinstance(value, bool) or value == "":
                yield Item(default_id, source, error=f"{source}: no usable id in field {id_field!r}")
                continue
            doc_id = str(value)
        text = record.get(text_field)
        if not isinstance(text, str):
            reason = "missing" if text is None else f"a {type(text).__name__}, not a string"
            yield Item(doc_id, source, error=f"{source}: text field {text_field!r} is {reason}")
            continue
        yield Item(doc_id, source, text=text, size=len(text))


def _batches(items: Iterable[Item], max_docs: int, max_bytes: int) -> Iterator[list[Item]]:
    batch: list[Item] = []
    size = 0
    for item in items:
        batch.append(item)
        size += item.size
        if len(batch) >= max_docs or size >= max_bytes:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _finer_at_the_end(batches: Iterable[list[Item]], last: int, pieces: int) -> Iterator[list[Item]]:
    """``batches``, with the ``last`` ones each cut into ``pieces`` smaller batches.

    Every process finishes its last batch at about the same time: no core waits
    long for the last large batch of another.
    """
    ahead: deque = deque()
    for batch in batches:
        ahead.append(batch)
        if len(ahead) > last:
            yield ahead.popleft()
    for batch in ahead:
        size = -(-len(batch) // pieces)
        for start in range(0, len(batch), size):
            yield batch[start : start + size]


# -- labelling (runs in the workers) -----------------------------------------------------------


@dataclass(frozen=True)
class ModelSpec:
    """A model as sent to the workers: its engine, pickled once, and a key for it.

    ``key`` is ``Engine.fingerprint()``, a hash of the fitted state: the same
    model gives the same key in any process, a refit another. The manifest
    keeps it, so that a run is never resumed with another model.
    """

    key: str
    pickled: bytes
    themes: tuple[str, ...]

    @classmethod
    def of_engine(cls, engine: "Engine") -> "ModelSpec":
        return cls(engine.fingerprint(), pickle.dumps(engine, protocol=4), engine.themes)

    @classmethod
    def of(cls, model: "ThemeClassifier") -> "ModelSpec":
        return cls.of_engine(model._engine())


def load_spec(directory: str | os.PathLike | None = None) -> ModelSpec:
    """Load a saved model's engine (``persist.load_engine``: checked, pure data, no scikit-learn)."""
    from .persist import load_engine

    return ModelSpec.of_engine(load_engine(directory).engine)


MALLOC_KEEP = {"MALLOC_MMAP_THRESHOLD_": 32 << 20, "MALLOC_TRIM_THRESHOLD_": 128 << 20}  # bytes
_MALLOPT = {"MALLOC_MMAP_THRESHOLD_": -3, "MALLOC_TRIM_THRESHOLD_": -1}  # glibc's M_MMAP_THRESHOLD, M_TRIM_THRESHOLD


def keep_freed_memory() -> bool:
    """Let glibc keep freed memory for reuse in this process and in the worker processes it starts.

    Labelling allocates and frees arrays of several MB for every chunk of
    sentences; by default glibc returns them to the system each time
    (``munmap``, heap trimming), and every new array then page-faults in fresh
    zeroed pages: 600,000 page faults and about a second of system time per
    50 MiB of text. With a fixed mmap threshold of 32 MiB and a trim threshold
    of 128 MiB the pages are reused; peak memory stays the same. Process-wide,
    so the command line calls it, not the library functions. Linux (glibc)
    only; returns whether it applied. Settings already in the environment win.
    """
    if not sys.platform.startswith("linux"):
        return False
    for name, value in MALLOC_KEEP.items():
        os.environ.setdefault(name, str(value))  # read by glibc when a worker process starts
    try:
        import ctypes

        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    applied = True
    for name, param in _MALLOPT.items():
        try:
            value = int(os.environ[name])
        except ValueError:
            continue
        applied = bool(mallopt(param, value)) and applied
    return applied


@dataclass(frozen=True)
class Options:
    """What a worker produces: the record and profile formats (None: no profiles)."""

    records: str = "jsonl"  # "jsonl", "csv", "parquet" (Parquet parts are JSON arrays) or "memory" (no text)
    profiles: str | None = None


@dataclass
class Outcome:
    """The result for one input document."""

    doc_id: str
    source: str
    content_hash: str = ""
    records: bytes = b""  # UTF-8, encoded where labelled: a worker's records are written as they arrive
    profiles: bytes = b""
    sentences: int = 0
    characters: int = 0
    error: str | None = None
    already_done: bool = False
    labelled: tuple | None = None  # "memory" records: (report, label masks, score steps)


_LABELLERS: dict[str, "Labeller"] = {}  # per worker process: loaded models by fingerprint (a few)
_LABELLERS_LOCK = threading.Lock()
_MAX_LABELLERS = 4


def labeller_for(spec: ModelSpec) -> "Labeller":
    """The process's labeller for ``spec``, built on first use (model, segmenter, vocabularies)."""
    labeller = _LABELLERS.get(spec.key)
    if labeller is None:
        with _LABELLERS_LOCK:
            labeller = _LABELLERS.get(spec.key)
            if labeller is None:
                while len(_LABELLERS) >= _MAX_LABELLERS:
                    _LABELLERS.pop(next(iter(_LABELLERS)))
                labeller = _LABELLERS[spec.key] = Labeller(pickle.loads(spec.pickled))
    return labeller


def label_batch(spec: ModelSpec, items: Sequence[Item], options: Options) -> list[Outcome]:
    """Label one batch of items. Never raises for a bad document."""
    return labeller_for(spec).label(items, options)


def _start_worker(spec: ModelSpec) -> None:
    """Initializer of a local worker process: its labeller is built once, before its first batch."""
    labeller_for(spec)


def _label_in_worker(key: str, items: Sequence[Item], options: Options, spool: str) -> str:
    """The task of a local worker: label a batch, pickle its outcomes into a file in ``spool``, return its path.

    The model went once with ``_start_worker``; each batch names it by key.
    A file, not the result pipe: sending megabytes of records through the pipe
    kept the worker waiting until the busy main process had read them all.
    """
    outcomes = _LABELLERS[key].label(items, options)
    handle, path = tempfile.mkstemp(dir=spool, suffix=".pickle")
    with os.fdopen(handle, "wb") as file:
        pickle.dump(outcomes, file, protocol=pickle.HIGHEST_PROTOCOL)
    return path


def _read_spooled(path: str) -> list[Outcome]:
    """The outcomes a worker pickled into ``path`` (in this run's private spool directory); the file is removed."""
    try:
        with open(path, "rb") as file:
            return pickle.load(file)
    finally:
        os.unlink(path)


def _executor(spec: ModelSpec, workers: int):
    """The reusable loky executor whose workers hold ``spec`` (a new one for another model)."""
    from joblib.externals.loky import get_reusable_executor

    return get_reusable_executor(max_workers=workers, initializer=_start_worker, initargs=(spec,))


class Labeller:
    """Reads, labels and serialises documents with one engine, predicting a whole batch at once."""

    def __init__(self, compiled: "Engine") -> None:
        self.predictor = compiled
        self.themes = compiled.themes
        self.thresholds = compiled.thresholds
        self.lock = threading.Lock()  # the predictor's token cache is not thread-safe
        self.encoder = RecordEncoder(self.themes)

    def predict(self, texts: list[str]) -> np.ndarray:
        """Probabilities for ``texts``, vectorised in chunks of about PREDICT_CHARS characters."""
        blocks, start, size = [], 0, 0
        for end, text in enumerate(texts, start=1):
            size += len(text)
            if size >= PREDICT_CHARS or end == len(texts):
                blocks.append(self.predictor.predict_proba(texts[start:end]))
                start, size = end, 0
        if not blocks:
            return np.zeros((0, len(self.themes)))
        return np.vstack(blocks)

    def label(self, items: Sequence[Item], options: Options) -> list[Outcome]:
        outcomes: list[Outcome | None] = [None] * len(items)
        reports: list[tuple[int, Report, tuple]] = []
        for i, item in enumerate(items):
            outcome = Outcome(item.doc_id, item.source)
            if item.error is not None:
                outcome.error = item.error
                outcomes[i] = outcome
                continue
            try:
                report = read_item(item)
            except InputError as exc:
                outcome.error = str(exc)
            except Exception as exc:  # a reader bug on one document must not stop the batch
                outcome.error = f"{item.source}: unexpected error while reading: {type(exc).__name__}: {exc}"
            else:
                outcome.content_hash = report.content_hash
                if item.expected_hash is not None:
                    if report.content_hash.startswith(item.expected_hash):
                        outcome.already_done = True
                    else:
                        outcome.error = (
                            f"{item.source}: document {item.doc_id!r} is already in the output with other content "
                            "(its text changed since); label it into a new output"
                        )
                else:
                    reports.append((i, report, report.sentences))
            outcomes[i] = outcome
        with self.lock:
            try:
                probabilities = self.predict([s.text for _, _, sentences in reports for s in sentences])
                masks, steps = self._labels_and_steps(probabilities)
            except Exception:
                masks = steps = None  # find the document that fails: predict one document at a time
            offset = 0
            for i, report, sentences in reports:
                try:
                    if masks is not None:
                        end = offset + len(sentences)
                        mine = masks[offset:end], steps[offset:end]
                        offset = end
                    else:
                        mine = self._labels_and_steps(self.predict([s.text for s in sentences]))
                    self._serialise(outcomes[i], report, sentences, *mine, options)
                except Exception as exc:
                    outcomes[i].error = f"{items[i].source}: unexpected error while labelling: {type(exc).__name__}: {exc}"
                    outcomes[i].records = outcomes[i].profiles = b""
        return outcomes  # type: ignore[return-value]

    def _labels_and_steps(self, probabilities: np.ndarray) -> tuple[list[int], list[list[int]]]:
        """Per sentence: the predicted themes as a bit mask, and each score as ``round(p, 4) * 10000``."""
        masks = (probabilities >= self.thresholds) @ (1 << np.arange(len(self.themes)))
        return masks.tolist(), score_steps(probabilities).tolist()

    def _serialise(self, outcome: Outcome, report: Report, sentences, masks, steps, options: Options) -> None:
        outcome.sentences = len(sentences)
        outcome.characters = sum(len(s.text) for s in sentences)
        if options.records == "memory":
            outcome.labelled = (report, masks, steps)
            return
        names = [section.name for section in report.sections]
        outcome.records = self.encoder.records(report.doc_id, names, sentences, masks, steps, options.records).encode("utf-8")
        if options.profiles is not None:
            rows = section_profiles(report.doc_id, report.sections, sentences, masks, len(self.themes))
            outcome.profiles = self.encoder.profiles(rows, options.profiles).encode("utf-8")


def read_item(item: Item) -> Report:
    """Read and split one item into a Report; InputError names its source."""
    if item.text is not None:
        if not item.text.strip():
            raise InputError(f"{item.source}: text is empty")
        return parse_report(item.text, item.doc_id, item.source)
    data = item.data if item.data is not None else read_bytes(item.path)
    text, encoding = decode_bytes(data, item.source)
    return parse_report(text, item.doc_id, item.source, encoding)


_encode = encode_json


def iter_records(docs: Iterable[tuple[str, str]], model: "ThemeClassifier | None" = None) -> Iterator[dict]:
    """Per-sentence records for ``(doc_id, text)`` pairs, batched; for Spark's ``mapPartitions``.

    The model (default: the shipped one) is built once per process and reused.
    A document that cannot be read gives one record with ``error`` set.
    """
    from .api import default_model

    spec = ModelSpec.of(model if model is not None else default_model())
    items = (Item(str(doc_id), str(doc_id), text=text, size=len(text)) for doc_id, text in docs)
    for batch in _batches(items, BATCH_DOCS, BATCH_BYTES):
        for outcome in label_batch(spec, batch, Options("jsonl")):
            if outcome.error is not None:
                yield {"doc": outcome.doc_id, "error": outcome.error}
            else:
                yield from (json.loads(line) for line in outcome.records.decode("utf-8").splitlines())


# -- running batches: here, in local processes, or on a Dask cluster ---------------------------------


def _run_here(batches: Iterable[list[Item]], spec: ModelSpec, options: Options) -> Iterator[list[Outcome]]:
    for batch in batches:
        yield label_batch(spec, batch, options)


def _run_processes(
    batches: Iterable[list[Item]], spec: ModelSpec, options: Options, jobs: int, keep_workers: bool = True
) -> Iterator[list[Outcome]]:
    """Batches on ``jobs`` processes, results in input order: ``jobs - 1`` joblib (loky) workers and this one.

    The workers get batches while fewer than two per worker are pending; this
    process labels the others itself (so ``jobs`` processes label, and only one
    of them holds scikit-learn). A worker process that dies (killed, out of
    memory) breaks the pool; the batches it held are labelled again one document
    at a time on a fresh pool, and a document that kills a worker again is
    reported as failed.
    """
    from concurrent.futures import ThreadPoolExecutor

    workers = jobs - 1
    executor = _executor(spec, workers)
    spool = tempfile.mkdtemp(prefix="cppcc_nlp-spool-")  # private (0700): the workers' pickled outcomes
    # The first submit starts the workers and blocks until each has read the model (a few
    # tenths of a second): a thread submits the first batch while this process labels.
    started = threading.Event()

    def first_batch(batch: list[Item]) -> str:
        future = executor.submit(_label_in_worker, spec.key, batch, options, spool)
        started.set()
        return future.result()

    starter = ThreadPoolExecutor(1)
    window: deque = deque()  # [batch, future or None, outcomes or None], in input order
    finished = False
    try:
        for batch in _finer_at_the_end(batches, last=2 * jobs, pieces=4):
            pending = sum(1 for _, future, _ in window if future is not None and not future.done())
            if starter is not None:
                window.append([batch, starter.submit(first_batch, batch), None])
                starter.shutdown(wait=False)
                starter = None
            elif started.is_set() and pending < 2 * workers:
                window.append([batch, executor.submit(_label_in_worker, spec.key, batch, options, spool), None])
            else:
                window.append([batch, None, label_batch(spec, batch, options)])
            while window and (window[0][1] is None or window[0][1].done() or len(window) > 4 * jobs):
                yield _outcomes(window.popleft(), spec, options, workers, spool)
        while window:  # no more input: take back batches still queued for a worker and label them here
            for entry in reversed(window):
                if entry[1] is not None and entry[1].cancel():
                    entry[1], entry[2] = None, label_batch(spec, entry[0], options)
                    break
            yield _outcomes(window.popleft(), spec, options, workers, spool)
        finished = True
    finally:
        if not finished:
            for _, future, _ in window:
                if future is not None:
                    future.cancel()
        if not finished or not keep_workers:  # every result is in, or none is wanted: no need to wait
            _executor(spec, workers).shutdown(wait=False, kill_workers=True)
        shutil.rmtree(spool, ignore_errors=True)


def _outcomes(entry: list, spec: ModelSpec, options: Options, workers: int, spool: str) -> list[Outcome]:
    from joblib.externals.loky.process_executor import BrokenProcessPool

    batch, future, outcomes = entry
    if future is None:
        return outcomes
    try:
        return _read_spooled(future.result())
    except BrokenProcessPool:
        pass
    outcomes = []
    for item in batch:
        try:
            path = _executor(spec, workers).submit(_label_in_worker, spec.key, [item], options, spool).result()
            outcomes.extend(_read_spooled(path))
        except BrokenProcessPool:
            outcomes.append(Outcome(item.doc_id, item.source, error=f"{item.source}: a worker process died while labelling it"))
    return outcomes


def _run_dask(
    batches: Iterable[list[Item]], spec: ModelSpec, options: Options, scheduler, jobs: int | None
) -> Iterator[list[Outcome]]:
    """Batches on a Dask cluster (``scheduler``: an address or a ``distributed.Client``), results in input order.

    File contents are read here and sent with the task, so the workers need no
    access to the files; each worker process loads the model once.
    """
    from distributed import Client

    client = scheduler if isinstance(scheduler, Client) else Client(scheduler, set_as_default=False)
    try:
        in_flight = 2 * (jobs or max(1, sum(client.nthreads().values())))
        spec_future = client.scatter(spec, broadcast=True, hash=False)
        window: deque = deque()
        for batch in batches:
            batch = [_with_data(item) for item in batch]
            window.append(client.submit(label_batch, spec_future, batch, options, pure=False))
            if len(window) >= in_flight:
                yield window.popleft().result()
        while window:
            yield window.popleft().result()
    finally:
        if client is not scheduler:
            client.close()


def _with_data(item: Item) -> Item:
    if item.path is None or item.error is not None:
        return item
    try:
        return replace(item, data=read_bytes(item.path), path=None)
    except InputError as exc:
        return replace(item, error=str(exc))


# -- output files ------------------------------------------------------------------------------


def output_format(path: str | os.PathLike) -> str:
    """"csv", "parquet" or "jsonl" (the default), from the file's extension."""
    suffix = Path(path).suffix.lower()
    return {".csv": "csv", ".parquet": "parquet"}.get(suffix, "jsonl")


def sidecar_path(output: str | os.PathLike, kind: str) -> Path:
    """``out.jsonl`` -> ``out.manifest.jsonl`` / ``out.errors.jsonl``."""
    output = Path(output)
    return output.with_name(f"{output.stem}.{kind}.jsonl")


class _Sink:
    """One output file, written to ``<path>.part`` and renamed (or converted to Parquet) at the end."""

    def __init__(self, path: Path, fmt: str, fields: list[str], arrow_types: dict | None = None) -> None:
        self.path = path
        self.fmt = fmt
        self.fields = fields
        self.arrow_types = arrow_types or {}
        self.part = path.with_name(path.name + ".part")
        self.handle = None

    @property
    def header(self) -> bytes:
        return csv_header(self.fields).encode("utf-8") if self.fmt == "csv" else b""

    def start_fresh(self) -> int:
        self.handle = open(self.part, "wb")
        self.handle.write(self.header)
        return self.commit()

    def start_at(self, size: int) -> None:
        """Reopen the part file of an interrupted run, cutting what was written after the last commit."""
        if not self.part.exists() and self.path.exists():
            self.adopt_final()
        if not self.part.exists() or self.part.stat().st_size < size:
            raise InputError(f"{self.part}: shorter than its journal says; cannot resume, rerun without --resume")
        self.handle = open(self.part, "r+b")
        self.handle.truncate(size)
        self.handle.seek(size)
        if self.header and not self._starts_with_header():
            raise InputError(f"{self.part}: columns differ from this model's; cannot resume into it")

    def _starts_with_header(self) -> bool:
        with open(self.part, "rb") as handle:
            return handle.read(len(self.header)) == self.header

    def adopt_final(self) -> int:
        """Make the finished file of an earlier run the part to append to; return its size."""
        if self.fmt == "parquet":
            _parquet_to_part(self.path, self.part, self.fields)
        else:
            os.replace(self.path, self.part)
        return self.part.stat().st_size

    def write(self, data: str | bytes) -> None:
        if data:
            self.handle.write(data.encode("utf-8") if isinstance(data, str) else data)

    def commit(self) -> int:
        self.handle.flush()
        os.fsync(self.handle.fileno())
        return self.handle.tell()

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None

    def finish(self) -> None:
        self.close()
        if self.fmt == "parquet":
            _part_to_parquet(self.part, self.path, self.fields, self.arrow_types)
            self.part.unlink()
        else:
            os.replace(self.part, self.path)


def _part_to_parquet(part: Path, path: Path, fields: list[str], arrow_types: dict) -> None:
    """JSON-array lines -> a Parquet file with row groups of PARQUET_ROWS rows, written atomically."""
    pa = require("pyarrow", f"writing {path.name} (Parquet)")
    import pyarrow.parquet as pq

    schema = pa.schema([(name, arrow_types.get(name, pa.string())) for name in fields])
    tmp = path.with_name(path.name + ".tmp")
    with open(part, "rb") as handle, pq.ParquetWriter(tmp, schema) as writer:
        rows: list = []
        for line in handle:
            rows.append(json.loads(line))
            if len(rows) == PARQUET_ROWS:
                writer.write_table(_arrow_table(rows, schema), row_group_size=PARQUET_ROWS)
                rows = []
        if rows:
            writer.write_table(_arrow_table(rows, schema), row_group_size=PARQUET_ROWS)
    os.replace(tmp, path)


def _arrow_table(rows: list, schema):
    import pyarrow as pa

    columns = list(zip(*rows)) if rows else [[] for _ in schema]
    return pa.table([pa.array(list(column), type=f.type) for column, f in zip(columns, schema)], schema=schema)


def _parquet_to_part(path: Path, part: Path, fields: list[str]) -> None:
    import pyarrow.parquet as pq

    tmp = part.with_name(part.name + ".tmp")
    with open(tmp, "wb") as out:
        for batch in pq.ParquetFile(path).iter_batches(batch_size=PARQUET_ROWS, columns=fields):
            columns = [batch.column(name).to_pylist() for name in fields]
            out.write("".join(_encode(list(row)) + "\n" for row in zip(*columns)).encode("utf-8"))
    os.replace(tmp, part)


def _arrow_types(themes: Sequence[str], kind: str) -> dict:
    import pyarrow as pa

    arrow = {"int": pa.int64(), "float": pa.float64(), "str": pa.string(), "list": pa.list_(pa.string())}
    return {name: arrow[kind] for name, kind in column_types(themes, kind).items()}


class _DoneSet:
    """Documents of the manifest, by a 64-bit digest of their id -> prefix of their content hash."""

    def __init__(self, ids: array, hashes: array) -> None:
        order = np.argsort(np.frombuffer(ids, dtype=np.uint64), kind="stable")
        self.ids = np.frombuffer(ids, dtype=np.uint64)[order]
        self.hashes = np.frombuffer(hashes, dtype=np.uint64)[order]

    def __len__(self) -> int:
        return len(self.ids)

    def get(self, digest: int) -> str | None:
        where = int(np.searchsorted(self.ids, np.uint64(digest)))
        if where < len(self.ids) and int(self.ids[where]) == digest:
            return f"{int(self.hashes[where]):016x}"
        return None


def _digest(doc_id: str) -> int:
    return int.from_bytes(hashlib.blake2b(doc_id.encode("utf-8"), digest_size=8).digest(), "little")


def _read_manifest(path: Path, size: int | None, model_key: str) -> _DoneSet:
    ids, hashes = array("Q"), array("Q")
    with open(path, "rb") as handle:
        data_end = size if size is not None else os.fstat(handle.fileno()).st_size
        header = json.loads(handle.readline())
        if header.get("model") != model_key:
            raise ModelError(
                f"{path}: the output was labelled with another model ({str(header.get('model'))[:12]}…); "
                "label into a new output, or rerun without --resume"
            )
        while handle.tell() < data_end:
            entry = json.loads(handle.readline())
            ids.append(_digest(entry["doc"]))
            hashes.append(int(entry["sha256"][:16], 16))
    return _DoneSet(ids, hashes)


class _Output:
    """The output files of one run, their journal, and resuming an earlier run."""

    def __init__(
        self, output: Path, profiles: Path | None, themes: Sequence[str], model_key: str, commit_seconds: float
    ) -> None:
        self.output = output
        self.model_key = model_key
        self.commit_seconds = commit_seconds
        self.last_commit = time.perf_counter()
        self.journal = output.with_name(output.name + ".journal")
        fmt = output_format(output)
        self.sinks = {
            "records": _Sink(output, fmt, record_fields(themes), _arrow_types(themes, "records") if fmt == "parquet" else None),
            "manifest": _Sink(sidecar_path(output, "manifest"), "jsonl", []),
        }
        if profiles is not None:
            pfmt = output_format(profiles)
            types = _arrow_types(themes, "profiles") if pfmt == "parquet" else None
            self.sinks["profiles"] = _Sink(profiles, pfmt, profile_fields(themes), types)
        self.themes = list(themes)

    def start(self, resume: bool) -> _DoneSet | None:
        """Open the part files; with ``resume``, continue an earlier run and return its documents."""
        for sink in self.sinks.values():
            sink.path.parent.mkdir(parents=True, exist_ok=True)
        if resume:
            state = self._read_journal()
            if state is not None:
                return self._continue(state)
            manifest = self.sinks["manifest"]
            if manifest.path.exists() and self.output.exists():
                return self._reopen_finished()
            if self.output.exists():
                raise InputError(
                    f"{self.output}: no {manifest.path.name} beside it, so its documents are unknown; "
                    "rerun without --resume"
                )
        for sink in self.sinks.values():
            sink.start_fresh()
        header = {"format": FORMAT, "model": self.model_key, "themes": self.themes}
        self.sinks["manifest"].write(json.dumps(header, ensure_ascii=False) + "\n")
        self.commit()
        return None

    def _read_journal(self) -> dict | None:
        try:
            state = json.loads(self.journal.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise InputError(f"{self.journal}: unreadable journal ({exc}); rerun without --resume") from None
        if state.get("format") != FORMAT:
            raise InputError(f"{self.journal}: not a cppcc_nlp journal; rerun without --resume")
        return state

    def _check_same_files(self, recorded: dict) -> None:
        wanted = {kind: str(sink.path) for kind, sink in self.sinks.items()}
        before = {kind: path for kind, (path, _) in recorded.items()}
        if wanted != before:
            raise InputError(
                f"{self.journal}: the interrupted run wrote {sorted(before.values())}; "
                "resume with the same --output and --profiles"
            )

    def _continue(self, state: dict) -> _DoneSet:
        self._check_same_files(state["files"])
        if state.get("model") != self.model_key:
            raise ModelError(
                f"{self.journal}: the interrupted run used another model; resume with the same --model, "
                "or rerun without --resume"
            )
        for kind, sink in self.sinks.items():
            sink.start_at(state["files"][kind][1])
        return _read_manifest(self.sinks["manifest"].part, state["files"]["manifest"][1], self.model_key)

    def _reopen_finished(self) -> _DoneSet:
        missing = [str(s.path) for kind, s in self.sinks.items() if kind != "manifest" and not s.path.exists()]
        if missing:
            raise InputError(f"{missing[0]}: missing, so the earlier run cannot be extended; rerun without --resume")
        done = _read_manifest(self.sinks["manifest"].path, None, self.model_key)
        sizes = {}
        for kind, sink in self.sinks.items():  # Parquet first becomes a part file beside the finished file
            if sink.fmt == "parquet":
                sizes[kind] = sink.adopt_final()
            else:
                sizes[kind] = sink.path.stat().st_size
        self._write_journal(sizes)
        for kind, sink in self.sinks.items():
            sink.start_at(sizes[kind])
        return done

    def write(self, outcomes: Iterable[Outcome]) -> None:
        records, profiles, manifest = self.sinks["records"], self.sinks.get("profiles"), self.sinks["manifest"]
        for outcome in outcomes:
            if outcome.error is not None or outcome.already_done:
                continue
            records.write(outcome.records)
            if profiles is not None:
                profiles.write(outcome.profiles)
            manifest.write(
                _encode(
                    {
                        "doc": outcome.doc_id,
                        "sha256": outcome.content_hash,
                        "source": outcome.source,
                        "sentences": outcome.sentences,
                        "characters": outcome.characters,
                    }
                )
                + "\n"
            )

    def checkpoint(self) -> None:
        """Commit, if the last commit is ``commit_seconds`` old: each fsync waits for the disk."""
        if time.perf_counter() - self.last_commit >= self.commit_seconds:
            self.commit()

    def commit(self) -> None:
        """Make everything written so far durable, then record it in the journal (atomically)."""
        self._write_journal({kind: sink.commit() for kind, sink in self.sinks.items()})
        self.last_commit = time.perf_counter()

    def _write_journal(self, sizes: dict[str, int]) -> None:
        state = {
            "format": FORMAT,
            "model": self.model_key,
            "files": {kind: [str(sink.path), sizes[kind]] for kind, sink in self.sinks.items()},
        }
        tmp = self.journal.with_name(self.journal.name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(state, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.journal)

    def finish(self) -> None:
        self.commit()
        for sink in self.sinks.values():
            sink.finish()
        self.journal.unlink()

    def close(self) -> None:
        for sink in self.sinks.values():
            sink.close()


def _write_stdout(data: bytes) -> None:
    """UTF-8 records on standard output: as bytes when it writes UTF-8, else as text in its own encoding."""
    import codecs

    buffer = getattr(sys.stdout, "buffer", None)
    try:
        utf8 = codecs.lookup(getattr(sys.stdout, "encoding", None) or "").name == "utf-8"
    except LookupError:
        utf8 = False
    if buffer is None or not utf8:
        sys.stdout.write(data.decode("utf-8"))
    else:
        sys.stdout.flush()
        buffer.write(data)


class _Stdout:
    """Records as JSON lines on standard output (no journal, no resume)."""

    def __init__(self, profiles: _Sink | None) -> None:
        self.profiles = profiles

    def start(self, resume: bool) -> None:
        if self.profiles is not None:
            self.profiles.start_fresh()
        return None

    def write(self, outcomes: Iterable[Outcome]) -> None:
        for outcome in outcomes:
            if outcome.error is None:
                _write_stdout(outcome.records)
                if self.profiles is not None:
                    self.profiles.write(outcome.profiles)

    def checkpoint(self) -> None:
        """After every batch: a reader of the pipe gets each batch as soon as it is labelled."""
        sys.stdout.flush()
        if self.profiles is not None:
            self.profiles.commit()

    def finish(self) -> None:
        if self.profiles is not None:
            self.profiles.finish()

    def close(self) -> None:
        if self.profiles is not None:
            self.profiles.close()


class _Errors:
    """Failures: printed on stderr (the first few) and appended to the errors file, created on first use."""

    def __init__(self, path: Path | None, echo) -> None:
        self.path = path
        self.echo = echo
        self.handle = None
        self.count = 0
        self.kept: list[tuple[str, str]] = []
        if path is not None and path.exists():
            path.unlink()  # a stale list from an earlier run would mislead

    def add(self, source: str, reason: str) -> None:
        self.count += 1
        if len(self.kept) < KEPT_FAILURES:
            self.kept.append((source, reason))
        if self.count <= STDERR_FAILURES:
            self.echo(f"skipped: {reason}")
        elif self.count == STDERR_FAILURES + 1:
            self.echo(f"skipped: more inputs; all are listed in {self.path or 'the errors file'}")
        if self.path is not None:
            if self.handle is None:
                self.handle = open(self.path, "w", encoding="utf-8")
            self.handle.write(_encode({"source": source, "reason": reason}) + "\n")

    def flush(self) -> None:
        if self.handle is not None:
            self.handle.flush()

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None


# -- the batch ---------------------------------------------------------------------------------


@dataclass
class BatchResult:
    """What a batch run did. ``failures`` keeps the first KEPT_FAILURES; the errors file has all."""

    documents: int = 0
    sentences: int = 0
    characters: int = 0
    already_done: int = 0
    failed: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    output: str | None = None
    errors_path: str | None = None
    seconds: float = 0.0


def label_files(
    inputs: Iterable[str | os.PathLike],
    output: str | os.PathLike | None,
    model: "ThemeClassifier | ModelSpec | None" = None,
    glob: str = "*.txt",
    *,
    profiles: str | os.PathLike | None = None,
    errors: str | os.PathLike | None = None,
    text_field: str | None = None,
    id_field: str | None = None,
    jobs: int = 1,
    backend: str = "local",
    scheduler=None,
    resume: bool = False,
    progress: bool | None = None,
    batch_docs: int = BATCH_DOCS,
    batch_bytes: int = BATCH_BYTES,
    commit_seconds: float = COMMIT_SECONDS,
    keep_workers: bool = True,
) -> BatchResult:
    """Label every document of ``inputs`` into ``output`` (JSONL, CSV or Parquet; None or "-": stdout).

    See ``iter_items`` for the inputs. ``model``: a ThemeClassifier, a ModelSpec
    from ``load_spec`` (keeps scikit-learn out of this process), or None for
    the shipped model. ``profiles``: also write one row per
    section with its theme shares. ``errors``: where to list the inputs that
    failed (default ``<output stem>.errors.jsonl``). ``jobs``: worker processes
    (``backend="local"``) or tasks in flight on a Dask cluster
    (``backend="dask"``, ``scheduler``: its address or a ``distributed.Client``).
    ``resume``: skip documents already in ``output`` (same id and content) and
    append the rest. ``progress``: a progress bar on stderr (default: when
    stderr is a terminal). ``commit_seconds``: how often the output is made
    durable and journalled; an interrupted run resumes from the last commit.
    ``keep_workers``: leave the local worker processes running for the next
    call (False stops them at the end, as the command line does before exiting).
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if backend == "dask" and scheduler is None:
        raise ValueError("backend='dask' needs a scheduler address or a distributed.Client")
    if jobs == -1:
        jobs = os.cpu_count() or 1
    if jobs < 1:
        raise ValueError(f"jobs must be a positive number of processes or -1, got {jobs}")
    inputs = [str(i) for i in inputs]
    check_inputs(inputs)
    to_stdout = output is None or str(output) == "-"
    if resume and to_stdout:
        raise ValueError("resume needs an output file, not standard output")
    if isinstance(model, ModelSpec):
        spec = model
    elif model is None:
        spec = load_spec()
    else:
        spec = ModelSpec.of(model)
    themes = list(spec.themes)
    profiles_path = Path(profiles) if profiles is not None else None
    options = Options(
        records="jsonl" if to_stdout else output_format(output),
        profiles=output_format(profiles_path) if profiles_path is not None else None,
    )
    if "parquet" in (options.records, options.profiles):
        require("pyarrow", "writing Parquet (.parquet output)")
    if backend == "dask":
        require("distributed", "--backend dask")
    if to_stdout:
        sink = None
        if profiles_path is not None:
            sink = _Sink(profiles_path, options.profiles, profile_fields(themes), _profile_types(themes, options))
        out = _Stdout(sink)
    else:
        out = _Output(Path(output), profiles_path, themes, spec.key, commit_seconds)
    if errors is None and not to_stdout:
        errors = sidecar_path(output, "errors")

    show = show_progress(progress)
    bar = _progress_bar(inputs, glob, show)
    failures = _Errors(Path(errors) if errors is not None else None, bar.write if show else _print_stderr)
    result = BatchResult(output=None if to_stdout else str(output), errors_path=str(errors) if errors else None)
    started = time.perf_counter()
    finished = False
    try:
        done = out.start(resume)
        items = _plan(iter_items(inputs, glob, text_field, id_field), done)
        batches = _batches(items, batch_docs, batch_bytes)
        if backend == "dask":
            results = _run_dask(batches, spec, options, scheduler, jobs if jobs > 1 else None)
        elif jobs > 1:
            results = _run_processes(batches, spec, options, jobs, keep_workers)
        else:
            results = _run_here(batches, spec, options)
        for outcomes in results:
            out.write(outcomes)
            out.checkpoint()
            for outcome in outcomes:
                if outcome.error is not None:
                    failures.add(outcome.source, outcome.error)
                elif outcome.already_done:
                    result.already_done += 1
                else:
                    result.documents += 1
                    result.sentences += outcome.sentences
                    result.characters += outcome.characters
            failures.flush()
            elapsed = max(time.perf_counter() - started, 1e-9)
            bar.update(len(outcomes))
            bar.set_postfix_str(f"{result.sentences / elapsed:,.0f} sentences/s", refresh=False)
        out.finish()
        finished = True
    finally:
        if not finished:
            out.close()
        failures.close()
        bar.close()
    result.failed = failures.count
    result.failures = failures.kept
    if failures.count == 0:
        result.errors_path = None
    result.seconds = time.perf_counter() - started
    return result


def _profile_types(themes: Sequence[str], options: Options) -> dict | None:
    return _arrow_types(themes, "profiles") if options.profiles == "parquet" else None


def _plan(items: Iterable[Item], done: _DoneSet | None) -> Iterator[Item]:
    """Mark duplicate ids as failures and, when resuming, documents already labelled."""
    seen: set[int] = set()
    for item in items:
        if item.error is None:
            digest = _digest(item.doc_id)
            if digest in seen:
                item = replace(
                    item,
                    error=f"{item.source}: duplicate document id {item.doc_id!r}; ids must be unique "
                    "(a file's path under its directory, or --id-field)",
                )
            else:
                seen.add(digest)
                expected = done.get(digest) if done else None
                if expected is not None:
                    item = replace(item, expected_hash=expected)
        yield item


def _print_stderr(message: str) -> None:
    print(message, file=sys.stderr)


def _progress_bar(inputs: list[str], glob: str, show: bool):
    total = count_items(inputs, glob) if show else None
    return progress_bar(total=total, unit="doc", show=show, smoothing=0.05)


__all__ = [
    "BatchResult",
    "Item",
    "ModelSpec",
    "check_inputs",
    "count_items",
    "empty_directories",
    "iter_items",
    "iter_records",
    "keep_freed_memory",
    "label_batch",
    "label_files",
    "load_spec",
    "output_format",
    "profile_fields",
    "record_fields",
]
