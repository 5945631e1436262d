"""The hand-labelled corpus: ``corpus/labels/*.jsonl`` records checked against ``corpus/raw/``."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

from .errors import CorpusError, InputError
from .reader import Report, read_report
from .themes import THEME_IDS

RECORD_KEYS = ("id", "doc", "section", "text", "labels")


@dataclass(frozen=True)
class LabelRecord:
    """One hand-labelled unit (a sentence), as the codebook's record format defines it."""

    id: str
    doc: str
    section: str
    text: str
    labels: tuple[str, ...]

    def to_dict(self) -> dict:
        return {"id": self.id, "doc": self.doc, "section": self.section, "text": self.text, "labels": list(self.labels)}


def default_corpus_dir() -> Path:
    """``corpus/`` of the source checkout this package was imported from."""
    return Path(__file__).resolve().parent.parent / "corpus"


def unit_id(doc_id: str, section_index: int, sentence_index: int) -> str:
    """The stable id of a sentence: document, section number, sentence number in the section."""
    return f"{doc_id}-s{section_index:02d}-{sentence_index:03d}"


def report_units(report: Report) -> list[tuple[str, str, str]]:
    """``(id, section name, text)`` of every sentence of a report, in reading order."""
    return [
        (unit_id(report.doc_id, section.index, sentence.index), section.name, sentence.text)
        for section in report.sections
        for sentence in section.sentences
    ]


def parse_label_line(line: str, path: str, line_number: int) -> LabelRecord:
    """Parse and validate one JSONL label line; errors name the file and line."""
    where = f"{path}:{line_number}"
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise CorpusError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(obj, dict):
        raise CorpusError(f"{where}: expected a JSON object with keys {', '.join(RECORD_KEYS)}")
    missing = [key for key in RECORD_KEYS if key not in obj]
    if missing:
        raise CorpusError(f"{where}: missing key(s) {', '.join(missing)}")
    for key in ("id", "doc", "section", "text"):
        if not isinstance(obj[key], str) or not obj[key]:
            raise CorpusError(f"{where}: {key!r} must be a non-empty string")
    labels = obj["labels"]
    if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
        raise CorpusError(f"{where}: 'labels' must be a list of theme ids (possibly empty)")
    unknown = sorted(set(labels) - set(THEME_IDS))
    if unknown:
        raise CorpusError(f"{where}: unknown theme id(s) {unknown}; known: {list(THEME_IDS)}")
    if len(set(labels)) != len(labels):
        raise CorpusError(f"{where}: a theme is listed twice in {labels}")
    return LabelRecord(obj["id"], obj["doc"], obj["section"], obj["text"], tuple(sorted(labels)))


def read_label_file(path: str | Path) -> list[LabelRecord]:
    """Records of one label file, each line validated on its own."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{path}: label files must be UTF-8 ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise CorpusError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return [
        parse_label_line(line, str(path), number)
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip()
    ]


def load_corpus(corpus_dir: str | Path | None = None) -> list[LabelRecord]:
    """All hand-labelled records, validated against the raw reports.

    Checks: known theme ids, no duplicate ids, every id exists in its raw report
    (``corpus/raw/<doc>.txt``) with the same text and section, and no sentence
    of a labelled report is left without a record.
    """
    root = Path(corpus_dir) if corpus_dir is not None else default_corpus_dir()
    label_files = sorted((root / "labels").glob("*.jsonl"))
    if not label_files:
        raise CorpusError(f"{root / 'labels'}: no *.jsonl label files")
    records: list[LabelRecord] = []
    seen: dict[str, str] = {}
    units_by_doc: dict[str, dict[str, tuple[str, str]]] = {}
    for path in label_files:
        for number, record in enumerate(read_label_file(path), start=1):
            where = f"{path}:{number}"
            if record.id in seen:
                raise CorpusError(f"{where}: duplicate id {record.id!r} (first in {seen[record.id]})")
            seen[record.id] = where
            if record.doc not in units_by_doc:
                units_by_doc[record.doc] = _raw_units(root, record.doc, where)
            units = units_by_doc[record.doc]
            if record.id not in units:
                raise CorpusError(f"{where}: id {record.id!r} is not a sentence of corpus/raw/{record.doc}.txt")
            section, text = units[record.id]
            if text != record.text:
                raise CorpusError(f"{where}: text differs from the raw report's sentence {record.id!r}: {text!r}")
            if section != record.section:
                raise CorpusError(f"{where}: section {record.section!r} should be {section!r}")
            records.append(record)
    for doc, units in units_by_doc.items():
        unlabelled = [uid for uid in units if uid not in seen]
        if unlabelled:
            raise CorpusError(
                f"{root / 'labels'}: {len(unlabelled)} sentence(s) of {doc} have no record, e.g. {unlabelled[:3]}"
            )
    return records


def _raw_units(root: Path, doc: str, where: str) -> dict[str, tuple[str, str]]:
    raw = root / "raw" / f"{doc}.txt"
    if not raw.is_file():
        raise CorpusError(f"{where}: no raw report {raw} for doc {doc!r}")
    try:
        report = read_report(raw, doc_id=doc)
    except InputError as exc:
        raise CorpusError(f"{where}: raw report unreadable: {exc}") from None
    return {uid: (section, text) for uid, section, text in report_units(report)}


def corpus_hash(records: list[LabelRecord]) -> str:
    """SHA-256 over the records' canonical JSON: identifies the training data of a model."""
    digest = hashlib.sha256()
    for record in sorted(records, key=lambda r: r.id):
        digest.update(json.dumps(record.to_dict(), ensure_ascii=False, sort_keys=True).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


@dataclass(frozen=True)
class CorpusStats:
    units: int
    units_per_section: dict[str, int]
    units_per_theme: dict[str, int]
    empty_units: int
    cooccurrence: dict[tuple[str, str], int]

    def format(self) -> str:
        lines = [f"units: {self.units}   empty (no theme): {self.empty_units}", "", "units per section:"]
        lines += [f"  {name:<12}{count:>5}" for name, count in self.units_per_section.items()]
        lines += ["", "units per theme:"]
        lines += [
            f"  {theme:<22}{count:>5}  ({count / self.units:.0%})" for theme, count in self.units_per_theme.items()
        ]
        lines += ["", "label co-occurrence (units with both):"]
        short = {theme: theme[:6] for theme in THEME_IDS}
        lines.append("  " + " " * 22 + "".join(f"{short[t]:>8}" for t in THEME_IDS))
        for a in THEME_IDS:
            cells = []
            for b in THEME_IDS:
                key = (a, b) if THEME_IDS.index(a) <= THEME_IDS.index(b) else (b, a)
                cells.append(f"{self.cooccurrence.get(key, self.units_per_theme[a] if a == b else 0):>8}")
            lines.append(f"  {a:<22}" + "".join(cells))
        return "\n".join(lines)


def corpus_stats(records: list[LabelRecord]) -> CorpusStats:
    """Units per section and per theme, empty units and label co-occurrence."""
    per_section = Counter(record.section for record in records)
    per_theme = {theme: sum(theme in record.labels for record in records) for theme in THEME_IDS}
    cooccurrence: Counter = Counter()
    for record in records:
        for a, b in combinations(sorted(record.labels, key=THEME_IDS.index), 2):
            cooccurrence[(a, b)] += 1
    return CorpusStats(
        units=len(records),
        units_per_section=dict(per_section),
        units_per_theme=per_theme,
        empty_units=sum(not record.labels for record in records),
        cooccurrence=dict(cooccurrence),
    )
