"""The output files of a run, their journal and manifest, and resuming an interrupted or finished run.

- Atomic commits: data goes to ``<file>.part`` files; at most every
  ``commit_seconds`` they are made durable (fsync) and ``<output>.journal``
  (their committed sizes) is replaced through a temporary file. At the end the
  parts get their final names. A crash leaves a journal that ``resume`` uses to
  cut any half-written tail.
- The manifest, ``<output stem>.manifest.jsonl``: a header naming the format,
  the model (its fingerprint) and the themes, then every labelled document with
  the sha256 of its normalised text and, for each output file, where its
  records end and their CRC-32. ``resume`` first checks the output files
  against the manifest, document by document; from the first document whose
  bytes are missing or differ, the files are cut and those documents labelled
  again. Then it skips documents listed with the same hash and appends the
  rest, giving the bytes of an uninterrupted run.
"""

from __future__ import annotations

import json
import os
import time
import zlib
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from ..errors import InputError, ModelError, OutputError
from ..records import encode_json
from .labeller import Outcome
from .plan import id_digest
from .sinks import PartFile, sidecar_path

FORMAT = "cppcc_nlp-batch/2"  # 2: manifest entries locate and checksum their records
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


@dataclass
class Manifest:
    """A manifest's documents in order: id digest, content hash, where each output file's bytes end, their CRC-32."""

    ids: array = field(default_factory=lambda: array("Q"))
    hashes: array = field(default_factory=lambda: array("Q"))
    line_ends: array = field(default_factory=lambda: array("Q"))  # offset in the manifest after each entry
    header_end: int = 0
    ends: dict[str, array] = field(default_factory=dict)  # per sink kind
    crcs: dict[str, array] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ids)

    def done(self, count: int | None = None) -> DoneSet:
        """The first ``count`` documents (all by default) as a DoneSet."""
        count = len(self) if count is None else count
        return DoneSet(self.ids[:count], self.hashes[:count])


def read_manifest(path: Path, size: int | None, model_key: str, kinds: Sequence[str]) -> Manifest:
    """The documents of a manifest (its first ``size`` bytes), refusing one written with another model or version.

    ``kinds``: the output files ("records", "profiles") whose end and CRC each entry must give.
    """
    manifest = Manifest(ends={kind: array("Q") for kind in kinds}, crcs={kind: array("L") for kind in kinds})
    with open(path, "rb") as handle:
        data_end = size if size is not None else os.fstat(handle.fileno()).st_size
        number = 1
        try:
            header = json.loads(handle.readline())
            if not isinstance(header, dict):
                raise ValueError("not a manifest header")
        except ValueError:
            raise InputError(f"{path}:1: not a cppcc_nlp manifest header; rerun without --resume") from None
        if header.get("format") != FORMAT:
            raise InputError(f"{path}: written by another version of cppcc_nlp ({header.get('format')}); "
                             "rerun without --resume")
        if header.get("model") != model_key:
            raise ModelError(
                f"{path}: the output was labelled with another model ({str(header.get('model'))[:12]}…); "
                "label into a new output, or rerun without --resume"
            )
        manifest.header_end = handle.tell()
        while handle.tell() < data_end:
            number += 1
            line = handle.readline()
            if not line.endswith(b"\n"):
                break  # a manifest cut inside its last line: that document counts as not labelled
            try:
                entry = json.loads(line)
                digest, content = id_digest(entry["doc"]), int(entry["sha256"][:16], 16)
                located = [(int(entry[f"{kind}_end"]), int(entry[f"{kind}_crc"], 16)) for kind in kinds]
            except (ValueError, KeyError, TypeError):
                raise InputError(
                    f"{path}:{number}: a damaged manifest line, so the documents already labelled are unknown; "
                    "rerun without --resume"
                ) from None
            manifest.ids.append(digest)
            manifest.hashes.append(content)
            manifest.line_ends.append(handle.tell())
            for kind, (end, crc) in zip(kinds, located):
                manifest.ends[kind].append(end)
                manifest.crcs[kind].append(crc)
    return manifest


def intact_documents(manifest: Manifest, files: dict[str, tuple[Path, int, int]]) -> int:
    """How many of the manifest's documents, from the first, have their bytes in ``files``, unchanged.

    ``files``: per kind, the file, where its first document's bytes start (after
    a CSV header) and how many of its bytes count (what a journal committed).
    """
    intact = len(manifest)
    for kind, (path, start, size) in files.items():
        ends, crcs = manifest.ends[kind], manifest.crcs[kind]
        with open(path, "rb") as handle:
            handle.seek(start)
            for number in range(intact):
                end = ends[number]
                if end < start or end > size or zlib.crc32(handle.read(end - start)) != crcs[number]:
                    intact = number
                    break
                start = end
    return intact


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
        self.notes: list[str] = []  # what resuming repaired, for the user
        self.kept: dict[str, int] | None = None  # bytes of each part that were there before this run (None: fresh)
        self.adopted = False  # the parts are an earlier run's finished files, renamed

    def start(self, resume: bool) -> DoneSet | None:
        """Open the part files; with ``resume``, continue an earlier run and return its documents.

        The caller holds the lock of every file the run writes (``outputs.lock_files``).
        """
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

    @property
    def data_kinds(self) -> list[str]:
        """The sinks whose bytes the manifest locates: records, and profiles when written."""
        return [kind for kind in self.sinks if kind != "manifest"]

    def _continue(self, state: dict) -> DoneSet:
        self._check_same_files(state["files"])
        if state.get("model") != self.model_key:
            raise ModelError(
                f"{self.journal}: the interrupted run used another model; resume with the same --model, "
                "or rerun without --resume"
            )
        committed = {kind: state["files"][kind][1] for kind in self.sinks}
        for sink in self.sinks.values():
            if not sink.part.exists() and sink.path.exists():
                sink.adopt_final()  # killed while the parts were being renamed at the end
            if not sink.part.exists():
                raise InputError(f"{sink.part}: missing, so the interrupted run cannot be resumed; "
                                 "rerun without --resume")
        manifest = read_manifest(self.sinks["manifest"].part, min(committed["manifest"],
                                 self.sinks["manifest"].part.stat().st_size), self.model_key, self.data_kinds)
        files = {kind: (self.sinks[kind].part, min(committed[kind], self.sinks[kind].part.stat().st_size))
                 for kind in self.data_kinds}
        return self._keep_intact(manifest, files, finished=False)

    def _reopen_finished(self) -> DoneSet:
        missing = [str(s.path) for kind, s in self.sinks.items() if kind != "manifest" and not s.path.exists()]
        if missing:
            raise InputError(f"{missing[0]}: missing, so the earlier run cannot be extended; rerun without --resume")
        manifest = read_manifest(self.sinks["manifest"].path, None, self.model_key, self.data_kinds)
        files = {}
        for kind in self.data_kinds:  # a Parquet file is checked as the part file it becomes; the others as they are
            sink = self.sinks[kind]
            path = sink.part if sink.fmt == "parquet" else sink.path
            files[kind] = (path, sink.adopt_final() if sink.fmt == "parquet" else path.stat().st_size)
        return self._keep_intact(manifest, files, finished=True)

    def _keep_intact(self, manifest: Manifest, files: dict[str, tuple[Path, int]], finished: bool) -> DoneSet:
        """Cut every file after the last document whose bytes match the manifest; those after it are labelled again."""
        intact = intact_documents(manifest, {kind: (path, len(self.sinks[kind].header), size)
                                             for kind, (path, size) in files.items()})
        cuts = {kind: manifest.ends[kind][intact - 1] if intact else len(self.sinks[kind].header)
                for kind in self.data_kinds}
        cuts["manifest"] = manifest.line_ends[intact - 1] if intact else manifest.header_end
        if intact < len(manifest):
            self.notes.append(
                f"{self.output}: the records of {len(manifest) - intact} of the {len(manifest)} documents in "
                f"{self.sinks['manifest'].path.name} are missing or changed (from its line {intact + 2} on); "
                "labelling them again"
            )
        elif finished and any(size > cuts[kind] for kind, (_, size) in files.items()):
            self.notes.append(f"{self.output}: bytes after the last document of its manifest were cut; "
                              "documents they belonged to are labelled again")
        self._write_journal(cuts)
        self.kept, self.adopted = cuts, finished
        for kind, sink in self.sinks.items():
            sink.start_at(cuts[kind])
        return manifest.done(intact)

    def write(self, outcomes: Iterable[Outcome]) -> None:
        records, profiles, manifest = self.sinks["records"], self.sinks.get("profiles"), self.sinks["manifest"]
        data_sinks = [("records", records)] + ([("profiles", profiles)] if profiles is not None else [])
        for outcome in outcomes:
            if outcome.error is not None or outcome.already_done:
                continue
            pieces = outcome.pieces if outcome.pieces is not None else [(outcome.records, outcome.profiles)]
            starts = {kind: sink.handle.tell() for kind, sink in data_sinks}
            crcs = dict.fromkeys(starts, 0)
            for piece in pieces:
                for (kind, sink), data in zip(data_sinks, piece):
                    sink.write(data)
                    crcs[kind] = zlib.crc32(data, crcs[kind])
            if outcome.error is not None or outcome.already_done:  # found while streaming: drop its bytes
                for kind, sink in data_sinks:
                    sink.cut(starts[kind])
                continue
            entry = {
                "doc": outcome.doc_id,
                "sha256": outcome.content_hash,
                "source": outcome.source,
                "sentences": outcome.sentences,
                "characters": outcome.characters,
            }
            for kind, sink in data_sinks:
                entry[f"{kind}_end"] = sink.handle.tell()
                entry[f"{kind}_crc"] = f"{crcs[kind]:08x}"
            manifest.write(encode_json(entry) + "\n")

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
        try:
            with open(tmp, "w", encoding="utf-8") as handle:
                json.dump(state, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.journal)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise OutputError.of(self.journal, exc) from None
        except BaseException:  # Ctrl-C, SIGTERM: the journal is the last one; no temporary file is left
            tmp.unlink(missing_ok=True)
            raise

    def finish(self) -> None:
        self.commit()
        for sink in self.sinks.values():
            sink.finish()
        self.journal.unlink()

    def close(self) -> None:
        for sink in self.sinks.values():
            sink.close()

    def abandon(self) -> str:
        """After an output error: drop what this run wrote, leaving the files as they were before it.

        A fresh run's parts and journal go; a resumed finished output gets its
        files back, as they were; an interrupted run's parts are cut back to
        what its journal names, to be resumed later.
        """
        for kind, sink in self.sinks.items():
            sink.abandon(None if self.kept is None else self.kept[kind], self.adopted)
        if self.kept is None or self.adopted:
            self.journal.unlink(missing_ok=True)
        if self.kept is None:
            return "nothing of this run was kept; any earlier output is as it was"
        if self.adopted:
            return f"{self.output} is as it was before this run"
        return "the interrupted run's output is as its last commit left it; rerun with --resume once there is room"
