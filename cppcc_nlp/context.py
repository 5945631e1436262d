"""A unit's context: what surrounds a sentence in its report, and the strings a model's context parts read.

One place computes it for every path that labels a report (``label_report``,
``label_text``, ``cppcc-nlp label`` and ``profile``, ``annotate select``, the
corpus and so the evaluation), so a model trained with context is applied
with the same context. Plain strings have none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

from .reader import Paragraph, Report, ends_sentence

# the strings a feature part can read besides the unit's own text
CONTEXT_INPUTS = ("context", "frame", "document")
_MAX_TITLE_CHARS = 60
DOCUMENT_LEAD_CHARS = 1000  # what a ``document`` part reads of the document: its title and its opening


@dataclass(frozen=True)
class UnitContext:
    """The neighbouring sentences of a unit's paragraph, its section's heading, its document's title and
    the document's opening (its first ``DOCUMENT_LEAD_CHARS`` normalised characters)."""

    before: str = ""
    after: str = ""
    heading: str = ""
    title: str = ""
    document: str = field(default="", repr=False)


_new_object = object.__new__


def neighbours_text(context: UnitContext | None) -> str:
    """What a ``context`` part reads: the neighbouring sentences and the heading, a line each."""
    if context is None:
        return ""
    return "\n".join(part for part in (context.before, context.after, context.heading) if part)


def frame_text(context: UnitContext | None) -> str:
    """What a ``frame`` part reads: the document's title and the section's heading, a line each."""
    if context is None:
        return ""
    return "\n".join(part for part in (context.title, context.heading) if part)


def document_text(context: UnitContext | None) -> str:
    """What a ``document`` part reads: the document's title and its opening."""
    if context is None:
        return ""
    return f"{context.title}\n{context.document}" if context.title else context.document


CONTEXT_VIEWS = {"context": neighbours_text, "frame": frame_text, "document": document_text}


def context_strings(contexts: Sequence[UnitContext | str | None] | None, n: int, view: str) -> list[str]:
    """One string per unit for the context part ``view``; a ``str`` context is the ``context`` view itself."""
    if contexts is None:
        return [""] * n
    if len(contexts) != n:
        raise ValueError(f"{n} texts but {len(contexts)} contexts")
    make = CONTEXT_VIEWS[view]
    return [(c if view == "context" else "") if isinstance(c, str) else make(c) for c in contexts]


def title_line(paragraph: Paragraph) -> str:
    """A first paragraph that reads as a title (short, one sentence, not ending as a sentence does), else ``""``."""
    text = paragraph.text
    if len(paragraph.sentences) == 1 and len(text) <= _MAX_TITLE_CHARS and not ends_sentence(text):
        return text
    return ""


def report_title(report: Report) -> str:
    """A report's title: its first line when that reads as a title, else ``""``."""
    first = next((p for section in report.sections for p in section.paragraphs), None)
    return title_line(first) if first is not None else ""


def paragraph_contexts(paragraphs: Iterable[tuple[str, Paragraph]], title: str, lead: str = "") -> list[UnitContext]:
    """The context of every sentence of ``(section heading, Paragraph)`` pairs, in order (``lead``: the
    document's opening, ``document_lead``)."""
    contexts = []
    add = contexts.append
    for heading, paragraph in paragraphs:
        texts = [sentence.text for sentence in paragraph.sentences]
        if not texts:
            continue
        for before, after in zip(["", *texts[:-1]], [*texts[1:], ""]):
            # as ``UnitContext(...)`` builds it, without the frozen dataclass's five ``object.__setattr__`` calls
            context = _new_object(UnitContext)
            context.__dict__.update(before=before, after=after, heading=heading, title=title, document=lead)
            add(context)
    return contexts


def report_contexts(report: Report, title: str | None = None) -> list[UnitContext]:
    """The context of every sentence of ``report``, in ``report.sentences`` order.

    ``title``: the document's title where the source gives it apart from the
    text (a JSONL field); None takes it from the report (``report_title``).
    """
    title = report_title(report) if title is None else title
    return paragraph_contexts(((section.title, p) for section in report.sections for p in section.paragraphs), title,
                              document_lead(report.text))


def document_lead(text: str) -> str:
    """The opening of a document's normalised text that a ``document`` part reads."""
    return text[:DOCUMENT_LEAD_CHARS]


def split_inputs(X) -> tuple[list[str], list[UnitContext | None]]:
    """``(texts, contexts)`` of units given as strings (no context) or objects with ``.text`` and ``.context``."""
    if isinstance(X, str):
        raise ValueError("expected a sequence of texts, got a single string; wrap it in a list")
    texts, contexts = [], []
    for i, item in enumerate(X):
        if isinstance(item, str):
            texts.append(item)
            contexts.append(None)
        elif isinstance(getattr(item, "text", None), str):
            texts.append(item.text)
            contexts.append(getattr(item, "context", None))
        else:
            raise ValueError(f"text {i} is {type(item).__name__}, expected str (or a unit with .text)")
    return texts, contexts
