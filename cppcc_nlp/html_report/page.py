"""The page: documents, themes, explanations and shares as inline JSON in the package's HTML template."""

from __future__ import annotations

import base64
import datetime
import hashlib
import html
import json
import re
from importlib import resources
from typing import Sequence

from ..records import SCORE_DIGITS
from .documents import PageDocument
from .explain import explanations, theme_styles

PAGE_FORMAT = "cppcc_nlp-report/1"
CHUNK_DOCS = 500  # documents per embedded block of sentences: opening a document parses one block
_SURROGATE = re.compile("[\ud800-\udfff]")


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
    from ..about import package_version
    from ..corpus.records import SELECTIONS as STRATEGIES  # the selection values a batch line may carry

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
    chunks = sentence_chunks(documents, explained)
    data = {
        "format": PAGE_FORMAT,
        "title": title or _default_title(documents),
        "model": model_name,
        "themes": styles,
        "source": source,
        "selections": list(STRATEGIES),
        "docs": overview(documents, len(themes)),
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
    return fill_template(data, terms, chunks)


def overview(documents: Sequence[PageDocument], n_themes: int) -> list[list]:
    """Per document: ``[doc_id, source, section names, sentences, sentences per theme]``: what the page draws first."""
    rows = []
    for doc in documents:
        counts = [0] * n_themes
        for mask in doc.masks:
            k = 0
            while mask:
                if mask & 1:
                    counts[k] += 1
                mask >>= 1
                k += 1
        rows.append([doc.doc_id, doc.source, doc.sections, len(doc.sentences), counts])
    return rows


def sentence_chunks(documents: Sequence[PageDocument], explained: list | None) -> list[str]:
    """The sentences of every ``CHUNK_DOCS`` documents as one ``script_json`` block: per document, per sentence
    ``[*sentence, mask, steps, explanation]`` (the explanation ``[]`` when ``explained`` is None)."""
    chunks = []
    for begin in range(0, len(documents), CHUNK_DOCS):
        block = []
        for d in range(begin, min(begin + CHUNK_DOCS, len(documents))):
            doc = documents[d]
            notes = explained[d] if explained is not None else None
            block.append([[*sentence, mask, steps, notes[i] if notes is not None else []]
                          for i, (sentence, mask, steps) in enumerate(zip(doc.sentences, doc.masks, doc.steps))])
        chunks.append(script_json(block))
    return chunks


def fill_template(data: dict, terms: list[str], chunks: list[str]) -> str:
    """The package's HTML template with the page's style, script, ``data``, terms and sentence ``chunks`` inline,
    under a Content-Security-Policy that runs only that script and loads nothing."""
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
