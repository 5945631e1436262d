"""Label many reports: inputs -> per-sentence records, bad files skipped and reported."""

from __future__ import annotations

import csv
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from .api import label_report
from .errors import InputError
from .model import ThemeClassifier

RECORD_FIELDS = ("doc", "section", "section_index", "paragraph", "sentence", "start", "end", "text", "labels", "scores")


@dataclass
class BatchResult:
    documents: int = 0
    sentences: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)


def iter_input_files(inputs: Iterable[str], glob: str = "*.txt") -> Iterator[Path]:
    """Files named directly, and files under directories matching ``glob`` (recursive, sorted)."""
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            yield from sorted(p for p in path.rglob(glob) if p.is_file())
        else:
            yield path


def flatten_record(record: dict) -> dict:
    """A record for CSV: labels joined with ';', scores as score_<theme> columns."""
    flat = {key: value for key, value in record.items() if key not in ("labels", "scores")}
    flat["labels"] = ";".join(record["labels"])
    for theme, score in record["scores"].items():
        flat[f"score_{theme}"] = score
    return flat


def write_records(records: list[dict], output: str | Path) -> None:
    """Write records as JSONL (or CSV when ``output`` ends in .csv) atomically."""
    output = Path(output)
    tmp = output.with_name(output.name + ".tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as handle:
        if output.suffix.lower() == ".csv":
            rows = [flatten_record(r) for r in records]
            fieldnames = list(rows[0].keys()) if rows else list(RECORD_FIELDS)
            writer = csv.DictWriter(handle, fieldnames=fieldnames)
            writer.writeheader()
            writer.writerows(rows)
        else:
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    os.replace(tmp, output)


def label_files(
    inputs: Iterable[str],
    output: str | Path | None,
    model: ThemeClassifier | None = None,
    glob: str = "*.txt",
) -> BatchResult:
    """Label every input file; unreadable files are reported on stderr and skipped."""
    result = BatchResult()
    records: list[dict] = []
    for path in iter_input_files(inputs, glob):
        try:
            labelled = label_report(path if path.exists() else Path(path), model=model)
        except InputError as exc:
            result.failures.append((str(path), str(exc)))
            print(f"skipped: {exc}", file=sys.stderr)
            continue
        records.extend(labelled.to_records())
        result.documents += 1
        result.sentences += len(labelled.predictions)
    if output is None or str(output) == "-":
        for record in records:
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    else:
        write_records(records, output)
    return result
