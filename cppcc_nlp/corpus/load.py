"""Load the hand-labelled corpus: inline records checked against ``corpus/raw/``, stand-off records resolved."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections import Counter, defaultdict
from pathlib import Path

from ..codebook import Codebook, resolve_codebook
from ..errors import CorpusError, InputError
from ..reader import read_report
from .records import LabelRecord, StandoffLine, read_label_file
from .sources import SourceSpec, document_units, iter_documents, read_registry, report_units, source_file, sources_dir


def default_corpus_dir() -> Path:
    """The shipped corpus: ``corpus/`` of the checkout, installed as the package data ``cppcc_nlp.corpus_data``."""
    from importlib import resources

    try:
        packaged = Path(str(resources.files("cppcc_nlp.corpus_data")))
        if (packaged / "labels").is_dir():
            return packaged
    except (ModuleNotFoundError, TypeError):
        pass
    return Path(__file__).resolve().parent.parent.parent / "corpus"


def load_corpus(
    corpus_dir: str | os.PathLike | None = None,
    sources: str | os.PathLike | None = None,
    skip_missing_sources: bool = False,
    report=None,
    codebook: Codebook | str | os.PathLike | None = None,
) -> list[LabelRecord]:
    """All hand-labelled records, validated against the corpus's codebook and with their text resolved.

    ``codebook``: a Codebook or a codebook file; None takes the corpus
    directory's ``codebook.toml``, else the CPPCC codebook.

    Inline records must match their raw report (``corpus/raw/<doc>.txt``) and
    cover every sentence of it. Stand-off records are resolved against the
    local copies of their sources in ``sources`` (or ``$CPPCC_NLP_SOURCES``): a
    span outside the document, a span that is not the reader's sentence, or a
    hash that does not match is an error naming the label file and line. A
    source without a local copy is an error listing each missing source and
    its record count, unless ``skip_missing_sources`` is true; then those
    records are left out and ``report`` (default: stderr) is told how many.
    """
    root = Path(corpus_dir) if corpus_dir is not None else default_corpus_dir()
    label_files = sorted((root / "labels").glob("*.jsonl"))
    if not label_files:
        raise CorpusError(f"{root / 'labels'}: no *.jsonl label files")
    registry = read_registry(root)
    codebook = resolve_codebook(codebook, root)
    parsed: list[LabelRecord | StandoffLine] = []
    seen: dict[str, str] = {}
    for path in label_files:
        for number, item in enumerate(read_label_file(path, codebook), start=1):
            where = item.where if isinstance(item, StandoffLine) else f"{path}:{number}"
            if item.id in seen:
                raise CorpusError(f"{where}: duplicate id {item.id!r} (first in {seen[item.id]})")
            seen[item.id] = where
            parsed.append(item)
    inline = _check_inline([r for r in parsed if isinstance(r, LabelRecord)], root, seen)
    standoff = [r for r in parsed if isinstance(r, StandoffLine)]
    resolved = _resolve_standoff(standoff, registry, sources_dir(sources), skip_missing_sources, report)
    by_id = {record.id: record for record in inline + resolved}
    return [by_id[item.id] for item in parsed if item.id in by_id]


def _check_inline(records: list[LabelRecord], root: Path, where_of: dict[str, str]) -> list[LabelRecord]:
    units_by_doc: dict[str, dict] = {}
    checked = []
    for record in records:
        where = where_of[record.id]
        if record.doc not in units_by_doc:
            units_by_doc[record.doc] = _raw_units(root, record.doc, where)
        units = units_by_doc[record.doc]
        unit = units.get(record.id)
        if unit is None:
            raise CorpusError(f"{where}: id {record.id!r} is not a sentence of corpus/raw/{record.doc}.txt")
        if unit.text != record.text:
            raise CorpusError(f"{where}: text differs from the raw report's sentence {record.id!r}: {unit.text!r}")
        if unit.section != record.section:
            raise CorpusError(f"{where}: section {record.section!r} should be {unit.section!r}")
        checked.append(
            LabelRecord(record.id, record.doc, record.section, record.text, record.labels, record.doc, None,
                        record.annotator, record.selection or "all", unit.context)
        )
    labelled = {record.id for record in records}
    for doc, units in units_by_doc.items():
        unlabelled = [uid for uid in units if uid not in labelled]
        if unlabelled:
            raise CorpusError(
                f"{root / 'labels'}: {len(unlabelled)} sentence(s) of {doc} have no record, e.g. {unlabelled[:3]}"
            )
    return checked


def _raw_units(root: Path, doc: str, where: str) -> dict:
    raw = root / "raw" / f"{doc}.txt"
    try:  # a link inside corpus/raw/ may not lead out of it either
        inside = raw.resolve().is_relative_to((root / "raw").resolve())
    except (OSError, RuntimeError):
        inside = False
    if not inside:
        raise CorpusError(f"{where}: doc {doc!r} is not a report under {root / 'raw'}")
    if not raw.is_file():
        raise CorpusError(f"{where}: no raw report {raw} for doc {doc!r}")
    try:
        report = read_report(raw, doc_id=doc)
    except InputError as exc:
        raise CorpusError(f"{where}: raw report unreadable: {exc}") from None
    return {unit.id: unit for unit in report_units(report)}


def _resolve_standoff(
    lines: list[StandoffLine],
    registry: dict[str, SourceSpec],
    root: Path | None,
    skip_missing: bool,
    report,
) -> list[LabelRecord]:
    if not lines:
        return []
    unknown = sorted({line.source for line in lines} - set(registry))
    if unknown:
        first = next(line for line in lines if line.source in unknown)
        raise CorpusError(f"{first.where}: source {first.source!r} is not registered in sources.json")
    counts = Counter(line.source for line in lines)
    files = {name: source_file(registry[name], root) for name in counts}
    missing = sorted(name for name, path in files.items() if path is None)
    if missing:
        listing = "; ".join(f"{name} ({registry[name].path}): {counts[name]} records" for name in missing)
        where = f"in {root}" if root is not None else f"(no --sources directory and ${'CPPCC_NLP_SOURCES'} unset)"
        if not skip_missing:
            raise CorpusError(
                f"stand-off records cannot be resolved, source copies missing {where}: {listing}; "
                "pass --sources DIR (or set CPPCC_NLP_SOURCES), or skip them explicitly with --skip-missing-sources"
            )
        print(f"skipping {sum(counts[n] for n in missing)} stand-off records of missing sources: {listing}",
              file=report if report is not None else sys.stderr)
    wanted: dict[str, dict[str, list[StandoffLine]]] = defaultdict(lambda: defaultdict(list))
    for line in lines:
        if files[line.source] is not None:
            wanted[line.source][line.doc].append(line)
    resolved: dict[str, LabelRecord] = {}
    for name, docs in wanted.items():
        spec = registry[name]
        for document in iter_documents(spec, files[name]):
            if document.doc not in docs:
                continue
            units = {unit.id: unit for unit in document_units(document)}
            text_length = len(document.report.text)
            for line in docs.pop(document.doc):
                start, end = line.span
                if end > text_length:
                    raise CorpusError(
                        f"{line.where}: span {list(line.span)} lies outside document {line.doc!r} "
                        f"of {name} ({text_length} characters)"
                    )
                unit = units.get(line.id)
                if unit is None or unit.span != line.span:
                    raise CorpusError(
                        f"{line.where}: span {list(line.span)} with id {line.id!r} is not a sentence of "
                        f"document {line.doc!r} of {name} as the reader splits it"
                    )
                if unit.sha256 != line.sha256:
                    raise CorpusError(
                        f"{line.where}: hash does not match the text at span {list(line.span)} of document "
                        f"{line.doc!r} in {files[name]} (the source copy differs from the one labelled)"
                    )
                resolved[line.id] = LabelRecord(
                    line.id, line.doc, unit.section, unit.text, line.labels, name, line.span,
                    line.annotator, line.selection, unit.context, document.group,
                )
        if docs:
            doc, pending = next(iter(docs.items()))
            raise CorpusError(f"{pending[0].where}: document {doc!r} is not in source {name} ({files[name]})")
    return [resolved[line.id] for line in lines if line.id in resolved]


def labelled_ids(corpus_dir: Path) -> set[str]:
    """Ids of every unit in ``corpus_dir/labels`` (read without resolving the sources)."""
    from .records import read_label_lines

    ids = set()
    for path in sorted((Path(corpus_dir) / "labels").glob("*.jsonl")):
        for number, text in read_label_lines(path):
            try:
                ids.add(json.loads(text)["id"])
            except (json.JSONDecodeError, RecursionError, KeyError, TypeError):
                raise CorpusError(f"{path}:{number}: not a label record with an 'id'") from None
    return ids


def corpus_hash(records: list[LabelRecord]) -> str:
    """SHA-256 over the records' canonical JSON: identifies the training data of a model."""
    digest = hashlib.sha256()
    for record in sorted(records, key=lambda r: r.id):
        digest.update(json.dumps(record.to_dict(), ensure_ascii=False, sort_keys=True).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()
