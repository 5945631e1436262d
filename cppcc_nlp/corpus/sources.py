"""Registered sources: JSONL files of documents that stand-off labels point into.

``corpus/sources.json`` names each source, its path (absolute, or relative to a
directory of source copies: ``--sources DIR``, ``sources=`` or ``$CPPCC_NLP_SOURCES``),
and the field that holds each document's id (``doc_id``, default ``id``).
``cppcc-nlp corpus add-source`` writes an entry after reading the source through. A document's units are the
reader's sentences of its ``text``; spans index the reader's normalised text.
Optional keys: ``text_field`` (default ``text``); ``group_field``, the field
that names a document's site (a URL field: its host), which evaluation holds
out whole; and
``truncated``, for excerpts that may stop mid-sentence: a document's last
sentence is then a unit only if it ends as a sentence does.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ..errors import CorpusError, InputError
from ..reader import Report, ends_sentence, parse_report, read_report
from ..context import UnitContext, report_contexts, report_title
from .records import text_hash, unit_id

SOURCES_ENV = "CPPCC_NLP_SOURCES"
REGISTRY_NAME = "sources.json"


@dataclass(frozen=True)
class SourceSpec:
    """One registered source: a JSONL file with one document per line."""

    name: str
    path: str
    doc_id: str = "id"
    genre: str = ""
    description: str = ""
    text_field: str = "text"
    group_field: str = ""
    truncated: bool = False


@dataclass(frozen=True)
class Document:
    """One document of a source, read by the reader.

    ``group`` is the site or host the document comes from (the source's
    ``group_field``), or empty; ``truncated`` says the text may stop mid-sentence.
    """

    source: str
    doc: str
    title: str
    fields: dict
    report: Report
    group: str = ""
    truncated: bool = False


@dataclass(frozen=True)
class Unit:
    """One sentence of a document, addressable by a stand-off record."""

    id: str
    source: str
    doc: str
    section: str
    span: tuple[int, int]
    text: str
    context: UnitContext
    position: int

    @property
    def sha256(self) -> str:
        return text_hash(self.text)


def read_registry(corpus_dir: Path) -> dict[str, SourceSpec]:
    """The sources registered in ``corpus_dir/sources.json`` (none if the file is absent)."""
    path = Path(corpus_dir) / REGISTRY_NAME
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CorpusError(f"{path}: not a valid source registry ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("sources"), list):
        raise CorpusError(f'{path}: a source registry is an object {{"sources": [...]}}, one entry per source')
    specs: dict[str, SourceSpec] = {}
    for number, entry in enumerate(data["sources"], start=1):
        spec = _registry_entry(entry, f"{path}: source {number}")
        if spec.name in specs:
            raise CorpusError(f"{path}: source {number}: the name {spec.name!r} is registered twice")
        specs[spec.name] = spec
    return specs


_ENTRY_TYPES = {"name": str, "path": str, "doc_id": str, "genre": str, "description": str, "text_field": str,
                "group_field": str, "truncated": bool}
_ENTRY_HELP = ("an entry is {\"name\": ..., \"path\": ...} with optional doc_id (default id), text_field (default "
               "text), group_field, genre, description, truncated; path is a JSONL file or a directory of .txt reports, absolute or "
               "relative to the sources directory (--sources or $CPPCC_NLP_SOURCES); doc_id is the field of a "
               "document's id (cppcc-nlp corpus add-source writes entries for you)")


def _registry_entry(entry, where: str) -> SourceSpec:
    """One validated entry of ``sources.json``; an error names the entry, the key and the format."""
    if not isinstance(entry, dict):
        raise CorpusError(f"{where}: not an object; {_ENTRY_HELP}")
    if isinstance(entry.get("name"), str):
        where = f"{where} ({entry['name']!r})"
    missing = [key for key in ("name", "path") if key not in entry]
    if missing:
        raise CorpusError(f"{where}: missing {', '.join(map(repr, missing))}; {_ENTRY_HELP}")
    unknown = sorted(set(entry) - set(_ENTRY_TYPES))
    if unknown:
        raise CorpusError(f"{where}: unknown key(s) {unknown}; {_ENTRY_HELP}")
    for key, value in entry.items():
        if not isinstance(value, _ENTRY_TYPES[key]) or (key in ("name", "path") and not value):
            kind = ("true or false" if _ENTRY_TYPES[key] is bool
                    else "a non-empty string" if key in ("name", "path") else "a string")
            raise CorpusError(f"{where}: {key!r} must be {kind}, got {value!r}")
    return SourceSpec(**entry)


def site_of(value) -> str:
    """A document's site from its ``group_field``: a URL gives its host (lower case, no port, no ``www.``)."""
    from urllib.parse import urlsplit

    text = str(value or "").strip()
    if "://" in text:
        host = (urlsplit(text).hostname or "").lower()
        return host[4:] if host.startswith("www.") else host
    return text


def sources_dir(explicit: str | os.PathLike | None = None) -> Path | None:
    """The directory of source copies: the argument, else ``$CPPCC_NLP_SOURCES``, else None."""
    chosen = explicit if explicit is not None else os.environ.get(SOURCES_ENV) or None
    return Path(chosen) if chosen is not None else None


def source_file(spec: SourceSpec, root: Path | None) -> Path | None:
    """The local copy of a source, or None when there is none: an absolute ``path`` as it is, a relative one
    inside ``root`` (the directory of source copies)."""
    if Path(spec.path).is_absolute():
        path = Path(spec.path)
    elif root is None:
        return None
    else:
        path = root / spec.path
    return path if path.is_file() or path.is_dir() else None


def missing_copy(spec: SourceSpec, root: Path | None) -> str:
    """Why source ``spec`` has no local copy, and what to do."""
    if Path(spec.path).is_absolute():
        return f"source {spec.name!r}: {spec.path} does not exist (fix its path in sources.json)"
    if root is None:
        return (f"source {spec.name!r} ({spec.path}) is relative to the directory of source copies, and none was "
                f"given: pass --sources DIR or set {SOURCES_ENV}")
    return f"source {spec.name!r}: no {spec.path} in {root} (the directory of source copies, --sources or ${SOURCES_ENV})"


def iter_documents(spec: SourceSpec, path: Path) -> Iterator[Document]:
    """The documents of a source, in order, each parsed by the reader.

    A source is a JSONL file (one document per line, its id in ``spec.doc_id``)
    or a directory of text reports (``*.txt``, the id is the path without suffix).
    """
    if path.is_dir():
        yield from _iter_report_files(spec, path)
        return
    seen: set[str] = set()
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise CorpusError(f"{path}: cannot read source {spec.name!r}: {exc.strerror or exc}") from None
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise CorpusError(f"{where}: not valid JSON ({exc.msg})") from None
            if not isinstance(obj, dict) or spec.doc_id not in obj or not isinstance(obj.get(spec.text_field), str):
                raise CorpusError(f"{where}: a document needs the fields {spec.doc_id!r} and {spec.text_field!r}")
            doc = str(obj[spec.doc_id])
            if doc in seen:
                raise CorpusError(f"{where}: document id {doc!r} ({spec.doc_id}) occurs twice in source {spec.name!r}")
            seen.add(doc)
            try:
                report = parse_report(obj[spec.text_field], doc_id=doc, source=str(path))
            except InputError:
                continue  # a document with no text has no units
            fields = {k: v for k, v in obj.items() if k != spec.text_field}
            group = site_of(obj.get(spec.group_field)) if spec.group_field else ""
            yield Document(spec.name, doc, str(obj.get("title") or ""), fields, report, group, spec.truncated)


def _iter_report_files(spec: SourceSpec, root: Path) -> Iterator[Document]:
    for path in sorted(p for p in root.rglob("*.txt") if p.is_file() and not p.is_symlink()):
        doc = path.relative_to(root).with_suffix("").as_posix()
        try:
            report = read_report(path, doc_id=doc)
        except InputError as exc:
            raise CorpusError(f"source {spec.name!r}: {exc}") from None
        yield Document(spec.name, doc, report_title(report), {}, report)


def report_units(report: Report, source: str | None = None, title: str | None = None) -> list[Unit]:
    """Every sentence of a report as a Unit, in reading order, with its context (``context.report_contexts``)."""
    units = []
    sections = report.sections
    for position, (sentence, context) in enumerate(zip(report.sentences, report_contexts(report, title))):
        units.append(
            Unit(
                id=unit_id(report.doc_id, sentence.section_index, sentence.index, source),
                source=source or report.doc_id,
                doc=report.doc_id,
                section=sections[sentence.section_index].name,
                span=(sentence.start, sentence.end),
                text=sentence.text,
                context=context,
                position=position,
            )
        )
    return units


def document_units(document: Document) -> list[Unit]:
    """The units of one source document; a truncated document's unfinished last sentence is not one."""
    units = report_units(document.report, document.source, document.title)
    if document.truncated and units and not ends_sentence(units[-1].text):
        units.pop()
    return units
