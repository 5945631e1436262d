"""The annotation workflow over registered sources: select a batch, audit the corpus, count progress."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Sequence

from ..corpus.load import default_corpus_dir, labelled_ids
from ..corpus.records import LabelRecord, check_text, load_json_line, read_label_lines
from ..corpus.sources import document_units, iter_documents, missing_copy, read_registry, source_file, sources_dir
from ..errors import CorpusError
from ..codebook import Codebook, default_codebook, resolve_codebook
from .audit import AuditFinding, find_label_issues, out_of_fold_probabilities
from .batches import write_batch
from .select import select_units, theme_query


def select_batch(
    source_names: Sequence[str],
    output: str | os.PathLike,
    *,
    strategy: str = "random",
    n: int = 100,
    model=None,
    query: str | None = None,
    theme: str | None = None,
    max_per_doc: int | None = None,
    suggest: bool = False,
    seed: int = 0,
    corpus_dir: str | os.PathLike | None = None,
    sources: str | os.PathLike | None = None,
    progress: bool | None = False,
    codebook: Codebook | str | os.PathLike | None = None,
) -> int:
    """Select ``n`` unlabelled units of registered sources by ``strategy`` and write them as a batch file.

    ``progress``: a bar over the documents read, on stderr (None: when stderr is a terminal).
    """
    from ..progress import progress_bar

    root = Path(corpus_dir) if corpus_dir is not None else default_corpus_dir()
    registry = read_registry(root)
    names = sorted(registry) if list(source_names) == ["all"] else list(source_names)
    unknown = [name for name in names if name not in registry]
    if unknown:
        raise CorpusError(f"unknown source(s) {unknown}; registered in {root / 'sources.json'}: {sorted(registry)}")
    copies = sources_dir(sources)
    units = []
    bar = progress_bar(total=None, unit="doc", desc="reading", show=progress)
    try:
        for name in names:
            path = source_file(registry[name], copies)
            if path is None:
                raise CorpusError(missing_copy(registry[name], copies))
            for document in iter_documents(registry[name], path):
                units.extend(document_units(document))
                bar.update(1)
    finally:
        bar.close()
    if strategy == "keyword" and not query and theme:
        query = theme_query(theme, resolve_codebook(codebook, root))
    chosen = select_units(
        units, n, strategy, model=model, query=query, exclude=labelled_ids(root), max_per_doc=max_per_doc,
        suggest=suggest, random_state=seed,
    )
    return write_batch(chosen, output)


def audit_corpus(records: Sequence[LabelRecord], folds: int = 5, make_model=None,
                 codebook: Codebook | None = None) -> list[AuditFinding]:
    """Confident-learning findings over the whole corpus with out-of-fold probabilities (folds by document)."""
    codebook = codebook or default_codebook()
    if make_model is None:
        from ..model import ThemeClassifier

        def make_model():
            return ThemeClassifier(threshold_folds=0, codebook=codebook)

    probabilities = out_of_fold_probabilities(records, make_model, folds=folds, codebook=codebook)
    return find_label_issues(records, probabilities, codebook=codebook)


_BATCH_TEXT_FIELDS = ("id", "source", "doc", "sha256", "title", "section", "heading", "before", "text", "after",
                      "selection", "annotator")


def read_batch(path: str | os.PathLike, codebook: Codebook | None = None) -> list[dict]:
    """The lines of a batch file as objects, each checked: an object; ``labels`` null or a list of the
    codebook's theme ids; ``suggested`` an object of probabilities; its text fields strings. CorpusError
    names the line."""
    codebook = codebook or default_codebook()
    lines = []
    for number, text in read_label_lines(path):
        where = f"{path}:{number}"
        line = load_json_line(text, where)
        if not isinstance(line, dict):
            raise CorpusError(f"{where}: a batch line is a JSON object, got a {type(line).__name__}")
        if line.get("labels") is not None:
            codebook.check_labels(line["labels"], where)
        suggested = line.get("suggested")
        if suggested is not None and not (isinstance(suggested, dict) and all(
                isinstance(p, (int, float)) and not isinstance(p, bool) for p in suggested.values())):
            raise CorpusError(f"{where}: 'suggested' must be an object of theme probabilities")
        for key in _BATCH_TEXT_FIELDS:
            if line.get(key) is not None:
                check_text(line[key], key, where)
        lines.append(line)
    return lines


def batch_progress(paths: Sequence[str | os.PathLike], codebook: Codebook | None = None) -> str:
    """Per batch file: units decided and still open; per theme and per source over the decided ones."""
    rows = []
    per_theme: Counter = Counter()
    per_source: Counter = Counter()
    decided_total = open_total = 0
    for path in paths:
        lines = read_batch(path, codebook)
        decided = [line for line in lines if line.get("labels") is not None]
        open_total += len(lines) - len(decided)
        decided_total += len(decided)
        for line in decided:
            per_theme.update(line["labels"])
            per_source[str(line.get("id", "")).partition("/")[0]] += 1
        rows.append(f"  {str(path):<50}{len(decided):>6} decided{len(lines) - len(decided):>6} open")
    share = decided_total / (decided_total + open_total) if decided_total + open_total else 0.0
    lines = [f"labelled so far: {decided_total} of {decided_total + open_total} units ({share:.0%})"] + rows
    lines += ["", "per source (decided):"] + [f"  {s:<20}{c:>6}" for s, c in sorted(per_source.items())]
    themes = (codebook or default_codebook()).ids
    lines += ["", "positives per theme (decided):"] + [f"  {t:<22}{per_theme[t]:>6}" for t in themes]
    return "\n".join(lines)
