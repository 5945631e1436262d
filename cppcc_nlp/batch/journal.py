"""The output files of a run, their journal and manifest, and resuming an interrupted or finished run.

- Atomic commits: data goes to ``<file>.part`` files; at most every
  ``commit_seconds`` they are made durable (fsync) and ``<output>.journal``
  (their committed sizes) is replaced through a temporary file. At the end the
  parts get their final names. A crash leaves a journal that ``resume`` uses to
  cut any half-written tail.
- The manifest, ``<output stem>.manifest.jsonl``: a header naming the format,
  the model (its fingerprint) and the themes, then every labelled document with
  the sha256 of its normalised text. ``resume`` skips documents listed with the
  same hash and appends the rest, giving the bytes of an uninterrupted run.
"""

from __future__ import annotations

import json
import os
import time
from array import array
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from ..errors import InputError, OutputBusyError, ModelError
from ..records import encode_json
from .labeller import Outcome
from .plan import id_digest
from .sinks import PartFile, sidecar_path

FORMAT = "cppcc_nlp-batch/1"
COMMIT_SECONDS = 2.0  # output made durable (fsync) and journalled at most this often; a resume redoes the rest


class DoneSet:
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


def read_manifest(path: Path, size: int | None, model_key: str) -> DoneSet:
    """The documents of a manifest (its first ``size`` bytes), refusing one written with another model."""
    ids, hashes = array("Q"), array("Q")
    with open(path, "rb") as handle:
        data_end = size if size is not None else os.fstat(handle.fileno()).st_size
        number = 1
        try:
            header = json.loads(handle.readline())
            if not isinstance(header, dict):
                raise ValueError("not a manifest header")
        except ValueError:
            raise InputError(f"{path}:1: not a cppcc_nlp manifest header; rerun without --resume") from None
        if header.get("model") != model_key:
            raise ModelError(
                f"{path}: the output was labelled with another model ({str(header.get('model'))[:12]}…); "
                "label into a new output, or rerun without --resume"
            )
        while handle.tell() < data_end:
            number += 1
            line = handle.readline()
            try:
                entry = json.loads(line)
                ids.append(id_digest(entry["doc"]))
                hashes.append(int(entry["sha256"][:16], 16))
            except (ValueError, KeyError, TypeError):
                raise InputError(
                    f"{path}:{number}: a damaged manifest line, so the documents already labelled are unknown; "
                    "rerun without --resume"
                ) from None
    return DoneSet(ids, hashes)


class FileOutput:
    """The output files of one run (records, manifest, profiles), their journal, and resuming an earlier run."""

    def __init__(
        self, output: Path, profiles: Path | None, themes: Sequence[str], model_key: str, commit_seconds: float
    ) -> None:
        self.output = output
        self.model_key = model_key
        self.commit_seconds = commit_seconds
        self.last_commit = time.perf_counter()
        self.journal = output.with_name(output.name + ".journal")
        self.sinks = {
            "records": PartFile.of(output, "records", themes),
            "manifest": PartFile(sidecar_path(output, "manifest"), "jsonl", []),
        }
        if profiles is not None:
            self.sinks["profiles"] = PartFile.of(profiles, "profiles", themes)
        self.themes = list(themes)

    def _lock(self) -> None:
        """Take ``<output>.lock`` exclusively (flock) or raise OutputBusyError naming the run that holds it."""
        try:
            import fcntl
        except ImportError:  # not POSIX: no lock
            self.lock = None
            return
        path = self.output.with_name(self.output.name + ".lock")
        handle = open(path, "a+", encoding="ascii")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            other = handle.read().strip() or "unknown"
            handle.close()
            raise OutputBusyError(
                f"{self.output}: another run (pid {other}) is writing this output; wait for it to end, "
                "or write to another file"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self.lock = handle

    def _unlock(self, remove: bool) -> None:
        handle, self.lock = getattr(self, "lock", None), None
        if handle is None:
            return
        if remove:
            os.unlink(handle.name)  # still holding the lock: no other run has it open as the lock
        handle.close()

    def start(self, resume: bool) -> DoneSet | None:
        """Lock the output, open the part files; with ``resume``, continue an earlier run and return its documents."""
        for sink in self.sinks.values():
            sink.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock()
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

    def _continue(self, state: dict) -> DoneSet:
        self._check_same_files(state["files"])
        if state.get("model") != self.model_key:
            raise ModelError(
                f"{self.journal}: the interrupted run used another model; resume with the same --model, "
                "or rerun without --resume"
            )
        for kind, sink in self.sinks.items():
            sink.start_at(state["files"][kind][1])
        return read_manifest(self.sinks["manifest"].part, state["files"]["manifest"][1], self.model_key)

    def _reopen_finished(self) -> DoneSet:
        missing = [str(s.path) for kind, s in self.sinks.items() if kind != "manifest" and not s.path.exists()]
        if missing:
            raise InputError(f"{missing[0]}: missing, so the earlier run cannot be extended; rerun without --resume")
        done = read_manifest(self.sinks["manifest"].path, None, self.model_key)
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
                encode_json(
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
        self._unlock(remove=True)

    def close(self) -> None:
        for sink in self.sinks.values():
            sink.close()
        self._unlock(remove=False)
