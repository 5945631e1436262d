"""``cppcc-nlp report``: from inputs (files to label, finished ``label`` outputs) to one HTML file."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from ..errors import InputError, UsageError
from ..outputs import write_atomically
from .documents import PageDocument, label_output_themes, manifest_model, read_label_output
from .groups import group_shares
from .page import build_page


@dataclass
class PageResult:
    """What ``write_report`` did: documents, sentences, the inputs it skipped, notes, size and time."""

    documents: int = 0
    sentences: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    output: str = ""
    bytes: int = 0
    seconds: float = 0.0


def collect_documents(inputs: Sequence[str], spec, *, glob: str = "*.txt", text_field: str | None = None,
                      id_field: str | None = None, jobs: int = 1, progress: bool | None = False
                      ) -> tuple[list[PageDocument], list[tuple[str, str]], list[str]]:
    """Every document of ``inputs``: finished ``label`` outputs read as they are, the rest labelled with ``spec``.

    Returns the documents in input order, the failures ``(source, reason)``
    (unreadable inputs, bad records, a document id seen twice) and notes (a
    label output whose manifest names another model).
    """
    from ..batch import label_in_memory

    themes = tuple(spec.themes)
    parts: list[tuple[str, object]] = []  # ("output", path) or ("label", [inputs]) in input order
    for raw in inputs:
        found = label_output_themes(raw) if str(raw) != "-" and os.path.isfile(raw) else None
        if found is None:
            if parts and parts[-1][0] == "label":
                parts[-1][1].append(raw)
            else:
                parts.append(("label", [raw]))
            continue
        if tuple(found) != themes:
            raise InputError(f"{raw}: labelled with the themes {list(found)}; the model has {list(themes)} "
                             "(give the model that labelled it with --model)")
        parts.append(("output", raw))
    documents: list[PageDocument] = []
    failures: list[tuple[str, str]] = []
    notes: list[str] = []
    for kind, value in parts:
        if kind == "output":
            read, bad = read_label_output(value, themes)
            documents += read
            failures += bad
            key = manifest_model(value)
            if key is not None and key != spec.key:
                notes.append(f"{value}: labelled with another model ({key[:12]}…) than the one that explains it "
                             f"({spec.key[:12]}…)")
        else:
            result = label_in_memory(value, spec, glob, text_field=text_field, id_field=id_field, jobs=jobs,
                                     progress=progress)
            documents += [PageDocument.of_report(report, masks, steps)
                          for report, masks, steps in result.documents]
            failures += list(result.failures)
    seen: set[str] = set()
    unique = []
    for doc in documents:
        if doc.doc_id in seen:
            failures.append((doc.source, f"{doc.source}: document id {doc.doc_id!r} occurs twice; the first is kept"))
            continue
        seen.add(doc.doc_id)
        unique.append(doc)
    return unique, failures, notes


def write_report(
    inputs: Iterable[str | os.PathLike],
    output: str | os.PathLike,
    model: str | os.PathLike | None = None,
    *,
    glob: str = "*.txt",
    text_field: str | None = None,
    id_field: str | None = None,
    shares: str | None = None,
    by: str | None = None,
    confidence: float | None = None,
    title: str | None = None,
    source: str = "",
    explain: bool = True,
    jobs: int = 1,
    progress: bool | None = False,
) -> PageResult:
    """``cppcc-nlp report``: label ``inputs`` (or read finished ``label`` outputs among them) into one HTML page.

    ``model``: a model directory (default: the shipped model), loaded as its
    engine only. ``shares`` and ``by`` as in ``cppcc-nlp profile --shares``
    (``by``: section, document, or a JSONL field, ``FIELD:N`` for its first N
    characters). The page is written atomically.
    """
    from ..batch import check_inputs
    from ..batch.labeller import model_spec
    from ..batch.inputs import check_outputs

    started = time.perf_counter()
    inputs = [str(i) for i in inputs]
    check_inputs(inputs)
    check_outputs(inputs, output)
    _check_share_options(inputs, shares, by, confidence)
    grouping = by or "section"
    spec = model_spec(model)  # a directory or None: its engine only, no scikit-learn in this process
    engine = spec.engine
    if shares is not None:
        from ..shares import ADJUSTED, error_rates

        if shares in ADJUSTED:
            error_rates(engine)  # a model without held-out predictions fails before any labelling
    documents, failures, notes = collect_documents(inputs, spec, glob=glob, text_field=text_field,
                                                   id_field=id_field, jobs=jobs, progress=progress)
    if not documents:
        raise InputError(f"no readable report among {len(failures)} input(s)")
    table = None
    if shares is not None:
        grouping_value = grouping
        if grouping not in ("section", "document"):
            grouping_value = _field_groups(documents, inputs, grouping, notes, glob=glob, text_field=text_field,
                                           id_field=id_field)
        table = group_shares(documents, spec.themes, shares, grouping_value, model=engine,
                             confidence=0.95 if confidence is None else confidence)
        if not isinstance(grouping_value, str):
            table["by"] = grouping
    label = str(model) if model is not None else "shipped model"
    page = build_page(documents, spec.themes, model=engine, title=title, shares=table, explain=explain,
                      source=source, model_name=f"{label} ({spec.key[:12]})")
    size = write_page(page, output)
    return PageResult(len(documents), sum(len(doc.sentences) for doc in documents), failures, notes, str(output),
                      size, time.perf_counter() - started)


def _check_share_options(inputs: list[str], shares: str | None, by: str | None, confidence: float | None) -> None:
    """``UsageError`` for ``--by`` or ``--confidence`` without ``--shares``, an unknown method, a confidence
    outside (0, 1), or a field of standard input to group by."""
    from ..shares import METHODS

    if shares is None:
        for option, value in (("--by", by), ("--confidence", confidence)):
            if value is not None:
                raise UsageError(f"{option} goes with --shares METHOD")
    elif shares not in METHODS:
        raise UsageError(f"--shares takes one of {', '.join(METHODS)}, got {shares!r}")
    if confidence is not None and not 0 < confidence < 1:
        raise UsageError(f"--confidence must lie between 0 and 1, got {confidence}")
    grouping = by or "section"
    if shares and grouping not in ("section", "document") and "-" in inputs:
        raise UsageError(f"--by {grouping} reads a field of JSONL files; standard input cannot be read twice")


def _field_groups(documents: Sequence[PageDocument], inputs: list[str], grouping: str, notes: list[str], *,
                  glob: str, text_field: str | None, id_field: str | None) -> dict[str, str]:
    """``{doc_id: value}`` of the JSONL field ``grouping`` (``FIELD[:N]``); a note in ``notes`` on the documents
    without it, ``InputError`` when none has it."""
    from ..shares import field_values

    values = field_values(inputs, grouping, glob, text_field, id_field)
    name = grouping.partition(":")[0]
    kept = sum(doc.doc_id in values for doc in documents)
    if not kept:
        raise InputError(f"no document has the field {name!r} that --by {grouping} groups by")
    if kept < len(documents):
        notes.append(f"left out of the shares {len(documents) - kept} document(s) without the field {name!r}")
    return values


def write_page(page: str, output: str | os.PathLike) -> int:
    """Write ``page`` to ``output`` through a temporary file beside it (``outputs.write_atomically``); its size in
    bytes."""
    data = page.encode("utf-8")
    write_atomically(output, data)
    return len(data)
