"""``--by FIELD[:N]``: the value of a JSONL field per document, to group shares by (a year, a source)."""

from __future__ import annotations

import json
import os
from typing import Iterable

from ..errors import InputError, UsageError


def field_values(inputs: Iterable[str | os.PathLike], field: str, glob: str = "*.txt", text_field: str | None = None,
                 id_field: str | None = None) -> dict[str, str]:
    """``{document id: value}`` of a field of the JSONL records among ``inputs`` (ids as ``cppcc-nlp label`` gives them).

    ``field`` may end in ``:N`` to keep the value's first N characters
    (``date:4``: the year of an ISO date). A record without the field gets no
    entry. Standard input cannot be read twice, so it is refused here.
    """
    from ..batch.inputs import iter_items

    name, keep = parse_field(field)
    lines: dict[str, dict[int, str]] = {}
    for item in iter_items(inputs, glob, text_field, id_field):
        if item.text is None or item.source.startswith("<stdin>"):
            if item.source.startswith("<stdin>"):
                raise InputError(f"grouping by the field {name!r} needs JSONL files, not standard input")
            continue
        path, _, number = item.source.rpartition(":")
        lines.setdefault(path, {})[int(number)] = item.doc_id
    values: dict[str, str] = {}
    for path, wanted in lines.items():
        with open(path, "rb") as handle:
            for number, raw in enumerate(handle, start=1):
                if number not in wanted:
                    continue
                record = json.loads(raw.decode("utf-8-sig"))
                value = record.get(name)
                text = "" if value is None else str(value).strip()
                if keep:
                    text = text[:keep]
                if text:  # a missing, null or empty value: the document has no group, and is counted apart
                    values[wanted[number]] = text
    return values


def parse_field(field: str) -> tuple[str, int | None]:
    """``--by FIELD[:N]`` -> ``(FIELD, N)``; UsageError unless FIELD is a name and N a number of 1 or more."""
    name, colon, width = field.partition(":")
    if not name:
        raise UsageError(f"--by {field!r}: name a field of the JSONL records, e.g. date or date:4")
    if colon and not (width.isascii() and width.isdigit() and int(width) >= 1):
        raise UsageError(f"--by {field!r}: after ':' comes the number of characters to keep (1 or more), e.g. date:4")
    return name, int(width) if colon else None
