"""One self-contained HTML page of labelled reports: an overview, every document, filters, explanations, export.

labelled reports (``LabelledReport``, a ``research.ReportBatch``) or the inputs
of ``cppcc-nlp label`` (files, directories, JSONL, a finished ``label`` output)
-> ``PageDocument``s -> their explanations (the model's terms behind each
predicted theme) and, when asked, each group's shares with intervals
(``shares.shares_from_scores``) -> one HTML file.

- **Offline and inert.** The page's style, script and data are inline; its
  Content-Security-Policy allows no request at all and runs only the page's
  own script (by its hash). Report text is data: it is embedded as JSON in
  ``<script type="application/json">`` blocks with ``<``, ``>``, ``&`` and
  U+2028/2029 escaped, and the script writes it with ``textContent`` only.
- **Lazy.** The overview's data comes first and is drawn while the browser
  still reads the rest; the sentences follow in blocks of ``CHUNK_DOCS``
  documents, each parsed when first needed, and long lists are drawn as
  they scroll into view.
- **Never writes the corpus.** Sentences a reader marks as wrong leave the
  page as a batch file for ``cppcc-nlp annotate merge``.

The page itself is package data: ``data/report_page.html`` (with the markers
this module fills), ``data/report_page.css`` and ``data/report_page.js``.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import html
import json
import os
import re
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

import numpy as np

from .errors import InputError, OutputError, UsageError
from .records import RECORD_FIELDS, SCORE_DIGITS, label_mask, record_fields, score_column

if TYPE_CHECKING:
    from .api import LabelledReport
    from .engine import Engine
    from .reader import Report

PAGE_FORMAT = "cppcc_nlp-report/1"
CHUNK_DOCS = 500  # documents per embedded block of sentences: opening a document parses one block
EXPLAIN_TERMS = 5  # terms kept per predicted theme of a sentence
EXPLAIN_BATCH = 4096  # sentences vectorised at once for their explanations
_SCALE = 10**SCORE_DIGITS
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
_FALLBACK_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                     "#bcbd22", "#17becf")
_SURROGATE = re.compile("[\ud800-\udfff]")
NOTEBOOK_HEIGHT = 640  # pixels of the frame ``_repr_html_`` shows in a notebook


# -- the documents a page shows ------------------------------------------------------------------


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
    def of_labelled(cls, labelled: "LabelledReport") -> "PageDocument":
        report = labelled.report
        masks, steps = labelled.masks_and_steps()
        sentences = [(s.section_index, s.paragraph_index, s.index, s.start, s.end, s.text) for s in report.sentences]
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
            from .optional import require

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
        from .optional import require

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
            steps = [round(float(record["scores"][theme]) * _SCALE) for theme in themes]
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
    from .batch.sinks import sidecar_path

    manifest = sidecar_path(path, "manifest")
    try:
        with open(manifest, "rb") as handle:
            header = json.loads(handle.readline())
    except (OSError, ValueError):
        return None
    return str(header.get("model")) if isinstance(header, dict) and header.get("model") else None


# -- themes, explanations, shares ----------------------------------------------------------------


def theme_styles(themes: Sequence[str], model=None) -> list[dict]:
    """Each theme's id, name and colour, from the model's codebook (the default codebook for a model without one)."""
    from .codebook import default_codebook

    engine = getattr(model, "engine_", model)
    codebook = getattr(engine, "codebook", None) or default_codebook()
    names, colours = codebook.names, codebook.colours
    styles = []
    for k, theme in enumerate(themes):
        colour = str(colours.get(theme, ""))
        if not _COLOUR.fullmatch(colour):  # a colour is data too: only #rrggbb reaches the page's style
            colour = _FALLBACK_COLOURS[k % len(_FALLBACK_COLOURS)]
        styles.append({"id": theme, "name": str(names.get(theme, theme)), "color": colour.lower()})
    return styles


def explanations(engine: "Engine", documents: Sequence[PageDocument], top: int = EXPLAIN_TERMS
                 ) -> tuple[list[str], list[list[list]]]:
    """The sentence's own terms behind each predicted theme of every sentence, as ``ThemeClassifier.explain``
    finds them (a model that reads context also weighs the title and heading; those are not listed).

    Returns the distinct terms, and per document and sentence a flat list:
    for each predicted theme ``k``, the marker ``-1 - k``, then up to ``top``
    pairs ``term, weight``: the term's index in the distinct terms and its
    contribution to the theme's score ``× 100``, rounded; largest first.
    """
    names = term_names(engine)
    coef = engine.coef
    terms: dict[str, int] = {}
    result: list[list[list]] = [[[] for _ in doc.sentences] for doc in documents]
    wanted = [(d, i) for d, doc in enumerate(documents) for i, mask in enumerate(doc.masks) if mask]
    for begin in range(0, len(wanted), EXPLAIN_BATCH):
        batch = wanted[begin: begin + EXPLAIN_BATCH]
        texts = [documents[d].sentences[i][5] for d, i in batch]
        # the sentence's own terms: a label output holds no context, and a page read from one must match
        features = engine.transform(texts).tocsr()
        indptr, indices, data = features.indptr, features.indices, features.data
        for row, (d, i) in enumerate(batch):
            lo, hi = indptr[row], indptr[row + 1]
            columns = indices[lo:hi]
            mask = documents[d].masks[i]
            out = result[d][i]
            k = 0
            while mask:
                if mask & 1:
                    out.append(-1 - k)
                    contributions = data[lo:hi] * coef[columns, k]
                    order = np.argsort(-contributions)[:top]
                    for j in order:
                        if contributions[j] <= 0:
                            break
                        term = names[columns[j]]
                        out.append(terms.setdefault(term, len(terms)))
                        out.append(int(round(float(contributions[j]) * 100)))
                mask >>= 1
                k += 1
    return list(terms), result


def term_names(engine: "Engine") -> list[str]:
    """The name of every feature column as the page shows it: ``Engine.feature_names``, with character n-grams
    marked ``chars:`` (a word and the same characters as an n-gram are two features)."""
    names = []
    for part, reads in zip(engine.parts, engine.inputs):
        prefix = ("" if reads == "text" else f"{reads}:") + ("chars:" if type(part).__name__ == "CharNgrams" else "")
        names += [prefix + name for name in part.feature_names()]
    return names


def group_shares(documents: Sequence[PageDocument], themes: Sequence[str], method: str, by="section", *,
                 model=None, confidence: float = 0.95) -> dict:
    """Each group's theme shares with intervals (``shares.shares_from_scores``), and which sentences it holds.

    ``by``: ``"section"``, ``"document"``, or ``{doc_id: group}`` (a field of
    the documents, e.g. their year; documents without one are left out).
    """
    from .shares import ADJUSTED, error_rates, shares_from_scores

    names: list[str] = []
    members: list[list[list[int]]] = []
    keys: list[int] = []  # the group of every sentence of the kept documents, in order
    kept: list[int] = []
    index: dict = {}
    several = len(documents) > 1
    for d, doc in enumerate(documents):
        if isinstance(by, str):
            if by not in ("section", "document"):
                raise ValueError(f"by must be 'section', 'document' or a {{doc_id: group}} mapping, got {by!r}")
        elif doc.doc_id not in by:
            continue
        kept.append(d)
        for sentence in doc.sentences:
            if by == "section":
                section = sentence[0]
                key, member = (d, section), [d, section]
                name = f"{doc.doc_id} · {doc.sections[section]}" if several else doc.sections[section]
            elif by == "document":
                key, name, member = d, doc.doc_id, [d, -1]
            else:
                key, name, member = ("field", by[doc.doc_id]), str(by[doc.doc_id]), [d, -1]
            g = index.get(key)
            if g is None:
                g = index[key] = len(names)
                names.append(name)
                members.append([])
            if not members[g] or members[g][-1] != member:
                members[g].append(member)
            keys.append(g)
    if not keys:
        raise InputError("no sentence to estimate shares from: no document is in a group")
    steps = np.array([row for d in kept for row in documents[d].steps], dtype=np.float64).reshape(-1, len(themes))
    masks = np.array([mask for d in kept for mask in documents[d].masks], dtype=np.int64)
    predicted = (masks[:, None] >> np.arange(len(themes))) & 1
    rates = error_rates(model) if method in ADJUSTED else None  # error_rates takes any form of model
    table = shares_from_scores(steps / _SCALE, keys, method=method, predicted=predicted, rates=rates, themes=themes,
                               confidence=confidence, labels=names)
    cells = [[] for _ in names]
    for n, row in enumerate(table.rows):
        cells[n // len(themes)].extend((row["share"], row["low"], row["high"]))
    counts = np.bincount(np.asarray(keys), minlength=len(names))
    return {
        "method": method,
        "by": by if isinstance(by, str) else "field",
        "confidence": confidence,
        "rows": [[names[g], int(counts[g]), cells[g], members[g]] for g in range(len(names))],
    }


# -- the page -------------------------------------------------------------------------------------


def script_json(value) -> str:
    """``value`` as JSON that is safe inside a ``<script>`` element: no ``<``, ``>``, ``&``, line separators."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    text = (text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)  # a lone surrogate cannot be written as UTF-8


def _asset(name: str) -> str:
    return resources.files("cppcc_nlp").joinpath("data", name).read_text(encoding="utf-8")


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def build_page(
    documents: Sequence[PageDocument],
    themes: Sequence[str],
    *,
    model=None,
    title: str | None = None,
    model_name: str = "",
    shares: dict | None = None,
    explain: bool = True,
    source: str = "",
    thresholds: Sequence[float] | None = None,
) -> str:
    """The HTML page of ``documents`` labelled with ``themes``.

    ``model`` (an ``Engine`` or a ``ThemeClassifier``) gives the explanations
    (with ``explain``), the thresholds and the codebook's names and colours;
    ``shares`` is ``group_shares``'s result; ``source`` the registered source
    the documents belong to (the prefix of the unit ids that marked sentences
    are exported with, as ``annotate merge`` resolves them).
    """
    from .about import package_version
    from .corpus.records import SELECTIONS as STRATEGIES  # the selection values a batch line may carry

    themes = tuple(themes)
    engine = getattr(model, "engine_", model)
    if thresholds is None and engine is not None:
        thresholds = [float(t) for t in engine.thresholds]
    terms, explained = ([], None)
    if explain and engine is not None and tuple(engine.themes) == themes:
        terms, explained = explanations(engine, documents)
    styles = theme_styles(themes, model)
    for k, style in enumerate(styles):
        style["threshold"] = round(float(thresholds[k]), SCORE_DIGITS) if thresholds is not None else None
    overview = []
    for doc in documents:
        counts = [0] * len(themes)
        for mask in doc.masks:
            k = 0
            while mask:
                if mask & 1:
                    counts[k] += 1
                mask >>= 1
                k += 1
        overview.append([doc.doc_id, doc.source, doc.sections, len(doc.sentences), counts])
    chunks = []
    for begin in range(0, len(documents), CHUNK_DOCS):
        block = []
        for d in range(begin, min(begin + CHUNK_DOCS, len(documents))):
            doc = documents[d]
            notes = explained[d] if explained is not None else None
            block.append([[*sentence, mask, steps, notes[i] if notes is not None else []]
                          for i, (sentence, mask, steps) in enumerate(zip(doc.sentences, doc.masks, doc.steps))])
        chunks.append(script_json(block))
    data = {
        "format": PAGE_FORMAT,
        "title": title or _default_title(documents),
        "model": model_name,
        "themes": styles,
        "source": source,
        "selections": list(STRATEGIES),
        "docs": overview,
        "chunkDocs": CHUNK_DOCS,
        "chunks": len(chunks),
        "explained": explained is not None,
        "shares": shares,
    }
    # the page's id keys the marks a browser keeps for it: the same documents and labels give the same id
    digest = hashlib.sha256(script_json(data).encode("utf-8"))
    for chunk in chunks:
        digest.update(chunk.encode("utf-8"))
    data["id"] = digest.hexdigest()[:16]
    data["created"] = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    data["generator"] = f"cppcc_nlp {package_version()}"
    data_json = script_json(data)
    style = _asset("report_page.css")
    script = _asset("report_page.js")
    csp = ("default-src 'none'; " f"script-src {_csp_hash(script)}; style-src {_csp_hash(style)}; "
           "img-src data:; form-action 'none'; base-uri 'none'")
    blocks = [f'<script type="application/json" id="report-terms">{script_json(terms)}</script>']
    blocks += [f'<script type="application/json" id="chunk-{n}">{chunk}</script>' for n, chunk in enumerate(chunks)]
    page = _asset("report_page.html")
    parts = {
        "{{csp}}": html.escape(csp, quote=True),
        "{{title}}": html.escape(data["title"], quote=False),
        "{{style}}": style,
        "{{data}}": data_json,
        "{{script}}": script,
        "{{chunks}}": "\n".join(blocks),
    }
    return re.sub("|".join(re.escape(marker) for marker in parts), lambda m: parts[m.group()], page)


def _default_title(documents: Sequence[PageDocument]) -> str:
    if len(documents) == 1:
        return f"{documents[0].doc_id}: labelled sentences"
    return f"{len(documents):,} labelled documents"


def reports_to_html(labelled, model=None, *, title: str | None = None, shares: str | None = None, by=None,
                    confidence: float = 0.95, explain: bool = True, source: str = "") -> str:
    """The HTML page of labelled reports: a ``LabelledReport``, an iterable of them or a ``research.ReportBatch``.

    ``model`` is the model that labelled them (an ``Engine`` or a
    ``ThemeClassifier``; default: the shipped model): it explains the labels and
    gives the error rates of the adjusted share methods. ``shares`` (a method of
    ``shares.METHODS``) adds each group's shares with intervals to the overview,
    grouped ``by`` ``"section"`` (the default), ``"document"`` or a
    ``{doc_id: value}`` mapping. ``source``: the registered source of the
    documents, for the ids of exported corrections.
    """
    documents = documents_of(labelled)
    if not documents:
        raise ValueError("no labelled report to show")
    from .api import as_engine

    model = as_engine(model)
    themes = _themes_of(labelled, model)
    table = None
    if shares is not None:
        table = group_shares(documents, themes, shares, by or "section", model=model, confidence=confidence)
    elif by is not None:
        raise ValueError("by= groups the shares: give shares= a method too")
    return build_page(documents, themes, model=model, title=title, shares=table, explain=explain, source=source,
                      model_name=_model_name(model))


def _themes_of(labelled, model) -> tuple[str, ...]:
    items = [labelled] if hasattr(labelled, "predictions") else list(getattr(labelled, "labelled", labelled))
    if items:
        return tuple(items[0].themes)
    return tuple(model.themes)  # an engine: reports_to_html converted it


def _model_name(engine, label: str = "") -> str:
    key = engine.fingerprint()[:12] if hasattr(engine, "fingerprint") else ""
    return f"{label} ({key})" if label and key else (label or (f"model {key}" if key else ""))


def notebook_frame(page: str, height: int = NOTEBOOK_HEIGHT) -> str:
    """A page inside a sandboxed ``<iframe srcdoc>``: what ``_repr_html_`` gives a notebook.

    The frame keeps the page's style and script apart from the notebook's;
    ``allow-downloads`` lets the export button work.
    """
    return (f'<iframe srcdoc="{html.escape(page, quote=True)}" sandbox="allow-scripts allow-downloads" '
            f'style="width:100%;height:{int(height)}px;border:1px solid #ccc" title="labelled report"></iframe>')


# -- from inputs to a file ---------------------------------------------------------------------------


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
    from .api import LabelledReport
    from .batch import label_in_memory

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
            documents += [PageDocument.of_labelled(LabelledReport.of_steps(report, masks, steps, themes))
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
    from .batch import check_inputs
    from .batch.labeller import model_spec
    from .batch.inputs import check_outputs
    from .shares import METHODS, field_values

    started = time.perf_counter()
    inputs = [str(i) for i in inputs]
    check_inputs(inputs)
    check_outputs(inputs, output)
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
    spec = model_spec(model)  # a directory or None: its engine only, no scikit-learn in this process
    engine = spec.engine
    if shares is not None:
        from .shares import ADJUSTED, error_rates

        if shares in ADJUSTED:
            error_rates(engine)  # a model without held-out predictions fails before any labelling
    documents, failures, notes = collect_documents(inputs, spec, glob=glob, text_field=text_field,
                                                   id_field=id_field, jobs=jobs, progress=progress)
    if not documents:
        raise InputError(f"no readable report among {len(failures)} input(s)")
    table = None
    if shares is not None:
        if grouping not in ("section", "document"):
            values = field_values(inputs, grouping, glob, text_field, id_field)
            name = grouping.partition(":")[0]
            kept = sum(doc.doc_id in values for doc in documents)
            if not kept:
                raise InputError(f"no document has the field {name!r} that --by {grouping} groups by")
            if kept < len(documents):
                notes.append(f"left out of the shares {len(documents) - kept} document(s) without the field {name!r}")
            grouping_value = values
        else:
            grouping_value = grouping
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


def write_page(page: str, output: str | os.PathLike) -> int:
    """Write ``page`` to ``output`` through a temporary file beside it; its size in bytes."""
    output = Path(output)
    data = page.encode("utf-8")
    tmp = output.with_name(output.name + ".part")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
        os.replace(tmp, output)
    except OSError as exc:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise OutputError(f"{output}: cannot write the page: {exc.strerror or exc}") from None
    return len(data)


__all__ = [
    "CHUNK_DOCS",
    "PAGE_FORMAT",
    "PageDocument",
    "PageResult",
    "build_page",
    "collect_documents",
    "documents_of",
    "explanations",
    "group_shares",
    "label_output_themes",
    "notebook_frame",
    "read_label_output",
    "reports_to_html",
    "script_json",
    "theme_styles",
    "write_page",
    "write_report",
]
