"""Merge a labelled batch into ``corpus/labels/``: every line validated against the codebook and the sources.

A line's ``sha256`` and ``text`` (what the annotator saw) must be those of the
sentence now at its id, or nothing is merged. The read-modify-write of the
label files holds ``corpus/labels.lock`` (``outputs.FileLock``): a second merge
waits for it, up to ``MERGE_WAIT_SECONDS``, then stops naming the holder's
pid. Every changed label file is written to a part file, made durable and then
renamed; a failed write leaves the label files as they were and no part file.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..corpus.load import default_corpus_dir, labelled_ids
from ..codebook import Codebook, default_codebook, resolve_codebook
from ..corpus.records import SELECTIONS, check_text, load_json_line, read_decision_lines, read_label_lines
from ..corpus.user import check_writable
from ..corpus.sources import document_units, iter_documents, read_registry, source_file, sources_dir
from ..errors import CorpusError, OutputError
from ..outputs import FileLock, lock_path

MERGE_WAIT_SECONDS = 60.0  # a merge waits this long for another merge into the same corpus, then stops (exit 11)
_LISTED_IDS = 10  # ids named in the message about lines that do not match their sentence


@dataclass(frozen=True)
class LabelledLine:
    """One decided unit of a batch: its id, the labels a person gave, and who and how."""

    id: str
    labels: tuple[str, ...]
    annotator: str
    selection: str
    where: str
    sha256: str | None = None  # what the annotator saw, when the line says: checked against the sentence now
    text: str | None = None


@dataclass
class MergeResult:
    """What a merge added, per source file and per theme, and what it left out and why."""

    added: Counter = field(default_factory=Counter)
    per_theme: Counter = field(default_factory=Counter)
    unlabelled: int = 0
    files: list[str] = field(default_factory=list)
    themes: tuple[str, ...] = ()

    def format(self) -> str:
        total = sum(self.added.values())
        lines = [f"merged {total} units" + (f"; {self.unlabelled} without labels left out" if self.unlabelled else "")]
        lines += [f"  {source:<16}{count:>6}" for source, count in sorted(self.added.items())]
        lines.append("  positives: " + ", ".join(f"{theme} {self.per_theme[theme]}" for theme in self.themes))
        return "\n".join(lines)


def read_labelled_batch(path: str | os.PathLike, annotator: str = "", selection: str = "",
                        codebook: Codebook | None = None) -> tuple[list[LabelledLine], int]:
    """The decided lines of a batch file and the count of lines whose ``labels`` are still ``null``.

    A line needs ``id`` and ``labels``; ``annotator`` and ``selection`` come
    from the line or, if it has none, from the arguments.
    """
    decided, unlabelled = [], 0
    for where, obj in read_decision_lines(path):
        if obj["labels"] is None:
            unlabelled += 1
            continue
        labels = (codebook or default_codebook()).check_labels(obj["labels"], where)
        check_text(obj["id"], "id", where)
        who = obj.get("annotator") or annotator
        how = obj.get("selection") or selection
        if not who:
            raise CorpusError(f"{where}: no annotator named (give --annotator or an 'annotator' field)")
        who = check_text(who if isinstance(who, str) else str(who), "annotator", where)
        if how not in SELECTIONS:
            raise CorpusError(f"{where}: selection must be one of {list(SELECTIONS)} (give --selection), got {how!r}")
        seen = {}
        for key in ("sha256", "text"):
            value = obj.get(key)
            seen[key] = None if value is None else check_text(value, key, where)
        decided.append(LabelledLine(obj["id"], labels, who, how, where, seen["sha256"], seen["text"]))
    return decided, unlabelled


def standoff_records(lines: list[LabelledLine], corpus_dir: Path, sources=None) -> dict[str, list[dict]]:
    """Stand-off records of decided lines, per source, each unit resolved in its source copy."""
    registry = read_registry(corpus_dir)
    root = sources_dir(sources)
    changed: list[LabelledLine] = []  # lines whose hash or text is not the sentence's now at their id
    by_source: dict[str, dict[str, list[LabelledLine]]] = {}
    for line in lines:
        source, _, rest = line.id.partition("/")
        if not rest or source not in registry:
            raise CorpusError(f"{line.where}: id {line.id!r} names no registered source (known: {sorted(registry)})")
        doc = rest.rsplit("-s", 1)[0]
        by_source.setdefault(source, {}).setdefault(doc, []).append(line)
    out: dict[str, list[dict]] = {}
    for source, docs in by_source.items():
        spec = registry[source]
        path = source_file(spec, root)
        if path is None:
            raise CorpusError(f"source {source!r} ({spec.path}) has no local copy in {root}: pass --sources DIR")
        records = []
        for document in iter_documents(spec, path):
            if document.doc not in docs:
                continue
            units = {unit.id: unit for unit in document_units(document)}
            for line in docs.pop(document.doc):
                unit = units.get(line.id)
                if unit is None:
                    raise CorpusError(f"{line.where}: {line.id!r} is not a sentence of document {document.doc!r}")
                if (line.sha256 is not None and line.sha256 != unit.sha256) or (line.text is not None
                                                                                and line.text != unit.text):
                    changed.append(line)
                    continue
                records.append(
                    {"id": unit.id, "source": source, "doc": unit.doc, "span": list(unit.span), "sha256": unit.sha256,
                     "labels": list(line.labels), "annotator": line.annotator, "selection": line.selection}
                )
        if docs:
            doc, pending = next(iter(docs.items()))
            raise CorpusError(f"{pending[0].where}: document {doc!r} is not in source {source!r}")
        out[source] = records
    if changed:
        shown = ", ".join(f"{line.id} ({line.where.rpartition(':')[2]})" for line in changed[:_LISTED_IDS])
        more = f" and {len(changed) - _LISTED_IDS} more" if len(changed) > _LISTED_IDS else ""
        raise CorpusError(
            f"{changed[0].where.rpartition(':')[0]}: {len(changed)} line(s) whose sha256 or text is not the sentence "
            f"now at their id (the source copy changed since select, or the line was edited): {shown}{more} "
            "(id (line)); nothing merged"
        )
    return out


def label_file_bytes(records: list[dict]) -> bytes:
    """Stand-off records sorted by id, one JSON line each, as a label file holds them."""
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in sorted(records, key=lambda r: r["id"])).encode("utf-8")


def write_label_file(path: Path, records: list[dict]) -> None:
    """Write stand-off records sorted by id, atomically."""
    write_label_files({path: label_file_bytes(records)})


def write_label_files(contents: dict[Path, bytes]) -> None:
    """Replace several label files as nearly at once as files allow: every part written and made durable first.

    Any write error removes every part file and raises OutputError naming the
    file; the label files are then as they were.
    """
    parts: list[Path] = []
    try:
        for path, data in contents.items():
            part = path.with_name(path.name + ".part")
            parts.append(part)
            try:
                with open(part, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
            except OSError as exc:
                raise OutputError(f"{path}: cannot write: {exc.strerror or exc}; the label files are as they were") from None
        for path, part in zip(contents, parts):
            try:
                os.replace(part, path)
            except OSError as exc:
                raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from None
    finally:
        for part in parts:
            try:
                part.unlink()
            except OSError:
                pass


def merge_batch(
    batch: str | os.PathLike,
    corpus_dir: str | os.PathLike | None = None,
    sources: str | os.PathLike | None = None,
    annotator: str = "",
    selection: str = "",
    replace: bool = False,
    codebook: Codebook | str | os.PathLike | None = None,
) -> MergeResult:
    """Validate a labelled batch against the corpus's codebook and add it to ``corpus_dir/labels/<source>.jsonl``.

    A unit already in the corpus is an error unless ``replace`` (then the new
    decision replaces the old one, e.g. after adjudication). Lines whose
    ``labels`` are ``null`` are left out and counted.
    """
    root = check_writable(corpus_dir)  # never the shipped corpus inside an installed package
    codebook = resolve_codebook(codebook, root)
    decided, unlabelled = read_labelled_batch(batch, annotator, selection, codebook)
    seen: dict[str, str] = {}
    for line in decided:
        if line.id in seen:
            raise CorpusError(f"{line.where}: {line.id!r} is labelled twice in the batch (first at {seen[line.id]})")
        seen[line.id] = line.where
    resolved = standoff_records(decided, root, sources)  # reads the source copies only: no lock needed yet
    labels = root / "labels"
    lock = FileLock(lock_path(labels), f"{labels}: another merge (pid {{pid}}) is writing these label files; "
                                       "wait for it to end, then merge again")
    lock.acquire(wait=MERGE_WAIT_SECONDS)
    try:
        existing_ids = labelled_ids(root)
        result = MergeResult(unlabelled=unlabelled, themes=codebook.ids)
        contents: dict[Path, bytes] = {}
        for source, records in resolved.items():
            path = labels / f"{source}.jsonl"
            old = [load_json_line(text, f"{path}:{n}") for n, text in read_label_lines(path)] if path.is_file() else []
            new_ids = {r["id"] for r in records}
            clash = sorted(new_ids & existing_ids)
            if clash and not replace:
                raise CorpusError(f"{batch}: {len(clash)} unit(s) are already in the corpus, e.g. {clash[:3]}; "
                                  "pass --replace to overwrite")
            kept = [r for r in old if not (isinstance(r, dict) and r.get("id") in new_ids)]
            contents[path] = label_file_bytes(kept + records)
            result.added[source] += len(records)
            for record in records:
                result.per_theme.update(record["labels"])
            result.files.append(str(path))
        write_label_files(contents)
    finally:
        lock.release()
    return result
