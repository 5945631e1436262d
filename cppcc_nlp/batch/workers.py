"""Local worker processes: a pool with a visible lifetime, spool files, and running batches on it.

``WorkerPool`` is a context manager: its processes (joblib's loky) start on
the first batch, each builds the labeller for the pool's model once, and they
stop when the ``with`` block ends. ``label_files`` opens one for its own run
unless it is given one (to reuse the processes across calls).
"""

from __future__ import annotations

import os
import pickle
import shutil
import signal
import sys
import tempfile
import threading
import weakref
from collections import deque
from concurrent.futures import CancelledError
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from ..errors import OutputError
from ..interrupts import interrupts_held
from .inputs import Item
from .labeller import ModelSpec, Options, Outcome, label_batch, labeller_for, loaded_labeller
from .plan import finer_at_the_end

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


# -- in a worker process -------------------------------------------------------------------------


def _start_resource_trackers() -> None:
    """Start loky's and multiprocessing's resource trackers now, if not running.

    Starting one unblocks SIGINT in the thread that starts it (Python 3.11's
    multiprocessing does), which would undo ``interrupts_held`` for the
    workers started after it.
    """
    from multiprocessing import resource_tracker as stdlib_tracker

    from joblib.externals.loky.backend import resource_tracker as loky_tracker

    loky_tracker.ensure_running()
    stdlib_tracker.ensure_running()


def _start_worker(spec: ModelSpec) -> None:
    """Initializer of a worker process: SIGINT ignored (the main process stops it), its labeller built once.

    A Ctrl-C at the terminal goes to every process of the foreground group.
    Workers are started inside ``interrupts_held``, so they begin with SIGINT
    blocked and ignore it from their first instruction, and no Ctrl-C lands
    inside the executor's locks while the main process starts them.
    """
    if hasattr(signal, "pthread_sigmask"):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    labeller_for(spec)


def _label_in_worker(key: str, items: Sequence[Item], options: Options, spool: str) -> str:
    """The task of a worker: label a batch, pickle its outcomes into a file in ``spool``, return its path.

    The model went once with ``_start_worker``; each batch names it by key.
    A file, not the result pipe: sending megabytes of records through the pipe
    kept the worker waiting until the busy main process had read them all.
    """
    outcomes = loaded_labeller(key).label(items, options)
    handle, path = tempfile.mkstemp(dir=spool, suffix=".pickle")
    try:
        with os.fdopen(handle, "wb") as file:
            pickle.dump(outcomes, file, protocol=pickle.HIGHEST_PROTOCOL)
    except OSError as exc:
        os.unlink(path)
        raise OutputError.of(spool, exc) from None
    return path


def _read_spooled(path: str) -> list[Outcome]:
    """The outcomes a worker pickled into ``path`` (in the pool's private spool directory); the file is removed."""
    try:
        with open(path, "rb") as file:
            return pickle.load(file)
    finally:
        os.unlink(path)


# -- the pool ------------------------------------------------------------------------------------


def spool_prefix(output: Path) -> str:
    """The name prefix of the spool directories of runs into ``output`` (kept beside it)."""
    return f".{output.name}.spool-"


def remove_stale_spools(output: Path, keep: str | None) -> int:
    """Remove the spool directories that earlier (killed) runs into ``output`` left beside it; return how many."""
    removed = 0
    for path in output.parent.glob(spool_prefix(output) + "*"):
        if path.is_dir() and not path.is_symlink() and (keep is None or os.path.abspath(path) != os.path.abspath(keep)):
            shutil.rmtree(path, ignore_errors=True)
            removed += 1
    return removed


class WorkerPool:
    """``workers`` local processes labelling with ``spec``, for the time of a ``with`` block.

    ::

        with WorkerPool(spec, workers=1) as pool:
            label_files(a, "a.jsonl", model=spec, jobs=2, pool=pool)
            label_files(b, "b.jsonl", model=spec, jobs=2, pool=pool)  # same processes, model loaded
        # the processes are stopped and the spool directory removed here

    The processes start on the first batch. A process that dies (killed, out
    of memory) breaks the executor; ``replace`` starts a new one.
    """

    def __init__(self, spec: ModelSpec, workers: int, spool_in: str | os.PathLike | None = None,
                 spool_prefix: str = "cppcc_nlp-spool-") -> None:
        if workers < 1:
            raise ValueError(f"a worker pool needs at least one worker, got {workers}")
        self.spec = spec
        self.workers = workers
        self.spool_in = spool_in  # where the spool directory goes (None: the system's temporary directory)
        self.spool_prefix = spool_prefix
        self.generation = 0  # increased by each replacement of a broken executor
        self._executor = None
        self.spool: str | None = None
        # submit and stop one at a time: a batch submitted from another thread just after the workers were
        # stopped (an interrupted run) must not start new ones that nobody stops
        self._lock = threading.Lock()

    def __enter__(self) -> "WorkerPool":
        if self.spool is None:
            # private (0700): the pickled outcomes; beside the output, so that a killed run's is found again
            self.spool = tempfile.mkdtemp(prefix=self.spool_prefix, dir=self.spool_in)
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def submit(self, items: Sequence[Item], options: Options, generation: int | None = None):
        """Label ``items`` in a worker: a future of the spool file holding their outcomes.

        ``generation``: the pool's generation the batch was meant for; if the
        workers were stopped or replaced since, CancelledError and nothing starts.
        """
        with self._lock:
            if self.spool is None:
                raise RuntimeError("use the WorkerPool in a with block")
            if generation is not None and generation != self.generation:
                raise CancelledError()
            if self._executor is None:
                _start_resource_trackers()
            return self._submit(items, options)

    def _submit(self, items: Sequence[Item], options: Options):
        with interrupts_held():  # the executor may start processes and its manager thread here
            if self._executor is None:
                from joblib.externals.loky import ProcessPoolExecutor

                self._executor = ProcessPoolExecutor(
                    max_workers=self.workers, initializer=_start_worker, initargs=(self.spec,)
                )
            return self._executor.submit(_label_in_worker, self.spec.key, items, options, self.spool)

    def replace(self, generation: int) -> None:
        """After a BrokenProcessPool from a future of ``generation``: a new executor, unless one replaced it already."""
        with self._lock:
            if generation == self.generation:
                self._stop_executor()
                self.generation += 1

    def stop_workers(self) -> None:
        """Stop the processes now (the next batch starts new ones): after an interrupted run."""
        with self._lock:
            self._stop_executor()
            self.generation += 1

    def _stop(self) -> None:
        with self._lock:
            self._stop_executor()

    def _stop_executor(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:  # every result is in, or none is wanted: no need to wait
            with interrupts_held():  # a second Ctrl-C must not land inside the executor's locks
                _silence_after_stop(getattr(executor, "_executor_manager_thread", None))
                executor.shutdown(wait=False, kill_workers=True)
                # and should loky's manager thread fail to (it dies on some races), the processes go all the same:
                # the interpreter would wait for them at exit
                for process in list((getattr(executor, "_processes", None) or {}).values()):
                    try:
                        process.terminate()  # loky's: SIGTERM, only to a worker not yet reaped
                    except (OSError, ValueError, AttributeError):
                        pass

    def close(self) -> None:
        with self._lock:
            self._stop_executor()
            spool, self.spool = self.spool, None
        if spool is not None:
            shutil.rmtree(spool, ignore_errors=True)


# -- running batches -----------------------------------------------------------------------------


def run_here(batches: Iterable[list[Item]], spec: ModelSpec, options: Options) -> Iterator[list[Outcome]]:
    """Every batch labelled in this process."""
    for batch in batches:
        yield label_batch(spec, batch, options)


def run_processes(
    batches: Iterable[list[Item]], spec: ModelSpec, options: Options, jobs: int, pool: WorkerPool
) -> Iterator[list[Outcome]]:
    """Batches on ``jobs`` processes, results in input order: the ``jobs - 1`` workers of ``pool`` and this one.

    The workers get batches while fewer than two per worker are pending; this
    process labels the others itself (so ``jobs`` processes label, and only one
    of them holds scikit-learn). A worker process that dies (killed, out of
    memory) breaks the pool; the batches it held are labelled again one document
    at a time on a fresh pool, and a document that kills a worker again is
    reported as failed.
    """
    from concurrent.futures import Future

    # imported before the starter thread imports loky: both threads importing it at once deadlock
    # (importlib's _DeadlockError) when this one reaches _outcomes first, as with a single batch
    import joblib.externals.loky.backend.resource_tracker  # noqa: F401
    import joblib.externals.loky.process_executor  # noqa: F401
    import multiprocessing.resource_tracker  # noqa: F401

    workers = jobs - 1
    # The first submit starts the workers and blocks until each has read the model (a few
    # tenths of a second): a daemon thread submits the first batch while this process labels.
    # (Not a thread pool: the interpreter waits for those at exit, and a Ctrl-C could leave it waiting.)
    started = threading.Event()

    def first_batch(batch: list[Item], result: Future, generation: int) -> None:
        try:
            future = pool.submit(batch, options, generation)
        except BaseException as exc:
            result.set_exception(exc)
        else:
            future.add_done_callback(lambda done: _pass_on(done, result))
        started.set()

    window: deque = deque()  # [batch, future or None, outcomes or None, pool generation], in input order
    finished = False
    first = True
    try:
        for batch in finer_at_the_end(batches, last=2 * jobs, pieces=4):
            pending = sum(1 for _, future, _, _ in window if future is not None and not future.done())
            if first:
                result: Future = Future()
                result.set_running_or_notify_cancel()  # as the worker's own future: not taken back by cancel()
                threading.Thread(target=first_batch, args=(batch, result, pool.generation), daemon=True).start()
                window.append([batch, result, None, pool.generation])
                first = False
            elif started.is_set() and pending < 2 * workers:
                window.append([batch, pool.submit(batch, options), None, pool.generation])
            else:
                window.append([batch, None, label_batch(spec, batch, options), None])
            while window and (window[0][1] is None or window[0][1].done() or len(window) > 4 * jobs):
                yield _outcomes(window.popleft(), options, pool)
        while window:  # no more input: take back batches still queued for a worker and label them here
            for entry in reversed(window):
                if entry[1] is not None and entry[1].cancel():
                    _cancelled_for_good(entry[1])
                    entry[1], entry[2] = None, label_batch(spec, entry[0], options)
                    break
            yield _outcomes(window.popleft(), options, pool)
        finished = True
    finally:
        if not finished:
            # the workers are stopped with the batches they hold, their futures failed by loky itself: cancelling
            # them here too raced with loky's manager thread, which then died (InvalidStateError on a cancelled
            # future) without stopping the workers, and the interpreter waited for them at exit for good
            pool.stop_workers()


_STOPPED_MANAGERS: "weakref.WeakSet[threading.Thread]" = weakref.WeakSet()


def _silence_after_stop(thread: threading.Thread | None) -> None:
    """Keep an exception of loky's manager ``thread`` off stderr once its executor is being stopped.

    Stopped with its batches still queued (Ctrl-C, SIGTERM), loky's manager
    thread can trip over its own lists (a KeyError on a work item it dropped,
    an InvalidStateError on a cancelled future) and print a traceback after the
    run's one line; the workers are stopped here all the same.
    """
    if thread is None:
        return
    _STOPPED_MANAGERS.add(thread)
    if getattr(threading.excepthook, "_cppcc_nlp", False):
        return
    previous = threading.excepthook

    def excepthook(args) -> None:
        if args.thread in _STOPPED_MANAGERS:
            return
        previous(args)

    excepthook._cppcc_nlp = True
    threading.excepthook = excepthook


def _cancelled_for_good(future) -> None:
    """A future taken back from loky's queue stays in its list until the queue reaches it; stopping the workers
    (``kill_workers``) meanwhile fails every listed future, this cancelled one too, which raises InvalidStateError
    in loky's manager thread: the thread dies with a traceback on stderr, and the workers are not stopped."""
    future.set_exception = lambda exception: None


def _pass_on(done, result) -> None:
    """Give ``result`` (running) the outcome of the future ``done`` (a worker's)."""
    if done.cancelled():
        result.set_exception(CancelledError())
    elif done.exception() is not None:
        result.set_exception(done.exception())
    else:
        result.set_result(done.result())


def _outcomes(entry: list, options: Options, pool: WorkerPool) -> list[Outcome]:
    from joblib.externals.loky.process_executor import BrokenProcessPool

    batch, future, outcomes, generation = entry
    if future is None:
        return outcomes
    try:
        return _read_spooled(future.result())
    except (BrokenProcessPool, CancelledError):  # a worker died, or the batch never reached one
        pool.replace(generation)
    outcomes = []
    for item in batch:
        generation = pool.generation
        try:
            outcomes.extend(_read_spooled(pool.submit([item], options).result()))
        except BrokenProcessPool:
            pool.replace(generation)
            outcomes.append(Outcome(item.doc_id, item.source, error=f"{item.source}: a worker process died while labelling it"))
    return outcomes
