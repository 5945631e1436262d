"""The documents a page shows: labelled reports, or the records of a finished ``cppcc-nlp label`` output."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from ..records import RECORD_FIELDS, SCORE_DIGITS, label_mask, record_fields, score_column

if TYPE_CHECKING:
    from ..reader import Report

SCORE_SCALE = 10**SCORE_DIGITS  # a score's step (``records.score_steps``) is its value times this


@dataclass
class PageDocument:
    """One labelled document in the page's form.

    ``sentences``: ``(section_index, paragraph, sentence, start, end, text)``
    per sentence, in reading order; ``masks``: each sentence's themes as bits
    (bit k: ``themes[k]``); ``steps``: its scores as ``records.score_steps``.
    ``report`` is kept when the document was labelled here (its context feeds
    the explanations of a model that reads context).
    """

    doc_id: str
    source: str
    sections: list[str]
    sentences: list[tuple]
    masks: list[int]
    steps: list[list[int]]
    report: "Report | None" = field(default=None, repr=False)

    @classmethod
    def of_labelled(cls, labelled) -> "PageDocument":
        """The page's form of a labelled report (``api.LabelledReport``)."""
        return cls.of_report(labelled.report, *labelled.masks_and_steps())

    @classmethod
    def of_report(cls, report: "Report", masks: Sequence[int], steps: Sequence[Sequence[int]]) -> "PageDocument":
        """The page's form of a report and the batch labeller's predictions of its sentences."""
        sentences = [(s.section_index, s.paragraph_index, s.index, s.start, s.end, s.text) for s in report.sentences]
        masks, steps = list(masks), [list(row) for row in steps]
        return cls(report.doc_id, str(report.source or ""), [section.name for section in report.sections], sentences,
                   masks, steps, report)


def documents_of(labelled) -> list[PageDocument]:
    """Page documents of a ``LabelledReport``, an iterable of them, or a ``research.ReportBatch``."""
    if hasattr(labelled, "predictions") and hasattr(labelled, "report"):
        labelled = [labelled]
    elif hasattr(labelled, "labelled") and not hasattr(labelled, "predictions"):
        labelled = labelled.labelled
    return [PageDocument.of_labelled(item) for item in labelled]


# -- a finished ``cppcc-nlp label`` output as input -----------------------------------------------


def label_output_themes(path: str | os.PathLike) -> tuple[str, ...] | None:
    """The themes of a finished ``cppcc-nlp label`` output (JSONL, CSV or Parquet records), or None for any other file."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix in (".jsonl", ".ndjson"):
            with open(path, "rb") as handle:
                first = next((line for line in handle if line.strip()), b"")
            try:
                record = json.loads(first.decode("utf-8-sig"))
            except ValueError:
                return None
            if isinstance(record, dict) and set(RECORD_FIELDS) <= set(record) and isinstance(record["scores"], dict):
                return tuple(str(theme) for theme in record["scores"])
            return None
        if suffix == ".csv":
            import csv

            with open(path, encoding="utf-8-sig", newline="") as handle:
                header = next(csv.reader(handle), [])
            return _themes_of_columns(header)
        if suffix == ".parquet":
            from ..optional import require

            pq = require("pyarrow.parquet", "reading a Parquet label output")
            return _themes_of_columns(pq.read_schema(path).names)
    except (OSError, UnicodeDecodeError):
        return None
    return None


def _themes_of_columns(columns: Sequence[str]) -> tuple[str, ...] | None:
    flat = list(RECORD_FIELDS[:-1])
    if list(columns[: len(flat)]) != flat or len(columns) == len(flat):
        return None
    themes = tuple(name[len("score_"):] for name in columns[len(flat):])
    return themes if list(columns) == record_fields(themes) else None


def read_label_output(path: str | os.PathLike, themes: Sequence[str]) -> tuple[list[PageDocument], list[tuple[str, str]]]:
    """The documents of a finished ``label`` output, as labelled there; and ``(source, reason)`` of bad records."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        rows = _csv_records(path, themes)
    elif suffix == ".parquet":
        from ..optional import require

        table = require("pyarrow.parquet", "reading a Parquet label output").read_table(path)
        rows = ((f"{path}:{number}", _flat_record(row, themes)) for number, row in enumerate(table.to_pylist(), 2))
    else:
        rows = _jsonl_records(path)
    documents: list[PageDocument] = []
    failures: list[tuple[str, str]] = []
    index = {theme: k for k, theme in enumerate(themes)}
    current: PageDocument | None = None
    for where, record in rows:
        try:
            doc_id = str(record["doc"])
            section_index = int(record["section_index"])
            sentence = (section_index, int(record["paragraph"]), int(record["sentence"]), int(record["start"]),
                        int(record["end"]), str(record["text"]))
            mask = label_mask(record["labels"], themes)
            if any(label not in index for label in record["labels"]):
                raise ValueError(f"labels {record['labels']} outside the themes {list(themes)}")
            steps = [round(float(record["scores"][theme]) * SCORE_SCALE) for theme in themes]
        except (KeyError, TypeError, ValueError) as exc:
            failures.append((where, f"{where}: not a sentence record of cppcc-nlp label ({exc})"))
            continue
        if current is None or current.doc_id != doc_id:
            current = PageDocument(doc_id, str(path), [], [], [], [])
            documents.append(current)
        while len(current.sections) <= section_index:
            current.sections.append("")
        current.sections[section_index] = str(record["section"])
        current.sentences.append(sentence)
        current.masks.append(mask)
        current.steps.append(steps)
    return documents, failures


def _jsonl_records(path: Path):
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                yield f"{path}:{number}", json.loads(raw.decode("utf-8-sig" if number == 1 else "utf-8"))
            except ValueError as exc:
                yield f"{path}:{number}", {"error": str(exc)}


def _csv_records(path: Path, themes: Sequence[str]):
    import csv

    with open(path, encoding="utf-8-sig", newline="") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=2):
            yield f"{path}:{number}", _flat_record(row, themes)


def _flat_record(row: dict, themes: Sequence[str]) -> dict:
    """A flat (CSV or Parquet) row as a sentence record: labels a list, scores an object, CSV's apostrophes undone."""
    record = {name: _uncell(row.get(name)) for name in RECORD_FIELDS[:-2]}
    labels = row.get("labels")
    record["labels"] = list(labels) if isinstance(labels, (list, tuple)) else [x for x in str(labels or "").split(";") if x]
    record["scores"] = {theme: row.get(score_column(theme)) for theme in themes}
    return record


def _uncell(value):
    """A CSV cell as written before ``records.csv_cell`` guarded it against spreadsheet formulas."""
    if isinstance(value, str) and value[:1] == "'" and value[1:2] in ("=", "+", "-", "@", "\t", "\r"):
        return value[1:]
    return value


def manifest_model(path: str | os.PathLike) -> str | None:
    """The model fingerprint in the manifest beside a ``label`` output, or None when there is none."""
    from ..batch.sinks import sidecar_path

    manifest = sidecar_path(path, "manifest")
    try:
        with open(manifest, "rb") as handle:
            header = json.loads(handle.readline())
    except (OSError, ValueError):
        return None
    return str(header.get("model")) if isinstance(header, dict) and header.get("model") else None
