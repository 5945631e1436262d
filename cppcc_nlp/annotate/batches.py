"""Batch files for annotators: one JSON object per unit, with its text and context, ``labels`` to fill in.

A batch holds source text, so it lives outside the repository (it is the
annotators' working copy). ``labels`` starts as ``null`` — not yet decided —
so that a forgotten unit is never mistaken for one without a theme; the
model's probabilities, when asked for, are in ``suggested`` and never count.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterable

from .select import Selected

BATCH_FIELDS = ("id", "source", "doc", "span", "sha256", "title", "section", "heading", "before", "text", "after",
                "selection", "suggested", "labels")


def batch_line(item: Selected, annotator: str = "") -> dict:
    """The batch-file object of one selected unit."""
    unit = item.unit
    line = {
        "id": unit.id,
        "source": unit.source,
        "doc": unit.doc,
        "span": list(unit.span),
        "sha256": unit.sha256,
        "title": unit.context.title,
        "section": unit.section,
        "heading": unit.context.heading,
        "before": unit.context.before,
        "text": unit.text,
        "after": unit.context.after,
        "selection": item.selection,
        "labels": None,
    }
    if item.suggested is not None:
        line["suggested"] = item.suggested
    if annotator:
        line["annotator"] = annotator
    return line


def write_batch(items: Iterable[Selected], path: str | os.PathLike, annotator: str = "") -> int:
    """Write a batch file (atomically); return the number of units written."""
    path = Path(path)
    lines = [json.dumps(batch_line(item, annotator), ensure_ascii=False) for item in items]
    tmp = path.with_name(path.name + ".part")
    tmp.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    os.replace(tmp, path)
    return len(lines)
