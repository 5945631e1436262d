"""The top-level functions: ``classify`` texts, ``label_report`` a report file and ``label_text`` a report's text."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import compress
from typing import TYPE_CHECKING, Iterable, Mapping, Sequence, overload

import numpy as np

from .context import UnitContext, report_contexts
from .reader import Report, Source, parse_report, read_report
from .records import (flatten, label_mask, profile_fields, record_fields, score_steps, score_value, section_profiles,
                      sentence_record)
from .predictor import as_engine, default_engine, default_model

if TYPE_CHECKING:
    from .codebook import Codebook
    from .predictor import ModelLike

__all__ = ["LabelledReport", "Prediction", "as_engine", "classify", "default_engine", "default_model", "label_report",
           "label_text", "predict_many"]


@dataclass(frozen=True)
class Prediction:
    """Themes predicted for one text, with every theme's probability."""

    text: str
    labels: tuple[str, ...]
    scores: dict[str, float]

    def to_dict(self) -> dict:
        return {"text": self.text, "labels": list(self.labels), "scores": dict(self.scores)}


def predict_many(model: ModelLike, texts: Sequence[str], contexts: Sequence[UnitContext] | None = None) -> list[Prediction]:
    """Predictions for many texts in one vectorisation, with a ``ThemeClassifier`` or an ``Engine``.

    ``contexts`` (one per text) reach a model that reads context; without
    them a text has none. Scores are rounded to 4 digits
    (``records.score_steps``, as every output of ``cppcc-nlp label``).
    """
    if not texts:
        return []
    engine = as_engine(model)
    probabilities = engine.predict_proba(texts, contexts if getattr(engine, "reads_context", False) else None)
    themes, thresholds = engine.themes, np.asarray(engine.thresholds, dtype=np.float64)
    chosen = (probabilities >= thresholds).tolist()
    scores = score_value(score_steps(probabilities)).tolist()
    return [
        Prediction(text, tuple(compress(themes, flags)), dict(zip(themes, row)))
        for text, flags, row in zip(texts, chosen, scores)
    ]


@overload
def classify(texts: str, model: ModelLike = None) -> Prediction: ...
@overload
def classify(texts: Report, model: ModelLike = None) -> "LabelledReport": ...
@overload
def classify(texts: Iterable[str], model: ModelLike = None) -> list[Prediction]: ...


def classify(texts, model=None):
    """Themes and scores for a sentence, a paragraph, many texts (batched) or a whole report.

    A single string gives one ``Prediction``; any other iterable of strings (a
    list, a generator, a pandas Series such as ``df["text"]``) gives one per
    element, in order; a ``Report`` (from ``read_report``) gives a
    ``LabelledReport`` with every sentence's prediction and each section's
    profile, as ``label_report`` does. A DataFrame or a dict is refused with a
    ``TypeError``: pass the column that holds the texts. ``model`` is any
    form ``as_engine`` takes; None is the shipped model's engine
    (``default_engine``), loaded lazily once.
    """
    if isinstance(texts, Report):
        return label_report(texts, model=model)
    single = isinstance(texts, str)
    items = [texts] if single else _texts_of(texts)  # refused before the model is loaded
    predictions = predict_many(as_engine(model), items)
    return predictions[0] if single else predictions


def _texts_of(texts) -> list[str]:
    """The strings of an iterable, refusing a table (whose iteration gives column names) and non-strings."""
    if hasattr(texts, "columns") and hasattr(texts, "iloc"):
        columns = [str(c) for c in texts.columns]
        example = next((c for c in columns if c == "text"), columns[0] if columns else "text")
        raise TypeError(
            f"classify() takes texts, not a DataFrame (columns: {', '.join(columns[:8]) or 'none'}); "
            f"pass the column of texts, e.g. classify(df[{example!r}])"
        )
    if isinstance(texts, Mapping):  # its iteration gives the keys, never what a caller meant to classify
        keys = ", ".join(repr(k)[:30] for k in list(texts)[:5]) or "none"
        raise TypeError(f"classify() takes texts, not a {type(texts).__name__} (keys: {keys}); pass the texts "
                        "themselves, e.g. classify(list(d.values())) or classify(d[key])")
    if isinstance(texts, (bytes, bytearray)) or not hasattr(texts, "__iter__"):
        raise TypeError(f"classify() takes a string, an iterable of strings or a Report, not {type(texts).__name__}")
    items = list(texts)
    for position, item in enumerate(items):
        if not isinstance(item, str):
            raise TypeError(
                f"classify() takes strings: element {position} is {type(item).__name__} ({item!r:.40}); "
                "drop or convert missing values first (e.g. series.dropna())"
            )
    return items


@dataclass(frozen=True)
class LabelledReport:
    """A report with a prediction for every sentence, in ``report.sentences`` order.

    Its records, profiles and table have the fields of ``cppcc_nlp.records``,
    the same as every output of ``cppcc-nlp label``.
    """

    report: Report
    predictions: tuple[Prediction, ...]
    themes: tuple[str, ...]
    codebook: Codebook | None = None  # the model's: the themes' names and colours

    @classmethod
    def of_steps(cls, report: Report, masks: Sequence[int], steps: Sequence[Sequence[int]],
                 themes: Sequence[str], codebook: Codebook | None = None) -> "LabelledReport":
        """From the batch labeller's form: each sentence's themes as a bit mask, its scores as ``score_steps``."""
        themes = tuple(themes)
        predictions = tuple(
            Prediction(
                text=sentence.text,
                labels=tuple(theme for k, theme in enumerate(themes) if mask >> k & 1),
                scores={theme: score_value(step) for theme, step in zip(themes, row)},
            )
            for sentence, mask, row in zip(report.sentences, masks, steps)
        )
        return cls(report, predictions, themes, codebook)

    def masks_and_steps(self) -> tuple[list[int], list[list[int]]]:
        """The batch labeller's form of the predictions (see ``of_steps``)."""
        masks = [label_mask(p.labels, self.themes) for p in self.predictions]
        steps = [[round(p.scores[theme] * 10000) for theme in self.themes] for p in self.predictions]
        return masks, steps

    def section_predictions(self, section_index: int) -> list[Prediction]:
        return [p for s, p in zip(self.report.sentences, self.predictions) if s.section_index == section_index]

    def profiles(self) -> list[dict]:
        """Per section: share of sentences and of characters that carry each theme (``records.profile_fields``)."""
        masks = [label_mask(p.labels, self.themes) for p in self.predictions]
        rows = section_profiles(self.report.doc_id, self.report.sections, self.report.sentences, masks, len(self.themes))
        fields = profile_fields(self.themes)
        return [dict(zip(fields, row)) for row in rows]

    def to_records(self) -> list[dict]:
        """One record per sentence: doc, section, section_index, paragraph, sentence, offsets, text, labels, scores."""
        names = [section.name for section in self.report.sections]
        return [
            sentence_record(self.report.doc_id, names, sentence, prediction.labels, prediction.scores)
            for sentence, prediction in zip(self.report.sentences, self.predictions)
        ]

    def to_dataframe(self):
        """The records as a pandas DataFrame in flat form (requires pandas): the columns of a Parquet output,
        ``labels`` a list, one ``score_<theme>`` column per theme."""
        from .optional import require

        pd = require("pandas", "to_dataframe()")
        return pd.DataFrame([flatten(r, join_labels=False) for r in self.to_records()], columns=record_fields(self.themes))

    def to_html(self, model: ModelLike = None, **options) -> str:
        """One self-contained HTML page of this report (``html_report.reports_to_html``: ``model`` is the one
        that labelled it, default the shipped model; ``shares=``, ``by=``, ``title=``, ``source=``, ``explain=``)."""
        from .html_report import reports_to_html

        return reports_to_html(self, model=model, **options)

    def _repr_html_(self) -> str:
        """The page of ``to_html`` in a sandboxed frame, as a notebook shows it."""
        from .html_report import notebook_frame

        return notebook_frame(self.to_html())


def label_report(source: Source | Report, model: ModelLike = None) -> LabelledReport:
    """Predict the themes of every sentence of a report: a ``Report``, a path (``str`` or ``Path``) or raw bytes.

    A ``str`` is a path, never the report's text (an InputError when no such
    file exists): label text you already have with ``label_text``. Each
    sentence reaches the model with its context (``context.report_contexts``).
    ``model``: any form ``as_engine`` takes (default: the shipped model).
    """
    engine = as_engine(model)
    report = source if isinstance(source, Report) else read_report(source)
    contexts = report_contexts(report) if getattr(engine, "reads_context", False) else None
    predictions = predict_many(engine, [s.text for s in report.sentences], contexts)
    return LabelledReport(report, tuple(predictions), tuple(engine.themes), getattr(engine, "codebook", None))


def label_text(text: str, model: ModelLike = None, doc_id: str = "report") -> LabelledReport:
    """``label_report`` of a report's text (split by ``parse_report``; its document id is ``doc_id``)."""
    return label_report(parse_report(text, doc_id), model=model)
