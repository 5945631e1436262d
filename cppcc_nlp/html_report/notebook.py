"""The page of labelled reports in Python: ``LabelledReport._repr_html_`` and ``ReportBatch.to_html``."""

from __future__ import annotations

import html

from .documents import documents_of
from .groups import group_shares
from .page import build_page

NOTEBOOK_HEIGHT = 640  # pixels of the frame ``_repr_html_`` shows in a notebook


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
    from ..predictor import as_engine

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
