"""Label archives: many inputs -> per-sentence records and section profiles.

inputs (files, directories, ``-``, JSONL records) -> items, streamed (``inputs``)
-> duplicates and finished documents marked, batches of bounded size (``plan``)
-> labelled here, in local worker processes (``workers``) or on a Dask cluster
(``cluster``): read, split, predict, encode (``labeller``, ``records``)
-> results in input order -> output files (``sinks``), committed and journalled
for resume (``journal``), or kept in memory (``label_in_memory``, which
``research.label_reports`` and ``cppcc-nlp profile`` use): one pipeline, so
documents, ids, labels and rounding are the same on both paths.

- Memory stays flat: items are listed lazily, a bounded number of batches is in
  flight, and results are written as they arrive.
- Output is identical for any number of jobs and either backend: batches are cut
  the same way, each document's labels depend only on its own sentences, and
  results are written in input order.
- Bad inputs (unreadable, empty, binary, undecodable, bad JSONL line, duplicate
  id) are reported in an errors file and on stderr and skipped; the batch goes on.
"""

from __future__ import annotations

import json
import os
import sys
import time
from contextlib import ExitStack, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from ..optional import require
from ..progress import progress_bar, show_progress
from ..records import SCORE_TEXT, profile_fields, record_fields, score_steps
from ..errors import OutputError, UsageError, one_line
from ..interrupts import interrupts_held
from ..outputs import lock_files, release_all
from .cluster import run_dask
from .inputs import Item, OwnFiles, check_inputs, check_outputs, count_items, empty_directories, iter_items
from .journal import COMMIT_SECONDS, FileOutput
from .labeller import STREAM_BYTES, ModelSpec, Options, Outcome, label_batch, labeller_for, model_spec
from .plan import BATCH_BYTES, BATCH_DOCS, auto_jobs, batches, plan, usable_cpus
from .sinks import FailureLog, MemoryOutput, PartFile, StdoutOutput, output_format, sidecar_path, write_documents
from .workers import keep_freed_memory, remove_stale_spools, run_here, run_processes, spool_prefix, WorkerPool

BACKENDS = ("local", "dask")


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
    notes: list[str] = field(default_factory=list)  # what resuming repaired in the output
    jobs: int = 1  # processes (or Dask tasks in flight) the run used
    complete: bool = False  # the output files were finished: a Ctrl-C after that does not undo the run


def label_files(
    inputs: Iterable[str | os.PathLike],
    output: str | os.PathLike | None,
    model=None,
    glob: str = "*.txt",
    *,
    profiles: str | os.PathLike | None = None,
    errors: str | os.PathLike | None = None,
    text_field: str | None = None,
    id_field: str | None = None,
    jobs: int | str = 1,
    backend: str = "local",
    scheduler=None,
    resume: bool = False,
    progress: bool | None = None,
    batch_docs: int = BATCH_DOCS,
    batch_bytes: int = BATCH_BYTES,
    commit_seconds: float = COMMIT_SECONDS,
    pool: WorkerPool | None = None,
    stream_bytes: int = STREAM_BYTES,
) -> BatchResult:
    """Label every document of ``inputs`` into ``output`` (JSONL, CSV or Parquet; None or "-": stdout).

    See ``iter_items`` for the inputs. ``model``: any form ``api.as_engine``
    takes — a fitted ThemeClassifier, an Engine, a loaded model, a model
    directory (loaded as its engine: no scikit-learn in this process) — or
    None for the shipped model. ``profiles``: also write one row per
    section with its theme shares. ``errors``: where to list the inputs that
    failed (default ``<output stem>.errors.jsonl``). ``jobs``: worker processes
    (``backend="local"``; ``"auto"``: one for small inputs, every usable core
    from ``plan.AUTO_JOBS_BYTES`` of input, see ``plan.auto_jobs``) or tasks in flight on a Dask cluster
    (``backend="dask"``, ``scheduler``: its address or a ``distributed.Client``).
    ``resume``: skip documents already in ``output`` (same id and content) and
    append the rest. ``progress``: a progress bar on stderr (default: when
    stderr is a terminal). ``commit_seconds``: how often the output is made
    durable and journalled; an interrupted run resumes from the last commit.
    ``pool``: a ``WorkerPool`` of ``jobs - 1`` workers for ``model`` to label
    with, kept running for the next call; without one, a local run with
    ``jobs > 1`` starts its own and stops it before returning.
    """
    inputs = [str(i) for i in inputs]
    check_inputs(inputs)
    check_outputs(inputs, output, profiles, errors)
    to_stdout = output is None or str(output) == "-"
    if jobs == "auto" and backend == "local":
        own = OwnFiles.of(output, profiles, errors if errors is not None else (
            sidecar_path(output, "errors") if not to_stdout else None))
        jobs = auto_jobs(iter_items(inputs, glob, text_field, id_field, own) if "-" not in inputs else iter(()),
                         usable_cpus(), stream_bytes)
    jobs = _check_run(backend, scheduler, jobs)
    if not (commit_seconds >= 0 and commit_seconds != float("inf")):  # also refuses NaN
        raise UsageError(f"commit_seconds must be a finite number of seconds, 0 or more, got {commit_seconds!r}")
    if resume and to_stdout:
        raise ValueError("resume needs an output file, not standard output")
    spec = model_spec(model)
    options, out = _output_of(output, profiles, spec, stream_bytes, commit_seconds)
    if backend == "dask":
        require("distributed", "--backend dask")
    if errors is None and not to_stdout:
        errors = sidecar_path(output, "errors")
    own = OwnFiles.of(output, profiles, errors)
    show = show_progress(progress)
    bar = progress_bar(total=count_items(inputs, glob, own) if show else None, unit="doc", show=show, smoothing=0.05)
    failures = FailureLog(Path(errors) if errors is not None else None, bar.write if show else _print_stderr)
    result = BatchResult(output=None if to_stdout else str(output), errors_path=str(errors) if errors else None,
                         jobs=jobs)
    try:
        _run(inputs, spec, options, out, failures, result, bar, glob=glob, text_field=text_field, id_field=id_field,
             jobs=jobs, backend=backend, scheduler=scheduler, resume=resume, batch_docs=batch_docs,
             batch_bytes=batch_bytes, pool=pool, own=own)
    except KeyboardInterrupt:
        if not result.complete:
            raise
        result.failed, result.failures = failures.count, failures.kept  # Ctrl-C after the end: the run is done
    if failures.count == 0:
        result.errors_path = None
    return result


def _output_of(output, profiles, spec: ModelSpec, stream_bytes: int, commit_seconds: float) -> tuple[Options, object]:
    """The formats of a run's records and profiles, and where they go (standard output or files)."""
    to_stdout = output is None or str(output) == "-"
    themes = list(spec.themes)
    options = Options(
        records="jsonl" if to_stdout else output_format(output),
        profiles=output_format(profiles) if profiles is not None else None,
        stream_bytes=stream_bytes,
    )
    if "parquet" in (options.records, options.profiles):
        require("pyarrow", "writing Parquet (.parquet output)")
    if to_stdout:
        return options, StdoutOutput(PartFile.of(profiles, "profiles", themes) if profiles is not None else None)
    return options, FileOutput(Path(output), Path(profiles) if profiles is not None else None, themes, spec.key,
                               commit_seconds)


@dataclass
class MemoryResult:
    """Documents labelled in memory, in input order, and the inputs that failed (source, reason)."""

    documents: list[tuple]  # (report, label masks, score steps) each: see write_documents
    themes: tuple[str, ...]
    failures: list[tuple[str, str]]


def label_in_memory(
    inputs: Iterable[str | os.PathLike],
    model=None,
    glob: str = "*.txt",
    *,
    text_field: str | None = None,
    id_field: str | None = None,
    jobs: int = 1,
    progress: bool | None = False,
    batch_docs: int = BATCH_DOCS,
    batch_bytes: int = BATCH_BYTES,
) -> MemoryResult:
    """``label_files``'s pipeline keeping the labelled documents in memory instead of writing them.

    The same inputs (``iter_items``), ids, batches and labels as ``label_files``.
    Every failure (an unreadable or missing input, a bad JSONL line, a
    duplicate id) is returned, none printed.
    """
    jobs = _check_run("local", None, jobs)
    inputs = [str(i) for i in inputs]
    spec = model_spec(model)
    show = show_progress(progress)
    bar = progress_bar(total=count_items(inputs, glob) if show else None, unit="doc", show=show, smoothing=0.05)
    failures = FailureLog(None, None, keep=None)
    out = MemoryOutput()
    _run(inputs, spec, Options("memory"), out, failures, BatchResult(), bar, glob=glob, text_field=text_field,
         id_field=id_field, jobs=jobs, backend="local", scheduler=None, resume=False, batch_docs=batch_docs,
         batch_bytes=batch_bytes, pool=None)
    return MemoryResult(out.labelled, tuple(spec.themes), failures.kept)


def _check_run(backend: str, scheduler, jobs: int) -> int:
    """``jobs`` as a number of processes (-1: all cores), after checking the backend options."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if backend == "dask" and scheduler is None:
        raise ValueError("backend='dask' needs a scheduler address or a distributed.Client")
    if jobs == "auto":  # for local runs decided by label_files from the input's size; Dask: its default
        jobs = 1
    if jobs == -1:
        jobs = usable_cpus()
    if not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be a positive number of processes, -1 or 'auto', got {jobs!r}")
    return jobs


def _run(inputs: list[str], spec: ModelSpec, options: Options, out, failures: FailureLog, result: BatchResult, bar,
         *, glob: str, text_field: str | None, id_field: str | None, jobs: int, backend: str, scheduler,
         resume: bool, batch_docs: int, batch_bytes: int, pool: WorkerPool | None,
         own: OwnFiles = OwnFiles()) -> None:
    """The one pipeline: inputs -> plan -> batches -> labelled (here, workers, Dask) -> ``out``, in input order."""
    processes = backend == "local" and jobs > 1
    if processes and pool is not None and (pool.spec.key != spec.key or pool.workers != jobs - 1):
        raise ValueError(f"the pool has {pool.workers} worker(s) for model {pool.spec.key[:12]}…; "
                         f"this run needs {jobs - 1} for {spec.key[:12]}…")
    local_pool = processes and pool is None
    started = time.perf_counter()
    finished = False
    locks: list = []
    held = ExitStack()
    try:
        output_file = getattr(out, "output", None)  # a file output keeps the spool beside it
        spool = {"spool_in": output_file.parent, "spool_prefix": spool_prefix(output_file)} if output_file else {}
        with WorkerPool(spec, jobs - 1, **spool) if local_pool else nullcontext(pool) as workers:
            # every file this run writes is locked first: two runs never write one output, profiles or errors file
            locks = lock_files(own.written)  # until they are held, no file of the run is touched, not even to clean up
            done = out.start(resume)
            for note in getattr(out, "notes", ()):
                bar.write(one_line(note))
            result.notes.extend(getattr(out, "notes", ()))
            if output_file is not None:  # under the output's lock: no other run is using these
                remove_stale_spools(output_file, keep=workers.spool if workers is not None else None)
            items = plan(iter_items(inputs, glob, text_field, id_field, own), done)
            cut = batches(items, batch_docs, batch_bytes)
            if backend == "dask":
                results = run_dask(cut, spec, options, scheduler, jobs if jobs > 1 else None)
            elif processes:
                results = run_processes(cut, spec, options, jobs, workers)
            else:
                results = run_here(cut, spec, options)
            _write_outcomes(results, spec, options, out, failures, result, bar, started)
            out.finish()
            finished = result.complete = True
            # from here Ctrl-C and SIGTERM wait until the workers are stopped and the files cleaned up (the run is done)
            held.enter_context(interrupts_held(terminate=True))
    except OutputError as exc:
        if own.written and not locks:  # the lock could not be taken: the part files may be another run's
            out = None
            raise
        abandon = getattr(out, "abandon", None)
        kept = abandon() if abandon is not None else out.close()
        out = None
        raise OutputError(f"{exc}; {kept}" if kept else str(exc)) from None
    finally:
        try:
            if own.written and not locks:
                pass  # stopped before its locks (another run holds one): its files are not this run's to clean
            else:
                if not finished and out is not None:
                    out.close()
                failures.close(finished)
        finally:
            release_all(locks)
            bar.close()
            held.close()  # a Ctrl-C held back arrives here, the output complete (label_files knows)
    result.failed = failures.count
    result.failures = failures.kept
    result.seconds = time.perf_counter() - started


def _write_outcomes(results, spec: ModelSpec, options: Options, out, failures: FailureLog, result: BatchResult, bar,
                    started: float) -> None:
    """Each batch's outcomes into ``out`` in input order, committed, counted and shown; a streamed document is
    labelled here, piece by piece, as it is written."""
    streamer = None
    for outcomes in results:
        for outcome in outcomes:
            if outcome.streamed is not None:  # labelled here, piece by piece, as it is written
                streamer = streamer or labeller_for(spec)
                outcome.pieces = streamer.stream(outcome, options)
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


def _print_stderr(message: str) -> None:
    print(message, file=sys.stderr)


def iter_records(docs: Iterable[tuple[str, str]], model=None) -> Iterator[dict]:
    """Per-sentence records for ``(doc_id, text)`` pairs, batched; for Spark's ``mapPartitions``.

    The model (default: the shipped one) is built once per process and reused.
    A document that cannot be read gives one record with ``error`` set.
    """
    spec = model_spec(model)
    items = (Item(str(doc_id), str(doc_id), text=text, size=len(text)) for doc_id, text in docs)
    for batch in batches(items, BATCH_DOCS, BATCH_BYTES):
        for outcome in label_batch(spec, batch, Options("jsonl")):
            if outcome.error is not None:
                yield {"doc": outcome.doc_id, "error": outcome.error}
            else:
                yield from (json.loads(line) for line in outcome.records.decode("utf-8").splitlines())


__all__ = [
    "BACKENDS",
    "BATCH_BYTES",
    "BATCH_DOCS",
    "COMMIT_SECONDS",
    "SCORE_TEXT",
    "BatchResult",
    "MemoryResult",
    "Item",
    "Options",
    "Outcome",
    "WorkerPool",
    "check_inputs",
    "count_items",
    "empty_directories",
    "iter_items",
    "iter_records",
    "keep_freed_memory",
    "label_batch",
    "label_files",
    "label_in_memory",
    "output_format",
    "profile_fields",
    "record_fields",
    "score_steps",
    "sidecar_path",
    "write_documents",
]
